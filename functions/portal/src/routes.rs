//! Every route of the portal, declared once in `functions!` below: each function's
//! `Endpoint` enum (its handler matches it exhaustively, so a route without a handler does
//! not compile, and a handler cannot name a route that is not here), its route table, and
//! the `Function` list that the local run, the `$default` fallback, `--routes` and the
//! events test are built from. `tests/test_contract.py` keeps this, the template and the
//! OpenAPI document equal.

use crate::http::{find, Auth, Route};
use crate::problem::Problem;
use lambda_http::http::Method;
use lambda_http::Request;
use std::collections::HashMap;

/// A function's endpoints: an enum whose variants are its routes, in the same order.
pub trait Endpoints: Copy + PartialEq + 'static {
    const ALL: &'static [Self];
    const ROUTES: &'static [Route];
}

macro_rules! functions {
    ($(
        $(#[$doc:meta])*
        $function:ident = $module:ident $name:literal {
            $($endpoint:ident: $method:ident $path:literal $auth:ident,)*
        }
    )*) => {
        /// Every function that serves routes; `web` (API Gateway's `$default`) answers the rest.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Function { $($function),* }

        impl Function {
            pub const ALL: &'static [Function] = &[$(Function::$function),*];

            /// Its crate name: the template's `Binary`, `events/<name>/`, `--routes`.
            pub const fn name(self) -> &'static str {
                match self { $(Function::$function => $name),* }
            }

            pub const fn routes(self) -> &'static [Route] {
                match self { $(Function::$function => $module::ROUTES),* }
            }
        }

        $(
            $(#[$doc])*
            pub mod $module {
                use super::*;

                #[derive(Debug, Clone, Copy, PartialEq, Eq)]
                pub enum Endpoint { $($endpoint),* }

                pub const ROUTES: &[Route] = &[$(Route::new(Method::$method, $path, Auth::$auth)),*];

                impl Endpoints for Endpoint {
                    const ALL: &'static [Self] = &[$(Endpoint::$endpoint),*];
                    const ROUTES: &'static [Route] = ROUTES;
                }
            }
        )*
    };
}

