"""The lobby screens' end-to-end tests: the demo outlet, its paired devices (a kiosk, a board,
the rating pad at counter 3 and the calling pad at counter 6) and the screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from manyi.db import Database
from manyi.org import device_tokens
from manyi.org.tables import Unit
from tests.conftest import SYSTEM

OUTLET = "BJ-HD-ZGC"


@pytest.fixture(scope="module", name="tokens")
def tokens_fixture(e2e_database_url: str) -> dict[str, str]:
    database = Database(e2e_database_url)
    try:
        with database.session() as session:
            outlet = session.query(Unit).filter_by(code=OUTLET).one()
            out = {}
            # The rating pad at counter 3, the calling pad at counter 6 (贵宾理财).
            bound = {"rating_pad": 3, "counter_pad": 6}
            for kind in ("kiosk", "display", "rating_pad", "counter_pad"):
                _, secret = device_tokens.issue_token(
                    session,
                    SYSTEM,
                    outlet_id=outlet.id,
                    kind=kind,
                    name=f"e2e {kind}",
                    valid_days=1,
                    counter=bound.get(kind),
                )
                out[kind] = secret
            return out
    finally:
        database.dispose()


def save(page: Page, screenshots: Path, name: str, full: bool = False) -> None:
    page.screenshot(path=str(screenshots / f"lobby-{name}.png"), full_page=full)
