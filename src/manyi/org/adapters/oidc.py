"""OpenID Connect sign-in against the bank's identity platform: the authorization-code flow with
PKCE (RFC 7636), for staff (issue 24). An adapter: HTTP to the provider, no database, no web.

1. `discover(issuer)` reads the provider's `/.well-known/openid-configuration` and refuses one
   whose `issuer` is not the configured one (a mix-up) or that lacks an endpoint.
2. `begin(...)` makes the way out: a fresh `state` (binds the callback to this browser), a
   `nonce` (binds the ID token to this sign-in) and a PKCE verifier, and the authorization URL
   with the S256 challenge. The caller keeps the three in the user's signed session.
3. `finish(...)`, on the callback: the `state` must be the one kept (a replayed or forged
   callback finds none: the caller removes it when it is used, and it is valid for
   `STATE_TTL_S`); the code is exchanged at the token endpoint with the verifier and the client's
   secret; the ID token's signature is checked against the provider's JWKS (RS256 / ES256; a
   `kid` unknown to the cached set fetches the set once more: key rotation), then its `iss`,
   `aud` (the client id; with several audiences, `azp` must be the client), `exp`, `iat`
   (`LEEWAY_S` of clock skew) and `nonce`. Any failure raises `OidcError`, worded for the page
   and the log; nothing is signed in.
4. `logout_url(...)`, at manyi's sign-out: where the browser ends its session at the provider
   too (OpenID Connect RP-Initiated Logout 1.0: the provider's `end_session_endpoint` with
   `client_id`, `post_logout_redirect_uri` and, when kept, the ID token as `id_token_hint`);
   None when the provider offers no such endpoint.
5. `logout_subject(...)`, when the provider tells manyi that a person's session there ended
   (OpenID Connect Back-Channel Logout 1.0: a signed logout token POSTed to manyi): the token's
   signature, `iss`, `aud`, `iat` (at most `LOGOUT_TOKEN_MAX_AGE_S` old), the logout event, a
   `sub`, and no `nonce` (which would make it an ID token) are checked; the answer is the `sub`.

The provider's claims map to a staff account through the same rules as the directory
(`preferred_username`, `name`, a groups claim, a unit-code claim): that mapping is the sign-in
service's, not this adapter's.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

STATE_TTL_S: Final = 600  # a sign-in started more than 10 minutes ago is started again
LEEWAY_S: Final = 60  # clock skew allowed on exp / iat
TIMEOUT_S: Final = 10.0
ALGORITHMS: Final = ["RS256", "ES256"]
BACKCHANNEL_LOGOUT: Final = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_MAX_AGE_S: Final = 300  # an older logout token is refused (replayed, or held up)


class OidcError(Exception):
    """A sign-in the identity provider's answer does not support; `reason` is a short code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""  # RP-initiated logout; "" when the provider has none


@dataclass(frozen=True)
class Pending:
    """What the browser's session keeps between the way out and the callback."""

    state: str
    nonce: str
    verifier: str
    started: float  # epoch seconds

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "nonce": self.nonce, "verifier": self.verifier,
                "started": self.started}  # fmt: skip

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Pending:
        return cls(str(data["state"]), str(data["nonce"]), str(data["verifier"]),
                   float(data["started"]))  # fmt: skip


