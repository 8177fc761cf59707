"""Closed complaints past the retention are anonymised, and only they (issue 16 #4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from manyi import audit
from manyi.cli import app as cli_app
from manyi.complaints import attachments, intake, retention
from manyi.complaints.tables import Complaint, ComplaintAttachment, ComplaintEvent
from manyi.config import get_settings
from manyi.db import Database
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, Bank

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CLI = audit.Actor(id=None, name="test")


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


def register(db: Database, cb: ComplaintBank, var_dir: Path, name: str) -> int:
    caller = cb.caller(db, "hotline")
    with db.session() as session:
        case = intake.register(
            session,
            caller,
            cb.hotline_form(
                subject=f"{name}反映等候时间过长",
                description=f"{name}，身份证 110101194803070012，在网点排队一个多小时。",
                complainant_name=name,
            ),
            FIXED_NOW,
        ).complaint
        attachments.attach(
            session,
            caller,
            case,
            FIXED_NOW,
            var_dir=var_dir,
            filename="凭证.png",
            data=PNG + name.encode(),
        )
        return case.id


def finish(db: Database, case_id: int, state: str, years_ago: float) -> None:
    closed = FIXED_NOW - dt.timedelta(days=365.25 * years_ago)
    with db.session() as session:
        session.execute(
            update(Complaint).where(Complaint.id == case_id).values(state=state, closed_at=closed)
        )


def test_only_cases_closed_past_the_retention_are_anonymised(
    db: Database, cb: ComplaintBank, tmp_path: Path
) -> None:
    old = register(db, cb, tmp_path, "王五")
    recent = register(db, cb, tmp_path, "赵六")
    still_open = register(db, cb, tmp_path, "钱七")
    finish(db, old, "closed", 6)
    finish(db, recent, "closed", 2)  # within three years: kept whole
    with db.session() as session:
        dry = retention.purge(session, CLI, FIXED_NOW, 1826, tmp_path, dry_run=True)
    with db.session() as session:
        reference = session.get_one(Complaint, old).reference
        assert dry.references == [reference]
        assert session.get_one(Complaint, old).complainant_name == "王五"  # nothing changed
    with db.session() as session:
        done = retention.purge(session, CLI, FIXED_NOW, 1826, tmp_path)
    assert done.references == [reference] and done.files == 1
    with db.session() as session:
        case = session.get_one(Complaint, old)
        assert (case.complainant_name, case.complainant_phone, case.person_key) == ("", "", None)
        assert case.subject == case.description == retention.ANONYMISED
        assert case.business_code == "savings.demand" and case.state == "closed"  # statistics
        notes = session.scalars(
            select(ComplaintEvent.note).where(ComplaintEvent.complaint_id == old)
        ).all()
        assert all("王五" not in n for n in notes)
        assert not session.scalars(
            select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == old)
        ).all()
        for kept in (recent, still_open):
            assert session.get_one(Complaint, kept).complainant_name in ("赵六", "钱七")
        assert session.scalar(select(func.count()).select_from(ComplaintAttachment)) == 2
        assert audit.verify(session).ok
    with db.session() as session:  # once only
        assert retention.purge(session, CLI, FIXED_NOW, 1826, tmp_path).references == []
    with pytest.raises(ValueError, match="three years"), db.session() as session:
        retention.purge(session, CLI, FIXED_NOW, 365, tmp_path)


def test_the_purge_command_has_a_dry_run_and_refuses_a_short_retention(
    db: Database, cb: ComplaintBank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        old = register(db, cb, tmp_path, "王五")
        finish(db, old, "withdrawn", 10)
        runner = CliRunner()
        short = runner.invoke(cli_app, ["complaints", "purge", "--retention-days", "30"])
        assert short.exit_code == 2 and "three years" in short.output
        dry = runner.invoke(cli_app, ["complaints", "purge", "--dry-run"])
        assert dry.exit_code == 0 and "would anonymise 1 case(s)" in dry.output
        done = runner.invoke(cli_app, ["complaints", "purge"])
        assert done.exit_code == 0 and "anonymised 1 case(s)" in done.output
        again = runner.invoke(cli_app, ["complaints", "purge"])
        assert "anonymised 0 case(s)" in again.output
    finally:
        get_settings.cache_clear()
