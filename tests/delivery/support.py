"""Shared helpers of the delivery tests: running the CLI, reading HTML and Markdown as text,
finding what an e-mail's HTML must not contain, and screenshots in headless Chromium."""

import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args, env=None):
    """Runs $CANARY_REPORT_BIN with `args`; the environment has no SMTP password unless given."""
    binary = os.environ.get("CANARY_REPORT_BIN")
    if not binary:
        raise RuntimeError("set CANARY_REPORT_BIN to a built canary-report (scripts/test.sh does)")
    full_env = {k: v for k, v in os.environ.items() if k != "CANARY_SMTP_PASSWORD"}
    full_env.update(env or {})
    return subprocess.run([binary, *args], capture_output=True, text=True, env=full_env,
                          timeout=120)


class _Text(HTMLParser):
    """The text of an HTML body (no <head>), blocks and cells separated as a browser shows them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    # Elements that start a new line or cell in a browser: their boundaries separate words.
    BLOCKS = {"p", "li", "ul", "ol", "table", "thead", "tbody", "tr", "td", "th", "h1", "h2",
              "h3", "h4", "h5", "h6", "blockquote", "div", "br", "pre", "body"}

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append(" ")
        if tag in ("head", "title", "style", "script"):
            self.skip += 1
        elif tag == "input":
            # A task-list checkbox; the e-mail writes it as a check mark.
            checked = any(name == "checked" for name, _ in attrs)
            self.parts.append("☑" if checked else "☐")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append(" ")
        if tag in ("head", "title", "style", "script"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(html):
    """The words of `html`'s body, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def markdown_text(markdown):
    """The words of `markdown` as CommonMark with GFM tables renders it (markdown-it-py)."""
    md = MarkdownIt("commonmark").enable("table")
    return html_text(md.render(markdown))


class _Audit(HTMLParser):
    FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "link", "img", "style", "form",
                      "input", "video", "audio", "source", "base", "frame", "svg"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in self.FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and any(n == "http-equiv" for n, _ in attrs):
            self.problems.append("<meta http-equiv>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in ("src", "srcset", "background", "poster", "action", "formaction"):
                self.problems.append(f"{tag} {name}= (a resource)")
            if name == "style" and re.search(r"url\s*\(|@import|expression\s*\(", value, re.I):
                self.problems.append(f"{tag} style loads something: {value}")
            if name == "href" and not re.match(r"https?://", value):
                self.problems.append(f"a link that is not http(s): {value}")


def html_problems(html):
    """Scripts, remote resources and non-web links in `html` (empty when there are none)."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def screenshot(html_file, png_file):
    """Renders `html_file` in headless Chromium (no network needed: nothing is loaded)."""
    chromium = os.environ.get("CANARY_CHROMIUM", "/usr/bin/chromium")
    png_file = Path(png_file)
    if png_file.exists():
        png_file.unlink()
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=900,2200", f"--screenshot={png_file}",
         Path(html_file).resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    return png_file
