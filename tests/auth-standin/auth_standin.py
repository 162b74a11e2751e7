#!/usr/bin/env python3
"""A STAND-IN for Supabase Auth (GoTrue) on loopback, for tests only.

Supabase Auth itself is not in any package registry the test machine reaches, so the tests talk
to this: the smallest honest imitation of the endpoints Canary Console calls, with request and
answer shapes taken from Supabase Auth's OpenAPI description (github.com/supabase/auth,
openapi.yaml: AccessTokenResponseSchema, ErrorSchema, plus the `error_code` newer servers send).
It is NOT Supabase Auth: no email is sent, OAuth providers are not contacted, one process holds
everything in memory.

  POST /auth/v1/token?grant_type=password       {email, password}
  POST /auth/v1/token?grant_type=refresh_token  {refresh_token}   single-use, rotating
  POST /auth/v1/token?grant_type=pkce           {auth_code, code_verifier}   S256 checked
  POST /auth/v1/otp?redirect_to=…               {email, create_user, code_challenge?,
                                                 code_challenge_method?}  (rate limited per email)
  POST /auth/v1/verify                          {type: "email", email, token}
  GET  /auth/v1/verify?token=…&type=magiclink&redirect_to=…   the emailed link: redirects to
       redirect_to?code=… (PKCE, when /otp had a challenge), else to redirect_to#access_token=…
       (implicit flow); a used or unknown link to redirect_to with error=access_denied&
       error_code=otp_expired (in the query for a PKCE link, whose token starts with pkce_, else in the fragment)
  GET  /auth/v1/authorize?provider=…&redirect_to=…&code_challenge=…&code_challenge_method=s256
       signs the OAuth test user in at once and redirects to redirect_to?code=…
  POST /auth/v1/logout                          Authorization: Bearer <access token>
Every /auth/v1 endpoint but /authorize (a browser navigation) requires the `apikey` header.
Test-only: GET /standin/codes?email=… (the last emailed code), GET /standin/links?email=… (the
path of the last emailed link, as the email would carry it), GET /standin/stats.

Access tokens are HS256 JWTs signed with CANARY_SUPABASE_JWT_SECRET, the secret PostgREST
verifies, so a session from here reads through the local PostgREST exactly as a real one would.
Users (the ids are those scripts/supabase-local.sh puts in auth.users):
  oncall@example.com / canary-oncall-password       a team member (also the OAuth test user)
  outsider@example.com / canary-outsider-password   signed up, not a member
  unconfirmed@example.com / canary-unconfirmed-pw   email never confirmed
  viewer@example.com / canary-viewer-password       a team member with the role viewer
  lead@example.com / canary-lead-password           a second team member with the role approver
Unknown emails: sign-ups are closed (as README recommends).

  python3 tests/auth-standin/auth_standin.py --port 0 --access-token-lifetime 3600
prints "listening on PORT" once ready.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

USERS = {
    "oncall@example.com": ("00000000-0000-4000-8000-000000000001", "canary-oncall-password", True),
    "outsider@example.com": ("00000000-0000-4000-8000-000000000002", "canary-outsider-password", True),
    "unconfirmed@example.com": ("00000000-0000-4000-8000-000000000004", "canary-unconfirmed-pw", False),
    "viewer@example.com": ("00000000-0000-4000-8000-000000000005", "canary-viewer-password", True),
    "lead@example.com": ("00000000-0000-4000-8000-000000000006", "canary-lead-password", True),
}
OAUTH_USER = "oncall@example.com"
OTP_INTERVAL_S = 5  # one code per email per this many seconds (GoTrue's default is 60)

LOCK = threading.Lock()
STATE = {
    "refresh": {},  # refresh token -> {"session": id, "email": e, "used": bool}
    "sessions": set(),  # live session ids
    "codes": {},  # email -> (code, sent_at)
    "links": {},  # link token -> (email, challenge or None, redirect_to)
    "last_link": {},  # email -> link path
    "flows": {},  # auth code -> (challenge, email)
    "stats": {"refresh_ok": 0, "refresh_reused": 0, "password": 0, "otp_sent": 0, "verify": 0, "pkce": 0, "logout": 0},
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(secret, claims):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def jwt_claims(secret, token):
    try:
        head, body, sig = token.split(".")
        want = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(b64url(want), sig):
            return None
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None


class Handler(BaseHTTPRequestHandler):
    server_version = "canary-auth-standin"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("auth-standin: " + fmt % args + "\n")

    # --- answers -------------------------------------------------------------------------

    def cors(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "apikey, authorization, content-type, x-client-info")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")

    def answer(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.cors()
        for k, v in headers:
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, error_code, msg):
        self.answer(status, {"code": status, "error_code": error_code, "msg": msg})

    def session(self, email):
        user_id, _, _ = USERS[email]
        now = int(time.time())
        life = self.server.lifetime
        session_id = str(uuid.uuid4())
        refresh = secrets.token_urlsafe(16)
        with LOCK:
            STATE["sessions"].add(session_id)
            STATE["refresh"][refresh] = {"session": session_id, "email": email, "used": False}
        return self.session_answer(email, session_id, refresh, now, life)

    def session_answer(self, email, session_id, refresh, now, life):
        user_id, _, _ = USERS[email]
        claims = {
            "aud": "authenticated", "exp": now + life, "iat": now, "iss": "canary-auth-standin",
            "sub": user_id, "email": email, "role": "authenticated", "is_anonymous": False,
            "session_id": session_id, "aal": "aal1",
        }
        return {
            "access_token": jwt(self.server.secret, claims),
            "token_type": "bearer",
            "expires_in": life,
            "expires_at": now + life,
            "refresh_token": refresh,
            "user": {"id": user_id, "aud": "authenticated", "role": "authenticated", "email": email,
                     "email_confirmed_at": "2025-10-01T00:00:00Z", "is_anonymous": False,
                     "app_metadata": {"provider": "email"}, "user_metadata": {}},
        }

    # --- requests ------------------------------------------------------------------------

    def do_OPTIONS(self):
        self.send_response(204)
        self.cors()
        self.send_header("Content-Length", "0")
        self.end_headers()

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def has_key(self):
        if self.headers.get("apikey") == self.server.apikey or self.headers.get("apikey") in self.server.extra_keys:
            return True
        if not self.headers.get("apikey"):
            self.answer(401, {"message": "No API key found in request", "hint": "No `apikey` request header or url param was found."})
        else:
            self.answer(401, {"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."})
        return False

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/standin/codes":
            with LOCK:
                code = STATE["codes"].get(query.get("email", ""), (None, 0))[0]
            return self.answer(200, {"code": code}) if code else self.answer(404, {"msg": "no code sent"})
        if url.path == "/standin/links":
            with LOCK:
                path = STATE["last_link"].get(query.get("email", ""))
            return self.answer(200, {"path": path}) if path else self.answer(404, {"msg": "no link sent"})
        if url.path == "/auth/v1/verify":
            return self.verify_link(query)
        if url.path == "/standin/stats":
            with LOCK:
                return self.answer(200, dict(STATE["stats"]))
        if url.path == "/auth/v1/authorize":
            redirect = query.get("redirect_to", "")
            challenge = query.get("code_challenge", "")
            if query.get("provider") != "github":
                return self.error(400, "validation_failed", "Unsupported provider: provider is not enabled")
            if query.get("code_challenge_method", "").lower() != "s256" or not challenge or not redirect:
                return self.error(400, "validation_failed", "PKCE flow requires code_challenge, code_challenge_method=s256 and redirect_to")
            code = str(uuid.uuid4())
            with LOCK:
                STATE["flows"][code] = (challenge, OAUTH_USER)
            sep = "&" if "?" in redirect else "?"
            self.send_response(302)
            self.send_header("Location", f"{redirect}{sep}{urlencode({'code': code})}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self.error(404, "not_found", "not found")

    def do_POST(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if not url.path.startswith("/auth/v1/"):
            return self.error(404, "not_found", "not found")
        if not self.has_key():
            return None
        body = self.read_json()
        if body is None:
            return self.error(400, "bad_json", "Could not parse request body as JSON")
        path = url.path[len("/auth/v1/"):]
        self.query = query
        if path == "token":
            grant = query.get("grant_type")
            if grant == "password":
                return self.password(body)
            if grant == "refresh_token":
                return self.refresh(body)
            if grant == "pkce":
                return self.pkce(body)
            return self.error(400, "validation_failed", "unsupported_grant_type")
        if path == "otp":
            return self.otp(body)
        if path == "verify":
            return self.verify(body)
        if path == "logout":
            return self.logout()
        return self.error(404, "not_found", "not found")

    def password(self, body):
        email = str(body.get("email", "")).strip().lower()
        user = USERS.get(email)
        if not user or body.get("password") != user[1]:
            return self.error(400, "invalid_credentials", "Invalid login credentials")
        if not user[2]:
            return self.error(400, "email_not_confirmed", "Email not confirmed")
        with LOCK:
            STATE["stats"]["password"] += 1
        return self.answer(200, self.session(email))

    def refresh(self, body):
        token = str(body.get("refresh_token", ""))
        with LOCK:
            entry = STATE["refresh"].get(token)
            if entry is None or entry["session"] not in STATE["sessions"]:
                return self.error(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
            if entry["used"]:
                # Reuse of a spent token: the whole session is revoked, as GoTrue does.
                STATE["sessions"].discard(entry["session"])
                STATE["stats"]["refresh_reused"] += 1
                return self.error(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")
            entry["used"] = True
            refresh = secrets.token_urlsafe(16)
            STATE["refresh"][refresh] = {"session": entry["session"], "email": entry["email"], "used": False}
            STATE["stats"]["refresh_ok"] += 1
        answer = self.session_answer(entry["email"], entry["session"], refresh, int(time.time()), self.server.lifetime)
        return self.answer(200, answer)

    def pkce(self, body):
        code = str(body.get("auth_code", ""))
        verifier = str(body.get("code_verifier", ""))
        with LOCK:
            flow = STATE["flows"].pop(code, None)
        if flow is None:
            return self.error(404, "flow_state_not_found", "invalid flow state, no valid flow state found")
        challenge, email = flow
        if b64url(hashlib.sha256(verifier.encode()).digest()) != challenge:
            return self.error(400, "bad_code_verifier", "code challenge does not match previously saved code verifier")
        with LOCK:
            STATE["stats"]["pkce"] += 1
        return self.answer(200, self.session(email))

    def otp(self, body):
        email = str(body.get("email", "")).strip().lower()
        if email not in USERS:
            if body.get("create_user", True):
                return self.error(422, "signup_disabled", "Signups not allowed for this instance")
            return self.error(422, "otp_disabled", "Signups not allowed for otp")
        now = time.time()
        with LOCK:
            _, sent_at = STATE["codes"].get(email, (None, 0))
            if now - sent_at < OTP_INTERVAL_S:
                return self.error(429, "over_email_send_rate_limit",
                                  f"For security purposes, you can only request this after {OTP_INTERVAL_S} seconds.")
            STATE["codes"][email] = (f"{secrets.randbelow(10**6):06d}", now)
            STATE["stats"]["otp_sent"] += 1
            challenge = body.get("code_challenge") or None
            if challenge and str(body.get("code_challenge_method", "")).lower() != "s256":
                return self.error(400, "validation_failed", "code_challenge_method must be s256")
            # As GoTrue marks them: a PKCE link's token starts with pkce_.
            token = ("pkce_" if challenge else "") + secrets.token_hex(28)
            redirect = self.query.get("redirect_to", "")
            STATE["links"][token] = (email, challenge, redirect)
            STATE["last_link"][email] = "/auth/v1/verify?" + urlencode(
                {"token": token, "type": "magiclink", "redirect_to": redirect})
        return self.answer(200, {})

    def redirect(self, location):
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def verify_link(self, query):
        """The emailed link, opened in the browser: single-use, like GoTrue's."""
        with LOCK:
            link = STATE["links"].pop(query.get("token", ""), None)
        redirect = link[2] if link else query.get("redirect_to", "")
        if not redirect:
            return self.error(400, "validation_failed", "redirect_to is required")
        sep = "&" if "?" in redirect else "?"
        if link is None or query.get("type") != "magiclink":
            error = urlencode({"error": "access_denied", "error_code": "otp_expired",
                               "error_description": "Email link is invalid or has expired"})
            pkce = query.get("token", "").startswith("pkce_")
            return self.redirect(f"{redirect}{sep}{error}" if pkce else f"{redirect}#{error}")
        email, challenge, _ = link
        with LOCK:
            STATE["stats"]["verify"] += 1
        if challenge:
            code = str(uuid.uuid4())
            with LOCK:
                STATE["flows"][code] = (challenge, email)
            return self.redirect(f"{redirect}{sep}{urlencode({'code': code})}")
        answer = self.session(email)
        fragment = urlencode({
            "access_token": answer["access_token"], "expires_at": answer["expires_at"],
            "expires_in": answer["expires_in"], "refresh_token": answer["refresh_token"],
            "token_type": "bearer", "type": "magiclink"})
        return self.redirect(f"{redirect}#{fragment}")

    def verify(self, body):
        email = str(body.get("email", "")).strip().lower()
        with LOCK:
            code, _ = STATE["codes"].get(email, (None, 0))
            ok = body.get("type") in ("email", "magiclink") and code is not None and body.get("token") == code
            if ok:
                STATE["codes"][email] = (None, STATE["codes"][email][1])
                STATE["stats"]["verify"] += 1
        if not ok:
            return self.error(403, "otp_expired", "Token has expired or is invalid")
        return self.answer(200, self.session(email))

    def logout(self):
        auth = self.headers.get("Authorization", "")
        claims = jwt_claims(self.server.secret, auth[len("Bearer "):]) if auth.startswith("Bearer ") else None
        if not claims or "session_id" not in claims:
            return self.error(401, "no_authorization", "This endpoint requires a valid Bearer token")
        with LOCK:
            STATE["sessions"].discard(claims["session_id"])
            STATE["stats"]["logout"] += 1
        return self.answer(204)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-token-lifetime", type=int, default=3600, help="seconds")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    secret = os.environ.get("CANARY_SUPABASE_JWT_SECRET")
    apikey = os.environ.get("CANARY_SUPABASE_ANON_KEY")
    if not secret or not apikey:
        sys.exit("auth-standin: CANARY_SUPABASE_JWT_SECRET and CANARY_SUPABASE_ANON_KEY must be set (scripts/supabase-local.sh sets both)")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.secret = secret.encode()
    server.apikey = apikey
    server.extra_keys = {k for k in [os.environ.get("CANARY_SUPABASE_PUBLISHABLE_KEY")] if k}
    server.lifetime = args.access_token_lifetime
    server.verbose = args.verbose
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
