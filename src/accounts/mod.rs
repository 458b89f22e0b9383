//! The agent's daily work (user guide, « 2ème situation »): establishments, the
//! addresses attached to them, each establishment's principal account, and the
//! principal's own right to add addresses to its establishment (« 1ère situation »).
//! Every change runs in one transaction with its audit row.

mod establishments;
mod operations;
mod queries;
pub(crate) use queries::refresh_establishment_tags;

pub use establishments::{add_establishment, edit_establishment, establishment};
pub use operations::{
    account, add_account, attach, detach, detach_with, edit_account, make_principal,
    principal_adds_address, set_enabled,
};

use crate::domain::{AccountStatus, LinkPurpose, Role, Uai};

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EstablishmentInput {
    pub uai: Uai,
    pub name: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub academy: String,
}

/// An account's fields to correct; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AccountEdit {
    pub email: Option<crate::domain::Email>,
    pub display_name: Option<String>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct EstablishmentEdit {
    pub name: Option<String>,
    pub city: Option<String>,
    pub academy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Establishment {
    pub uai: String,
    pub name: String,
    pub city: String,
    pub academy: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub email: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub role: Role,
    pub last_link: Option<LinkSummary>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EstablishmentDetail {
    pub establishment: Establishment,
    /// Principal first, then by address.
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewAccount {
    pub email: crate::domain::Email,
    pub uai: Uai,
    #[serde(default)]
    pub principal: bool,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub email: String,
    pub display_name: String,
    pub status: AccountStatus,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub password_set_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    pub uai: String,
    pub name: String,
    pub city: String,
    pub academy: String,
    pub role: Role,
}

/// The state of the most recent link of an account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkSummary {
    pub purpose: LinkPurpose,
    /// queued, sent, failed, used, expired or revoked.
    pub state: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountDetail {
    pub account: Account,
    /// Principal roles first.
    pub memberships: Vec<Membership>,
    pub last_link: Option<LinkSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PrincipalChange {
    pub uai: String,
    pub previous: Option<String>,
    pub new: String,
}
