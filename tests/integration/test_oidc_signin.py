"""Signing in with the bank's identity platform (MANYI_AUTH=oidc) through the pages, against a
real OpenID Connect provider the test starts: the account created from the ID token's claims
(groups to roles, the unit by a claim) and updated at the next sign-in; a callback replayed, a
token for another client, an expired token and a person the bank's units do not know are all
refused, nobody is signed in and nothing is stored."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.org.tables import Staff
from tests.conftest import PASSWORD, Bank
from tests.oidc_provider import Person, Provider
from tests.web_helpers import csrf_of, make_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ROLE_MAP = "manyi-lobby=lobby_manager; manyi-tellers=teller"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    people = [
        Person("li.jing", "李静", ["manyi-lobby"], "OUT-A"),
        Person("nobody.unit", "无网点", ["manyi-tellers"], "NO-SUCH"),
    ]
    with Provider("manyi", "s3cret", people) as started:
        yield started


@pytest.fixture
def browser(db: Database, bank: Bank, provider: Provider) -> TestClient:
    provider.audience, provider.clock_offset_s = None, 0
    provider.people["li.jing"].groups = ["manyi-lobby"]
    return make_client(
        db,
        auth="oidc",
        oidc_issuer=provider.issuer,
        oidc_client_id="manyi",
        oidc_client_secret="s3cret",
        oidc_role_map=ROLE_MAP,
    )


def round_trip(browser: TestClient, who: str, next: str = "/") -> str:
    """To the provider and back; the callback's path and query (not yet followed)."""
    out = browser.get(f"/signin/oidc?next={next}")
    assert out.status_code == 303, out.text
    at_provider = httpx.get(out.headers["location"] + f"&login_hint={who}")
    assert at_provider.status_code == 302
    back = urlparse(at_provider.headers["location"])
    assert back.path == "/signin/oidc/callback"
    return f"{back.path}?{back.query}"


def staff(db: Database, username: str) -> Staff | None:
    with db.read() as session:
        return session.scalar(select(Staff).where(Staff.username == username))


def test_the_platform_signs_a_person_in_and_keeps_the_account(
    browser: TestClient, db: Database, provider: Provider
) -> None:
    assert 'data-auth="oidc"' in browser.get("/signin").text
    done = browser.get(round_trip(browser, "li.jing", "/lobby/dashboard"))
    assert done.status_code == 303 and done.headers["location"] == "/lobby/dashboard"
    assert "李静" in browser.get("/").text
    person = staff(db, "li.jing")
    assert person is not None and person.display_name == "李静"
    assert [r.value for r in person.roles] == ["lobby_manager"]
    with db.read() as session:
        signed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.signed_in")
        ).all()
    assert any(json.loads(e.summary).get("via") == "oidc" for e in signed)

    provider.people["li.jing"].groups = ["manyi-tellers"]  # moved by the bank
    again = make_client(db, auth="oidc", oidc_issuer=provider.issuer, oidc_client_id="manyi",
                        oidc_client_secret="s3cret", oidc_role_map=ROLE_MAP)  # fmt: skip
    assert again.get(round_trip(again, "li.jing")).status_code == 303
    person = staff(db, "li.jing")
    assert person is not None and [r.value for r in person.roles] == ["teller"]


def test_a_replayed_callback_a_foreign_or_expired_token_sign_nobody_in(
    browser: TestClient, db: Database, provider: Provider
) -> None:
    callback = round_trip(browser, "li.jing")
    assert browser.get(callback).status_code == 303
    thief = make_client(db, auth="oidc", oidc_issuer=provider.issuer, oidc_client_id="manyi",
                        oidc_client_secret="s3cret", oidc_role_map=ROLE_MAP)  # fmt: skip
    replayed = thief.get(callback)
    assert replayed.status_code == 401 and "state_mismatch" in replayed.text
    assert thief.get("/", follow_redirects=False).status_code == 303  # to sign-in

    provider.audience = "another-app"
    foreign = thief.get(round_trip(thief, "li.jing"))
    assert foreign.status_code == 401 and "invalid_audience" in foreign.text
    provider.audience, provider.clock_offset_s = None, -3600
    expired = thief.get(round_trip(thief, "li.jing"))
    assert expired.status_code == 401 and "expired_token" in expired.text
    assert thief.get("/", follow_redirects=False).status_code == 303


