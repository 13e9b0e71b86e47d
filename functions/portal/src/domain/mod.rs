//! Domain types: each has a private value and one fallible constructor, so a value that
//! exists is valid. Constructors return a reason; the HTTP layer adds the field name.

pub mod account;
pub mod appointment;
pub mod clinic;
pub mod contact;
pub mod message;
pub mod names;
pub mod password;
pub mod patient;
pub mod questions;
pub mod record;
pub mod totp;

pub use account::{Acting, Relationship, Role};
pub use appointment::{Choices, Day, RequestId, RequestKind, RequestStatus, Text, TimeOfDay, VisitStatus};
pub use clinic::{Clinic, CLINICS};
pub use contact::{Address, Bounded, EmergencyContact, Line, Pharmacy, Phone, PhoneKind, PhoneNumber};
pub use message::{ConversationId, ConversationStatus, RefillRequestStatus, RefillStatus, Side};
pub use names::{EmailAddress, Mrn, PersonName, Username};
pub use password::{GivenPassword, NewPassword, Opaque, TemporaryPassword};
pub use patient::{BirthDate, PatientId};
pub use questions::{QuestionId, SecretHash, QUESTIONS};
pub use record::{Flag, RecordId, When};
pub use totp::{TotpCode, TotpSecret};

/// Why a value was refused, in words fit for the person who typed it.
pub type Reason = String;

/// Serde glue for a string newtype with a fallible `parse`: deserialising is parsing.
macro_rules! string_newtype {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = $crate::domain::Reason;
            fn try_from(s: String) -> Result<Self, $crate::domain::Reason> {
                <$t>::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0.to_string()
            }
        }
    };
}
pub(crate) use string_newtype;

/// An id the portal makes: random (UUID v4), never sequential, written as a UUID; `parse`
/// takes only that form, with `$what` as the reason otherwise.
macro_rules! random_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                $name(uuid::Uuid::new_v4())
            }
            pub fn parse(s: &str) -> Result<Self, $crate::domain::Reason> {
                uuid::Uuid::parse_str(s).ok().filter(|u| u.get_version_num() == 4 && s.len() == 36).map($name).ok_or_else(|| $what.into())
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        $crate::domain::string_newtype!($name);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use random_id;

/// Percent-encoding of everything but RFC 3986's unreserved characters: a value inside a
/// link or an `otpauth://` address.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // Only fails if the OS has no entropy source, in which case nothing here can work.
    aws_lc_rs::rand::fill(&mut buf).expect("system random source");
    buf
}

pub(crate) fn has_control_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// An enum of fixed ids, as they are stored and answered (`"demographics.read"`): each
/// variant's id is written once, with `ALL` for the lists that must name every one (the
/// pages' words, the tests), `as_str`, and serde as the id.
macro_rules! ids {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id),* }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let id = String::deserialize(d)?;
                Self::ALL.iter().copied().find(|v| v.as_str() == id).ok_or_else(|| serde::de::Error::custom("unknown id"))
            }
        }
    };
}
pub(crate) use ids;
