//! `email --send`: one SMTP transaction with lettre over rustls.
//!
//! `smtp://` upgrades with STARTTLS and refuses to go on without it (no credentials or message
//! are sent before TLS is up), `smtps://` starts with TLS, and plain text (`?tls=none`) is only
//! allowed to this machine (checked when the URL is parsed). The server's certificate is checked
//! against the Mozilla roots (webpki-roots) plus `--smtp-ca FILE` where given. The password
//! comes from the environment variable [`PASSWORD_VAR`], never from the command line.
//!
//! Delivery is all or nothing and made once: SMTP delivers a message only when the server
//! accepts the end of its data, and lettre aborts before the data when the server refuses the
//! sender or any recipient, so every failure but one leaves nothing delivered and a re-run is
//! safe. The exception is a connection lost after the data went out and before the server's
//! answer; the message then may have been delivered, and its Message-ID (derived from the
//! report, so a re-run sends the same one) lets mail systems recognise a second copy.

use std::path::Path;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

/// The environment variable with the SMTP password.
pub const PASSWORD_VAR: &str = "CANARY_SMTP_PASSWORD";

/// Every SMTP command (and connecting) must be answered within this long.
const TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: plain connect, then STARTTLS, required.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://…?tls=none`: no TLS (only to this machine).
    None,
}

/// A parsed `--smtp-url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub security: Security,
}

impl SmtpUrl {
    /// Parses `smtp://[user@]host[:port][?tls=none]` or `smtps://[user@]host[:port]`.
    pub fn parse(text: &str) -> Result<SmtpUrl, String> {
        let (scheme, rest) = text.split_once("://").ok_or_else(|| {
            format!("--smtp-url must look like smtp://user@host:587, not {text:?}")
        })?;
        let (mut security, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => (Security::StartTls, 587),
            "smtps" => (Security::Implicit, 465),
            other => {
                return Err(format!(
                    "--smtp-url: unknown scheme {other:?}; use smtp:// (STARTTLS) or smtps:// (TLS)"
                ))
            }
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('/') {
            return Err("--smtp-url takes no path: smtp://user@host:port".to_owned());
        }
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((user, hostport)) => (Some(user), hostport),
            None => (None, authority),
        };
        if user.is_some_and(|u| u.contains(':')) {
            return Err(format!(
                "--smtp-url must not hold the password (a command line is visible to every user of the machine): set {PASSWORD_VAR} instead"
            ));
        }
        let user = user
            .map(|u| percent_decode(u).ok_or("--smtp-url: the user name has a bad %-escape"))
            .transpose()?
            .filter(|u| !u.is_empty());
        let (host, port) = split_host_port(hostport)?;
        let port = port.unwrap_or(default_port);
        match query {
            None | Some("") => {}
            Some("tls=none") if security == Security::StartTls => security = Security::None,
            Some(q) => {
                return Err(format!(
                    "--smtp-url: unknown option {q:?} (the only one is ?tls=none, for smtp:// to this machine)"
                ))
            }
        }
        if security == Security::None && !super::is_loopback(&host) {
            return Err(format!(
                "--smtp-url: plain SMTP (?tls=none) is only allowed to this machine, not to {host}; use smtp:// (STARTTLS) or smtps://"
            ));
        }
        Ok(SmtpUrl {
            host,
            port,
            user,
            security,
        })
    }

    /// `smtp://user@host:port` as given (never with a password), for messages.
    pub fn display(&self) -> String {
        let scheme = match self.security {
            Security::Implicit => "smtps",
            _ => "smtp",
        };
        let user = self
            .user
            .as_deref()
            .map_or(String::new(), |u| format!("{u}@"));
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let plain = if self.security == Security::None {
            "?tls=none"
        } else {
            ""
        };
        format!("{scheme}://{user}{host}:{}{plain}", self.port)
    }
}

fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), String> {
    let bad_port = |p: &str| format!("--smtp-url: bad port {p:?}");
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or("--smtp-url: an IPv6 address needs its closing ]")?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => {
                return Err(format!(
                    "--smtp-url: unexpected {after:?} after the address"
                ))
            }
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err("--smtp-url names no host: smtp://user@host:587".to_owned());
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad_port(p))
        })
        .transpose()?;
    Ok((host.to_owned(), port))
}

