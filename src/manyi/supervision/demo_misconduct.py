"""The demo bank's misconduct cases: one malignant service incident at 中关村, finalised with its
sanctions, its accountable parties one level up and a bulletin to the Beijing branch; and one
general breach at 陆家嘴 under investigation. Seeded through the same use cases as the pages
(so the audit chain has every step); only into a bank without cases (idempotent).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.org import staff as staff_service
from manyi.org.tables import Staff
from manyi.supervision import misconduct, misconduct_bulletins
from manyi.supervision.misconduct_tables import MisconductCase


def _staff(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == username))


def seed(session: Session, now: dt.datetime) -> int:
    """Add the demo cases (dated back from `now`); returns how many were added."""
    if session.scalar(select(func.count()).select_from(MisconductCase)):
        return 0
    inspector = _staff(session, "bj.inspector")
    ho_inspector = _staff(session, "ho.inspector")
    teller = _staff(session, "zgc.teller2")
    other = _staff(session, "ljz.teller1")
    if not (inspector and ho_inspector and teller and other):
        return 0  # not the demo bank
    bj = staff_service.actor_of(inspector)
    day = dt.timedelta(days=1)

    severe = misconduct.open_case(
        session,
        bj,
        misconduct.NewCase(
            origin="report",  # the customer complained on the spot; the lobby manager reported
            origin_ref="大堂经理上报（演示）",
            severity="malignant",
            staff_id=teller.id,
            happened_on=misconduct.local_today(now - 13 * day),
            summary="客户办理挂失时对等候时间提出异议，柜员与客户发生争吵，"
            "将客户材料扔出窗口，造成恶劣影响",
        ),
        now=now - 12 * day,
    )
    misconduct.start_investigation(
        session, bj, severe, notes="调取柜面录像，询问大堂经理及在场客户", now=now - 11 * day
    )
    misconduct.record_findings(
        session,
        bj,
        severe,
        findings="录像显示柜员将材料扔出窗口，情况属实；网点未及时介入处置",
        now=now - 8 * day,
    )
    misconduct.decide_sanctions(
        session,
        bj,
        severe,
        ["demerit", "star_removal", "reassignment"],
        note="给予记过处分，取消本年度服务明星资格，调离柜面岗位三个月",
        now=now - 5 * day,
    )
    misconduct.finalise(session, bj, severe, now=now - 4 * day)
    title, body = misconduct_bulletins.draft(session, bj.unit_path, severe)
    misconduct_bulletins.issue(
        session,
        bj,
        severe,
        scope_unit_code="BJ",
        title=title,
        body=body,
        show_names=False,
        now=now - 3 * day,
    )

    investigating = misconduct.open_case(
        session,
        staff_service.actor_of(ho_inspector),
        misconduct.NewCase(
            origin="report",
            origin_ref="暗访人员反映",
            severity="general",
            staff_id=other.id,
            happened_on=misconduct.local_today(now - 3 * day),
            summary="暗访中柜员未使用文明用语，未双手递接客户证件",
        ),
        now=now - 2 * day,
    )
    misconduct.start_investigation(
        session,
        staff_service.actor_of(ho_inspector),
        investigating,
        notes="约谈网点负责人，调阅暗访录音",
        now=now - day,
    )
    return 2
