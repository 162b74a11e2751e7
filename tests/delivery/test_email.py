"""`canary-report email --send` against a real SMTP server (aiosmtpd) on loopback.

Each test starts its own server in this process (plain, STARTTLS with AUTH, or implicit TLS,
with a throw-away CA and server certificate made by openssl), runs the real binary
($CANARY_REPORT_BIN) and reads back what the server received with Python's own e-mail parser:
both alternatives present, the subject, no script or remote resource in the HTML, and the
HTML's text equal to the text of the Markdown part as an independent CommonMark parser
(markdown-it-py) renders it. The received HTML is rendered in headless Chromium and
screenshotted into target/test-logs/. Failures (authentication, a refused recipient, STARTTLS
required but not offered) must be one line on stderr and exit status 3, with nothing delivered.

Run: bash scripts/test.sh (step "delivery"), or
  .tools/venv-delivery/bin/python -m unittest discover -s tests/delivery -v
with CANARY_REPORT_BIN set to a built canary-report.
"""

import email
import email.policy
import os
import socket
import ssl
import subprocess
import tempfile
import unittest
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from support import ROOT, html_problems, html_text, markdown_text, run_cli, screenshot

USER = "canary-bot"
PASSWORD = "s3cret pass"
FROM = "Canary Console <canary@example.org>"
TO = ["team@example.org", "lead@example.org"]
DASHBOARD = "https://example.org/canary-console/"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Keeps every message the server accepts; refuses recipients at refused.example.org."""

    def __init__(self):
        self.messages = []
        self.sessions = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example.org"):
            return "550 5.1.1 <%s>: Recipient address rejected: user unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content or envelope.content)
        self.sessions.append(
            {
                # STARTTLS sets session.ssl; implicit TLS shows on the transport.
                "tls": session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                "authenticated": bool(session.authenticated),
                "rcpt": list(envelope.rcpt_tos),
            }
        )
        return "250 2.0.0 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class Certificates:
    """A throw-away CA and a server certificate for 127.0.0.1, made with openssl."""

    def __init__(self, directory):
        d = Path(directory)
        self.ca = d / "ca.pem"
        self.cert = d / "server.pem"
        self.key = d / "server.key"
        ca_key = d / "ca.key"
        csr = d / "server.csr"
        ext = d / "server.ext"
        ext.write_text(
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n"
        )

        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key),
                "-out", str(self.ca), "-days", "2", "-subj", "/CN=Canary test CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key),
                "-out", str(csr), "-subj", "/CN=127.0.0.1")
        openssl("x509", "-req", "-in", str(csr), "-CA", str(self.ca), "-CAkey", str(ca_key),
                "-CAcreateserial", "-out", str(self.cert), "-days", "2", "-extfile", str(ext))

    def context(self):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert), str(self.key))
        return ctx


class Server:
    def __init__(self, **kwargs):
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def report_markdown():
    """What `email --demo` prints: the Markdown every delivery is made from."""
    result = run_cli(["email", "--demo", "--dashboard-url", DASHBOARD])
    assert result.returncode == 0, result.stderr
    return result.stdout


def send_args(url, *extra, to=TO):
    args = ["email", "--demo", "--dashboard-url", DASHBOARD, "--send", "--mail-from", FROM,
            "--smtp-url", url]
    for t in to:
        args += ["--mail-to", t]
    return args + list(extra)


class EmailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.certs = Certificates(cls.tmp.name)
        cls.markdown = report_markdown()
        first, _, body = cls.markdown.partition("\n")
        assert first.startswith("Subject: "), first
        cls.subject = first[len("Subject: "):].replace("\\", "")
        cls.body = body.lstrip("\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_message(self, raw, name):
        """The received message is the report: parts, subject, HTML, text."""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg["Subject"], self.subject)
        self.assertEqual(msg["From"], FROM)
        self.assertEqual([a.addr_spec for a in msg["To"].addresses], TO)
        self.assertTrue(msg["Message-ID"].startswith("<canary-report."), msg["Message-ID"])
        self.assertIsNotNone(msg["Date"])
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = [p for p in msg.iter_parts()]
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        plain = parts[0].get_content()
        html = parts[1].get_content()
        self.assertEqual(plain.replace("\r\n", "\n"), self.body)
        self.assertEqual(html_problems(html), [])
        self.assertEqual(html_text(html), markdown_text(plain))
        # The tables arrive as tables, with borders and status colours.
        self.assertGreaterEqual(html.count("<table"), 3)
        self.assertIn("border:1px solid", html)
        self.assertIn(DASHBOARD, html)
        out = ROOT / "target" / "test-logs"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.eml").write_bytes(raw)
        (out / f"{name}.html").write_text(html)
        png = screenshot(out / f"{name}.html", out / f"{name}.png")
        self.assertGreater(png.stat().st_size, 20_000, "the screenshot looks empty")
        return msg

    def test_plain_to_loopback(self):
        with Server() as server:
            result = run_cli(send_args(f"smtp://127.0.0.1:{server.port}?tls=none"))
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout, "")
            self.assertEqual(len(server.sink.messages), 1)
            self.assertEqual(server.sink.sessions[0]["rcpt"], TO)
            msg = self.check_message(server.sink.messages[0], "email-plain")
            self.assertIn(msg["Message-ID"], result.stderr)

    def test_starttls_with_auth(self):
        with Server(tls_context=self.certs.context(), require_starttls=True,
                    authenticator=authenticator, auth_require_tls=True) as server:
            result = run_cli(
                send_args(f"smtp://{USER}@127.0.0.1:{server.port}", "--smtp-ca", str(self.certs.ca)),
                env={"CANARY_SMTP_PASSWORD": PASSWORD},
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(server.sink.messages), 1)
            self.assertEqual(server.sink.sessions[0]["tls"], True)
            self.assertEqual(server.sink.sessions[0]["authenticated"], True)
            self.check_message(server.sink.messages[0], "email-starttls")

    def test_implicit_tls(self):
        with Server(ssl_context=self.certs.context()) as server:
            result = run_cli(
                send_args(f"smtps://127.0.0.1:{server.port}", "--smtp-ca", str(self.certs.ca))
            )
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(server.sink.messages), 1)
            self.assertEqual(server.sink.sessions[0]["tls"], True)

    def test_dry_run_writes_the_same_message(self):
        out = Path(self.tmp.name) / "status.eml"
        result = run_cli(send_args("smtp://smtp.example.org:587", "--dry-run", "--out", str(out)))
        self.assertEqual(result.returncode, 0, result.stderr)
        msg = self.check_message(out.read_bytes(), "email-dry-run")
        with Server() as server:
            sent = run_cli(send_args(f"smtp://127.0.0.1:{server.port}?tls=none"))
            self.assertEqual(sent.returncode, 0, sent.stderr)
            received = email.message_from_bytes(server.sink.messages[0], policy=email.policy.default)
        # The same report gets the same Message-ID, so a second copy is recognisable.
        self.assertEqual(received["Message-ID"], msg["Message-ID"])

    def assert_one_line_failure(self, result, *needles):
        self.assertEqual(result.returncode, 3, result.stderr)
        lines = result.stderr.strip().split("\n")
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("canary-report: error: email not sent via "), lines[0])
        for needle in needles:
            self.assertIn(needle, lines[0])

    def test_wrong_password(self):
        with Server(tls_context=self.certs.context(), require_starttls=True,
                    authenticator=authenticator, auth_require_tls=True) as server:
            result = run_cli(
                send_args(f"smtp://{USER}@127.0.0.1:{server.port}", "--smtp-ca", str(self.certs.ca)),
                env={"CANARY_SMTP_PASSWORD": "wrong"},
            )
            self.assert_one_line_failure(result, "authentication failed", "535")
            self.assertEqual(server.sink.messages, [])
            self.assertNotIn("wrong", result.stderr)

    def test_refused_recipient(self):
        with Server() as server:
            result = run_cli(send_args(f"smtp://127.0.0.1:{server.port}?tls=none",
                                       to=["team@example.org", "nobody@refused.example.org"]))
            self.assert_one_line_failure(result, "refused", "550")
            self.assertEqual(server.sink.messages, [])

    def test_starttls_required_but_not_offered(self):
        with Server(authenticator=authenticator, auth_require_tls=False) as server:
            result = run_cli(send_args(f"smtp://{USER}@127.0.0.1:{server.port}"),
                             env={"CANARY_SMTP_PASSWORD": PASSWORD})
            self.assert_one_line_failure(result, "STARTTLS")
            self.assertEqual(server.sink.messages, [])

    def test_untrusted_certificate(self):
        with Server(tls_context=self.certs.context(), require_starttls=True) as server:
            result = run_cli(send_args(f"smtp://127.0.0.1:{server.port}"))
            self.assert_one_line_failure(result, "TLS")
            self.assertEqual(server.sink.messages, [])

    def test_nothing_listening(self):
        result = run_cli(send_args(f"smtp://127.0.0.1:{free_port()}?tls=none"))
        self.assert_one_line_failure(result)


if __name__ == "__main__":
    unittest.main()
