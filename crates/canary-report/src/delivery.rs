//! Delivering the daily status email: over SMTP (`--send`), as a chat message to webhooks
//! (`--webhook`), or, with `--dry-run`, the MIME message and the payloads written out instead.
//!
//! The message is multipart/alternative: text/plain is the report's Markdown (what `email`
//! prints, without the `Subject:` line, which becomes the header), text/html the same Markdown
//! rendered by the core's renderer and styled for mail clients
//! ([`canary_core::email_html::email_document`]). Its Message-ID is derived from the report
//! (sender, recipients, subject, body), so running the same report again produces the same
//! message; see `net::smtp` for why a run never sends twice.
//!
//! The flags table (`flags/defs.rs`) hands each delivery option to [`DeliveryArgs::take`], one
//! flag at a time; [`DeliveryArgs::check`] then checks how they combine.

use std::io::Write;
use std::path::{Path, PathBuf};

use canary_core::chat::{payload, webhook_target, ChatFormat, ChatSummary};
use canary_core::email_html::{body_markdown, email_document};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::error::{usage, CliError};
use crate::net::smtp::{self, SmtpUrl};
use crate::net::{is_loopback, webhook};

/// What to deliver, and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryArgs {
    /// `--send`: send the email over SMTP.
    pub send: bool,
    /// `--dry-run`: write the MIME message and the webhook payloads instead of sending them.
    pub dry_run: bool,
    /// `--mail-to`: the recipients, in order given (`--to` is the window's end).
    pub to: Vec<String>,
    /// `--mail-from`: the sender (`--from` is the window's start).
    pub from: Option<String>,
    /// `--smtp-url`: the server.
    pub smtp_url: Option<SmtpUrl>,
    /// `--smtp-ca`: an extra root certificate (PEM) to trust for the server.
    pub smtp_ca: Option<PathBuf>,
    /// `--webhook`: chat webhooks (`URL`, `slack:URL` or `teams:URL`).
    pub webhooks: Vec<String>,
}

impl DeliveryArgs {
    /// Whether any delivery was asked for.
    pub fn requested(&self) -> bool {
        self.send || self.dry_run || !self.webhooks.is_empty()
    }