functions! {
    /// Sign-in and its two-step code, first login, forgot password, refresh, sign-out and "My Account".
    Auth = auth "auth" {
        SecurityQuestions: GET "/api/auth/security-questions" None,
        Login: POST "/api/auth/login" None,
        FirstLogin: POST "/api/auth/first-login" None,
        MfaSetup: POST "/api/auth/mfa-setup" None,
        MfaVerify: POST "/api/auth/mfa-verify" None,
        Mfa: POST "/api/auth/mfa" None,
        ForgotPassword: POST "/api/auth/forgot-password" None,
        ResetQuestion: POST "/api/auth/reset-question" None,
        ResetPassword: POST "/api/auth/reset-password" None,
        Refresh: POST "/api/auth/refresh" None,
        Logout: POST "/api/auth/logout" Jwt,
        Account: GET "/api/account" Jwt,
        ChangePassword: POST "/api/account/password" Jwt,
        OwnQuestions: GET "/api/account/security-questions" Jwt,
        ChangeOwnQuestions: PUT "/api/account/security-questions" Jwt,
        Notifications: GET "/api/account/notifications" Jwt,
        SaveNotifications: PUT "/api/account/notifications" Jwt,
        OwnTwoStepSetup: POST "/api/account/mfa/setup" Jwt,
        OwnTwoStepVerify: POST "/api/account/mfa/verify" Jwt,
        OwnTwoStepDisable: POST "/api/account/mfa/disable" Jwt,
    }

    /// What the admins and the clinic offices do.
    Accounts = accounts "accounts" {
        CreateStaff: POST "/api/admin/staff" Jwt,
        CreatePatient: POST "/api/admin/patients" Jwt,
        CreateAccount: POST "/api/admin/accounts" Jwt,
        FindAccount: GET "/api/admin/accounts/{username}" Jwt,
        ResendCredentials: POST "/api/admin/accounts/{username}/resend-credentials" Jwt,
        ChangeUsername: PUT "/api/admin/accounts/{username}/username" Jwt,
        Disable: POST "/api/admin/accounts/{username}/disable" Jwt,
        Enable: POST "/api/admin/accounts/{username}/enable" Jwt,
        ResetTwoStep: POST "/api/admin/accounts/{username}/mfa-reset" Jwt,
        Link: POST "/api/admin/accounts/{username}/patients" Jwt,
        Unlink: DELETE "/api/admin/accounts/{username}/patients/{patient_id}" Jwt,
        SearchPatients: POST "/api/admin/patients/search" Jwt,
        AuditTrail: GET "/api/admin/patients/{patient_id}/audit" Jwt,
        SecurityEvents: GET "/api/admin/security-events" Jwt,
        Imports: GET "/api/admin/imports" Jwt,
    }

    /// The participating clinics, for anyone.
    Clinics = clinics "clinics" {
        List: GET "/api/clinics" None,
    }

    /// "Pt Demographics", "Additional information" and the access log of a patient.
    Profile = profile "profile" {
        Demographics: GET "/api/patients/{patient_id}/demographics" Jwt,
        SaveDemographics: PUT "/api/patients/{patient_id}/demographics" Jwt,
        AdditionalInfo: GET "/api/patients/{patient_id}/additional-info" Jwt,
        SaveAdditionalInfo: PUT "/api/patients/{patient_id}/additional-info" Jwt,
        AccessLog: GET "/api/patients/{patient_id}/access-log" Jwt,
    }

    /// The Medical Record: lab results, lab diagnostic reports, immunizations and
    /// medications, as the hospital's systems sent them (see `records`).
    Records = records "records" {
        Results: GET "/api/patients/{patient_id}/results" Jwt,
        Result: GET "/api/patients/{patient_id}/results/{result_id}" Jwt,
        Reports: GET "/api/patients/{patient_id}/reports" Jwt,
        Report: GET "/api/patients/{patient_id}/reports/{report_id}" Jwt,
        Immunizations: GET "/api/patients/{patient_id}/immunizations" Jwt,
        ImmunizationsFhir: GET "/api/patients/{patient_id}/immunizations/fhir" Jwt,
        Medications: GET "/api/patients/{patient_id}/medications" Jwt,
    }

    /// Appointments: visits from the hospital's schedule, the family's "New Appointment"
    /// requests, and the office's queue that answers them (see `appointments`).
    Appointments = appointments "appointments" {
        Visits: GET "/api/patients/{patient_id}/appointments" Jwt,
        Calendar: GET "/api/patients/{patient_id}/appointments/{appointment_id}/calendar" Jwt,
        CancelVisit: POST "/api/patients/{patient_id}/appointments/{appointment_id}/cancel-request" Jwt,
        Requests: GET "/api/patients/{patient_id}/appointment-requests" Jwt,
        NewRequest: POST "/api/patients/{patient_id}/appointment-requests" Jwt,
        CancelRequest: POST "/api/patients/{patient_id}/appointment-requests/{request_id}/cancel" Jwt,
        Queue: GET "/api/office/appointment-requests" Jwt,
        OfficeRequest: GET "/api/office/appointment-requests/{request_id}" Jwt,
        Schedule: POST "/api/office/appointment-requests/{request_id}/schedule" Jwt,
        Decline: POST "/api/office/appointment-requests/{request_id}/decline" Jwt,
        Confirm: POST "/api/office/appointment-requests/{request_id}/confirm" Jwt,
        Note: POST "/api/office/appointment-requests/{request_id}/notes" Jwt,
    }

    /// "Messages": conversations with the clinic office and "Refill medications", with the
    /// office's inbox of both (see `messages`).
    Messages = messages "messages" {
        Conversations: GET "/api/patients/{patient_id}/conversations" Jwt,
        NewConversation: POST "/api/patients/{patient_id}/conversations" Jwt,
        Conversation: GET "/api/patients/{patient_id}/conversations/{conversation_id}" Jwt,
        Reply: POST "/api/patients/{patient_id}/conversations/{conversation_id}/messages" Jwt,
        RefillRequests: GET "/api/patients/{patient_id}/refill-requests" Jwt,
        NewRefillRequest: POST "/api/patients/{patient_id}/refill-requests" Jwt,
        Inbox: GET "/api/office/inbox" Jwt,
        Counts: GET "/api/office/counts" Jwt,
        Take: POST "/api/office/conversations/{conversation_id}/take" Jwt,
        Close: POST "/api/office/conversations/{conversation_id}/close" Jwt,
        ConversationNote: POST "/api/office/conversations/{conversation_id}/notes" Jwt,
        AnswerRefill: POST "/api/office/refill-requests/{request_id}/answer" Jwt,
    }
}

