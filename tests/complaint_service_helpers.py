"""The complaint use cases' tests on a real database: a complaint form, one registered at a fixed
time, read back, and its handler's persona.
"""

from __future__ import annotations

import datetime as dt

from manyi.complaints import intake
from manyi.complaints.tables import Complaint
from manyi.db import Database
from tests.complaint_bank import ComplaintBank

NOW = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)  # 14:00 in Shanghai
DECIDED = {"verdict": "partly", "root_cause_kind": "person"}
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


def form(**overrides: object) -> intake.ComplaintForm:
    values: dict[str, object] = {
        "intake": "hotline",
        "subject": "柜面办理业务等候时间过长",
        "description": "客户反映在网点排队一个多小时，无人解释。",
        "complainant_name": "王五",
        "complainant_phone": PHONE,
        "business_code": "savings",
        "cause_code": "service_quality.waiting",
    }
    values.update(overrides)
    return intake.ComplaintForm(**values)  # type: ignore[arg-type]


def register(
    db: Database,
    cb: ComplaintBank,
    persona: str = "hotline",
    unit: str = "OUT-A",
    **overrides: object,
) -> int:
    caller = cb.caller(db, persona)
    with db.session() as session:
        registered = intake.register(
            session, caller, form(responsible_unit_id=cb.unit(unit), **overrides), NOW
        )
        return registered.complaint.id


def load(db: Database, complaint_id: int) -> Complaint:
    with db.session() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        session.expunge(complaint)
        return complaint


def handler_of(db: Database, cb: ComplaintBank, complaint_id: int) -> str:
    handler_id = load(db, complaint_id).handler_id
    return next(name for name, sid in cb.staff.items() if sid == handler_id)
