"""Demo complaints for the demo bank: a workbench with something in every state.

Seeded once (the channel references start with DEMO-); the times are relative
to the moment of seeding, so an at-risk and an overdue case are at risk and
overdue whenever the demo is started.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints import experts, extensions, handling, intake, resolution
from manyi.complaints.access import Caller, system_caller
from manyi.complaints.escalation import ScanReport, check
from manyi.complaints.tables import Complaint
from manyi.org.model import Permission
from manyi.org.tables import Staff, Unit

DEMO_REF = "DEMO-"


@dataclass(frozen=True)
class DemoCase:
    key: str
    unit: str
    days_ago: float
    intake: str
    subject: str
    description: str
    business: str
    cause: str
    name: str
    phone: str
    then: str  # what happens after registration: "", start, decide, close, extend, pending


CASES = (
    DemoCase(
        "1",
        "BJ-HD-ZGC",
        0.1,
        "counter",
        "取号后等候超过一小时",
        "客户上午10点取号，11点10分才被叫到，期间无人说明原因。",
        "savings",
        "service_quality.waiting",
        "王秀英",
        "13800138001",
        "",
    ),
    DemoCase(
        "2",
        "BJ-HD-ZGC",
        9,
        "hotline",
        "信用卡年费未提前告知",
        "客户称办卡时柜员未说明年费，现被扣收300元。",
        "cards.credit",
        "pricing",
        "李国强",
        "13900139002",
        "start",
    ),
    DemoCase(
        "3",
        "BJ-HD-ZGC",
        17,
        "letter",
        "老年客户被劝购理财产品",
        "客户子女来信：其母亲（72岁）本想存定期，被推荐购买理财产品，未充分揭示风险。",
        "agency.wealth",
        "marketing",
        "张桂兰",
        "13700137003",
        "start",
    ),
    DemoCase(
        "4",
        "BJ-HD-ZGC",
        5,
        "email",
        "跨行转账到账延迟",
        "转账三天未到账，客户多次致电未获答复。",
        "payments.transfer",
        "rules",
        "陈志明",
        "13600136004",
        "decide",
    ),
    DemoCase(
        "5",
        "SH-PD-LJZ",
        30,
        "social_media",
        "网点自助设备吞卡",
        "客户在微博发帖称ATM吞卡后等待两小时无人处理。",
        "cards.debit",
        "facilities.equipment",
        "刘芳",
        "13500135005",
        "close",
    ),
    DemoCase(
        "6",
        "SH-PD-LJZ",
        5,
        "regulator",
        "贷款提前还款违约金争议",
        "监管转办：客户对提前还款违约金计算方式有异议。",
        "loans.mortgage",
        "contract",
        "赵磊",
        "13400134006",
        "extend",
    ),
)


def _caller(staff: Staff) -> Caller:
    return Caller.of(staff)


def _staff(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == username))


def seed(session: Session, now: dt.datetime) -> int:
    """Create the demo complaints unless they exist; returns how many were created."""
    seeded = session.scalar(select(Complaint.id).where(Complaint.intake_ref.startswith(DEMO_REF)))
    if seeded is not None:
        return 0
    hotline = system_caller("demo-seed")
    admin = system_caller("demo-seed")
    for username, codes, level in (
        ("ho.expert", ["loans", "agency", "cards"], "chief"),
        ("bj.expert", ["cards", "payments"], "senior"),
    ):
        person = _staff(session, username)
        if person is not None:
            experts.set_expert(session, admin, person.id, business_codes=codes, level=level)
    created = 0
    for case in CASES:
        unit = session.scalar(select(Unit).where(Unit.code == case.unit))
        if unit is None:
            continue
        received = now - dt.timedelta(days=case.days_ago)
        form = intake.ComplaintForm(
            intake=case.intake,
            subject=case.subject,
            description=case.description,
            request="请尽快处理并答复",
            business_code=case.business,
            cause_code=case.cause,
            complainant_name=case.name,
            complainant_phone=case.phone,
            complainant_address="北京市海淀区中关村大街1号" if case.intake == "letter" else "",
            complainant_email="customer@example.com" if case.intake == "email" else "",
            intake_ref=f"{DEMO_REF}{case.key}",
            regulator_ref="京金管转〔2026〕8号" if case.intake == "regulator" else "",
            regulator_received_on=received.date() if case.intake == "regulator" else None,
            received_at=received,
            responsible_unit_id=unit.id,
            flags=["vulnerable"] if case.key == "3" else [],
        )
        complaint = intake.register(
            session, hotline, form, received, registered_unit_id=unit.id
        ).complaint
        created += 1
        handler = session.get(Staff, complaint.handler_id) if complaint.handler_id else None
        if handler is None or not case.then:
            continue
        who = _caller(handler)
        at = received + dt.timedelta(hours=2)
        handling.start(session, who, complaint.id, at)
        if case.then in ("decide", "close"):
            resolution.decide(
                session,
                who,
                complaint.id,
                received + dt.timedelta(days=3),
                decision="经核查系清算系统故障所致，已为客户办理到账并减免手续费，向客户致歉。",
                reply_channel="phone",
                verdict="upheld",
                root_cause_kind="system",
                root_cause="清算系统批处理延迟",
                rectification_ref="ZG-DEMO-01",
            )
        if case.then == "close":
            resolution.close(
                session, who, complaint.id, received + dt.timedelta(days=4), reason="accepted"
            )
        if case.then == "extend":
            extensions.request_extension(
                session,
                who,
                complaint.id,
                at,
                reason="需调取贷款合同及还款记录核实",
                complainant_informed=True,
            )
        assert who.can(Permission.COMPLAINTS_HANDLE)
    # Let the deadline scan catch up, so the at-risk and overdue cases look it.
    report = ScanReport()
    for complaint in session.scalars(select(Complaint).where(Complaint.next_check_at <= now)):
        check(session, complaint, system_caller("deadline-scan"), now, report)
    return created
