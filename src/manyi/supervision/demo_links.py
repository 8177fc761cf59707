"""The demo bank's findings linked to what they led to: the complaints demo's letter about an
elderly customer talked into a wealth product at 中关村 (DEMO-3) has a rectification task opened
from it (shown on the complaint's page) and a misconduct case opened from it, under
investigation and at risk of missing its deadline, so the worker's first round warns its
investigator (萧红, bj.inspector); and a case of 林晨 at 五道口, reported, whose investigation
is overdue, so the responsible managers hear of it.

Seeded through the same use cases as the pages, only into a bank without linked cases
(idempotent). The cases are dated back so that they are at risk and overdue whenever the demo
is started: the days are found with the domain's own deadline rule.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.complaints import facts as complaint_facts
from manyi.org import staff as staff_service
from manyi.org.tables import Staff
from manyi.supervision import misconduct, rectification
from manyi.supervision.domain import misconduct as rules
from manyi.supervision.domain.misconduct import DeadlineStatus
from manyi.supervision.domain.rectification import NewTask, Source
from manyi.supervision.misconduct import local_today, working_days
from manyi.supervision.misconduct_tables import MisconductCase

COMPLAINT = "DEMO-3"  # the complaints demo's channel reference of the letter


def _staff(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == username))


def days_back_to(session: Session, status: DeadlineStatus, severity: str, now: dt.datetime) -> int:
    """How many days ago a case of this severity must have been opened to be `status` now."""
    today = local_today(now)
    calendar = working_days(session)
    for days in range(1, 60):
        due = rules.investigation_due(
            today - dt.timedelta(days=days), rules.severity_of(severity), calendar
        )
        if rules.deadline_status("investigating", due, today, calendar) is status:
            return days
    raise AssertionError(f"no day makes a {severity} case {status}")  # pragma: no cover


def seed(session: Session, now: dt.datetime) -> int:
    """Add the linked task and cases; returns how many cases were added."""
    if session.scalar(
        select(func.count()).select_from(MisconductCase).where(MisconductCase.origin == "complaint")
    ):
        return 0
    reference = complaint_facts.reference_of_intake(session, COMPLAINT)
    inspector = _staff(session, "bj.inspector")
    seller = _staff(session, "zgc.teller1")
    other = _staff(session, "wdk.teller1")
    issuer = _staff(session, "hd.complaints")
    if not (reference and inspector and seller and other and issuer):
        return 0  # not the demo bank
    bj = staff_service.actor_of(inspector)
    day = dt.timedelta(days=1)

    rectification.open_task(
        session,
        staff_service.actor_of(issuer),
        NewTask(
            source=Source.COMPLAINT,
            source_ref=reference,
            title="整改：向老年客户销售理财产品未做风险评估",
            detail="投诉反映柜员向72岁客户推荐理财产品，未按规定进行风险测评及双录。",
            unit_id=seller.unit_id,
            owner_id=None,
            evidence_required="老年客户适当性管理培训记录及双录抽查记录",
            due_days=10,
        ),
        now=now - 2 * day,
    )
    back = days_back_to(session, DeadlineStatus.AT_RISK, "general", now)
    at_risk = misconduct.open_case(
        session,
        bj,
        misconduct.NewCase(
            origin="complaint",
            origin_ref=reference,
            severity="general",
            staff_id=seller.id,
            happened_on=local_today(now - (back + 3) * day),
            summary="柜员向72岁客户推荐购买理财产品，未做风险测评，客户本意办理定期存款",
        ),
        now=now - back * day,
    )
    misconduct.start_investigation(
        session, bj, at_risk, notes="调阅双录资料，约谈客户子女", now=now - (back - 1) * day
    )
    back = days_back_to(session, DeadlineStatus.OVERDUE, "malignant", now)
    misconduct.open_case(
        session,
        bj,
        misconduct.NewCase(
            origin="report",
            origin_ref="客户来电反映（演示）",
            severity="malignant",
            staff_id=other.id,
            happened_on=local_today(now - (back + 1) * day),
            summary="柜员在客户询问时出言不逊，客户当场情绪激动",
        ),
        now=now - back * day,
    )
    return 2
