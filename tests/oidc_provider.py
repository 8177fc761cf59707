"""An OpenID Connect provider the tests start: a real HTTP server on a free localhost port that
speaks the protocol manyi's client uses — discovery, a JWKS, the authorization endpoint (it signs
in the user named by `login_hint` at once: the provider's own sign-in screen is not what is
tested), the token endpoint (client secret by HTTP Basic, the PKCE verifier checked against the
challenge) and RS256-signed ID tokens.

It also ends sessions (RP-initiated logout): `/logout` checks the `id_token_hint` (its own
signature, issued to the client named), takes the browser back only to a registered
`post_logout_redirect_uri` (`return_uris`), and records whose session ended (`logouts`).

`logout_token(username)` makes the signed logout token its server would post to manyi when
that person's session ends at the provider (back-channel logout).

Knobs for the unhappy paths: `audience` (issue tokens for another client), `clock_offset_s`
(issue tokens from another time: expired ones), `rotate()` (a new signing key), `offers_logout`
(a provider without an `end_session_endpoint`), `signs_in` (whom a browser's visit signs in,
when it sends no `login_hint`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from manyi.db import utcnow

BACKCHANNEL_LOGOUT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class Person:
    username: str
    name: str
    groups: list[str] = field(default_factory=list)
    unit: str = ""


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    person: Person


class Provider:
    def __init__(self, client_id: str, client_secret: str, people: list[Person]) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.people = {p.username: p for p in people}
        self.audience: str | None = None
        self.clock_offset_s = 0
        self.key = self._new_key()
        self.grants: dict[str, Grant] = {}
        self.offers_logout = True
        self.return_uris: set[str] = set()  # registered post-logout redirect URIs
        self.logouts: list[str] = []  # the `sub` of each session ended by a hint
        self.signs_in: str = ""  # who the provider's own sign-in screen signs in (no login_hint)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def rotate(self) -> None:
        self.key = self._new_key()

    @staticmethod
    def _new_key() -> RSAKey:
        kid = secrets.token_hex(4)
        return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"}, private=True)

    def id_token(self, grant: Grant) -> str:
        now = int(utcnow().timestamp()) + self.clock_offset_s  # manyi's clock, as its pages
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"sub-{grant.person.username}",
            "aud": self.audience or grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "preferred_username": grant.person.username,
            "name": grant.person.name,
            "groups": grant.person.groups,
            "unit": grant.person.unit,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    def logout_token(self, username: str, **changes: Any) -> str:
        """A back-channel logout token ending `username`'s session, as the provider's server
        posts one; `changes` replace claims (None removes one), for the unhappy paths."""
        now = int(utcnow().timestamp()) + self.clock_offset_s
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"sub-{username}",
            "aud": self.audience or self.client_id,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_hex(8),
            "sid": secrets.token_hex(8),
            "events": {BACKCHANNEL_LOGOUT: {}},
        }
        claims.update(changes)
        kept = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, kept, self.key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:  # quiet
                return

            def _json(self, status: int, data: object) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    base = provider.issuer
                    self._json(200, {
                        "issuer": base, "authorization_endpoint": f"{base}/authorize",
                        "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
                        "response_types_supported": ["code"],
                        "code_challenge_methods_supported": ["S256"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        **({"end_session_endpoint": f"{base}/logout"}
                           if provider.offers_logout else {}),
                    })  # fmt: skip
                elif url.path == "/jwks":
                    self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    self._authorize(parse_qs(url.query))
                elif url.path == "/logout" and provider.offers_logout:
                    self._logout(parse_qs(url.query))
                else:
                    self._json(404, {"error": "not_found"})

            def _authorize(self, query: dict[str, list[str]]) -> None:
                one = {k: v[0] for k, v in query.items()}
                person = provider.people.get(one.get("login_hint", provider.signs_in))
                if (
                    one.get("client_id") != provider.client_id
                    or one.get("code_challenge_method") != "S256"
                    or person is None
                ):
                    self._json(400, {"error": "invalid_request"})
                    return
                code = secrets.token_urlsafe(16)
                provider.grants[code] = Grant(
                    one["client_id"], one["redirect_uri"], one.get("nonce", ""),
                    one.get("code_challenge", ""), person,
                )  # fmt: skip
                target = (
                    one["redirect_uri"] + "?" + urlencode({"code": code, "state": one["state"]})
                )
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()

            def _logout(self, query: dict[str, list[str]]) -> None:
                one = {k: v[0] for k, v in query.items()}
                back = one.get("post_logout_redirect_uri", "")
                if one.get("client_id") != provider.client_id or back not in provider.return_uris:
                    self._json(400, {"error": "invalid_request"})
                    return
                if "id_token_hint" in one:
                    try:  # an expired hint is still a hint; a forged one is not
                        token = jwt.decode(one["id_token_hint"], provider.key)
                    except (JoseError, ValueError):
                        self._json(400, {"error": "invalid_id_token_hint"})
                        return
                    if token.claims.get("aud") != provider.client_id:
                        self._json(400, {"error": "invalid_id_token_hint"})
                        return
                    provider.logouts.append(str(token.claims["sub"]))
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = base64.b64decode(self.headers.get("Authorization", " ")[6:] or b"")
                client, _, secret = basic.decode(errors="replace").partition(":")
                grant = provider.grants.pop(form.get("code", ""), None)  # a code works once
                verifier = form.get("code_verifier", "").encode()
                expected = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
                if (client, secret) != (provider.client_id, provider.client_secret):
                    self._json(401, {"error": "invalid_client"})
                elif (
                    grant is None
                    or grant.redirect_uri != form.get("redirect_uri")
                    or expected.decode() != grant.challenge
                ):
                    self._json(400, {"error": "invalid_grant"})
                else:
                    self._json(200, {"access_token": secrets.token_urlsafe(16),
                                     "token_type": "Bearer", "expires_in": 300,
                                     "id_token": provider.id_token(grant)})  # fmt: skip

        return Handler
