//! Establishments for the « Ajouter une adresse » field, where the agent types a
//! UAI or the name the caller gives: the best name match first, and a name
//! submitted without choosing resolved when it names one establishment only.

use super::*;

/// How well an establishment's folded « name city » answers the folded text:
/// lower is better. A whole UAI, then a name that starts with the text, then
/// the text at the start of a word, then anywhere; shorter names first.
fn rank(text: &str, uai: &str, name: &str, city: &str) -> (u8, usize) {
    let doc = fold_for_search(&format!("{name} {city}"));
    let bare = doc
        .split_once(' ')
        .map_or(doc.as_str(), |(_, rest)| rest)
        .to_string();
    let tier = if uai.eq_ignore_ascii_case(text) {
        0
    } else if doc.starts_with(text) || bare.starts_with(text) {
        1
    } else if doc
        .match_indices(text)
        .any(|(i, _)| i == 0 || doc.as_bytes().get(i - 1) == Some(&b' '))
    {
        2
    } else {
        3
    };
    (tier, doc.len())
}

/// Up to `limit` establishments matching `text` by code, name or city, best first.
pub async fn suggest_establishments(
    store: &Store,
    text: &str,
    limit: usize,
) -> Result<Vec<SearchRow>> {
    let folded = fold_for_search(text);
    if folded.is_empty() {
        return Ok(Vec::new());
    }
    let q = SearchQuery {
        text: text.to_string(),
        kind: SearchKind::Establishments,
        sort: SortKey::Name,
        limit: 200,
        skip_count: true,
        ..Default::default()
    };
    let mut rows = search(store, &q).await?.rows;
    rows.sort_by_cached_key(|r| match r {
        SearchRow::Establishment {
            uai, name, city, ..
        } => rank(&folded, uai, name, city),
        SearchRow::Account { .. } => (u8::MAX, 0),
    });
    rows.truncate(limit);
    Ok(rows)
}

/// What a name typed in the establishment field and submitted designates.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EstablishmentChoice {
    One { uai: String },
    Several { candidates: Vec<SearchRow> },
    None,
}

/// Resolves a name (or a UAI) submitted without choosing from the suggestions:
/// one establishment matches, or the best one is the only one whose name starts
/// with the text; otherwise the candidates, for the agent to choose.
pub async fn choose_establishment(store: &Store, text: &str) -> Result<EstablishmentChoice> {
    let rows = suggest_establishments(store, text, 8).await?;
    let folded = fold_for_search(text);
    let tiers: Vec<u8> = rows
        .iter()
        .map(|r| match r {
            SearchRow::Establishment {
                uai, name, city, ..
            } => rank(&folded, uai, name, city).0,
            SearchRow::Account { .. } => u8::MAX,
        })
        .collect();
    let uai_of = |r: &SearchRow| match r {
        SearchRow::Establishment { uai, .. } => Some(uai.clone()),
        SearchRow::Account { .. } => None,
    };
    Ok(match rows.as_slice() {
        [] => EstablishmentChoice::None,
        [only] => uai_of(only).map_or(EstablishmentChoice::None, |uai| EstablishmentChoice::One {
            uai,
        }),
        [first, ..] if tiers[0] <= 1 && tiers[1] > tiers[0] => uai_of(first)
            .map_or(EstablishmentChoice::None, |uai| EstablishmentChoice::One {
                uai,
            }),
        _ => EstablishmentChoice::Several { candidates: rows },
    })
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn the_name_the_caller_says_comes_first() {
        let text = "louis le grand";
        let mut names = [
            ("0000001A", "Collège Saint-Louis", "Legrand"),
            ("0750655E", "Lycée Louis-le-Grand", "Paris"),
            ("0000002B", "École élémentaire Louis le Grandin", "Lyon"),
        ];
        names.sort_by_key(|(u, n, c)| rank(text, u, n, c));
        assert_eq!(names[0].0, "0750655E");
        assert_eq!(rank("0750655e", "0750655E", "x", "y").0, 0);
    }
}
