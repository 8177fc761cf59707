"""Helpers for the prominent-issue tests: complaints filed under a category at a given time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from manyi.complaints import intake
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import issues
from manyi.insight.domain.issues import DEMO_SET
from tests.complaint_bank import ComplaintBank
from tests.conftest import FIXED_NOW


def seed_categories(db: Database) -> None:
    with db.session() as session:
        issues.seed(session, DEMO_SET)


def file_case(
    db: Database,
    cb: ComplaintBank,
    code: str | None,
    received_at: dt.datetime,
    unit: str = "OUT-A",
    phone: str = "13812345678",
    **fields: object,
) -> int:
    """A complaint phoned in at `received_at` about `unit`, filed under category `code`."""
    form = cb.hotline_form(
        responsible_unit_id=cb.unit(unit),
        received_at=received_at,
        complainant_phone=phone,
        **fields,
    )
    with db.session() as session:
        done = intake.register(session, cb.caller(db, "hotline"), form, FIXED_NOW)
        session.execute(
            update(Complaint).where(Complaint.id == done.complaint.id).values(issue_code=code)
        )
        return done.complaint.id


def beijing(y: int, m: int, d: int, hour: int = 10) -> dt.datetime:
    """A moment on a Beijing day, in UTC."""
    return dt.datetime(y, m, d, hour - 8, 0, tzinfo=dt.UTC)
