"""Fixtures shared by the integration tests (helpers live in tests/*_helpers.py)."""

from __future__ import annotations

import pytest

from manyi.db import Database
from tests.conftest import Bank
from tests.counter_helpers import Sim, make_sim, setup_counter


@pytest.fixture
def sim(db: Database, bank: Bank) -> Sim:
    """The counter set up on the test bank (tests/counter_helpers.py) and a simulated core."""
    setup_counter(db, bank)
    return make_sim()
