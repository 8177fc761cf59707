"""Fixtures shared by the integration tests (helpers live in tests/*_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from manyi.counter.adapters import registry
from manyi.db import Database
from manyi.lobby.web import device_lane
from tests.conftest import PASSWORD, Bank
from tests.counter_helpers import Sim, make_sim, setup_counter
from tests.web_helpers import make_client, sign_in
from tests.world_files import WorldFiles


@pytest.fixture
def sim(db: Database, bank: Bank) -> Sim:
    """The counter set up on the test bank (tests/counter_helpers.py) and a simulated core."""
    setup_counter(db, bank)
    return make_sim()


@pytest.fixture
def rt(db: Database, bank: Bank) -> Iterator[registry.Runtime]:
    """The counter set up on the test bank, with the simulated runtime the pages use."""
    setup_counter(db, bank)
    current = registry.use(registry.simulated())
    yield current
    registry.reset()


@pytest.fixture
def teller(db: Database, tmp_path: Path) -> TestClient:
    """teller.a signed in (files such as vouchers under tmp_path)."""
    client = make_client(db, var_dir=tmp_path)
    sign_in(client, "teller.a", PASSWORD)
    return client


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> WorldFiles:
    """The module's worlds on SQLite, each built once (tests/world_files.py)."""
    return WorldFiles(tmp_path_factory.mktemp("worlds"))


@pytest.fixture
def lane_taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the device lane answered itself (the rest went on to their endpoints)."""
    seen: list[str] = []
    original = device_lane.in_hot_unit_of_work

    async def noting(request, work):  # type: ignore[no-untyped-def]
        seen.append(request.url.path)
        return await original(request, work)

    monkeypatch.setattr(device_lane, "in_hot_unit_of_work", noting)
    return seen
