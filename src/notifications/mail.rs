//! Mail through the operator's SMTP server (lettre, on rustls): a message
//! in plain text and HTML, laid out by `templates/mail/`, worded by
//! [`super::messages`].

use askama::Template;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
    transport::smtp::authentication::Credentials,
};

use super::{
    catalogue::EventKind,
    messages::{Facts, word},
};
use crate::config::{MailConfig, MailTls};
use crate::domain::Lang;

/// What a message says, laid out twice: as plain text and as HTML.
struct Body<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    lines: &'a [String],
    link: Option<&'a str>,
    label: &'a str,
    registry_name: &'a str,
    footer: &'a str,
    unsubscribe: Option<&'a str>,
    unsubscribe_label: &'a str,
}

#[derive(Template)]
#[template(path = "mail/message.txt", escape = "none")]
struct Text<'a> {
    body: &'a Body<'a>,
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct Html<'a> {
    body: &'a Body<'a>,
}

/// A message ready to send.
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe address, when the kind can be switched off.
    pub unsubscribe: Option<String>,
}

pub fn compose(
    kind: EventKind,
    lang: Lang,
    facts: &Facts,
    registry_name: &str,
    unsubscribe: Option<String>,
) -> anyhow::Result<Composed> {
    let worded = word(kind, lang, facts);
    let (greeting, footer, unsubscribe_label) = match lang {
        Lang::ZhCn => ("您好：", "此邮件由登记系统自动发送，请勿直接回复。", "不再接收此类邮件"),
        Lang::En => {
            ("Hello,", "This message was sent by the registry's system; replies are not read.", "Stop these messages")
        }
    };
    // A link is offered only with a label: an objector's decision mail
    // points them to the tracking link they kept instead.
    let link = facts.link.as_deref().filter(|_| !worded.link_label.is_empty());
    let body = Body {
        lang: lang.tag(),
        subject: &worded.subject,
        greeting,
        lines: &worded.lines,
        link,
        label: &worded.link_label,
        registry_name,
        footer,
        unsubscribe: unsubscribe.as_deref(),
        unsubscribe_label,
    };
    let (text, html) = (Text { body: &body }.render()?, Html { body: &body }.render()?);
    Ok(Composed { subject: worded.subject, text, html, unsubscribe })
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
        let mut builder = builder.port(config.port).timeout(Some(config.timeout.get()));
        if !config.username.is_empty() {
            builder =
                builder.credentials(Credentials::new(config.username.clone(), config.password.expose().to_owned()));
        }
        let sender = config.sender.parse().map_err(|e| anyhow::anyhow!("mail.sender: {e}"))?;
        Ok(Some(Self { transport: builder.build(), sender }))
    }

    pub async fn send(&self, to: &str, message: &Composed) -> anyhow::Result<()> {
        let to: Mailbox = to.parse().map_err(|e| anyhow::anyhow!("the recipient {to:?}: {e}"))?;
        let mut email = Message::builder().from(self.sender.clone()).to(to).subject(&message.subject);
        if let Some(url) = &message.unsubscribe {
            // RFC 8058: the mail client unsubscribes with one POST.
            email = email
                .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let email = email.multipart(MultiPart::alternative_plain_html(message.text.clone(), message.html.clone()))?;
        self.transport.send(email).await?;
        Ok(())
    }
}
