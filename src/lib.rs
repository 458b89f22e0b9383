//! Comptes SIEC core: everything an agent can do with the accounts of the SIEC
//! authentication portal, with no user interface in it. The desktop app
//! (`src-tauri/`) and the command line (`src/main.rs`) call these functions.

pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod links;
pub mod mail;
pub mod outbox;
pub mod store;

pub use error::{Error, ErrorKind, Result};
