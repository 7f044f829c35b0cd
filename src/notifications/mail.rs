//! Mail through the operator's SMTP server (lettre, on rustls): a message
//! in plain text and HTML, laid out by `templates/mail/`, worded by
//! [`super::messages`].

use askama::Template;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header::ContentType},
    transport::smtp::authentication::Credentials,
};

use super::{
    catalogue::EventKind,
    messages::{Facts, word},
};
use crate::{
    config::{Config, MailConfig, MailTls},
    portal::lang::Lang,
};

#[derive(Template)]
#[template(path = "mail/message.txt", escape = "none")]
struct Text<'a> {
    greeting: &'a str,
    lines: &'a [String],
    link: Option<&'a str>,
    label: &'a str,
    registry_name: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct Html<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    lines: &'a [String],
    link: Option<&'a str>,
    label: &'a str,
    registry_name: &'a str,
    footer: &'a str,
}

/// A message ready to send.
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn compose(kind: EventKind, lang: Lang, facts: &Facts, registry_name: &str) -> anyhow::Result<Composed> {
    let worded = word(kind, lang, facts);
    let (greeting, footer) = match lang {
        Lang::ZhCn => ("您好：", "此邮件由登记系统自动发送，请勿直接回复。"),
        Lang::En => ("Hello,", "This message was sent by the registry's system; replies are not read."),
    };
    // A link is offered only with a label: an objector's decision mail
    // points them to the tracking link they kept instead.
    let link = facts.link.as_deref().filter(|_| !worded.link_label.is_empty());
    let text =
        Text { greeting, lines: &worded.lines, link, label: &worded.link_label, registry_name, footer }.render()?;
    let html = Html {
        lang: lang.tag(),
        subject: &worded.subject,
        greeting,
        lines: &worded.lines,
        link,
        label: &worded.link_label,
        registry_name,
        footer,
    }
    .render()?;
    Ok(Composed { subject: worded.subject, text, html })
}

/// The SMTP connection settings, and the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender: Mailbox,
}

impl Mailer {
    /// `None` while `mail.host` is empty.
    pub fn new(config: &MailConfig) -> anyhow::Result<Option<Self>> {
        if !config.enabled() {
            return Ok(None);
        }
        let builder = match config.tls {
            MailTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            MailTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?,
            MailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
        };
        let mut builder = builder.port(config.port).timeout(Some(Config::exact(config.timeout)));
        if !config.username.is_empty() {
            builder =
                builder.credentials(Credentials::new(config.username.clone(), config.password.expose().to_owned()));
        }
        let sender = config.sender.parse().map_err(|e| anyhow::anyhow!("mail.sender: {e}"))?;
        Ok(Some(Self { transport: builder.build(), sender }))
    }

    pub async fn send(&self, to: &str, message: &Composed) -> anyhow::Result<()> {
        let to: Mailbox = to.parse().map_err(|e| anyhow::anyhow!("the recipient {to:?}: {e}"))?;
        let email = Message::builder()
            .from(self.sender.clone())
            .to(to)
            .subject(&message.subject)
            .multipart(MultiPart::alternative_plain_html(message.text.clone(), message.html.clone()))?;
        let _ = ContentType::TEXT_PLAIN;
        self.transport.send(email).await?;
        Ok(())
    }
}