/// The function (by crate name) and route that take a request, with its path parameters;
/// or the problem for a request no route takes: 405 with `Allow` when its path is a route's
/// with another method, else 404.
pub fn route_for(req: &Request) -> Result<(Function, &'static Route, HashMap<String, String>), Problem> {
    let mut allowed = Vec::new();
    for &function in Function::ALL {
        match find(function.routes(), req) {
            Ok((i, params)) => return Ok((function, &function.routes()[i], params)),
            Err(problem) => allowed.extend(problem.allow),
        }
    }
    Err(if allowed.is_empty() { Problem::no_route() } else { Problem::method_not_allowed(allowed.join(", ")) })
}

/// What the function behind API Gateway's `$default` route answers.
pub fn unrouted(req: &Request) -> Problem {
    match route_for(req) {
        Err(problem) => problem,
        // A route of another function: only a misconfigured gateway sends it here.
        Ok(_) => Problem::no_route(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    fn req(method: &str, path: &str) -> Request {
        lambda_http::http::Request::builder().method(method).uri(path).body(Body::Empty).unwrap()
    }

    #[test]
    fn unrouted_requests_get_404_or_405_from_all_routes() {
        let p = unrouted(&req("GET", "/api/auth/login"));
        assert_eq!((p.status.as_u16(), p.allow.as_deref()), (405, Some("POST")));
        let p = unrouted(&req("DELETE", "/api/admin/accounts/jsmith/username"));
        assert_eq!((p.status.as_u16(), p.allow.as_deref()), (405, Some("PUT")));
        assert_eq!(unrouted(&req("GET", "/api/nothing")), Problem::no_route());
        assert_eq!(unrouted(&req("GET", "/")), Problem::no_route());
        let (function, route, params) = route_for(&req("PUT", "/api/admin/accounts/jsmith/username")).unwrap();
        assert_eq!((function, route.path, params["username"].as_str()), (Function::Accounts, "/api/admin/accounts/{username}/username", "jsmith"));
    }

    #[test]
    fn each_endpoint_is_its_route() {
        use accounts::Endpoint;
        assert_eq!(Endpoint::ALL.len(), accounts::ROUTES.len());
        // What `http::serve` does: the index `find` gives is the endpoint's.
        let (i, _) = find(accounts::ROUTES, &req("PUT", "/api/admin/accounts/jsmith/username")).unwrap();
        assert_eq!(Endpoint::ALL[i], Endpoint::ChangeUsername);
        let (i, _) = find(accounts::ROUTES, &req("GET", "/api/admin/security-events")).unwrap();
        assert_eq!(Endpoint::ALL[i], Endpoint::SecurityEvents);
        let mut all: Vec<(String, &str)> = Function::ALL.iter().flat_map(|f| f.routes()).map(|r| (r.method.to_string(), r.path)).collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a route is declared twice");
    }
}
