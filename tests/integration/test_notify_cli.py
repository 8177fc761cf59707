"""The notification outbox's command line: `manyi notify deliver` prints its counts, its loop
stops on an interrupt, and a run delivers through the configured channels.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from manyi.cli import app as cli_app
from manyi.config import get_settings
from manyi.db import Database
from manyi.notify import cli as notify_cli
from manyi.notify import service
from tests.conftest import Bank
from tests.notify_helpers import PHONE, T0, add

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def cli_env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_deliver_prints_counts(
    db: Database, bank: Bank, cli_env: CliRunner, tmp_path: Path, frozen_clock: dt.datetime
) -> None:
    now = frozen_clock - dt.timedelta(minutes=1)  # the command delivers what is due at its now
    add(db, bank, now=now)
    add(db, bank, channel="sms", address=PHONE, now=now)
    result = cli_env.invoke(cli_app, ["notify", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 2, retried 0, failed 0"
    sms_file = tmp_path / "var" / "sms-outbox.jsonl"
    assert json.loads(sms_file.read_text(encoding="utf-8"))["to"] == "*******5678"
    result = cli_env.invoke(cli_app, ["notify", "deliver"])
    assert result.output.strip() == "sent 0, retried 0, failed 0"


def test_cli_deliver_loop_stops_on_interrupt(
    db: Database,
    bank: Bank,
    cli_env: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: dt.datetime,
) -> None:
    add(db, bank, now=frozen_clock - dt.timedelta(minutes=1))

    def interrupt(seconds: float) -> None:
        assert seconds == 0.5
        raise KeyboardInterrupt

    monkeypatch.setattr("manyi.notify.cli.time.sleep", interrupt)
    result = cli_env.invoke(cli_app, ["notify", "deliver", "--loop", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "delivering every 0.5 s; Ctrl-C stops",
        "sent 1, retried 0, failed 0",
        "stopped; in total sent 1, retried 0, failed 0",
    ]
    result = cli_env.invoke(cli_app, ["notify", "deliver", "--interval", "0"])
    assert result.exit_code == 2


def test_run_once_uses_the_configured_channels(
    db: Database, bank: Bank, cli_env: CliRunner, tmp_path: Path
) -> None:
    add(db, bank, channel="sms", address=PHONE)
    report = notify_cli.run_once(db, get_settings(), T0)
    assert report == service.DeliveryReport(sent=1)
    assert (tmp_path / "var" / "sms-outbox.jsonl").exists()
