//! The one error the window receives: a stable code and the core's French message.
//! Nothing else of a failure (no Rust type names, no backtraces) crosses to the UI.

#[derive(Debug, Clone, serde::Serialize)]
pub struct UiError {
    pub code: siec_accounts::ErrorKind,
    pub message: String,
}

impl From<siec_accounts::Error> for UiError {
    fn from(e: siec_accounts::Error) -> Self {
        if e.kind() == siec_accounts::ErrorKind::Internal {
            tracing::error!(error = %e, "internal error");
        }
        Self {
            code: e.kind(),
            message: e.to_string(),
        }
    }
}

impl UiError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: siec_accounts::ErrorKind::Invalid,
            message: message.into(),
        }
    }
}

pub type UiResult<T> = Result<T, UiError>;
