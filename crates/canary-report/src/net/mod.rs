//! Everything of the CLI that talks to the network: reading a Supabase project over its REST API
//! ([`supabase`]) and its team records ([`records`]: shared phases, sign-offs), sending the status email over SMTP ([`smtp`]) and posting it to chat webhooks
//! ([`webhook`]). What is sent is decided elsewhere (the core's request plans and payloads, the
//! message `delivery` builds); these modules only move bytes and turn failures into one line.
//!
//! None of them retries a delivery: an SMTP transaction or a webhook POST is made once, so a
//! failure can be re-run by hand or by cron without a message going out twice from one run.

pub mod records;
pub mod smtp;
pub mod supabase;
pub mod webhook;

/// Whether `host` (a name or an address, IPv6 possibly in brackets) is this machine: the only
/// place plain-text SMTP or HTTP is allowed to go.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_hosts() {
        for (host, expected) in [
            ("127.0.0.1", true),
            ("127.1.2.3", true),
            ("[::1]", true),
            ("::1", true),
            ("LOCALHOST", true),
            ("localhost.example.org", false),
            ("10.0.0.1", false),
            ("smtp.example.org", false),
            ("", false),
        ] {
            assert_eq!(super::is_loopback(host), expected, "{host}");
        }
    }
}