def test_a_person_of_no_known_unit_is_refused_and_nothing_stored(
    browser: TestClient, db: Database
) -> None:
    refused = browser.get(round_trip(browser, "nobody.unit"))
    assert refused.status_code == 401 and "NO-SUCH" in refused.text
    assert staff(db, "nobody.unit") is None


def sign_out(browser: TestClient) -> httpx.Response:
    token = csrf_of(browser, "/")
    return browser.post("/signout", data={"csrf_token": token})


def test_signing_out_ends_the_session_at_the_platform_too(
    browser: TestClient, provider: Provider
) -> None:
    provider.return_uris = {"http://testserver/signin"}
    provider.logouts.clear()
    assert browser.get(round_trip(browser, "li.jing")).status_code == 303
    page = sign_out(browser)
    # A page that goes on to the platform (a redirect after the form's POST would be held by
    # the CSP's form-action 'self'); manyi's session is over already.
    assert page.status_code == 200 and "正在退出行内统一身份认证平台" in page.text
    assert browser.get("/").status_code == 303
    link = re.search(r'href="([^"]+)" data-testid="oidc-logout"', page.text)
    assert link is not None and link.group(1)
    url = html.unescape(link.group(1))
    assert f'content="0;url={link.group(1)}"' in page.text  # on its own, without a click
    query = parse_qs(urlparse(url).query)
    assert url.startswith(f"{provider.issuer}/logout?")
    assert query["client_id"] == ["manyi"]
    assert query["post_logout_redirect_uri"] == ["http://testserver/signin"]
    at_provider = httpx.get(url)
    assert at_provider.status_code == 302
    assert at_provider.headers["location"] == "http://testserver/signin"
    assert provider.logouts == ["sub-li.jing"]  # the hint named the person


def test_without_a_platform_logout_signing_out_goes_to_the_sign_in_page(
    browser: TestClient, provider: Provider
) -> None:
    provider.offers_logout = False
    try:
        assert browser.get(round_trip(browser, "li.jing")).status_code == 303
        out = sign_out(browser)
    finally:
        provider.offers_logout = True
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert browser.get("/").status_code == 303


def test_a_local_sign_in_signs_out_of_manyi_only(
    db: Database, bank: Bank, provider: Provider
) -> None:
    # The break-glass form (or any session not signed in at the platform) has nothing there.
    browser = make_client(db, auth="oidc", oidc_issuer=provider.issuer, oidc_client_id="manyi",
                          oidc_client_secret="s3cret", oidc_role_map=ROLE_MAP,
                          oidc_local_admins="admin")  # fmt: skip
    token = csrf_of(browser, "/signin")
    signed = browser.post(
        "/signin", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 303, signed.text
    out = sign_out(browser)
    assert out.status_code == 303 and out.headers["location"] == "/signin"


def test_an_id_token_too_big_for_the_cookie_signs_out_without_the_hint(
    browser: TestClient, provider: Provider
) -> None:
    provider.return_uris = {"http://testserver/signin"}
    provider.logouts.clear()
    provider.people["li.jing"].groups = [
        "manyi-lobby",
        *(f"bank-group-{i:03d}" for i in range(150)),
    ]
    assert browser.get(round_trip(browser, "li.jing")).status_code == 303
    assert len(browser.cookies.get("manyi_session") or "") < 4000  # the browser keeps it
    page = sign_out(browser)
    link = re.search(r'href="([^"]+)" data-testid="oidc-logout"', page.text)
    assert page.status_code == 200 and link is not None
    query = parse_qs(urlparse(html.unescape(link.group(1))).query)
    assert "id_token_hint" not in query and query["client_id"] == ["manyi"]
    assert httpx.get(html.unescape(link.group(1))).status_code == 302
    assert provider.logouts == []  # the platform knows the session by its own cookie
