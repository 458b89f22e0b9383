/// Every command the window may call; `build.rs` turns each into an `allow-…`
/// permission and `capabilities/main.json` grants exactly these.
pub const COMMANDS: &[&str] = &["uai_check"];
