"""OpenID Connect's authorization-code flow with PKCE against a real provider the test starts
(tests/oidc_provider.py: discovery, JWKS, signed ID tokens): a good sign-in's claims, and the
refusals — another client's audience, an expired token, a replayed or forged state, a code used
twice, a wrong PKCE verifier, a stale sign-in, a provider answering for another issuer — and a
rotated signing key fetched once more."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from manyi.org.adapters.oidc import STATE_TTL_S, Client, OidcError, Pending
from tests.oidc_provider import Person, Provider

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
REDIRECT = "https://manyi.bank.test/signin/oidc/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    people = [Person("li.jing", "李静", ["manyi-lobby"], "BJ-HD-ZGC")]
    with Provider("manyi", "s3cret", people) as started:
        yield started


@pytest.fixture
def client(provider: Provider) -> Client:
    provider.audience, provider.clock_offset_s = None, 0
    return Client(provider.issuer, "manyi", "s3cret", REDIRECT)


def sign_in(client: Client, who: str = "li.jing") -> tuple[Pending, str, str]:
    """The browser's trip: to the provider and back; (what the session kept, state, code)."""
    url, pending = client.begin()
    answer = httpx.get(f"{url}&login_hint={who}", follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlparse(answer.headers["location"])
    assert back._replace(query="").geturl() == REDIRECT
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    return pending, query["state"], query["code"]


def refused(reason: str, run: object) -> None:
    with pytest.raises(OidcError) as caught:
        run()  # type: ignore[operator]
    assert caught.value.reason == reason, caught.value


def test_a_sign_in_gives_the_checked_claims(client: Client) -> None:
    url, _ = client.begin()
    query = parse_qs(urlparse(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    pending, state, code = sign_in(client)
    claims = client.finish(pending, state, code)
    assert claims["preferred_username"] == "li.jing" and claims["groups"] == ["manyi-lobby"]
    assert claims["unit"] == "BJ-HD-ZGC" and claims["nonce"] == pending.nonce
    refused("token_refused", lambda: client.finish(pending, state, code))  # the code once only


def test_state_replayed_forged_or_stale_is_refused(client: Client) -> None:
    pending, state, code = sign_in(client)
    refused("state_mismatch", lambda: client.finish(None, state, code))  # the session let it go
    refused("state_mismatch", lambda: client.finish(pending, state + "x", code))
    late = pending.started + STATE_TTL_S + 1
    refused("state_expired", lambda: client.finish(pending, state, code, now=late))
    wrong = Pending(pending.state, pending.nonce, "another-verifier" * 3, pending.started)
    refused("token_refused", lambda: client.finish(wrong, state, code))


def test_tokens_for_another_client_or_expired_are_refused(
    client: Client, provider: Provider
) -> None:
    provider.audience = "another-app"
    pending, state, code = sign_in(client)
    refused("invalid_audience", lambda: client.finish(pending, state, code))
    provider.audience, provider.clock_offset_s = None, -3600
    pending, state, code = sign_in(client)
    refused("expired_token", lambda: client.finish(pending, state, code))


def test_a_rotated_key_is_fetched_and_a_mixed_up_issuer_refused(
    client: Client, provider: Provider
) -> None:
    pending, state, code = sign_in(client)
    client.finish(pending, state, code)  # the key set is cached now
    provider.rotate()
    pending, state, code = sign_in(client)
    assert client.finish(pending, state, code)["sub"] == "sub-li.jing"
    other = Client(provider.issuer + "/", "manyi", "s3cret", REDIRECT)
    refused("issuer_mismatch", other.discover)
