//! Initialisation and reset links (user guide, sections II and III): requesting
//! them for one account or a selection, redeeming them (the portal's side), and
//! what became of each. Delivery is the outbox worker's job (`crate::outbox`).
//!
//! A link's token is drawn by the worker when the mail leaves, so its lifetime
//! (one hour by default) runs from delivery, not from the agent's click: a link
//! queued during a relay outage does not arrive already expired.

mod bulk;
mod history;
mod redeem;
mod request;
pub(crate) mod settings;
mod token;

pub use bulk::{queue_bulk, retry_failed, send_bulk, AddressIssue, BulkProgress, BulkSummary};
pub use history::{batch_links, history, last_link, link, LinkState, LinkView};
pub use redeem::{
    hash_password, redeem, verify_password, Redeemed, ARGON2_M_KIB, ARGON2_P, ARGON2_T,
    LINK_REFUSED,
};
pub use request::{request_link, LinkRequested, Selection};
pub use settings::{
    check_lifetime, link_settings, set_link_settings, LinkSettings, LinkSettingsEdit,
    LIFETIME_MAX_MINUTES, LIFETIME_MIN_MINUTES,
};
pub use token::{Token, TokenHash, TOKEN_LENGTH};
