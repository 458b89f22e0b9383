//! Arguments clap refuses, said as every other failure is: a French message, and
//! with `--json` the same `{"code", "message"}` object on standard error.

use clap::error::{ContextKind, ContextValue, ErrorKind as ClapKind};
use siec_accounts::ErrorKind;

/// Whether `--json` was asked for, read from the raw arguments: when parsing fails
/// there is no parsed flag to read.
fn json_asked() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A French sentence for what clap refused, naming the argument in question.
pub fn message(e: &clap::Error) -> String {
    use std::error::Error as _;
    let arg = context(e, ContextKind::InvalidArg)
        .or_else(|| context(e, ContextKind::InvalidSubcommand))
        .unwrap_or_default();
    let value = context(e, ContextKind::InvalidValue).unwrap_or_default();
    match e.kind() {
        // A value refused by a domain type: its own French message.
        ClapKind::ValueValidation => e
            .source()
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("Valeur « {value} » refusée pour {arg}.")),
        ClapKind::UnknownArgument => format!("Option inconnue : « {arg} »."),
        ClapKind::InvalidSubcommand => format!("Commande inconnue : « {arg} »."),
        ClapKind::MissingRequiredArgument => {
            format!("Argument obligatoire manquant : {arg}.")
        }
        ClapKind::MissingSubcommand | ClapKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "Commande manquante : voir « siec-accounts --help ».".to_string()
        }
        ClapKind::InvalidValue => {
            let valid = context(e, ContextKind::ValidValue)
                .map(|v| format!(" (valeurs possibles : {v})"))
                .unwrap_or_default();
            format!("Valeur « {value} » refusée pour {arg}{valid}.")
        }
        ClapKind::ArgumentConflict => {
            let other = context(e, ContextKind::PriorArg).unwrap_or_default();
            format!("Les options {arg} et {other} ne vont pas ensemble.")
        }
        ClapKind::TooManyValues | ClapKind::WrongNumberOfValues | ClapKind::TooFewValues => {
            format!("Nombre de valeurs incorrect pour {arg}.")
        }
        ClapKind::NoEquals => format!("L’option {arg} attend « = » et une valeur."),
        _ => {
            let raw = e.to_string();
            let first = raw.lines().next().unwrap_or_default();
            format!(
                "Arguments refusés : {}",
                first.trim_start_matches("error: ")
            )
        }
    }
}

/// Reports a parse failure and returns the exit code. Help and version requests
/// are not failures: clap prints them and exits as usual.
pub fn report(e: clap::Error) -> i32 {
    if matches!(e.kind(), ClapKind::DisplayHelp | ClapKind::DisplayVersion) {
        e.exit()
    }
    let text = message(&e);
    if json_asked() {
        eprintln!(
            "{}",
            serde_json::json!({ "code": ErrorKind::Invalid, "message": text })
        );
    } else if e.kind() == ClapKind::ValueValidation {
        eprintln!("Erreur : {text}");
    } else {
        // For people, clap's own text with its usage line and hints.
        let _ = e.print();
    }
    ErrorKind::Invalid.exit_code()
}