    /// Takes delivery option `flag` (without `--`) and its value (empty for a switch); `false`
    /// when `flag` is not a delivery option.
    pub fn take(&mut self, flag: &str, value: String) -> Result<bool, CliError> {
        match flag {
            "send" => self.send = true,
            "dry-run" => self.dry_run = true,
            "mail-to" => {
                mailbox("--mail-to", &value)?;
                self.to.push(value);
            }
            "mail-from" => {
                mailbox("--mail-from", &value)?;
                self.from = Some(value);
            }
            "smtp-url" => self.smtp_url = Some(SmtpUrl::parse(&value).map_err(usage)?),
            "smtp-ca" => {
                if value.is_empty() {
                    return Err(usage("--smtp-ca needs a PEM certificate file"));
                }
                self.smtp_ca = Some(PathBuf::from(value));
            }
            "webhook" => {
                check_webhook(&value)?;
                self.webhooks.push(value);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks that the options fit together.
    pub fn check(&self) -> Result<(), CliError> {
        let email_only = [
            ("--mail-to", !self.to.is_empty()),
            ("--mail-from", self.from.is_some()),
            ("--smtp-url", self.smtp_url.is_some()),
            ("--smtp-ca", self.smtp_ca.is_some()),
        ];
        if !self.send {
            if let Some((flag, _)) = email_only.iter().find(|(_, given)| *given) {
                return Err(usage(format!("{flag} is for --send")));
            }
            if self.dry_run && self.webhooks.is_empty() {
                return Err(usage(
                    "--dry-run shows what --send or --webhook would send: give one of them",
                ));
            }
            return Ok(());
        }
        if self.to.is_empty() {
            return Err(usage(
                "--send needs at least one recipient: --mail-to ADDRESS",
            ));
        }
        if self.from.is_none() {
            return Err(usage("--send needs the sender: --mail-from ADDRESS"));
        }
        if self.smtp_url.is_none() && !self.dry_run {
            return Err(usage(
                "--send needs the server: --smtp-url smtp://user@host:587 (STARTTLS) or smtps://user@host:465",
            ));
        }
        Ok(())
    }
}

fn mailbox(flag: &str, text: &str) -> Result<Mailbox, CliError> {
    text.parse::<Mailbox>().map_err(|e| {
        usage(format!(
            "{flag} {text:?} is not an e-mail address ({e}); e.g. team@example.org or \"Canary <canary@example.org>\""
        ))
    })
}

/// Webhooks go over HTTPS; plain HTTP only to this machine.
fn check_webhook(spec: &str) -> Result<(), CliError> {
    let (_, url) = webhook_target(spec);
    let lower = url.to_ascii_lowercase();
    let host = url
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    if host.is_empty() || !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(usage(format!(
            "--webhook needs an https:// URL (optionally slack: or teams: before it), not {url:?}"
        )));
    }
    if lower.starts_with("http://") && !is_loopback(host) {
        return Err(usage(format!(
            "--webhook: plain http:// is only allowed to this machine, not to {host}; use https://"
        )));
    }
    Ok(())
}

/// The report to deliver: its Markdown (with the `Subject:` line), plain subject, and chat summary.
pub struct Report {
    pub markdown: String,
    pub subject: String,
    pub chat: ChatSummary,
}

/// The Message-ID of a report: a SHA-256 over what makes the message, so the same report to the
/// same people gets the same id.
fn message_id(from: &Mailbox, to: &[Mailbox], subject: &str, body: &str) -> String {
    let mut recipients: Vec<String> = to.iter().map(|m| m.email.to_string()).collect();
    recipients.sort();
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [
        from.email.to_string(),
        recipients.join(","),
        subject.to_owned(),
    ] {
        context.update(part.as_bytes());
        context.update(b"\0");
    }
    context.update(body.as_bytes());
    let hex: String = context
        .finish()
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("<canary-report.{hex}@{}>", from.email.domain())
}

/// The multipart/alternative message of `report`.
pub fn build_message(a: &DeliveryArgs, report: &Report) -> Result<Message, CliError> {
    let from = mailbox("--mail-from", a.from.as_deref().unwrap_or_default())?;
    let to: Vec<Mailbox> =
        a.to.iter()
            .map(|t| mailbox("--mail-to", t))
            .collect::<Result<_, _>>()?;
    let body = body_markdown(&report.markdown);
    let html = email_document(&report.subject, body);
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(report.subject.clone())
        .message_id(Some(message_id(&from, &to, &report.subject, body)));
    for mailbox in &to {
        builder = builder.to(mailbox.clone());
    }
    builder
        .multipart(MultiPart::alternative_plain_html(body.to_owned(), html))
        .map_err(|e| CliError::Delivery(format!("the email could not be built: {e}")))
}

/// Delivers `report` as `a` says. With `--dry-run` the message and payloads go to `out` (or
/// stdout); otherwise `out`, where given, gets the Markdown as a record of what was sent.
pub fn run(a: &DeliveryArgs, report: &Report, out: Option<&Path>) -> Result<(), CliError> {
    let message = if a.send {
        Some(build_message(a, report)?)
    } else {
        None
    };
    let payloads: Vec<(ChatFormat, &str, String)> = a
        .webhooks
        .iter()
        .map(|spec| {
            let (format, url) = webhook_target(spec);
            let json =
                serde_json::to_string_pretty(&payload(format, &report.chat)).map_err(|e| {
                    CliError::Delivery(format!("the chat message could not be built: {e}"))
                })?;
            Ok((format, url, json))
        })
        .collect::<Result<_, CliError>>()?;

    if a.dry_run {
        let mut text = Vec::new();
        if let Some(message) = &message {
            text.extend_from_slice(&message.formatted());
        }
        for (format, url, json) in &payloads {
            let name = match format {
                ChatFormat::Slack => "slack",
                ChatFormat::Teams => "teams",
            };
            let _ = write!(text, "\n# webhook {name} {url}\n{json}\n");
        }
        return crate::reports::write_output(out, &text);
    }

    if let Some(path) = out {
        crate::reports::write_output(Some(path), report.markdown.as_bytes())?;
    }
    let mut done = Vec::new();
    if let (Some(message), Some(url)) = (&message, &a.smtp_url) {
        smtp::send(url, a.smtp_ca.as_deref(), message).map_err(CliError::Delivery)?;
        let id = message
            .headers()
            .get_raw("Message-ID")
            .unwrap_or_default()
            .to_owned();
        eprintln!(
            "canary-report: sent {:?} to {} via {} (Message-ID {id})",
            report.subject,
            a.to.join(", "),
            url.display()
        );
        done.push("the email was sent".to_owned());
    }
    for (_, url, json) in &payloads {
        webhook::post_json(url, json).map_err(|e| {
            let before = if done.is_empty() {
                String::new()
            } else {
                format!(" ({} before this failure)", done.join(", "))
            };
            CliError::Delivery(format!("{e} ({}){before}", redact(url)))
        })?;
        eprintln!("canary-report: posted the status to {}", redact(url));
        done.push(format!("posted to {}", redact(url)));
    }
    Ok(())
}

/// A webhook URL for messages: scheme and host only (the path of a webhook URL is its secret).
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            format!("{scheme}://{host}/…")
        }
        None => "the webhook".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[(&str, &str)]) -> Result<DeliveryArgs, String> {
        let mut a = DeliveryArgs::default();
        for (flag, value) in flags {
            assert!(a
                .take(flag, (*value).to_owned())
                .map_err(|e| e.to_string())?);
        }
        a.check().map_err(|e| e.to_string())?;
        Ok(a)
    }

    fn check(flags: &[(&str, &str)], expected: Result<(), &str>) {
        assert_eq!(
            parse(flags).map(|_| ()),
            expected.map_err(|e| format!("{e} (see canary-report --help)")),
            "{flags:?}"
        );
    }

    #[test]
    fn delivery_option_table() {
        let server = ("smtp-url", "smtp://bot@smtp.example.org:587");
        check(&[], Ok(()));
        check(
            &[
                ("send", ""),
                ("mail-to", "a@example.org"),
                ("mail-from", "c@example.org"),
                server,
            ],
            Ok(()),
        );
        check(
            &[
                ("send", ""),
                ("dry-run", ""),
                ("mail-to", "a@example.org"),
                ("mail-from", "c@example.org"),
            ],
            Ok(()),
        );
        check(
            &[("send", ""), ("mail-from", "c@example.org"), server],
            Err("--send needs at least one recipient: --mail-to ADDRESS"),
        );
        check(
            &[("send", ""), ("mail-to", "a@example.org"), server],
            Err("--send needs the sender: --mail-from ADDRESS"),
        );
        check(
            &[("send", ""), ("mail-to", "a@example.org"), ("mail-from", "c@example.org")],
            Err("--send needs the server: --smtp-url smtp://user@host:587 (STARTTLS) or smtps://user@host:465"),
        );
        check(
            &[("mail-to", "a@example.org")],
            Err("--mail-to is for --send"),
        );
        check(
            &[("dry-run", "")],
            Err("--dry-run shows what --send or --webhook would send: give one of them"),
        );
        check(&[("webhook", "https://hooks.slack.com/services/x")], Ok(()));
        check(&[("webhook", "teams:http://127.0.0.1:8080/hook")], Ok(()));
        check(
            &[("webhook", "http://chat.example.org/hook")],
            Err("--webhook: plain http:// is only allowed to this machine, not to chat.example.org; use https://"),
        );
        check(
            &[("webhook", "hooks.slack.com/x")],
            Err("--webhook needs an https:// URL (optionally slack: or teams: before it), not \"hooks.slack.com/x\""),
        );
        assert!(parse(&[("mail-to", "not an address")])
            .unwrap_err()
            .starts_with("--mail-to \"not an address\" is not an e-mail address"));
    }

    #[test]
    fn the_message_id_follows_the_report() {
        let from: Mailbox = "c@example.org".parse().unwrap();
        let a: Mailbox = "a@example.org".parse().unwrap();
        let b: Mailbox = "b@example.org".parse().unwrap();
        let id = message_id(&from, &[a.clone(), b.clone()], "s", "body");
        assert_eq!(id, message_id(&from, &[b.clone(), a.clone()], "s", "body"));
        assert!(id.starts_with("<canary-report.") && id.ends_with("@example.org>"));
        assert_ne!(id, message_id(&from, std::slice::from_ref(&a), "s", "body"));
        assert_ne!(id, message_id(&from, &[a, b], "s", "body 2"));
    }

    #[test]
    fn webhook_urls_are_redacted() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/…"
        );
    }
}
