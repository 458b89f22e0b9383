//! Text from outside (typed, read from a file, stored by someone else) as it may
//! be echoed back: quoted briefly, and never able to move the cursor or turn the
//! rest of a terminal line around.

/// Largest file of addresses read (an address list is a few hundred kilobytes).
pub const MAX_LIST_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Most characters of a typed value a message repeats.
pub const QUOTE_MAX_CHARS: usize = 80;

/// Control characters and the invisible marks that reorder text (bidirectional
/// embeddings, overrides and isolates, directional marks).
pub fn is_hostile_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200E}' | '\u{200F}' | '\u{061C}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}')
}

/// The first [`QUOTE_MAX_CHARS`] characters of `input`, hostile characters shown as
/// `�`, with « … » when cut: what an error message may repeat of what was typed.
pub fn quote_input(input: &str) -> String {
    let mut out: String = input
        .chars()
        .take(QUOTE_MAX_CHARS)
        .map(|c| if is_hostile_char(c) { '\u{FFFD}' } else { c })
        .collect();
    if input.chars().nth(QUOTE_MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// `value` with hostile characters replaced, for printing stored text to a terminal.
pub fn neutralise(value: &str) -> String {
    value
        .chars()
        .map(|c| if is_hostile_char(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// Refuses a name holding control characters or bidirectional overrides.
pub fn check_name(field: &str, value: &str) -> crate::Result<()> {
    if value.chars().any(is_hostile_char) {
        return Err(crate::Error::invalid(format!(
            "Le champ « {field} » contient des caractères de contrôle ou d'inversion du sens d'écriture : « {} ». Retapez-le sans copier-coller depuis une source douteuse.",
            quote_input(value)
        )));
    }
    Ok(())
}

/// Refuses a search text longer than [`MAX_SEARCH_CHARS`].
pub fn check_search_text(text: &str) -> crate::Result<()> {
    if text.chars().nth(MAX_SEARCH_CHARS).is_some() {
        return Err(crate::Error::invalid(format!(
            "La recherche « {} » est trop longue ({MAX_SEARCH_CHARS} caractères au plus).",
            quote_input(text)
        )));
    }
    Ok(())
}

/// Reads a file of at most [`MAX_LIST_FILE_BYTES`]: its size is checked before
/// reading, and the read itself stops past the limit (a device such as
/// `/dev/zero` reports a size of 0).
pub fn read_list_file(path: &std::path::Path) -> crate::Result<Vec<u8>> {
    use std::io::Read;
    let shown = quote_input(&path.display().to_string());
    let too_big = || {
        crate::Error::invalid(format!(
            "Le fichier « {shown} » fait plus de 20 Mo : ce n'est pas une liste d'adresses."
        ))
    };
    let file = std::fs::File::open(path)
        .map_err(|e| crate::Error::invalid(format!("Fichier « {shown} » illisible : {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| crate::Error::invalid(format!("Fichier « {shown} » illisible : {e}")))?;
    if meta.len() > MAX_LIST_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(MAX_LIST_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::Error::invalid(format!("Fichier « {shown} » illisible : {e}")))?;
    if bytes.len() as u64 > MAX_LIST_FILE_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_short_and_inert() {
        let long = "a".repeat(128 * 1024);
        let q = quote_input(&long);
        assert_eq!(q.chars().count(), QUOTE_MAX_CHARS + 1);
        assert!(q.ends_with('…'));
        assert_eq!(quote_input("abc"), "abc");
        assert_eq!(quote_input("a\u{202E}b\x1b[2J"), "a\u{FFFD}b\u{FFFD}[2J");
        assert!(check_name("nom", "Lycée Louis-le-Grand").is_ok());
        for bad in ["x\u{202E}gpj.exe", "x\u{2066}y", "a\nb", "a\u{7}"] {
            assert!(check_name("nom", bad).is_err(), "{bad:?}");
        }
        assert!(check_search_text(&"é".repeat(200)).is_ok());
        let e = check_search_text(&"a".repeat(128 * 1024)).unwrap_err();
        assert!(e.to_string().chars().count() < 200, "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn endless_files_are_cut_short() {
        let e = read_list_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("plus de 20 Mo"), "{e}");
    }
}
