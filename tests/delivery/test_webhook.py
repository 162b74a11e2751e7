"""`canary-report email --webhook` against a local HTTP server.

The server (Python's http.server on loopback) keeps every POST. The payloads are checked
against the documented shapes (Slack Block Kit: block types, text object types and length
limits; Microsoft Teams: a `message` with one Adaptive Card attachment), and data full of
characters that mean something to the formats (quotes, backslashes, newlines, `<>&`, Slack's
`*_~` and `<!channel>`, Markdown links) arrives escaped: as the text it is, never as
formatting, a mention or a link. A webhook that answers an error is one line and exit 3.
"""

import csv
import json
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from support import run_cli

HOSTILE = 'he said "no" \\ then\nleft <!channel> <@U024BE7LH> *bold* _it_ ~gone~ `tick` [link](https://evil.example) & <b>x</b> # 1.'
NAME = "rollout <!here> *v2* _x_"
DASHBOARD = "https://example.org/canary-console/"


class Receiver(BaseHTTPRequestHandler):
    posts = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.posts.append({"path": self.path, "type": self.headers.get("Content-Type"),
                               "body": body})
        if self.path == "/fail":
            self.send_response(400)
            self.end_headers()
            self.wfile.write(b"invalid_payload")
        else:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def flat(text):
    """What the messages make of data: control characters as spaces, trimmed."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text).strip()


def write_events(path):
    """Requests with hostile error messages, as a PostgreSQL CSV export."""
    fields = ["id", "event_type", "success", "cache_hit", "processing_time_ms", "cache_key",
              "details", "created_at"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for i in range(1, 61):
            failed = i % 3 == 0
            details = {"endpoint": "/api/<chat>"}
            if failed:
                details.update({"error_type": "Err*_~", "error_message": HOSTILE})
            w.writerow([i, "request_completed", "f" if failed else "t", "", 100 + i, "",
                        json.dumps(details), f"2025-10-17 08:{i % 60:02d}:00+00"])


def slack_unescape(text):
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def teams_unescape(text):
    out, escaped = [], False
    for c in text:
        if escaped:
            out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        else:
            out.append(c)
    return "".join(out)


def text_objects(value):
    """Every Block Kit text object in a payload."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and "text" in value:
            yield value
        for v in value.values():
            yield from text_objects(v)
    elif isinstance(value, list):
        for v in value:
            yield from text_objects(v)


class WebhookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        cls.port = cls.server.server_address[1]
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.events = Path(cls.tmp.name) / "events.csv"
        write_events(cls.events)

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.tmp.cleanup()

    def setUp(self):
        Receiver.posts.clear()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def post(self, *webhooks, extra=()):
        # The email covers the day its rows were logged on (without --date it is the 24 h up to
        # now, which these rows are far from).
        args = ["email", "--input", str(self.events), "--date", "2025-10-17", "--name", NAME,
                "--dashboard-url", DASHBOARD, *extra]
        for w in webhooks:
            args += ["--webhook", w]
        return run_cli(args)

    def test_slack_block_kit(self):
        result = self.post("slack:" + self.url("/slack"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(Receiver.posts), 1)
        post = Receiver.posts[0]
        self.assertEqual(post["path"], "/slack")
        self.assertTrue(post["type"].startswith("application/json"))
        payload = json.loads(post["body"])
        self.assertEqual(set(payload), {"text", "mrkdwn", "blocks"})
        self.assertIs(payload["mrkdwn"], False)
        blocks = payload["blocks"]
        self.assertLessEqual(len(blocks), 50)
        for block in blocks:
            self.assertIn(block["type"], {"header", "section", "actions"})
            if block["type"] == "header":
                self.assertEqual(block["text"]["type"], "plain_text")
                self.assertLessEqual(len(block["text"]["text"]), 150)
            if block["type"] == "section":
                self.assertTrue("text" in block or "fields" in block)
                if "text" in block:
                    self.assertLessEqual(len(block["text"]["text"]), 3000)
                for field in block.get("fields", []):
                    self.assertLessEqual(len(field["text"]), 2000)
                self.assertLessEqual(len(block.get("fields", [])), 10)
            if block["type"] == "actions":
                (button,) = block["elements"]
                self.assertEqual(button["type"], "button")
                self.assertEqual(button["url"], DASHBOARD)
        texts = list(text_objects(payload))
        for t in texts:
            self.assertNotIn("<", t["text"])
            self.assertNotIn(">", t["text"])
            if t["type"] == "mrkdwn":
                # Only the message's own labels are mrkdwn: never data.
                self.assertIn(t["text"], {"*Alerts in the period*", "*Top errors*"})
        self.assertNotIn("<", payload["text"])
        plain = "\n".join(slack_unescape(t["text"]) for t in texts if t["type"] == "plain_text")
        self.assertIn(flat(HOSTILE), plain)
        self.assertIn(flat(NAME), slack_unescape(blocks[0]["text"]["text"]))
        self.assertIn("Status: ", plain)
        self.assertIn("Error rate: ", plain)

    def test_teams_adaptive_card(self):
        result = self.post("teams:" + self.url("/teams"))
        self.assertEqual(result.returncode, 0, result.stderr)
        payload = json.loads(Receiver.posts[0]["body"])
        self.assertEqual(payload["type"], "message")
        (attachment,) = payload["attachments"]
        self.assertEqual(attachment["contentType"], "application/vnd.microsoft.card.adaptive")
        card = attachment["content"]
        self.assertEqual(card["type"], "AdaptiveCard")
        self.assertEqual(card["version"], "1.4")
        self.assertEqual(card["$schema"], "http://adaptivecards.io/schemas/adaptive-card.json")
        for element in card["body"]:
            self.assertIn(element["type"], {"TextBlock", "FactSet"})
            if element["type"] == "FactSet":
                for fact in element["facts"]:
                    self.assertEqual(set(fact), {"title", "value"})
        self.assertEqual(card["actions"], [{"type": "Action.OpenUrl", "title": "Open the dashboard",
                                            "url": DASHBOARD}])
        texts = [e["text"] for e in card["body"] if e["type"] == "TextBlock"]
        for t in texts:
            # Every Markdown character of the data is escaped.
            for i, c in enumerate(t):
                if c in "*_~`[]()#>":
                    self.assertEqual(t[i - 1], "\\", f"unescaped {c!r} in {t!r}")
        self.assertIn(flat(HOSTILE), "\n".join(teams_unescape(t) for t in texts))
        self.assertEqual(teams_unescape(texts[0]).count(flat(NAME)), 1)

    def test_both_formats_in_one_run(self):
        result = self.post("slack:" + self.url("/a"), "teams:" + self.url("/b"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([p["path"] for p in Receiver.posts], ["/a", "/b"])
        self.assertEqual(result.stdout, "")

    def test_error_answer_is_one_line(self):
        result = self.post(self.url("/fail"))
        self.assertEqual(result.returncode, 3, result.stderr)
        lines = result.stderr.strip().split("\n")
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn("the webhook answered 400: invalid_payload", lines[0])
        self.assertNotIn("/fail", lines[0], "the webhook's path (its secret) is not printed")

    def test_dry_run_posts_nothing(self):
        result = self.post("slack:" + self.url("/slack"), extra=["--dry-run"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(Receiver.posts, [])
        self.assertIn("# webhook slack ", result.stdout)


if __name__ == "__main__":
    unittest.main()
