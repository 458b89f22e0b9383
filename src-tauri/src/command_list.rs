/// Every command the window may call; `build.rs` turns each into an `allow-…`
/// permission and `capabilities/main.json` grants exactly these.
pub const COMMANDS: &[&str] = &[
    "uai_check",
    "email_check",
    "session_status",
    "connect",
    "disconnect",
    "dashboard",
    "search",
    "establishment_suggest",
    "establishment",
    "account",
    "add_account",
    "attach",
    "detach",
    "set_enabled",
    "make_principal",
    "audit_list",
    "settings_get",
    "settings_save",
    "forget_credentials",
];
