"""Signing in at the bank's identity platform and out again, in Chromium (MANYI_AUTH=oidc).

The module's server runs on its demo bank with OpenID Connect sign-in against the test provider
(tests/oidc_provider.py), whose own sign-in screen signs in 李静 at once. Signing out of manyi
must reach the platform's logout too: the browser is taken there by the signed-out page (a
redirect after the form's POST would be held by the CSP's form-action), and comes back to the
sign-in page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from manyi.config import load_settings
from manyi.db import Database
from tests.live_server import serve
from tests.oidc_provider import Person, Provider
from tests.web_helpers import app_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    people = [Person("zgc.lobby", "李静", ["manyi-lobby"], "BJ-HD-ZGC")]
    with Provider("manyi", "s3cret", people) as started:
        started.signs_in = "zgc.lobby"
        yield started


@pytest.fixture(scope="module")
def base_url(e2e_database_url: str, provider: Provider) -> Iterator[str]:
    """This module's server: the demo bank, signing in at the test provider."""
    database = Database(e2e_database_url)
    settings = load_settings(
        database_url=e2e_database_url,
        secret_key="e2e-secret-" + "x" * 32,
        auth="oidc",
        oidc_issuer=provider.issuer,
        oidc_client_id="manyi",
        oidc_client_secret="s3cret",
        oidc_role_map="manyi-lobby=lobby_manager",
    )
    try:
        with serve(app_for(settings, database)) as url:
            provider.return_uris = {f"{url}/signin"}
            yield url
    finally:
        database.dispose()


def signed_in_at_the_platform(page: Page) -> None:
    page.goto("/signin")
    page.get_by_test_id("oidc").click()
    expect(page.get_by_test_id("user")).to_contain_text("李静")


def test_signing_out_signs_out_of_the_platform_too(page: Page, provider: Provider) -> None:
    provider.logouts.clear()
    signed_in_at_the_platform(page)
    page.get_by_role("button", name="退出").click()
    # Through the platform's logout and back to the sign-in page, with no click.
    expect(page).to_have_url(re.compile(r"/signin$"))
    expect(page.get_by_test_id("oidc")).to_be_visible()
    assert provider.logouts == ["sub-zgc.lobby"]
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin"))  # manyi's session is over too


def test_the_signed_out_page_says_what_happens_while_the_platform_is_reached(
    page: Page, provider: Provider, shot: Callable[[str], Path]
) -> None:
    signed_in_at_the_platform(page)

    def no_content(route: Route) -> None:  # a 204 leaves the browser on the page it is on
        route.fulfill(status=204)

    page.route(f"{provider.issuer}/logout*", no_content)
    with page.expect_request(lambda r: r.url.startswith(f"{provider.issuer}/logout?")) as sent:
        page.get_by_role("button", name="退出").click()
    assert "id_token_hint=" in sent.value.url  # on its way at once, with the hint
    expect(page.get_by_role("status")).to_have_text(
        "您已退出满意系统，正在退出行内统一身份认证平台……"
    )
    link = page.get_by_test_id("oidc-logout")  # and a way on by hand
    expect(link).to_have_text("退出统一身份认证平台")
    assert link.get_attribute("href") == sent.value.url
    shot("oidc-signed-out")
