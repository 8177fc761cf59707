"""The demo bank's month of self-checks (run by `manyi demo seed`, after the lobbies): at each demo
outlet with a head (中关村, 陆家嘴) every working day's three rounds over the thirty days before
today — most done on time by the head, a few late, a few missed (the branch was alerted) — with
a failed item now and then (on items a photo need not show: the demo keeps no photo files),
and the most recent failures made rectification tasks through supervision's engine.

Rounds and answers are written as rows (no audit entries), the tasks through the real use case
(audited, the owner told). Deterministic (a seeded generator); seeding twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.guidance import selfcheck
from manyi.guidance.access import Who
from manyi.guidance.domain import selfcheck as rules
from manyi.guidance.selfcheck_tables import SelfCheckAnswer, SelfCheckRound
from manyi.org.tables import Staff, Unit
from manyi.workdays.calendars import bank_calendar

DAYS = 30
HEADS = {"BJ-HD-ZGC": "zgc.head", "SH-PD-LJZ": "ljz.head"}
TASKS_PER_OUTLET = 3  # the latest failures made tasks
NOTES = {
    "OP1": "一名柜员未佩戴工号牌，已当场纠正",
    "OP6": "晨会未按时召开",
    "MD1": "大堂经理外出，引导岗临时空缺",
    "MD2": "午间排队超过 20 人，未及时开启弹性窗口",
    "MD4": "爱心窗口被普通客户占用，老年客户等候",
    "MD5": "3 号窗口离柜未放置暂停服务牌",
    "MD6": "客户反映柜员语气生硬",
    "CL1": "一条客户意见未登记",
    "CL4": "轮椅未归位",
    "CL5": "两位预约客户未电话告知改期",
    "CL6": "利率公告未更新",
}


def seed_selfcheck(session: Session, now: dt.datetime) -> int:
    """Add the month's rounds (once); returns how many rounds were added."""
    added = 0
    for code, username in HEADS.items():
        outlet = session.scalar(select(Unit).where(Unit.code == code))
        head = session.scalar(select(Staff).where(Staff.username == username))
        hours = selfcheck.hours_of(session, outlet) if outlet is not None else None
        if outlet is None or head is None or hours is None:
            continue
        last = rules.local_day(now, outlet.timezone) - dt.timedelta(days=1)
        first = last - dt.timedelta(days=DAYS - 1)
        seeded = session.scalar(
            select(SelfCheckRound.id)
            .where(
                SelfCheckRound.outlet_id == outlet.id,
                SelfCheckRound.local_day >= first,
                SelfCheckRound.local_day <= last,
            )
            .limit(1)
        )
        if seeded is not None:
            continue
        rng = random.Random(f"selfcheck-{code}")  # noqa: S311 (demo data, not a secret)
        calendar = bank_calendar(session)
        failures: list[tuple[int, str, dt.datetime]] = []
        day = first
        while day <= last:
            open_day = hours.open_on(day, calendar)
            for planned in rules.plan_day(day, outlet.timezone, hours, open_day):
                row_id, failed = _round(session, rng, outlet, head, planned)
                failures += [(row_id, c, planned.missed_at) for c in failed]
                added += 1
            day += dt.timedelta(days=1)
        who = Who(head.id, head.username, head.unit_id, outlet.path, head.permissions)
        for row_id, item, at in failures[-TASKS_PER_OUTLET:]:
            selfcheck.open_task(session, who, row_id, item, at + dt.timedelta(hours=3))
    return added


def _round(
    session: Session, rng: random.Random, outlet: Unit, head: Staff, planned: rules.Planned
) -> tuple[int, list[str]]:
    values = selfcheck.row_values(outlet, planned)
    roll = rng.random()
    submitted: dt.datetime | None = None
    if roll < 0.92:  # on time: between opening and a little after the due time
        submitted = planned.open_from + dt.timedelta(
            minutes=rng.randint(
                20, int((planned.missed_at - planned.open_from).total_seconds()) // 60 - 5
            )
        )
    elif roll < 0.96:  # late: within two hours after the grace
        submitted = planned.missed_at + dt.timedelta(minutes=rng.randint(5, 120))
    row = SelfCheckRound(**values)
    if submitted is None or submitted >= planned.missed_at:  # the branch heard of it
        row.alert_at, row.alerted_at, row.alerted = None, planned.missed_at, 2
    session.add(row)
    session.flush()
    if submitted is None:
        return row.id, []
    failed = []
    for item in rules.items_of(planned.round):
        passed = item.photo_on_fail or rng.random() > 0.05
        if not passed:
            failed.append(item.code)
        session.add(
            SelfCheckAnswer(
                round_id=row.id,
                code=item.code,
                passed=passed,
                note="" if passed else NOTES.get(item.code, "需整改"),
                photos=[],
            )
        )
    row.submitted_at, row.submitted_by_id, row.alert_at = submitted, head.id, None
    row.failed = len(failed)
    session.flush()
    return row.id, failed