@dataclass
class Client:
    """One relying party: manyi's client registration at the provider."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid profile email"
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=TIMEOUT_S))
    _provider: Provider | None = None
    _keys: KeySet | None = None

    def discover(self) -> Provider:
        if self._provider is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            data = self._get_json(url)
            if data.get("issuer") != self.issuer:
                raise OidcError("issuer_mismatch", str(data.get("issuer", ""))[:200])
            try:
                self._provider = Provider(
                    self.issuer,
                    str(data["authorization_endpoint"]),
                    str(data["token_endpoint"]),
                    str(data["jwks_uri"]),
                    str(data.get("end_session_endpoint") or ""),
                )
            except KeyError as missing:
                raise OidcError("discovery_incomplete", str(missing)) from None
        return self._provider

    def begin(self, now: float | None = None) -> tuple[str, Pending]:
        """The authorization URL to send the browser to, and what to keep for the callback."""
        provider = self.discover()
        pending = Pending(
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
            time.time() if now is None else now,
        )
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
        return f"{provider.authorization_endpoint}?{urlencode(query)}", pending

    def finish(
        self,
        pending: Pending | None,
        state: str,
        code: str,
        now: float | None = None,
    ) -> dict[str, Any]:
        """The ID token's claims for the callback's `state` and `code`, all checked."""
        return self.verify(pending, state, code, now)[0]

    def verify(
        self,
        pending: Pending | None,
        state: str,
        code: str,
        now: float | None = None,
    ) -> tuple[dict[str, Any], str]:
        """`finish`, with the ID token itself (for the provider's logout: `logout_url`)."""
        now = time.time() if now is None else now
        if pending is None or not secrets.compare_digest(pending.state, state or ""):
            raise OidcError("state_mismatch")  # replayed, forged or from another browser
        if now - pending.started > STATE_TTL_S:
            raise OidcError("state_expired")
        if not code:
            raise OidcError("no_code")
        provider = self.discover()
        tokens = self._post_json(
            provider.token_endpoint,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": pending.verifier,
            },
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("no_id_token")
        return self._claims(id_token, pending.nonce, int(now)), id_token

    def logout_url(self, id_token_hint: str, return_to: str) -> str | None:
        """Where to send the browser to end its session at the provider, coming back to
        `return_to` (registered at the provider as a post-logout redirect URI); None when the
        provider offers no logout. `id_token_hint`: the ID token of the sign-in, or ""."""
        endpoint = self.discover().end_session_endpoint
        if not endpoint:
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": return_to}
        if id_token_hint:
            query["id_token_hint"] = id_token_hint
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)

    def logout_subject(self, logout_token: str, now: float | None = None) -> str:
        """The `sub` whose session the provider ended, from its back-channel logout token, all
        checked (the module); raises `OidcError`."""
        moment = int(time.time() if now is None else now)
        claims = self._signed(logout_token)
        self._validate(claims, moment)  # exp only when present: a logout token need not have one
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT), dict):
            raise OidcError("not_a_logout_token")
        if "nonce" in claims:  # an ID token passed off as a logout token
            raise OidcError("nonce_in_logout_token")
        if moment - int(claims["iat"]) > LOGOUT_TOKEN_MAX_AGE_S + LEEWAY_S:
            raise OidcError("stale_logout_token")
        self._check_azp(claims)
        return str(claims["sub"])

    def _signed(self, token_text: str) -> dict[str, Any]:
        """A token's claims once its signature holds against the provider's keys."""
        try:
            token = jwt.decode(token_text, self._key_set(), algorithms=ALGORITHMS)
        except JoseError as exc:
            if "kid" not in str(exc).lower() and "key" not in str(exc).lower():
                raise OidcError("bad_signature", str(exc)[:200]) from None
            self._keys = None  # a key rotated at the provider: fetch the set once more
            try:
                token = jwt.decode(token_text, self._key_set(), algorithms=ALGORITHMS)
            except JoseError as again:
                raise OidcError("bad_signature", str(again)[:200]) from None
        return dict(token.claims)

    def _validate(self, claims: dict[str, Any], now: int, **more: Any) -> None:
        """`iss` (the provider), `aud` (this client), `iat`, `sub`, and `more` claims' rules;
        `exp` whenever present (joserfc's registry checks it then). Raises `OidcError`."""
        registry = JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY_S,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            iat={"essential": True},
            sub={"essential": True},
            **more,
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise OidcError(_reason(exc), str(exc)[:200]) from None

    def _check_azp(self, claims: dict[str, Any]) -> None:
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OidcError("invalid_audience", "azp")

    def _claims(self, id_token: str, nonce: str, now: int) -> dict[str, Any]:
        claims = self._signed(id_token)
        self._validate(
            claims, now, exp={"essential": True}, nonce={"essential": True, "value": nonce}
        )
        self._check_azp(claims)
        return claims

    def _key_set(self) -> KeySet:
        if self._keys is None:
            provider = self.discover()
            try:
                self._keys = KeySet.import_key_set(self._get_json(provider.jwks_uri))  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError) as exc:
                raise OidcError("bad_jwks", str(exc)[:200]) from None
        return self._keys

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = self.http.get(url)
            answer.raise_for_status()
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError("provider_unreachable", f"{url}: {exc}"[:300]) from None
        if not isinstance(data, dict):
            raise OidcError("provider_answer", url)
        return data

    def _post_json(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        try:
            answer = self.http.post(url, data=form, auth=(self.client_id, self.client_secret))
        except httpx.HTTPError as exc:
            raise OidcError("provider_unreachable", f"{url}: {exc}"[:300]) from None
        if answer.status_code != 200:
            raise OidcError("token_refused", answer.text[:200])
        try:
            data = answer.json()
        except ValueError:
            raise OidcError("provider_answer", url) from None
        if not isinstance(data, dict):
            raise OidcError("provider_answer", url)
        return data


def challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2), by Authlib."""
    return str(create_s256_code_challenge(verifier))


def _reason(exc: JoseError) -> str:
    text = f"{type(exc).__name__} {exc}".lower()
    if "expired" in text:
        return "expired_token"
    for claim in ("aud", "iss", "nonce", "iat", "sub"):
        if f"'{claim}'" in text:
            return f"invalid_{'audience' if claim == 'aud' else claim}"
    return "invalid_claims"
