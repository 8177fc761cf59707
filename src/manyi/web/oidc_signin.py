"""Signing in with the bank's identity platform (MANYI_AUTH=oidc, docs/operations.md section 7):
`/signin/oidc` sends the browser to the provider with a fresh state, nonce and PKCE verifier
kept in the signed session; `/signin/oidc/callback` takes them out (so a callback works once),
checks the provider's answer (`org.adapters.oidc`) and signs the person in through the same
account rules as the directory's (`org.directory_sign_in.sign_in_verified`: groups to roles by
MANYI_OIDC_ROLE_MAP, the unit by a claim). Any failure shows the sign-in page with the reason;
nothing is signed in. The break-glass administrators (MANYI_OIDC_LOCAL_ADMINS) keep the form.

Signing out of manyi (`/signout`) after such a sign-in ends the session at the platform too
(`provider_logout`): a page sends the browser on to the platform's logout, which comes back to
`/signin`. The ID token goes along as `id_token_hint`, kept in the session for it unless it is
too big for the cookie (then the platform knows the session by its own cookie, and may ask).

When the platform ends a person's session there (they signed out elsewhere, or IT switched
them off), it can tell manyi at `/signin/oidc/backchannel-logout` (back-channel logout: a signed
logout token, form-posted by the platform's server): their manyi sessions end at once.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from manyi.config import Settings
from manyi.db import utcnow
from manyi.org import directory_sign_in
from manyi.org import sign_in as sign_in_service
from manyi.org.adapters.oidc import Client, OidcError, Pending
from manyi.org.directory_rules import DirectoryEntry, parse_role_map, parse_usernames
from manyi.org.passwords import LockoutPolicy
from manyi.web.i18n import request_language, translator
from manyi.web.security import MachineDenied, machine, public, sign_in_session
from manyi.web.shell import safe_next, signin_page_for
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("manyi.signin")
SESSION_KEY = "oidc"
CALLBACK = "/signin/oidc/callback"
BACKCHANNEL = "/signin/oidc/backchannel-logout"  # registered at the platform as manyi's
LOGOUT_KEY = "oidc_logout"  # in a session signed in at the platform: its ID token, or ""
# The signed session cookie must stay within browsers' 4 KB a cookie: a bigger ID token (one
# with hundreds of groups) is not kept, and the platform's logout goes without the hint.
MAX_HINT_CHARS = 1800


def _client(request: Request) -> Client:
    """One client per application: the provider's configuration and keys are cached in it."""
    settings: Settings = request.app.state.settings
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        base = settings.public_base_url or str(request.base_url)
        client = Client(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret.get_secret_value(),
            base.rstrip("/") + CALLBACK,
        )
        request.app.state.oidc_client = client
    return client


@router.get("/signin/oidc")
def start(request: Request, next: str = "/", _visitor: None = public(identify=False)) -> Response:
    settings: Settings = request.app.state.settings
    if settings.auth != "oidc":
        return RedirectResponse("/signin", status_code=303)
    try:
        url, pending = _client(request).begin(utcnow().timestamp())
    except OidcError as exc:
        return _refused(request, next, exc)
    request.session[SESSION_KEY] = {**pending.as_dict(), "next": safe_next(next)}
    return RedirectResponse(url, status_code=303)


