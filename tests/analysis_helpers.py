"""Complaints written straight into the tables for the analysis tests (unit, dates, axes,
outcome), without the intake's rules: the analysis only reads them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from manyi.complaints import clock
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.org.tables import Unit

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Case:
    unit: str
    day: dt.date
    hour: int = 10  # local hour of receipt (Asia/Shanghai)
    business: str | None = "savings.demand"
    cause: str | None = "service_quality.waiting"
    channel: str | None = None
    appeal: str | None = None
    issue: str | None = None
    product: str = ""
    verdict: str | None = None
    breached: bool = False
    reopen_count: int = 0
    intake: str = "hotline"
    extra: dict[str, object] = field(default_factory=dict)


def add_cases(db: Database, cases: list[Case]) -> None:
    with db.session() as session:
        clock.ensure_policies(session)
        units = {u.code: u for u in session.query(Unit)}
        for case in cases:
            unit = units[case.unit]
            received = dt.datetime.combine(case.day, dt.time(case.hour), tzinfo=SHANGHAI)
            number = next(_numbers)
            session.add(
                Complaint(
                    reference=f"TS{number:08d}",
                    intake=case.intake,
                    department="service",
                    subject=f"测试投诉 {number}",
                    business_code=case.business,
                    cause_code=case.cause,
                    channel_code=case.channel,
                    appeal_code=case.appeal,
                    issue_code=case.issue,
                    product=case.product,
                    registered_unit_id=unit.id,
                    responsible_unit_id=unit.id,
                    responsible_unit_path=unit.path,
                    received_at=received.astimezone(dt.UTC),
                    clock_started_at=received.astimezone(dt.UTC),
                    policy_code=clock.DEFAULT_POLICY,
                    state="closed" if case.verdict else "registered",
                    verdict=case.verdict,
                    decided_at=received.astimezone(dt.UTC) if case.verdict else None,
                    breached=case.breached,
                    reopen_count=case.reopen_count,
                    **case.extra,
                )
            )
