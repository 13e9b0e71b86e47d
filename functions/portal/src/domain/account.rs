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
