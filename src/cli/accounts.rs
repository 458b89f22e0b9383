//! `establishment …`, `account …`, `search`, `audit`: the agent's daily work.

use clap::{Args, Subcommand};

use siec_accounts::accounts::{
    self, AccountDetail, EstablishmentEdit, EstablishmentInput, NewAccount,
};
use siec_accounts::audit::{self, AuditFilter};
use siec_accounts::clock::format_ms;
use siec_accounts::domain::{AccountStatus, Email, Role, Uai};
use siec_accounts::search::{self, SearchKind, SearchQuery, SearchRow, SortKey};
use siec_accounts::store::Store;
use siec_accounts::{Error, Result};

use super::Output;

#[derive(Subcommand, Debug)]
pub enum EstablishmentCommand {
    /// Ajoute un établissement.
    Add {
        #[arg(long)]
        uai: Uai,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        city: String,
        #[arg(long, default_value = "")]
        academy: String,
    },
    /// Affiche un établissement et ses adresses (compte principal en premier).
    Show { uai: Uai },
    /// Modifie un établissement (refusé si quelqu'un l'a modifié depuis la version indiquée).
    Edit {
        uai: Uai,
        /// Version lue avant modification (voir « establishment show »).
        #[arg(long)]
        version: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        city: Option<String>,
        #[arg(long)]
        academy: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Ajoute une adresse et la rattache à un établissement.
    Add {
        email: Email,
        #[arg(long)]
        uai: Uai,
        /// En fait le compte principal de l'établissement.
        #[arg(long)]
        principal: bool,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Rattache une adresse existante à un autre établissement.
    Attach {
        email: Email,
        #[arg(long)]
        uai: Uai,
    },
    /// Détache une adresse d'un établissement.
    Detach {
        email: Email,
        #[arg(long)]
        uai: Uai,
    },
    /// Fait de l'adresse le compte principal de l'établissement (l'ancien devient membre).
    Principal {
        email: Email,
        #[arg(long)]
        uai: Uai,
    },
    /// Désactive un compte (il ne reçoit plus de lien ; les liens en cours sont annulés).
    Disable { email: Email },
    /// Réactive un compte.
    Enable { email: Email },
    /// Affiche un compte : statut, établissements et rôles, dernier lien.
    Show { email: Email },
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Texte recherché : adresse (partie), UAI (début), nom ou commune de l'établissement.
    #[arg(default_value = "")]
    pub text: String,
    /// Chercher des établissements plutôt que des comptes.
    #[arg(long)]
    pub establishments: bool,
    #[arg(long)]
    pub status: Option<AccountStatus>,
    #[arg(long)]
    pub academy: Option<String>,
    #[arg(long)]
    pub role: Option<Role>,
    /// Établissements sans compte principal.
    #[arg(long)]
    pub without_principal: bool,
    /// Comptes jamais initialisés.
    #[arg(long)]
    pub never_initialised: bool,
    /// Tri : email, status, created, uai, name, city, academy.
    #[arg(long, default_value = "email")]
    pub sort: String,
    #[arg(long)]
    pub desc: bool,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    #[arg(long, default_value_t = 50)]
    pub limit: u64,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Adresse ou UAI concerné.
    #[arg(long)]
    pub target: Option<String>,
    #[arg(long)]
    pub agent: Option<String>,
    /// Depuis cette date (AAAA-MM-JJ).
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
}

pub async fn establishment(store: &Store, out: &Output, cmd: &EstablishmentCommand) -> Result<()> {
    match cmd {
        EstablishmentCommand::Add {
            uai,
            name,
            city,
            academy,
        } => {
            let e = accounts::add_establishment(
                store,
                EstablishmentInput {
                    uai: uai.clone(),
                    name: name.clone(),
                    city: city.clone(),
                    academy: academy.clone(),
                },
            )
            .await?;
            out.value(&format!("Établissement {} ajouté : {}.", e.uai, e.name), &e);
        }
        EstablishmentCommand::Show { uai } => {
            let d = accounts::establishment(store, uai).await?;
            if out.is_json() {
                out.json(&d);
                return Ok(());
            }
            let e = &d.establishment;
            println!("{} — {}", e.uai, e.name);
            println!(
                "Commune : {}    Académie : {}    Version : {}",
                e.city, e.academy, e.version
            );
            if d.members.is_empty() {
                println!("Aucune adresse rattachée.");
            }
            if !d.members.iter().any(|m| m.role == Role::Principal) {
                println!("Pas de compte principal.");
            }
            for m in &d.members {
                let link = m
                    .last_link
                    .as_ref()
                    .map(|l| format!(" — dernier lien : {}", link_state_label(&l.state)))
                    .unwrap_or_default();
                println!(
                    "  {:<10} {:<40} {}{}",
                    m.role.label(),
                    m.email,
                    m.status.label(),
                    link
                );
            }
        }
        EstablishmentCommand::Edit {
            uai,
            version,
            name,
            city,
            academy,
        } => {
            let e = accounts::edit_establishment(
                store,
                uai,
                *version,
                EstablishmentEdit {
                    name: name.clone(),
                    city: city.clone(),
                    academy: academy.clone(),
                },
            )
            .await?;
            out.value(
                &format!("Établissement {} modifié (version {}).", e.uai, e.version),
                &e,
            );
        }
    }
    Ok(())
}

pub async fn account(store: &Store, out: &Output, cmd: &AccountCommand) -> Result<()> {
    match cmd {
        AccountCommand::Add {
            email,
            uai,
            principal,
            name,
        } => {
            let d = accounts::add_account(
                store,
                NewAccount {
                    email: email.clone(),
                    uai: uai.clone(),
                    principal: *principal,
                    display_name: name.clone(),
                },
            )
            .await?;
            let role = if *principal {
                "compte principal"
            } else {
                "membre"
            };
            out.value(&format!("Adresse {email} ajoutée à {uai} ({role})."), &d);
        }
        AccountCommand::Attach { email, uai } => {
            let d = accounts::attach(store, email, uai).await?;
            out.value(&format!("Adresse {email} rattachée à {uai}."), &d);
        }
        AccountCommand::Detach { email, uai } => {
            let d = accounts::detach(store, email, uai).await?;
            out.value(&format!("Adresse {email} détachée de {uai}."), &d);
        }
        AccountCommand::Principal { email, uai } => {
            let c = accounts::make_principal(store, email, uai).await?;
            let text = match &c.previous {
                Some(p) => format!("{} est désormais le compte principal de {uai} (à la place de {p}, devenu membre).", c.new),
                None => format!("{} est désormais le compte principal de {uai}.", c.new),
            };
            out.value(&text, &c);
        }
        AccountCommand::Disable { email } => {
            let d = accounts::set_enabled(store, email, false, None).await?;
            out.value(&format!("Compte {email} désactivé."), &d);
        }
        AccountCommand::Enable { email } => {
            let d = accounts::set_enabled(store, email, true, None).await?;
            out.value(
                &format!("Compte {email} réactivé ({}).", d.account.status.label()),
                &d,
            );
        }
        AccountCommand::Show { email } => {
            let d = accounts::account(store, email).await?;
            if out.is_json() {
                out.json(&d);
            } else {
                print_account(&d);
            }
        }
    }
    Ok(())
}

fn print_account(d: &AccountDetail) {
    let a = &d.account;
    println!(
        "{}{}",
        a.email,
        if a.display_name.is_empty() {
            String::new()
        } else {
            format!(" ({})", a.display_name)
        }
    );
    println!(
        "Statut : {}    Version : {}    Créé le {}",
        a.status.label(),
        a.version,
        format_ms(a.created_at)
    );
    if let Some(at) = a.password_set_at {
        println!("Mot de passe défini le {}", format_ms(at));
    }
    if d.memberships.is_empty() {
        println!("Rattaché à aucun établissement.");
    }
    for m in &d.memberships {
        println!(
            "  {:<10} {} — {} ({})",
            m.role.label(),
            m.uai,
            m.name,
            m.city
        );
    }
    match &d.last_link {
        None => println!("Aucun lien envoyé."),
        Some(l) => println!(
            "Dernier lien : {} du {} — {}{}",
            l.purpose.label(),
            format_ms(l.created_at),
            link_state_label(&l.state),
            l.detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
    }
}

pub fn link_state_label(state: &str) -> &str {
    match state {
        "queued" => "en attente d'envoi",
        "sent" => "envoyé",
        "failed" => "échec",
        "used" => "utilisé",
        "expired" => "expiré",
        "revoked" => "annulé",
        other => other,
    }
}

pub async fn run_search(store: &Store, out: &Output, args: &SearchArgs) -> Result<()> {
    let sort = match args.sort.as_str() {
        "email" => SortKey::Email,
        "status" => SortKey::Status,
        "created" => SortKey::Created,
        "uai" => SortKey::Uai,
        "name" => SortKey::Name,
        "city" => SortKey::City,
        "academy" => SortKey::Academy,
        other => {
            return Err(Error::invalid(format!(
                "Tri « {other} » inconnu : email, status, created, uai, name, city ou academy."
            )))
        }
    };
    let q = SearchQuery {
        text: args.text.clone(),
        kind: if args.establishments {
            SearchKind::Establishments
        } else {
            SearchKind::Accounts
        },
        status: args.status,
        academy: args.academy.clone(),
        role: args.role,
        without_principal: args.without_principal,
        never_initialised: args.never_initialised,
        sort,
        descending: args.desc,
        offset: args.offset,
        limit: args.limit,
        skip_count: false,
    };
    let page = search::search(store, &q).await?;
    if out.is_json() {
        out.json(&page);
        return Ok(());
    }
    for row in &page.rows {
        match row {
            SearchRow::Account {
                email,
                status,
                role,
                uai,
                establishment_name,
                ..
            } => println!(
                "{:<40} {:<12} {:<10} {} {}",
                email,
                status.label(),
                role.map(|r| r.label()).unwrap_or("-"),
                uai.as_deref().unwrap_or("-"),
                establishment_name.as_deref().unwrap_or("")
            ),
            SearchRow::Establishment {
                uai,
                name,
                city,
                accounts,
                principal,
                ..
            } => println!(
                "{uai} {:<45} {:<20} {:>4} adresse(s)  principal : {}",
                name,
                city,
                accounts,
                principal.as_deref().unwrap_or("aucun")
            ),
        }
    }
    let shown = page.rows.len() as u64;
    let first = if shown == 0 { 0 } else { args.offset + 1 };
    let total = if page.total_exact {
        page.total.to_string()
    } else {
        format!("plus de {}", page.total)
    };
    println!("Résultats {first} à {} sur {total}.", args.offset + shown);
    Ok(())
}

pub async fn run_audit(store: &Store, out: &Output, args: &AuditArgs) -> Result<()> {
    let since_ms = match &args.since {
        None => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| {
                    Error::invalid(format!(
                        "Date « {d} » incorrecte : la forme attendue est AAAA-MM-JJ."
                    ))
                })?
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_millis(),
        ),
    };
    let entries = audit::list(
        store,
        &AuditFilter {
            target: args.target.clone(),
            agent: args.agent.clone(),
            since_ms,
            limit: Some(args.limit),
            ..Default::default()
        },
    )
    .await?;
    if out.is_json() {
        out.json(&entries);
        return Ok(());
    }
    if entries.is_empty() {
        println!("Aucune entrée dans le journal pour ces critères.");
    }
    for e in entries {
        println!(
            "{}  {:<16} {:<28} {}",
            format_ms(e.at),
            e.agent,
            audit::action_label(&e.action),
            e.target
        );
    }
    Ok(())
}