@router.get(CALLBACK)
def callback(
    request: Request,
    state: str = "",
    code: str = "",
    error: str = "",
    _visitor: None = public(identify=False),
) -> Response:
    settings: Settings = request.app.state.settings
    if settings.auth != "oidc":
        return RedirectResponse("/signin", status_code=303)
    kept = request.session.pop(SESSION_KEY, None)  # used once, whatever comes of it
    pending = Pending.of(kept) if isinstance(kept, dict) and "state" in kept else None
    next = kept.get("next", "/") if isinstance(kept, dict) else "/"
    if error:
        return _refused(request, next, OidcError("provider_refused", error[:100]))
    try:
        claims, id_token = _client(request).verify(
            pending, state[:200], code[:2000], utcnow().timestamp()
        )
    except OidcError as exc:
        return _refused(request, next, exc)
    username = str(claims.get(settings.oidc_username_claim, ""))[:64]
    if username in parse_usernames(settings.oidc_local_admins):
        # A break-glass account signs in with its own password, never through the platform.
        return _refused(request, next, OidcError("break_glass_account", username))
    entry = DirectoryEntry(
        dn=str(claims["sub"]),
        display_name=str(claims.get(settings.oidc_name_claim) or username)[:100],
        unit_code=str(claims.get(settings.oidc_unit_claim) or "")[:32],
        groups=tuple(str(g) for g in _listed(claims.get(settings.oidc_groups_claim))),
    )
    client = request.client.host if request.client else ""
    try:
        staff = directory_sign_in.sign_in_verified(
            request.app.state.db,
            parse_role_map(settings.oidc_role_map, dn=False),
            LockoutPolicy(settings.lockout_threshold, settings.lockout_minutes),
            username,
            entry,
            via="oidc",
            client=client,
        )
    except sign_in_service.SignInError as exc:  # recorded
        _ = translator(request_language(request))
        return signin_page_for(request, next, exc.text(_), "", status_code=401)
    sign_in_session(request, staff)
    request.session[LOGOUT_KEY] = id_token if len(id_token) <= MAX_HINT_CHARS else ""
    return RedirectResponse(safe_next(next), status_code=303)


def provider_logout(request: Request, kept: object) -> Response | None:
    """After manyi's sign-out of a session signed in at the platform (`kept`: what the session
    held under LOGOUT_KEY), the page that takes the browser on to the platform's logout. None
    when there is nothing to end there, or the platform offers no logout or cannot say.

    A page rather than a redirect: browsers hold the redirect after a form's POST to the
    form-action of the page's CSP ('self'), and the platform is another origin."""
    settings: Settings = request.app.state.settings
    if settings.auth != "oidc" or not isinstance(kept, str):
        return None
    base = settings.public_base_url or str(request.base_url)
    try:
        url = _client(request).logout_url(kept, base.rstrip("/") + "/signin")
    except OidcError as exc:
        log.warning("the identity platform's logout is not known: %s", exc.reason)
        return None
    if url is None:
        return None
    return render(request, "oidc_signed_out.html", {"logout_url": url})


def from_the_platform(request: Request) -> None:
    """`machine`'s check for the platform's back-channel logout: only under MANYI_AUTH=oidc,
    and only a form post. The request's authority is the logout token in its body, whose
    signature `backchannel_logout` checks before anything changes."""
    settings: Settings = request.app.state.settings
    if settings.auth != "oidc":
        raise MachineDenied("back-channel logout refused: MANYI_AUTH is not oidc")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise MachineDenied(f"back-channel logout refused: a {kind[:40] or 'bodiless'} request")


@router.post(BACKCHANNEL)
def backchannel_logout(
    request: Request,
    logout_token: Annotated[str, Form(max_length=20_000)] = "",
    _platform: None = machine(from_the_platform),
) -> Response:
    """The platform ended a person's session: end theirs here (200), or say why not (400)."""
    headers = {"Cache-Control": "no-store"}
    try:
        subject = _client(request).logout_subject(logout_token, utcnow().timestamp())
    except OidcError as exc:
        log.warning("back-channel logout refused: %s", exc)
        body = {"error": "invalid_request", "error_description": exc.reason}
        return JSONResponse(body, status_code=400, headers=headers)
    who = directory_sign_in.end_sessions_at_platform(request.app.state.db, subject, utcnow())
    log.info("back-channel logout: %s", who or "no active account for that person")
    return Response(status_code=200, headers=headers)


def _listed(value: object) -> list[object]:
    if isinstance(value, list):
        return value[:200]
    return [value] if isinstance(value, str) and value else []


def _refused(request: Request, next: str, exc: OidcError) -> Response:
    log.warning("OpenID Connect sign-in refused: %s", exc.reason)
    _ = translator(request_language(request))
    message = _(
        "Signing in with the bank's identity platform did not complete ({reason}); try again."
    )
    return signin_page_for(request, next, message.format(reason=exc.reason), "", status_code=401)
