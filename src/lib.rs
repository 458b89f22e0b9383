//! Comptes SIEC core: everything an agent can do with the accounts of the SIEC
//! authentication portal, with no user interface in it. The desktop app
//! (`src-tauri/`) and the command line (`src/main.rs`) call these functions.

pub mod about;
pub mod accounts;
pub mod agents;
pub mod audit;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod dashboard;
pub mod devdata;
pub mod domain;
pub mod error;
pub mod import;
pub mod links;
pub mod mail;
pub mod outbox;
pub mod search;
pub mod snapshot;
pub mod store;
pub mod text;

pub use error::{Error, ErrorKind, Result};