/// `%XX` escapes decoded (a user name may be an e-mail address, `me%40example.org`).
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Sends `message` once; `Err` is one line that says what failed and what to check.
pub fn send(url: &SmtpUrl, ca_file: Option<&Path>, message: &Message) -> Result<(), String> {
    let password = std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty());
    let credentials = match (&url.user, password) {
        (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password)),
        (Some(user), None) => {
            return Err(format!(
                "{} names the user {user:?} but {PASSWORD_VAR} is not set: put the password in that environment variable",
                url.display()
            ))
        }
        (None, Some(_)) => {
            return Err(format!(
                "{PASSWORD_VAR} is set but {} names no user: write it as smtp://USER@host:port",
                url.display()
            ))
        }
        (None, None) => None,
    };
    let tls = match url.security {
        Security::None => Tls::None,
        Security::StartTls => Tls::Required(tls_parameters(&url.host, ca_file)?),
        Security::Implicit => Tls::Wrapper(tls_parameters(&url.host, ca_file)?),
    };
    let mut builder = SmtpTransport::builder_dangerous(url.host.as_str())
        .port(url.port)
        .tls(tls)
        .timeout(Some(TIMEOUT));
    if let Some(credentials) = credentials {
        builder = builder.credentials(credentials);
    }
    let transport = builder.build();
    transport
        .send(message)
        .map(|_| ())
        .map_err(|e| describe(&e, url))
}

fn tls_parameters(host: &str, ca_file: Option<&Path>) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| format!("--smtp-ca {}: {e}", path.display()))?;
        let certificate = Certificate::from_pem(&pem)
            .map_err(|e| format!("--smtp-ca {}: not a PEM certificate ({e})", path.display()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|e| format!("TLS set-up for {host} failed: {e}"))
}

/// One line for a failed transaction: what kind of failure, and the server's own words.
fn describe(e: &lettre::transport::smtp::Error, url: &SmtpUrl) -> String {
    let code = e.status().map(|c| c.to_string());
    let detail: String = e
        .to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let what = match code.as_deref() {
        Some("535" | "534" | "530" | "538" | "454")
            if e.to_string().to_ascii_lowercase().contains("auth") =>
        {
            "authentication failed"
        }
        Some("535") => "authentication failed",
        _ if e.is_timeout() => "no answer in time",
        _ if detail.contains("certificate") => {
            "TLS failed: the server's certificate is not trusted (--smtp-ca adds a private CA)"
        }
        _ if e.is_tls() => "TLS failed",
        _ if e.is_permanent() => "the server refused the message",
        _ if e.is_transient() => "the server is temporarily unable to take the message",
        _ => "the SMTP exchange failed",
    };
    format!(
        "email not sent via {}: {what}: {} (nothing was delivered unless the connection broke after the message was sent)",
        url.display(),
        detail.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<SmtpUrl, &str>) {
        assert_eq!(
            SmtpUrl::parse(text),
            expected.map_err(str::to_owned),
            "{text}"
        );
    }

    fn url(host: &str, port: u16, user: Option<&str>, security: Security) -> SmtpUrl {
        SmtpUrl {
            host: host.into(),
            port,
            user: user.map(str::to_owned),
            security,
        }
    }

    #[test]
    fn smtp_url_table() {
        check(
            "smtp://bot@smtp.example.org:587",
            Ok(url(
                "smtp.example.org",
                587,
                Some("bot"),
                Security::StartTls,
            )),
        );
        check(
            "smtp://smtp.example.org",
            Ok(url("smtp.example.org", 587, None, Security::StartTls)),
        );
        check(
            "smtps://me%40example.org@smtp.example.org",
            Ok(url(
                "smtp.example.org",
                465,
                Some("me@example.org"),
                Security::Implicit,
            )),
        );
        check(
            "smtp://127.0.0.1:2525?tls=none",
            Ok(url("127.0.0.1", 2525, None, Security::None)),
        );
        check(
            "smtp://[::1]:25?tls=none",
            Ok(url("::1", 25, None, Security::None)),
        );
        check(
            "smtp://smtp.example.org:25?tls=none",
            Err("--smtp-url: plain SMTP (?tls=none) is only allowed to this machine, not to smtp.example.org; use smtp:// (STARTTLS) or smtps://"),
        );
        check(
            "smtps://127.0.0.1?tls=none",
            Err("--smtp-url: unknown option \"tls=none\" (the only one is ?tls=none, for smtp:// to this machine)"),
        );
        check(
            "smtp://bot:hunter2@smtp.example.org",
            Err("--smtp-url must not hold the password (a command line is visible to every user of the machine): set CANARY_SMTP_PASSWORD instead"),
        );
        check(
            "http://smtp.example.org",
            Err("--smtp-url: unknown scheme \"http\"; use smtp:// (STARTTLS) or smtps:// (TLS)"),
        );
        check("smtp://h:0", Err("--smtp-url: bad port \"0\""));
        check("smtp://h:x", Err("--smtp-url: bad port \"x\""));
        check(
            "smtp://",
            Err("--smtp-url names no host: smtp://user@host:587"),
        );
        check(
            "smtp.example.org",
            Err("--smtp-url must look like smtp://user@host:587, not \"smtp.example.org\""),
        );
        check(
            "smtp://h/x",
            Err("--smtp-url takes no path: smtp://user@host:port"),
        );
        assert_eq!(
            url("::1", 25, Some("a"), Security::None).display(),
            "smtp://a@[::1]:25?tls=none"
        );
    }
}
