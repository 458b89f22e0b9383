use super::queries::{get_establishment, last_link, refresh_search_text};
use super::{Establishment, EstablishmentDetail, EstablishmentEdit, EstablishmentInput, Member};
use crate::audit;
use crate::domain::{fold_for_search, AccountStatus, Role, Uai};
use crate::error::{Error, Result};
use crate::store::Store;

fn clean(field: &str, value: &str, required: bool) -> Result<String> {
    crate::text::check_name(field, value.trim())?;
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && v.is_empty() {
        return Err(Error::invalid(format!(
            "Le champ « {field} » de l'établissement est obligatoire."
        )));
    }
    if v.chars().count() > 200 {
        return Err(Error::invalid(format!(
            "Le champ « {field} » est trop long (200 caractères au plus)."
        )));
    }
    Ok(v)
}

pub async fn add_establishment(store: &Store, input: EstablishmentInput) -> Result<Establishment> {
    let name = clean("nom", &input.name, true)?;
    let city = clean("commune", &input.city, false)?;
    let academy = clean("académie", &input.academy, false)?;
    let now = store.now_ms();
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO establishments (uai, name, city, academy, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(input.uai.as_str())
    .bind(&name)
    .bind(&city)
    .bind(&academy)
    .bind(fold_for_search(&format!("{name} {city}")))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (_, est) = get_establishment(&mut tx, &input.uai).await?;
    audit::record(
        &mut tx,
        store,
        "establishment.add",
        est.uai.as_str(),
        None,
        Some(serde_json::to_value(&est).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(est)
}

/// Changes an establishment if nobody changed it since `expected_version`.
pub async fn edit_establishment(
    store: &Store,
    uai: &Uai,
    expected_version: i64,
    edit: EstablishmentEdit,
) -> Result<Establishment> {
    let mut tx = store.begin_write().await?;
    let (id, before) = get_establishment(&mut tx, uai).await?;
    if before.version != expected_version {
        return Err(stale(uai, before.version, expected_version));
    }
    let name = match &edit.name {
        Some(n) => clean("nom", n, true)?,
        None => before.name.clone(),
    };
    let city = match &edit.city {
        Some(c) => clean("commune", c, false)?,
        None => before.city.clone(),
    };
    let academy = match &edit.academy {
        Some(a) => clean("académie", a, false)?,
        None => before.academy.clone(),
    };
    let done = sqlx::query(
        "UPDATE establishments SET name = $1, city = $2, academy = $3, search_text = $4, \
         version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(&name)
    .bind(&city)
    .bind(&academy)
    .bind(fold_for_search(&format!("{name} {city}")))
    .bind(store.now_ms())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let (_, now) = get_establishment(&mut tx, uai).await?;
        return Err(stale(uai, now.version, expected_version));
    }
    let (_, after) = get_establishment(&mut tx, uai).await?;
    let members: Vec<(i64,)> =
        sqlx::query_as("SELECT account_id FROM memberships WHERE establishment_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    for (account_id,) in members {
        refresh_search_text(&mut tx, account_id).await?;
    }
    audit::record(
        &mut tx,
        store,
        "establishment.edit",
        uai.as_str(),
        Some(serde_json::to_value(&before).unwrap_or_default()),
        Some(serde_json::to_value(&after).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

fn stale(uai: &Uai, current: i64, expected: i64) -> Error {
    Error::conflict(format!(
        "L'établissement {uai} a été modifié par quelqu'un d'autre entre-temps (version {current}, vous modifiiez la version {expected}) : rechargez-le, rien n'a été enregistré."
    ))
}

pub async fn establishment(store: &Store, uai: &Uai) -> Result<EstablishmentDetail> {
    let mut conn = store.pool().acquire().await?;
    let (id, establishment) = get_establishment(&mut conn, uai).await?;
    let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT a.id, a.email, a.display_name, a.status, m.role FROM memberships m \
         JOIN accounts a ON a.id = m.account_id WHERE m.establishment_id = $1 \
         ORDER BY CASE m.role WHEN 'principal' THEN 0 ELSE 1 END, a.email_key",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let now = store.now_ms();
    let mut members = Vec::with_capacity(rows.len());
    for (account_id, email, display_name, status, role) in rows {
        members.push(Member {
            email,
            display_name,
            status: AccountStatus::from_code(&status).unwrap_or(AccountStatus::Pending),
            role: Role::from_code(&role).unwrap_or(Role::Member),
            last_link: last_link(&mut conn, account_id, now).await?,
        });
    }
    Ok(EstablishmentDetail {
        establishment,
        members,
    })
}
