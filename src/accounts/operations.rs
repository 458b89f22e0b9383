use serde_json::json;
use sqlx::AnyConnection;

use super::queries::{
    detail, find_account, get_account, get_establishment, live_link_count,
    refresh_establishment_tags, refresh_search_text, revoke_account_links, revoke_live_links,
};
use super::{Account, AccountDetail, AccountEdit, NewAccount, PrincipalChange};
use crate::audit;
use crate::domain::{AccountStatus, Email, Role, Uai};
use crate::error::{Error, Result};
use crate::store::Store;

fn clean_name(name: &str) -> Result<String> {
    crate::text::check_name("nom", name.trim())?;
    let v = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.chars().count() > 200 {
        return Err(Error::invalid(
            "Le nom est trop long (200 caractères au plus).",
        ));
    }
    Ok(v)
}

fn refuse_disabled(email: &Email, account: &Account) -> Result<()> {
    if account.status == AccountStatus::Disabled {
        return Err(Error::invalid(format!(
            "Le compte {email} est désactivé : réactivez-le avant de le modifier."
        )));
    }
    Ok(())
}

/// Adds an address and attaches it to an establishment, optionally as its principal.
pub async fn add_account(store: &Store, new: NewAccount) -> Result<AccountDetail> {
    let display_name = clean_name(&new.display_name)?;
    let mut tx = store.begin_write().await?;
    if find_account(&mut tx, &new.email).await?.is_some() {
        return Err(Error::conflict(format!(
            "L'adresse {} existe déjà dans la base.",
            new.email
        )));
    }
    let (est_id, _) = get_establishment(&mut tx, &new.uai).await?;
    let now = store.now_ms();
    sqlx::query(
        "INSERT INTO accounts (email, email_key, display_name, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', $4, $4)",
    )
    .bind(new.email.as_str())
    .bind(new.email.key())
    .bind(&display_name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (id, account) = get_account(&mut tx, &new.email).await?;
    let role = if new.principal {
        Role::Principal
    } else {
        Role::Member
    };
    if new.principal {
        ensure_no_principal(&mut tx, est_id, &new.uai).await?;
    }
    insert_membership(&mut tx, id, est_id, role, now).await?;
    refresh_search_text(&mut tx, id).await?;
    if new.principal {
        refresh_establishment_tags(&mut tx, est_id).await?;
    }
    let out = detail(&mut tx, id, account, now).await?;
    audit::record(
        &mut tx,
        store,
        "account.add",
        &new.email.key(),
        None,
        Some(json!({
            "email": new.email.as_str(), "display_name": display_name, "uai": new.uai, "role": role,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

async fn ensure_no_principal(conn: &mut AnyConnection, est_id: i64, uai: &Uai) -> Result<()> {
    let current: Option<(String,)> = sqlx::query_as(
        "SELECT a.email FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.establishment_id = $1 AND m.role = 'principal'",
    )
    .bind(est_id)
    .fetch_optional(conn)
    .await?;
    match current {
        Some((email,)) => Err(Error::conflict(format!(
            "L'établissement {uai} a déjà un compte principal ({email}) : ajoutez l'adresse comme membre, puis désignez-la principale pour transférer le rôle."
        ))),
        None => Ok(()),
    }
}

async fn insert_membership(
    conn: &mut AnyConnection,
    account_id: i64,
    est_id: i64,
    role: Role,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO memberships (account_id, establishment_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(account_id)
        .bind(est_id)
        .bind(role.code())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

async fn touch(conn: &mut AnyConnection, account_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn role_in(conn: &mut AnyConnection, account_id: i64, est_id: i64) -> Result<Option<Role>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT role FROM memberships WHERE account_id = $1 AND establishment_id = $2",
    )
    .bind(account_id)
    .bind(est_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(r,)| Role::from_code(&r)))
}

/// Attaches an existing address to one more establishment, as a member.
pub async fn attach(store: &Store, email: &Email, uai: &Uai) -> Result<AccountDetail> {
    let mut tx = store.begin_write().await?;
    let (id, account) = get_account(&mut tx, email).await?;
    refuse_disabled(email, &account)?;
    let (est_id, _) = get_establishment(&mut tx, uai).await?;
    if role_in(&mut tx, id, est_id).await?.is_some() {
        return Err(Error::conflict(format!(
            "L'adresse {email} est déjà rattachée à l'établissement {uai}."
        )));
    }
    let now = store.now_ms();
    insert_membership(&mut tx, id, est_id, Role::Member, now).await?;
    refresh_search_text(&mut tx, id).await?;
    touch(&mut tx, id, now).await?;
    let (_, account) = get_account(&mut tx, email).await?;
    let out = detail(&mut tx, id, account, now).await?;
    audit::record(
        &mut tx,
        store,
        "account.attach",
        &email.key(),
        None,
        Some(json!({ "uai": uai, "role": Role::Member })),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Detaches an address from an establishment. An address whose last establishment
/// this is cannot be detached while one of its links can still set a password:
/// the person would end up with a working password and no establishment.
pub async fn detach(store: &Store, email: &Email, uai: &Uai) -> Result<AccountDetail> {
    detach_with(store, email, uai, false).await
}

/// [`detach`]; with `revoke_links`, the agent confirmed that the live links of an
/// address losing its last establishment are revoked, in the same transaction,
/// instead of being refused.
pub async fn detach_with(
    store: &Store,
    email: &Email,
    uai: &Uai,
    revoke_links: bool,
) -> Result<AccountDetail> {
    let mut tx = store.begin_write().await?;
    let (id, _) = get_account(&mut tx, email).await?;
    let (est_id, _) = get_establishment(&mut tx, uai).await?;
    let Some(role) = role_in(&mut tx, id, est_id).await? else {
        return Err(Error::invalid(format!(
            "L'adresse {email} n'est pas rattachée à l'établissement {uai}."
        )));
    };
    let now = store.now_ms();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE account_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let mut revoked = 0;
    if count == 1 && live_link_count(&mut tx, id, now).await? > 0 {
        if !revoke_links {
            return Err(Error::conflict(format!(
                "L'établissement {uai} est le dernier de l'adresse {email} et un lien d'initialisation est en cours : attendez qu'il soit utilisé ou expiré, ou confirmez son annulation, avant de la détacher."
            )));
        }
        revoked = revoke_account_links(&mut tx, store.backend(), id, now).await?;
    }
    sqlx::query("DELETE FROM memberships WHERE account_id = $1 AND establishment_id = $2")
        .bind(id)
        .bind(est_id)
        .execute(&mut *tx)
        .await?;
    refresh_search_text(&mut tx, id).await?;
    if role == Role::Principal {
        refresh_establishment_tags(&mut tx, est_id).await?;
    }
    touch(&mut tx, id, now).await?;
    let (_, account_after) = get_account(&mut tx, email).await?;
    let out = detail(&mut tx, id, account_after, now).await?;
    audit::record(
        &mut tx,
        store,
        "account.detach",
        &email.key(),
        Some(json!({ "uai": uai, "role": role })),
        (revoked > 0).then(|| json!({ "revoked_links": revoked })),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Makes an attached address the principal of its establishment; the previous
/// principal becomes a member, in the same transaction.
pub async fn make_principal(store: &Store, email: &Email, uai: &Uai) -> Result<PrincipalChange> {
    let mut tx = store.begin_write().await?;
    let (est_id, _) = get_establishment(&mut tx, uai).await?;
    // Locking the establishment's memberships first queues concurrent transfers one
    // behind the other, so each sees the principal the previous one left. (Agents
    // may not write establishments, so the lock is taken here.)
    sqlx::query("UPDATE memberships SET role = role WHERE establishment_id = $1")
        .bind(est_id)
        .execute(&mut *tx)
        .await?;
    let (id, account) = get_account(&mut tx, email).await?;
    refuse_disabled(email, &account)?;
    match role_in(&mut tx, id, est_id).await? {
        None => {
            return Err(Error::invalid(format!(
            "L'adresse {email} n'est pas rattachée à l'établissement {uai} : rattachez-la d'abord."
        )))
        }
        Some(Role::Principal) => {
            return Err(Error::conflict(format!(
                "L'adresse {email} est déjà le compte principal de {uai}."
            )))
        }
        Some(Role::Member) => {}
    }
    let previous: Option<(i64, String)> = sqlx::query_as(
        "SELECT a.id, a.email FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.establishment_id = $1 AND m.role = 'principal'",
    )
    .bind(est_id)
    .fetch_optional(&mut *tx)
    .await?;
    let now = store.now_ms();
    if let Some((prev_id, _)) = &previous {
        sqlx::query("UPDATE memberships SET role = 'member' WHERE establishment_id = $1 AND account_id = $2")
            .bind(est_id)
            .bind(prev_id)
            .execute(&mut *tx)
            .await?;
        touch(&mut tx, *prev_id, now).await?;
    }
    sqlx::query(
        "UPDATE memberships SET role = 'principal' WHERE establishment_id = $1 AND account_id = $2",
    )
    .bind(est_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    refresh_establishment_tags(&mut tx, est_id).await?;
    touch(&mut tx, id, now).await?;
    let change = PrincipalChange {
        uai: uai.to_string(),
        previous: previous.map(|(_, e)| e),
        new: account.email.clone(),
    };
    audit::record(
        &mut tx,
        store,
        "account.principal",
        uai.as_str(),
        Some(json!({ "principal": change.previous })),
        Some(json!({ "principal": change.new })),
    )
    .await?;
    tx.commit().await?;
    Ok(change)
}

/// Disables (no more links; live links die) or re-enables an account. With
/// `expected_version`, refuses if someone changed the account meanwhile.
pub async fn set_enabled(
    store: &Store,
    email: &Email,
    enabled: bool,
    expected_version: Option<i64>,
) -> Result<AccountDetail> {
    let mut tx = store.begin_write().await?;
    let (id, before) = get_account(&mut tx, email).await?;
    check_version(email, &before, expected_version)?;
    let now = store.now_ms();
    let target = match (enabled, before.status, before.password_set_at) {
        (false, AccountStatus::Disabled, _) => {
            return Err(Error::conflict(format!(
                "Le compte {email} est déjà désactivé."
            )))
        }
        (true, AccountStatus::Pending | AccountStatus::Active, _) => {
            return Err(Error::conflict(format!(
                "Le compte {email} est déjà actif."
            )))
        }
        (false, _, _) => AccountStatus::Disabled,
        (true, _, Some(_)) => AccountStatus::Active,
        (true, _, None) => AccountStatus::Pending,
    };
    // On PostgreSQL the database revokes them itself when the status changes.
    if !enabled && store.backend() == crate::store::Backend::Sqlite {
        revoke_live_links(&mut tx, id, now).await?;
    }
    sqlx::query(
        "UPDATE accounts SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3",
    )
    .bind(target.code())
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let (_, after) = get_account(&mut tx, email).await?;
    let action = if enabled {
        "account.enable"
    } else {
        "account.disable"
    };
    audit::record(
        &mut tx,
        store,
        action,
        &email.key(),
        Some(json!({ "status": before.status })),
        Some(json!({ "status": after.status })),
    )
    .await?;
    let out = detail(&mut tx, id, after, now).await?;
    tx.commit().await?;
    Ok(out)
}

fn check_version(email: &Email, current: &Account, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(v) if v != current.version => Err(Error::conflict(format!(
            "Le compte {email} a été modifié par quelqu'un d'autre entre-temps (version {}, vous modifiiez la version {v}) : rechargez-le, rien n'a été enregistré.",
            current.version
        ))),
        _ => Ok(()),
    }
}

/// Corrects the address or the name of the person behind it, if nobody changed
/// the account meanwhile. A corrected address kills the links sent to the old
/// one (they went to a mailbox that is not the person's); the memberships and
/// search copies follow the account row.
pub async fn edit_account(
    store: &Store,
    email: &Email,
    expected_version: i64,
    edit: AccountEdit,
) -> Result<AccountDetail> {
    let name = edit.display_name.as_deref().map(clean_name).transpose()?;
    let mut tx = store.begin_write().await?;
    let (id, before) = get_account(&mut tx, email).await?;
    check_version(email, &before, Some(expected_version))?;
    let new_email = edit.email.filter(|e| e.as_str() != before.email.as_str());
    if let Some(new) = &new_email {
        if new.key() != email.key() && find_account(&mut tx, new).await?.is_some() {
            return Err(Error::conflict(format!(
                "L’adresse {new} existe déjà dans la base : ouvrez son compte plutôt que de corriger celle-ci."
            )));
        }
    }
    let now = store.now_ms();
    let done = sqlx::query(
        "UPDATE accounts SET email = $1, email_key = $2, display_name = $3, version = version + 1, updated_at = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(new_email.as_ref().map_or(before.email.clone(), |e| e.to_string()))
    .bind(new_email.as_ref().map_or(email.key(), Email::key))
    .bind(name.as_deref().unwrap_or(&before.display_name))
    .bind(now)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let (_, current) = get_account(&mut tx, email).await?;
        check_version(email, &current, Some(expected_version))?;
    }
    let shown = new_email.clone().unwrap_or_else(|| email.clone());
    let mut revoked = 0;
    if new_email.is_some() {
        refresh_search_text(&mut tx, id).await?;
        revoked = revoke_account_links(&mut tx, store.backend(), id, now).await?;
    }
    let (_, after) = get_account(&mut tx, &shown).await?;
    // Named by the address it has now, as PostgreSQL's own audit trigger does.
    let after_key = shown.key();
    audit::record(
        &mut tx,
        store,
        "account.edit",
        &after_key,
        Some(json!({ "email": before.email, "display_name": before.display_name })),
        Some(if revoked > 0 {
            json!({ "email": after.email, "display_name": after.display_name, "revoked_links": revoked })
        } else {
            json!({ "email": after.email, "display_name": after.display_name })
        }),
    )
    .await?;
    let out = detail(&mut tx, id, after, now).await?;
    tx.commit().await?;
    Ok(out)
}

pub async fn account(store: &Store, email: &Email) -> Result<AccountDetail> {
    let mut conn = store.pool().acquire().await?;
    let (id, account) = get_account(&mut conn, email).await?;
    detail(&mut conn, id, account, store.now_ms()).await
}

/// The principal's own right (« 1ère situation »): the principal account of an
/// establishment adds an address to that establishment, and to no other. A new
/// address is created; an existing one is attached.
pub async fn principal_adds_address(
    store: &Store,
    principal: &Email,
    uai: &Uai,
    email: &Email,
    display_name: &str,
) -> Result<AccountDetail> {
    let name = clean_name(display_name)?;
    let mut tx = store.begin_write().await?;
    let refused = || {
        Error::forbidden(format!(
            "{principal} n'est pas le compte principal de l'établissement {uai} : seul le compte principal peut y ajouter une adresse."
        ))
    };
    let Some((principal_id, principal_account)) = find_account(&mut tx, principal).await? else {
        return Err(refused());
    };
    let (est_id, _) = get_establishment(&mut tx, uai).await?;
    if principal_account.status != AccountStatus::Active
        || role_in(&mut tx, principal_id, est_id).await? != Some(Role::Principal)
    {
        return Err(refused());
    }
    let now = store.now_ms();
    let id = match find_account(&mut tx, email).await? {
        Some((id, existing)) => {
            refuse_disabled(email, &existing)?;
            if role_in(&mut tx, id, est_id).await?.is_some() {
                return Err(Error::conflict(format!(
                    "L'adresse {email} est déjà rattachée à l'établissement {uai}."
                )));
            }
            touch(&mut tx, id, now).await?;
            id
        }
        None => {
            sqlx::query(
                "INSERT INTO accounts (email, email_key, display_name, status, created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, $4)",
            )
            .bind(email.as_str())
            .bind(email.key())
            .bind(&name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            get_account(&mut tx, email).await?.0
        }
    };
    insert_membership(&mut tx, id, est_id, Role::Member, now).await?;
    refresh_search_text(&mut tx, id).await?;
    let (_, account) = get_account(&mut tx, email).await?;
    audit::record(
        &mut tx,
        store,
        "account.attach",
        &email.key(),
        None,
        Some(json!({ "uai": uai, "role": Role::Member, "by_principal": principal.as_str() })),
    )
    .await?;
    let out = detail(&mut tx, id, account, now).await?;
    tx.commit().await?;
    Ok(out)
}
