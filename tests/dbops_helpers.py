"""`manyi` commands run in the test's process on a database of the test's choosing (the
database operations' tests: tests/integration/test_db_*.py)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from manyi.cli import app
from manyi.config import get_settings


def manyi(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> Result:
    """`manyi ARGS` with MANYI_DATABASE_URL=url (its settings read afresh)."""
    monkeypatch.setenv("MANYI_DATABASE_URL", url)
    get_settings.cache_clear()
    return CliRunner().invoke(app, list(args))
