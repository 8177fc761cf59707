"""The identity platform ending a person's session tells manyi (OpenID Connect Back-Channel
Logout, MANYI_AUTH=oidc): a signed logout token form-posted to /signin/oidc/backchannel-logout
ends the person's manyi sessions at once. Anything that is not the platform's fresh logout
token for this client is refused (400, or 403 before the body is read) and ends nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.org.tables import Staff
from tests.conftest import Bank, sqlite_only
from tests.oidc_provider import Person, Provider
from tests.web_helpers import make_client

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), sqlite_only]
PATH = "/signin/oidc/backchannel-logout"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    people = [Person("li.jing", "李静", ["manyi-lobby"], "OUT-A")]
    with Provider("manyi", "s3cret", people) as started:
        yield started


def client(db: Database, provider: Provider, **more: object) -> TestClient:
    settings = {
        "auth": "oidc",
        "oidc_issuer": provider.issuer,
        "oidc_client_id": "manyi",
        "oidc_client_secret": "s3cret",
        "oidc_role_map": "manyi-lobby=lobby_manager",
    }
    return make_client(db, **{**settings, **more})


@pytest.fixture
def signed_in(db: Database, bank: Bank, provider: Provider) -> TestClient:
    """李静's browser, signed in at the platform."""
    provider.audience, provider.clock_offset_s = None, 0
    browser = client(db, provider)
    out = browser.get("/signin/oidc")
    at_provider = httpx.get(out.headers["location"] + "&login_hint=li.jing")  # the provider
    assert at_provider.status_code == 302
    back = at_provider.headers["location"].split("/signin/oidc/callback", 1)[1]
    assert browser.get("/signin/oidc/callback" + back).status_code == 303
    assert browser.get("/").status_code == 200
    return browser


def platform_says(db: Database, provider: Provider, token: str) -> tuple[int, dict[str, str]]:
    """The platform's server posting a logout token (no browser, no cookie)."""
    answer = client(db, provider).post(PATH, data={"logout_token": token})
    assert answer.headers.get("cache-control") == "no-store" or answer.status_code == 403
    return answer.status_code, answer.json() if answer.content else {}


def audit_actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_the_platform_ending_a_session_ends_the_person_s_manyi_sessions(
    db: Database, provider: Provider, signed_in: TestClient
) -> None:
    assert platform_says(db, provider, provider.logout_token("li.jing")) == (200, {})
    assert signed_in.get("/").status_code == 303  # sent to sign in again
    assert audit_actions(db)[-1] == "auth.platform_signed_out"
    with db.read() as session:
        person = session.scalar(select(Staff).where(Staff.username == "li.jing"))
        assert person is not None and person.active  # signed out, not switched off
    # Someone manyi does not know: nothing to end, and nothing recorded.
    before = audit_actions(db)
    assert platform_says(db, provider, provider.logout_token("no.one")) == (200, {})
    assert audit_actions(db) == before


def test_what_is_not_the_platform_s_fresh_logout_token_ends_nothing(
    db: Database, provider: Provider, signed_in: TestClient
) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"}, private=True)
    forged = jwt.encode(
        {"alg": "RS256", "kid": "stranger"},
        jwt.decode(provider.logout_token("li.jing"), provider.key).claims,
        stranger,
    )
    id_token_like = provider.logout_token("li.jing", nonce="n-1")
    cases = {
        "bad_signature": forged,
        "invalid_audience": provider.logout_token("li.jing", aud="another-client"),
        "invalid_iss": provider.logout_token("li.jing", iss="http://elsewhere.example"),
        "not_a_logout_token": provider.logout_token("li.jing", events=None),
        "nonce_in_logout_token": id_token_like,
        "invalid_sub": provider.logout_token("li.jing", sub=None),
    }
    for reason, token in cases.items():
        status, body = platform_says(db, provider, token)
        assert (status, body.get("error_description")) == (400, reason), (reason, body)
    provider.clock_offset_s = -600  # issued ten minutes ago: held up, or replayed
    status, body = platform_says(db, provider, provider.logout_token("li.jing"))
    assert (status, body["error_description"]) == (400, "expired_token")
    status, body = platform_says(db, provider, provider.logout_token("li.jing", exp=None))
    assert (status, body["error_description"]) == (400, "stale_logout_token")  # no exp: by iat
    for junk in ("", "not-a-jwt", "a.b.c"):
        assert platform_says(db, provider, junk)[0] == 400
    assert signed_in.get("/").status_code == 200  # still signed in
    assert "auth.platform_signed_out" not in audit_actions(db)


def test_the_route_is_refused_before_its_body_outside_oidc_or_for_another_kind_of_request(
    db: Database, bank: Bank, provider: Provider
) -> None:
    token = provider.logout_token("li.jing")
    local = make_client(db)  # MANYI_AUTH=local: nobody may end sessions this way
    assert local.post(PATH, data={"logout_token": token}).status_code == 403
    as_json = client(db, provider).post(PATH, json={"logout_token": token})
    assert as_json.status_code == 403
