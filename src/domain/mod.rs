//! Values that carry the portal's rules. Each type has one fallible constructor:
//! holding one means it is valid.

mod email;
mod password;
mod status;
mod uai;

pub use email::{Email, EmailError};
pub use password::{Password, PasswordError, PasswordRule};
pub use status::{AccountStatus, LinkPurpose, Role};
pub use uai::{Uai, UaiError};

/// Lower-cased, accent-free form used by every search column, so that
/// `lycee louis` finds « Lycée Louis-le-Grand » on both backends alike.
pub fn fold_for_search(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            '’' | '\'' | '-' | '_' => out.push(' '),
            _ => out.extend(c.to_lowercase()),
        }
    }
    // Collapse runs of spaces so « Louis-le-Grand » and « Louis le Grand » match.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::fold_for_search;

    #[test]
    fn folding_removes_accents_case_and_hyphens() {
        assert_eq!(fold_for_search("Lycée Louis-le-Grand"), "lycee louis le grand");
        assert_eq!(fold_for_search("  ÉCOLE   Cœur "), "ecole coeur");
        assert_eq!(fold_for_search("Saint-Étienne"), "saint etienne");
    }
}
