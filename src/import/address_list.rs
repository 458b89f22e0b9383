//! An agent's own list of addresses, as Excel or a text editor saves it: CSV with
//! `;` or `,`, UTF-8 with or without BOM, or Windows-1252; or one address per line.
//! Every row is accounted for: its address is taken, or the report says why not.

use std::borrow::Cow;

use crate::domain::Email;

/// What a file gave: the addresses (each once, in file order) and the rows left out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AddressList {
    pub emails: Vec<Email>,
    pub rejected: Vec<RejectedRow>,
    /// How the bytes were read: « UTF-8 » or « Windows-1252 ».
    pub encoding: &'static str,
    /// The field separator found: ';' or ','.
    pub delimiter: char,
    /// A first row without any address, read as column titles.
    pub header: bool,
    /// Rows whose address was already in the list.
    pub duplicates: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedRow {
    /// 1-based, as a spreadsheet numbers its rows.
    pub line: u64,
    pub message: String,
}

pub fn read(bytes: &[u8]) -> AddressList {
    let (text, encoding) = decode(bytes);
    let delimiter = guess_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter as u8)
        .from_reader(text.as_bytes());
    let mut list = AddressList {
        emails: Vec::new(),
        rejected: Vec::new(),
        encoding,
        delimiter,
        header: false,
        duplicates: 0,
    };
    let mut seen = std::collections::HashSet::new();
    let mut first = true;
    // The csv crate's own line numbers drift on Windows line ends (`\r\n`, what
    // Excel writes): lines are counted here from where each record starts.
    let mut lines = LineCounter::new(&text);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                list.rejected.push(RejectedRow {
                    line,
                    message: format!("ligne illisible ({})", csv_reason(&e)),
                });
                continue;
            }
        };
        let line = record.position().map(|p| lines.at(p.byte())).unwrap_or(0);
        let cells: Vec<&str> = record.iter().map(str::trim).collect();
        // A quote left open runs the following lines into one cell: say so, rather
        // than quote that cell's lines back.
        if cells.iter().any(|c| c.contains(['\n', '\r'])) {
            list.rejected.push(RejectedRow {
                line,
                message: "guillemet non refermé : cette ligne et les suivantes sont lues comme une seule cellule".into(),
            });
            continue;
        }
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        // Titles come on the first row that has anything in it.
        let is_first = std::mem::take(&mut first);
        let Some(cell) = cells.iter().find(|c| c.contains('@')) else {
            if is_first {
                list.header = true;
            } else {
                list.rejected.push(RejectedRow {
                    line,
                    message: "aucune adresse dans cette ligne".into(),
                });
            }
            continue;
        };
        match Email::parse(cell) {
            Ok(email) => {
                if seen.insert(email.as_str().to_lowercase()) {
                    list.emails.push(email);
                } else {
                    list.duplicates += 1;
                }
            }
            // The core's message names the address and what is wrong with it.
            Err(e) => list.rejected.push(RejectedRow {
                line,
                message: e.to_string(),
            }),
        }
    }
    list
}

/// 1-based line numbers of byte offsets met in increasing order.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let mut byte = (byte as usize).min(self.text.len());
        // A record's offset can be the `\n` that ends the line before it.
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte > self.byte {
            self.line += self.text[self.byte..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.byte = byte;
        }
        self.line
    }
}

/// UTF-8 when the bytes are UTF-8 (a BOM is dropped); otherwise Windows-1252, what
/// Excel writes on French Windows for "CSV (séparateur : point-virgule)".
fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text, "Windows-1252")
        }
    }
}

/// Excel in French writes `;`; most other tools `,`. The first line decides, and a
/// file of bare addresses (neither) reads the same either way.
fn guess_delimiter(text: &str) -> char {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.matches(';').count() >= first.matches(',').count() {
        ';'
    } else {
        ','
    }
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "caractères illisibles".into(),
        _ => "guillemets ou séparateurs mal placés".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(list: &AddressList) -> Vec<&str> {
        list.emails.iter().map(Email::as_str).collect()
    }

    #[test]
    fn excel_semicolon_file_with_bom_and_titles() {
        let file = "\u{FEFF}Nom;Adresse;UAI\r\nDupont;jean.dupont@ac-lyon.fr;0691234A\r\nMartin;claire.martin@ac-lyon.fr;0691234A\r\n";
        let list = read(file.as_bytes());
        assert_eq!(
            emails(&list),
            ["jean.dupont@ac-lyon.fr", "claire.martin@ac-lyon.fr"]
        );
        assert!(list.header);
        assert_eq!((list.encoding, list.delimiter), ("UTF-8", ';'));
        assert!(list.rejected.is_empty());
    }

    #[test]
    fn windows_1252_comma_file_keeps_accented_names_readable() {
        // « Hélène » in Windows-1252: é is 0xE9, not valid UTF-8 on its own.
        let mut file = b"H\xE9l\xE8ne Durand,helene.durand@ac-nice.fr\n".to_vec();
        file.extend_from_slice(b"Andr\xE9,pas-une-adresse@\n");
        let list = read(&file);
        assert_eq!(list.encoding, "Windows-1252");
        assert_eq!(list.delimiter, ',');
        assert_eq!(emails(&list), ["helene.durand@ac-nice.fr"]);
        assert_eq!(list.rejected.len(), 1);
        assert_eq!(list.rejected[0].line, 2);
        assert!(
            list.rejected[0].message.contains("« pas-une-adresse@ »"),
            "{}",
            list.rejected[0].message
        );
    }

    #[test]
    fn lines_are_counted_right_with_windows_line_ends() {
        let list = read(b"Nom;Adresse\r\nA;a@ac-lyon.fr\r\nB;b@ac-lyon\r\n\r\nC;c@\r\n");
        let lines: Vec<u64> = list.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 5]);
    }

    #[test]
    fn titles_below_an_empty_row_are_still_titles() {
        let list = read(b";;\nNom;Adresse\nA;a@ac-lyon.fr\n");
        assert!(list.header);
        assert!(list.rejected.is_empty(), "{:?}", list.rejected);
        assert_eq!(emails(&list), ["a@ac-lyon.fr"]);
    }

    #[test]
    fn one_address_per_line_with_blank_lines_and_repeats() {
        let list = read(b"a.b@ac-paris.fr\n\n  c.d@ac-paris.fr  \nA.B@ac-paris.fr\n");
        assert_eq!(emails(&list), ["a.b@ac-paris.fr", "c.d@ac-paris.fr"]);
        assert_eq!(list.duplicates, 1);
        assert!(!list.header);
    }

    #[test]
    fn a_row_without_address_after_the_first_is_reported_with_its_line() {
        let list = read(b"x@ac-paris.fr;Lycee\nsans adresse;Lycee\ny@ac-paris.fr;Lycee\n");
        assert_eq!(emails(&list), ["x@ac-paris.fr", "y@ac-paris.fr"]);
        assert_eq!(
            list.rejected,
            [RejectedRow {
                line: 2,
                message: "aucune adresse dans cette ligne".into()
            }]
        );
    }

    #[test]
    fn an_unclosed_quote_is_reported_at_its_line_and_the_rows_before_are_kept() {
        let list = read(b"x@ac-paris.fr\n\"y@ac-paris.fr;Lyc\xC3\xA9e\nz@ac-paris.fr\n");
        assert_eq!(emails(&list), ["x@ac-paris.fr"]);
        assert_eq!(
            list.rejected,
            [RejectedRow {
                line: 2,
                message: "guillemet non refermé : cette ligne et les suivantes sont lues comme une seule cellule".into()
            }]
        );
    }
}
