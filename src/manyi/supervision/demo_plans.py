"""Inspection plans for the demo bank: head office's quarterly inspection of every outlet, a
spot-check draw (seed DEMO-2026), a mystery-shopping scenario assigned to the Wangjing outlet
(its link left unused, to be opened at /m/…), and a remote check of a past interval at
Zhongguancun. Made through the services, as an inspector would; each piece is skipped when it
is there already, so seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import ManyiError
from manyi.org.tables import Staff, Unit
from manyi.supervision import mystery, plans, remote_checks, spot_checks
from manyi.supervision.plan_tables import (
    InspectionPlan,
    MysteryAssignment,
    MysteryScenario,
    RemoteCheck,
)

SPOT_SEED = "DEMO-2026"
REMOTE_SEED = "DEMO-R1"
SCENARIO = "MS-CASH-1"
STEPS_ZH = (
    "工作日上午到网点取号，办理一笔 5 万元以上取现的咨询",
    "询问大额取现是否需要预约、需要带哪些材料",
    "观察柜员是否起身问候、是否挂牌、是否一次性告知所需材料",
    "办理结束后观察柜员是否道别，离开网点后再填写本页",
)
STEPS_EN = (
    "On a weekday morning take a ticket and ask about withdrawing over 50,000 yuan in cash",
    "Ask whether a large withdrawal must be booked and which documents to bring",
    "Note whether the teller greets you, wears a badge and names every document at once",
    "Note whether the teller says goodbye; fill this page in after leaving the outlet",
)


@dataclass
class Seeded:
    added: list[str] = field(default_factory=list)


def _actor(session: Session, username: str) -> audit.Actor | None:
    staff = session.scalars(select(Staff).where(Staff.username == username)).first()
    if staff is None:
        return None
    return audit.Actor(
        id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
    )


def _unit(session: Session, code: str) -> Unit | None:
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def seed(session: Session, now: dt.datetime) -> Seeded:
    """Add what is missing of the demo's plans; says what it added."""
    done = Seeded()
    hq, bj = _actor(session, "ho.inspector"), _actor(session, "bj.inspector")
    head_office, wangjing, zgc = (_unit(session, c) for c in ("HO", "BJ-CY-WJ", "BJ-HD-ZGC"))
    if hq is None or bj is None or head_office is None or wangjing is None or zgc is None:
        return done  # not the demo bank
    today = plans.local_today(head_office, now)
    if session.scalar(select(InspectionPlan.id).where(InspectionPlan.kind == "scheduled")) is None:
        quarter = (today.month - 1) // 3 + 2
        period = f"{today.year + (quarter > 4)}-Q{(quarter - 1) % 4 + 1}"
        plans.create_scheduled_plan(
            session, hq, unit_id=head_office.id, name=f"{period} 全辖网点季度巡查",
            period=period, visits=1, now=now,
        )  # fmt: skip
        done.added.append(f"a quarterly plan for {period}")
    if session.scalar(select(InspectionPlan.id).where(InspectionPlan.seed == SPOT_SEED)) is None:
        spot_checks.schedule_spot_check(
            session, hq, unit_id=head_office.id, seed=SPOT_SEED, n=3, planned_on=today,
            name="年末随机抽查", now=now,
        )  # fmt: skip
        done.added.append("a spot-check draw")
    scenario = session.scalar(select(MysteryScenario.id).where(MysteryScenario.code == SCENARIO))
    if scenario is None:
        scenario = mystery.create_scenario(
            session, hq, code=SCENARIO, title_zh="大额取现预约咨询",
            title_en="Asking about a large cash withdrawal", steps_zh="\n".join(STEPS_ZH),
            steps_en="\n".join(STEPS_EN), now=now,
        )  # fmt: skip
        done.added.append("a mystery-shopping scenario")
    if session.scalar(select(MysteryAssignment.id)) is None:
        mystery.assign(
            session, hq, scenario_id=scenario, outlet_id=wangjing.id, planned_on=today,
            shopper_label="暗访员A（第三方机构）", valid_days=14, now=now,
        )  # fmt: skip
        done.added.append("a mystery-shopping assignment")
    if session.scalar(select(RemoteCheck.id)) is None and _remote(session, bj, zgc, today, now):
        done.added.append("a remote check")
    return done


def _remote(
    session: Session, actor: audit.Actor, outlet: Unit, today: dt.date, now: dt.datetime
) -> bool:
    """A remote check of the latest past day with tickets at the outlet (the demo's history)."""
    for back in range(1, 8):
        day = today - dt.timedelta(days=back)
        shown = remote_checks.interval(
            session, actor, outlet_id=outlet.id, day=day, seed=REMOTE_SEED, now=now
        )
        if shown.window is None:
            continue
        sent = {i.code: ("passed", "") for i in shown.items}
        sent["G1"] = ("failed", "客户到柜时柜员未起身问候")
        try:
            with session.begin_nested():
                remote_checks.record_remote_check(
                    session, actor, outlet_id=outlet.id, day=day, seed=REMOTE_SEED,
                    notes="时段内等候人数平稳；1 号窗口柜员未主动问候，已提醒网点负责人。",
                    sent=sent, now=now,
                )  # fmt: skip
        except ManyiError:
            return False
        return True
    return False
