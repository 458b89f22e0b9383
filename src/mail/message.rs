//! The link mail, word for word as in the user guide (section III), in plain text
//! and HTML, UTF-8, with the headers a relay and a mail client expect.

use std::time::{Duration, SystemTime};

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::domain::LinkPurpose;
use crate::error::{Error, Result};

/// What varies from one link mail to the next.
pub struct LinkMail<'a> {
    pub outbox_id: &'a str,
    pub recipient: &'a str,
    pub purpose: LinkPurpose,
    pub url: &'a str,
    pub lifetime_minutes: i64,
    pub date_ms: i64,
}

/// What is the same for every mail: sender and portal.
#[derive(Debug, Clone)]
pub struct MailTemplate {
    sender: Mailbox,
    portal_url: String,
    message_id_domain: String,
}

impl MailTemplate {
    pub fn new(sender: &str, portal_url: &str) -> Result<Self> {
        let sender: Mailbox = sender
            .parse()
            .map_err(|e| Error::invalid(format!("Expéditeur « {sender} » incorrect : {e}")))?;
        let message_id_domain = sender.email.domain().to_string();
        Ok(Self {
            sender,
            portal_url: portal_url.trim_end_matches('/').to_string(),
            message_id_domain,
        })
    }

    pub fn sender(&self) -> &Mailbox {
        &self.sender
    }

    /// The link the person clicks.
    pub fn link_url(&self, token: &str) -> String {
        format!("{}/reset-password/reset/{token}", self.portal_url)
    }

    /// Same outbox row, same Message-ID: a retry after a crash is recognisable as
    /// the same message by the relay and the mail client.
    pub fn message_id(&self, outbox_id: &str) -> String {
        format!("<{outbox_id}@{}>", self.message_id_domain)
    }

    pub fn build(&self, mail: &LinkMail<'_>) -> Result<Message> {
        let to: Mailbox = mail.recipient.parse().map_err(|e| {
            Error::invalid(format!(
                "Adresse du destinataire « {} » incorrecte : {e}",
                mail.recipient
            ))
        })?;
        let body = body_lines(mail.purpose, mail.url, mail.lifetime_minutes);
        let date = SystemTime::UNIX_EPOCH + Duration::from_millis(mail.date_ms.max(0) as u64);
        Message::builder()
            .from(self.sender.clone())
            .to(to)
            .subject(subject(mail.purpose))
            .message_id(Some(self.message_id(mail.outbox_id)))
            .date(date)
            .header(AutoSubmitted)
            .multipart(MultiPart::alternative_plain_html(
                plain_text(&body),
                html(&body, mail.url),
            ))
            .map_err(|e| Error::Internal(format!("Construction du message impossible : {e}")))
    }
}

pub fn subject(purpose: LinkPurpose) -> &'static str {
    match purpose {
        LinkPurpose::Reset => "Portail d'authentification - Réinitialisation de mot de passe",
        LinkPurpose::Init => "Portail d'authentification - Initialisation de mot de passe",
    }
}

/// « 1 heure », « 2 heures », « 30 minutes », « 1 heure 30 ».
pub fn lifetime_text(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = |h: i64| {
        if h == 1 {
            "1 heure".to_string()
        } else {
            format!("{h} heures")
        }
    };
    match (h, m) {
        (0, 1) => "1 minute".into(),
        (0, m) => format!("{m} minutes"),
        (h, 0) => hours(h),
        (h, m) => format!("{} {m:02}", hours(h)),
    }
}

/// The paragraphs of the body; the link is its own paragraph.
fn body_lines(purpose: LinkPurpose, url: &str, lifetime_minutes: i64) -> Vec<String> {
    let verb = match purpose {
        LinkPurpose::Reset => "réinitialiser",
        LinkPurpose::Init => "initialiser",
    };
    vec![
        "Bonjour,".into(),
        format!("Pour {verb} votre mot de passe, veuillez cliquer sur le lien suivant :"),
        url.to_string(),
        format!("Ce lien expire dans {}.", lifetime_text(lifetime_minutes)),
        "Les services de la Maison des examens".into(),
    ]
}

fn plain_text(lines: &[String]) -> String {
    let mut s = lines.join("\r\n\r\n");
    s.push_str("\r\n");
    s
}

fn html(lines: &[String], url: &str) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\r\n<html lang=\"fr\"><head><meta charset=\"utf-8\"></head><body>\r\n",
    );
    for line in lines {
        if line == url {
            let u = escape(url);
            s.push_str(&format!("<p><a href=\"{u}\">{u}</a></p>\r\n"));
        } else {
            s.push_str(&format!("<p>{}</p>\r\n", escape(line)));
        }
    }
    s.push_str("</body></html>\r\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// RFC 3834: tells auto-responders not to answer.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_follows_the_guide_wording() {
        assert_eq!(lifetime_text(60), "1 heure");
        assert_eq!(lifetime_text(120), "2 heures");
        assert_eq!(lifetime_text(30), "30 minutes");
        assert_eq!(lifetime_text(90), "1 heure 30");
        assert_eq!(lifetime_text(1), "1 minute");
        assert_eq!(lifetime_text(125), "2 heures 05");
    }

    #[test]
    fn message_id_uses_the_sender_domain() {
        let t = MailTemplate::new(
            crate::config::DEFAULT_SENDER,
            "https://auth.siec.education.fr/",
        )
        .unwrap();
        assert_eq!(t.message_id("abc"), "<abc@siec.education.fr>");
        assert_eq!(
            t.link_url("T0K"),
            "https://auth.siec.education.fr/reset-password/reset/T0K"
        );
    }
}
