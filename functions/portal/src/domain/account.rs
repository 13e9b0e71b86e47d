use super::Reason;
use serde::{Deserialize, Serialize};

/// Staff and admins are Cognito groups of the same names; account holders have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Staff,
}

impl Role {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        match s {
            "admin" => Ok(Role::Admin),
            "staff" => Ok(Role::Staff),
            _ => Err("must be \"staff\" or \"admin\"".into()),
        }
    }
    pub fn group(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }
}

/// The account holder's relationship to the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    #[serde(rename = "self")]
    Own,
    Parent,
    Guardian,
}

impl Relationship {
    pub fn parse(s: &str) -> Result<Self, Reason> {
        [Relationship::Own, Relationship::Parent, Relationship::Guardian]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| "must be \"self\", \"parent\" or \"guardian\"".into())
    }
    /// The word `parse` takes (and serde writes).
    pub fn as_str(&self) -> &'static str {
        match self {
            Relationship::Own => "self",
            Relationship::Parent => "parent",
            Relationship::Guardian => "guardian",
        }
    }
}

/// In what capacity the caller touched a patient's data, as the audit records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    Admin,
    /// Staff of the clinic the patient belongs to.
    Staff {
        clinic: String,
    },
    Holder(Relationship),
    /// Refused; the caller's role in words.
    Denied(&'static str),
}

impl Acting {
    pub fn word(&self) -> &'static str {
        match self {
            Acting::Admin => "admin",
            Acting::Staff { .. } => "staff",
            Acting::Holder(r) => r.as_str(),
            Acting::Denied(word) => word,
        }
    }
    pub fn clinic(&self) -> Option<&str> {
        match self {
            Acting::Staff { clinic } => Some(clinic),
            _ => None,
        }
    }
    pub fn is_family(&self) -> bool {
        matches!(self, Acting::Holder(_))
    }
}
