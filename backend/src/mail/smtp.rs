//! Sending over SMTP with lettre: the transport from `RAMPART_SMTP_URL` (read as lettre's
//! `from_url` reads it: `smtp://host:port` plain, `smtp://host:587?tls=required` STARTTLS,
//! `smtps://host:465` TLS, `user:password@` for AUTH), and an outbox row turned into a
//! multipart/alternative message (plain text first, then HTML) with List-Unsubscribe
//! headers, so mail clients show their own unsubscribe button.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::error_chain;
use crate::store::mail::Email;

/// How long one SMTP exchange may take before it counts as a failed attempt.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The transport for an SMTP URL (its password never reaches the error).
pub fn transport(url: &str) -> Result<Transport, String> {
    let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
    if scheme != "smtp" && scheme != "smtps" {
        return Err(format!("the scheme is '{scheme}', not smtp or smtps"));
    }
    let builder =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|error| error_chain(&error).replace(url, "…"))?;
    Ok(builder.timeout(Some(SMTP_TIMEOUT)).build())
}

/// Why an email was not sent, and whether trying again may help.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    /// A 5xx answer or an address that cannot be used: retrying would fail the same way.
    pub permanent: bool,
}

/// Sends one email of the outbox.
pub async fn send(transport: &Transport, from: &Mailbox, email: &Email) -> Result<(), SendError> {
    let message = message(from, email)?;
    transport
        .send(message)
        .await
        .map(drop)
        .map_err(|error| SendError { message: error_chain(&error), permanent: error.is_permanent() })
}

fn message(from: &Mailbox, email: &Email) -> Result<Message, SendError> {
    let permanent = |message: String| SendError { message, permanent: true };
    let to: Mailbox = email
        .recipient
        .parse()
        .map_err(|error| permanent(format!("the recipient '{}' is not an email address: {error}", email.recipient)))?;
    let mut builder = Message::builder().from(from.clone()).to(to).subject(email.subject.clone());
    if let Some(url) = &email.unsubscribe_url {
        builder = builder.header(ListUnsubscribe(url.clone())).header(ListUnsubscribePost);
    }
    // Quoted-printable keeps both parts readable in any client and line lengths within
    // SMTP's limits, whatever the names in them.
    let part = |content_type: ContentType, body: &str| {
        SinglePart::builder()
            .header(content_type)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(body.to_string())
    };
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, &email.text))
                .singlepart(part(ContentType::TEXT_HTML, &email.html)),
        )
        .map_err(|error| permanent(format!("the email could not be built: {error}")))
}

/// `List-Unsubscribe: <https://…/unsubscribe?token=…>` (RFC 2369).
#[derive(Clone, Debug)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(text: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(text.trim().trim_start_matches('<').trim_end_matches('>').to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the client may POST to
/// the link to unsubscribe, which `/unsubscribe` accepts.
#[derive(Clone, Debug)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_text: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(recipient: &str) -> Email {
        Email {
            id: 1,
            subscription_id: Some(1),
            webhook_id: None,
            kind: "digest".into(),
            recipient: recipient.into(),
            subject: "Rampart daily digest: 1 cluster".into(),
            html: "<p>prod — 72 C</p>".into(),
            text: "prod — 72 C".into(),
            unsubscribe_url: Some("https://rampart.example/unsubscribe?token=1.ab".into()),
            status: "queued".into(),
            attempts: 0,
            next_attempt_at: 0,
            last_error: None,
            created_at: 0,
            sent_at: None,
        }
    }

    #[test]
    fn messages_carry_both_parts_and_the_unsubscribe_headers() {
        let from: Mailbox = "Rampart <rampart@example.com>".parse().unwrap();
        let formatted = String::from_utf8(message(&from, &email("ana@example.com")).unwrap().formatted()).unwrap();
        assert!(
            formatted.contains("List-Unsubscribe: <https://rampart.example/unsubscribe?token=1.ab>"),
            "{formatted}"
        );
        assert!(formatted.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{formatted}");
        assert!(formatted.contains("multipart/alternative"), "{formatted}");
        assert!(formatted.contains("Content-Type: text/plain; charset=utf-8"), "{formatted}");
        assert!(formatted.contains("Content-Type: text/html; charset=utf-8"), "{formatted}");
        assert!(formatted.contains("prod =E2=80=94 72 C"), "quoted-printable: {formatted}");
    }

    #[test]
    fn a_bad_recipient_is_a_permanent_failure() {
        let from: Mailbox = "rampart@example.com".parse().unwrap();
        let error = message(&from, &email("not an address")).unwrap_err();
        assert!(error.permanent);
        assert!(error.message.contains("not an email address"), "{}", error.message);
    }

    #[test]
    fn bad_urls_are_refused_without_their_password() {
        let error = transport("imap://user:hunter2@mail.example.com").unwrap_err();
        assert_eq!(error, "the scheme is 'imap', not smtp or smtps");
        let error = transport("smtp://user:hunter2@mail.example.com?tls=sometimes").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(transport("smtp://127.0.0.1:2525").is_ok());
        assert!(transport("smtps://mail.example.com").is_ok());
        assert!(transport("smtp://mail.example.com:587?tls=required").is_ok());
    }
}
