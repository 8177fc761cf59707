"""Pages every user meets: sign-in, sign-out, home, password, language, health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from manyi.config import Settings
from manyi.config_auth import ldap_config
from manyi.db import Session
from manyi.errors import ManyiError
from manyi.org import directory_sign_in
from manyi.org import sign_in as sign_in_service
from manyi.org import staff as staff_service
from manyi.org.adapters.ldap import LdapDirectory
from manyi.org.directory_rules import DirectoryUnavailable, parse_role_map, parse_usernames
from manyi.org.passwords import LockoutPolicy
from manyi.org.tables import Staff
from manyi.web.i18n import LANG_COOKIE, LANGUAGES, request_language, translator
from manyi.web.security import (
    DbSession,
    Principal,
    public,
    require,
    sign_in_session,
)
from manyi.web.templating import PURPOSES, navigation_for, render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def signin_page_for(
    request: Request, next: str, error: str | None, username: str, status_code: int = 200
) -> Response:
    # `auth`: the way this bank signs in (MANYI_AUTH), which the page says.
    return render(
        request,
        "signin.html",
        {
            "next": safe_next(next),
            "error": error,
            "username": username,
            "auth": request.app.state.settings.auth,
        },
        status_code=status_code,
    )


def _directory(settings: Settings, policy: LockoutPolicy) -> directory_sign_in.DirectorySignIn:
    return directory_sign_in.DirectorySignIn(
        directory=LdapDirectory(ldap_config(settings)),
        role_map=parse_role_map(settings.ldap_role_map),
        local_admins=parse_usernames(settings.ldap_local_admins),
        policy=policy,
    )


@router.get("/signin")
def signin_page(request: Request, next: str = "/", staff: Staff | None = public()) -> Response:
    if staff is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return signin_page_for(request, next, None, "")


@router.post("/signin")
def signin(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    _visitor: None = public(identify=False),
) -> Response:
    settings = request.app.state.settings
    policy = LockoutPolicy(settings.lockout_threshold, settings.lockout_minutes)
    client = request.client.host if request.client else ""
    _ = translator(request_language(request))
    if not username.strip() or not password:
        return signin_page_for(
            request, next, _("Enter your username and password."), username, status_code=400
        )
    db = request.app.state.db
    try:
        # Its own units of work: the password is checked with no transaction open.
        if settings.auth == "ldap":
            how = _directory(settings, policy)
            staff = directory_sign_in.sign_in_with_directory(
                db, how, username, password, client=client
            )
        else:
            staff = sign_in_service.sign_in(db, username, password, policy, client=client)
    except sign_in_service.SignInError as exc:  # the failed attempt is recorded
        return signin_page_for(request, next, exc.text(_), username, status_code=401)
    except DirectoryUnavailable as exc:  # nothing recorded: the directory could not say
        return signin_page_for(request, next, exc.text(_), username, status_code=503)
    sign_in_session(request, staff)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/signout")
def signout(
    request: Request, principal: Principal = require(), session: Session = DbSession
) -> Response:
    from manyi.web import oidc_signin  # which imports this module

    staff = session.get(Staff, principal.id)
    if staff is not None:
        staff_service.record_sign_out(session, staff)
    kept = request.session.get(oidc_signin.LOGOUT_KEY)
    request.session.clear()
    # Signed in at the bank's identity platform: signed out there too.
    at_platform = oidc_signin.provider_logout(request, kept)
    return at_platform or RedirectResponse("/signin", status_code=303)


@router.get("/")
def home(request: Request, principal: Principal = require()) -> Response:
    shortcuts = [item for item in navigation_for(principal) if item.key not in ("home",)]
    has_work = any(item.permission is not None for item in shortcuts)
    return render(
        request,
        "home.html",
        {
            "roles": principal.roles,
            "shortcuts": shortcuts,
            "purposes": PURPOSES,
            "has_work": has_work,
        },
    )


def _directory_password(request: Request, principal: Principal) -> bool:
    """Under MANYI_AUTH=ldap a password is the directory's, but for break-glass accounts."""
    settings = request.app.state.settings
    local = parse_usernames(settings.ldap_local_admins)
    return bool(settings.auth == "ldap" and principal.username not in local)


@router.get("/account/password")
def password_page(request: Request, principal: Principal = require()) -> Response:
    return render(
        request,
        "password.html",
        {
            "error": None,
            "field": "",
            "done": False,
            "directory_password": _directory_password(request, principal),
        },
    )


@router.post("/account/password")
def change_password(
    request: Request,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
    principal: Principal = require(),
) -> Response:
    _ = translator(request_language(request))
    if _directory_password(request, principal):
        return render(
            request,
            "password.html",
            {"error": None, "field": "", "done": False, "directory_password": True},
            status_code=409,
        )
    try:
        staff = sign_in_service.change_own_password(
            request.app.state.db, principal.id, current_password, new_password, confirm_password
        )
    except ManyiError as exc:
        return render(
            request,
            "password.html",
            {"error": exc.text(_), "field": exc.field, "done": False},
            status_code=exc.status_code,
        )
    # Other sessions end; this one carries on with the new epoch.
    sign_in_session(request, staff)
    return render(request, "password.html", {"error": None, "field": "", "done": True})


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/", _visitor: Staff | None = public()) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response


@router.get("/healthz", include_in_schema=True)
def healthz(request: Request, _visitor: None = public(identify=False)) -> Response:
    from manyi import __version__
    from manyi.web.app import RETRY_AFTER_S

    ok = request.app.state.db.ping()
    return JSONResponse(
        {
            "status": "ok" if ok else "degraded",
            "database": "reachable" if ok else "unreachable",
            "version": __version__,
        },
        status_code=200 if ok else 503,
        headers=None if ok else {"Retry-After": str(RETRY_AFTER_S)},
    )
