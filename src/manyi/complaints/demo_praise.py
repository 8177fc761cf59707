"""The demo bank's praise (表扬): a few thanks for the demo tellers in the current quarter,
registered by their outlet's lobby manager, so the service stars count them (the demo's star
nominations, `supervision.demo_stars`, are scored with these counts)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.complaints import praise
from manyi.complaints.access import Caller
from manyi.complaints.praise_tables import ComplaintPraise
from manyi.org.tables import Staff

# teller, registered by, how many
PRAISED: tuple[tuple[str, str, int], ...] = (
    ("zgc.teller1", "zgc.lobby", 5),
    ("ljz.teller1", "ljz.lobby", 4),
    ("zgc.teller2", "zgc.lobby", 3),
    ("ljz.teller2", "ljz.lobby", 3),
)
TEXTS = (
    ("phone", "客户来电表扬该柜员耐心细致，帮助老人办理养老金业务。"),
    ("letter", "客户来信感谢柜员帮助找回遗失的银行卡，服务热情周到。"),
    ("online", "客户在手机银行留言表扬柜员业务熟练、办理迅速。"),
    ("in_person", "客户在大堂当面表扬柜员解释清楚、态度和蔼。"),
)


def seed(session: Session, now: dt.datetime) -> int:
    """Registers the demo praise unless some praise is stored; returns how many were added."""
    if session.scalar(select(ComplaintPraise.id).limit(1)) is not None:
        return 0
    today = now.astimezone(dt.UTC).date()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    added = 0
    for teller, by, count in PRAISED:
        staff = session.scalar(select(Staff).where(Staff.username == teller))
        registrar = session.scalar(select(Staff).where(Staff.username == by))
        if staff is None or registrar is None:
            continue
        for i in range(count):
            channel, text = TEXTS[i % len(TEXTS)]
            day = max(quarter_start, today - dt.timedelta(days=4 + 3 * i))
            praise.register(
                session,
                Caller.of(registrar),
                staff_id=staff.id,
                channel=channel,
                received_on=day,
                text=text,
                now=now,
            )
            added += 1
    return added
