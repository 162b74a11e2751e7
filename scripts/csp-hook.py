#!/usr/bin/env python3
"""Trunk post-build hook (Trunk.toml): completes the Content-Security-Policy of the built page.

index.html carries the policy as a <meta> (GitHub Pages cannot send headers) with two markers
this hook replaces in the staged index.html:

  'canary-loader-hashes'  -> the SHA-256 of every inline <script> trunk wrote (its loader, which
                             imports the hashed .js and starts the WebAssembly); it differs per
                             build and per --public-url, so it is computed here, after trunk.
  canary-extra-connect    -> the origins in the environment variable CANARY_CSP_CONNECT_SRC
                             (space-separated, e.g. "https://api.example.com http://127.0.0.1:*"):
                             a self-hosted or custom-domain Supabase, a backend's /health URL, or
                             loopback for the tests. Empty by default.

Without this hook the markers stay in place and the loader is refused: the page fails closed
rather than open. Only the Python standard library is used.
"""
import base64
import hashlib
import os
import re
import sys

LOADER_MARK = "'canary-loader-hashes'"
CONNECT_MARK = "canary-extra-connect"
# A CSP host source: scheme, host (a leading *. allowed), optional port (or *), no path tricks.
SOURCE = re.compile(r"^(https?|wss?)://(\*\.)?[A-Za-z0-9.-]+(:(\d{1,5}|\*))?$")


def fail(message):
    print(f"csp-hook: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    staging = os.environ.get("TRUNK_STAGING_DIR")
    if not staging:
        fail("TRUNK_STAGING_DIR is not set: run through trunk (Trunk.toml's post_build hook)")
    path = os.path.join(staging, "index.html")
    with open(path, encoding="utf-8") as f:
        html = f.read()
    if html.count(LOADER_MARK) != 1 or html.count(CONNECT_MARK) != 1:
        fail(f"{path} must hold {LOADER_MARK} and {CONNECT_MARK} once each (index.html's CSP <meta>)")
    inline = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", html, re.S)
    if not inline:
        fail(f"no inline loader <script> in {path}: did trunk change how it starts the app?")
    hashes = " ".join(
        "'sha256-%s'" % base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode()
        for s in inline
    )
    extra = os.environ.get("CANARY_CSP_CONNECT_SRC", "").split()
    for origin in extra:
        if not SOURCE.match(origin):
            fail(f"CANARY_CSP_CONNECT_SRC: {origin!r} is not an origin like https://db.example.com or http://127.0.0.1:*")
    html = html.replace(LOADER_MARK, hashes).replace(CONNECT_MARK, " ".join(extra))
    with open(path, "w", encoding="utf-8") as f:
        f.write(html)
    print(f"csp-hook: {len(inline)} inline script(s) hashed; extra connect-src: {' '.join(extra) or '(none)'}")


if __name__ == "__main__":
    main()
