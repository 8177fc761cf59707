"""The tests' fixed clock: FIXED_NOW, and `frozen_clock` for code that reads the clock itself.

No test reads the real clock. Tests pass fixed times to the use cases; where the code under
test reads the clock itself (pages and endpoints call `manyi.db.utcnow()`), the test takes the
`frozen_clock` fixture, which stops the clock at FIXED_NOW. The --fake-now option that runs a
whole session on another clock is tests/conftest.py's.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

# Monday 30 November 2026, 10:00 in Beijing: a working day, in the middle of opening hours.
FIXED_NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
FAKE_NOW_ENV = "MANYI_TEST_FAKE_NOW"


@pytest.fixture
def frozen_clock(time_machine: time_machine.TimeMachineFixture) -> dt.datetime:
    """Stop the clock at FIXED_NOW for code that reads it itself; the test gets the moment.

    `time_machine.shift(...)` (the same fixture) moves it on. Inside a --fake-now session the
    stopped clock sits on top of the session's travel and is removed after the test.
    """
    time_machine.move_to(FIXED_NOW, tick=False)
    return FIXED_NOW
