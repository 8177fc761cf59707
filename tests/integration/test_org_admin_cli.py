"""The organisation and audit commands: `units import`, `users create`, `audit verify` and its
anchors, and `demo seed` run twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from manyi.cli import app as cli_app
from manyi.config import get_settings
from manyi.db import Database
from manyi.org.tables import Unit
from tests.conftest import Bank, tamper_audit
from tests.org_admin_helpers import CSV_HEADER, counts
from tests.web_helpers import make_client, sign_in

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_units_import(db: Database, bank: Bank, cli_env: CliRunner, tmp_path: object) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path), "bad.csv")
    bad.write_text(
        CSV_HEADER + "K1,BR-A,tier2_branch,支行,,,,\nK2,BR-A,galaxy,怪,,,,\n", encoding="utf-8"
    )
    before = counts(db)
    result = cli_env.invoke(cli_app, ["units", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3, level: unknown level 'galaxy'" in result.output
    assert "nothing was imported" in result.output
    assert counts(db) == before
    good = Path(str(tmp_path), "good.csv")
    good.write_text(CSV_HEADER + "K1,BR-A,tier2_branch,支行,,,,\n", encoding="utf-8")
    result = cli_env.invoke(cli_app, ["units", "import", str(good)])
    assert result.exit_code == 0 and "imported 1 units" in result.output
    result = cli_env.invoke(cli_app, ["units", "import", str(Path(str(tmp_path), "missing.csv"))])
    assert result.exit_code == 2 and "no such file" in result.output


def test_cli_users_create(db: Database, bank: Bank, cli_env: CliRunner) -> None:
    args = [
        "users",
        "create",
        "cli.teller",
        "--unit",
        "OUT-A",
        "--role",
        "teller",
        "--name",
        "命令行柜员",
        "--password-stdin",
    ]
    result = cli_env.invoke(cli_app, args, input="weak\n")
    assert result.exit_code == 2 and "password" in result.output
    result = cli_env.invoke(cli_app, [*args[:4], "NOPE", *args[5:]], input="Good-pass-123\n")
    assert result.exit_code == 2 and "--unit" in result.output
    result = cli_env.invoke(cli_app, [*args[:6], "wizard", *args[7:]], input="Good-pass-123\n")
    assert result.exit_code == 2 and "unknown role" in result.output
    result = cli_env.invoke(cli_app, args, input="Good-pass-123\n")
    assert result.exit_code == 0, result.output
    client = make_client(db)
    sign_in(client, "cli.teller", "Good-pass-123")


def test_cli_audit_verify_exit_codes(db: Database, bank: Bank, cli_env: CliRunner) -> None:
    result = cli_env.invoke(cli_app, ["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    tamper_audit(db, "UPDATE audit_events SET action = 'forged' WHERE seq = 2")
    result = cli_env.invoke(cli_app, ["audit", "verify"])
    assert result.exit_code == 1 and "seq=2: altered" in result.output


def test_cli_audit_anchor_and_verify_against_anchors(
    db: Database, bank: Bank, cli_env: CliRunner, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors"
    result = cli_env.invoke(cli_app, ["audit", "anchor", "--to", str(anchors)])
    assert result.exit_code == 0 and "anchored in" in result.output
    result = cli_env.invoke(cli_app, ["audit", "anchor", "--to", str(anchors)])
    assert result.exit_code == 0 and "already anchored" in result.output
    result = cli_env.invoke(cli_app, ["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 0 and "consistent with the anchors" in result.output
    with db.session() as session:
        last = session.scalar(text("SELECT max(seq) FROM audit_events"))
        keep = session.scalar(text(f"SELECT hash FROM audit_events WHERE seq = {last - 1}"))
    tamper_audit(
        db,
        f"DELETE FROM audit_events WHERE seq = {last}",
        f"UPDATE audit_head SET seq = {last - 1}, last_hash = '{keep}'",
    )
    assert cli_env.invoke(cli_app, ["audit", "verify"]).exit_code == 0  # consistent alone
    result = cli_env.invoke(cli_app, ["audit", "verify", "--anchors", str(anchors)])
    assert result.exit_code == 1 and "truncated" in result.output
    result = cli_env.invoke(cli_app, ["audit", "verify", "--anchors", str(tmp_path / "none")])
    assert result.exit_code == 2 and "--anchors" in result.output


def test_demo_seed_is_idempotent(db: Database, cli_env: CliRunner) -> None:
    from manyi import demo

    result = cli_env.invoke(cli_app, ["demo", "seed", "--quiet"])
    assert result.exit_code == 0
    assert "12 units, 35 staff, 5 lobbies and 6 complaints" in result.output
    assert "service stars: 2 stars awarded" in result.output
    assert "teller workload: 25 service weights set" in result.output
    assert "staff pulse: 17 answers for last month added" in result.output
    assert "holidays: 2027 entered (a plausible demo set)" in result.output
    rolled = re.search(
        r"cockpit roll-ups: (\d+) outlet-days marked, (\d+) recomputed", result.output
    )
    # The demo's history: its own facts marked, and a year of imported days recomputed too.
    assert rolled is not None and int(rolled[2]) > int(rolled[1]) > 300
    imported = re.search(r"cockpit history: (\d+) outlet-days imported", result.output)
    assert imported is not None and int(imported[1]) > 5 * 300
    after_first = counts(db)
    result = cli_env.invoke(cli_app, ["demo", "seed"])
    assert "0 units, 0 staff, 0 lobbies and 0 complaints created" in result.output
    assert "satisfaction history: 0 survey answers, 0 pad ratings added" in result.output
    assert "service stars: 0 stars awarded" in result.output
    assert "cockpit roll-ups: 0 outlet-days marked, 0 recomputed" in result.output
    assert "cockpit history: 0 outlet-days imported" in result.output
    assert "teller workload: 0 service weights set, 0 served tickets and 0 counter" in result.output
    assert "staff pulse: 0 answers" in result.output
    assert demo.DEMO_PASSWORD in result.output and "zgc.teller1" in result.output
    assert counts(db)[:2] == after_first[:2]
    with db.session() as session:
        outlets = session.scalar(
            select(func.count()).select_from(Unit).where(Unit.level == "outlet")
        )
        assert outlets is not None and outlets >= 4
