"""Customer messages in the demo bank: a morning's texts at 中关村 and 望京, as the simulated SMS
centre took them (delivered, one refused number, one flood held back by the rate limit).

Idempotent: the demo's messages carry `demo:` dedupe keys, and a second seed adds nothing.
The numbers are fictitious (the 1380000xxxx block), the customers' consents recorded as given
on the status page, the complaint form or at booking.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.org.tables import Unit
from manyi.reach import contacts, messages
from manyi.reach.domain.messages import Kind, Purpose
from manyi.reach.tables import ReachMessage

ZONE = ZoneInfo("Asia/Shanghai")
GATEWAY = "simulated-sms"

# (minutes before now, outlet code, phone, purposes, kind, params, final state)
TEXTS: tuple[tuple[int, str, str, tuple[Purpose, ...], Kind, dict[str, object], str], ...] = (
    (
        95,
        "BJ-HD-ZGC",
        "13800001001",
        (Purpose.QUEUE,),
        Kind.TURN_NEAR,
        {"number": "A018", "ahead": 3, "minutes": 9, "outlet": "中关村营业室"},
        "delivered",
    ),
    (
        86,
        "BJ-HD-ZGC",
        "13800001001",
        (Purpose.QUEUE,),
        Kind.CALLED,
        {"number": "A018", "counter": 2, "outlet": "中关村营业室"},
        "delivered",
    ),
    (
        70,
        "BJ-HD-ZGC",
        "13800001002",
        (Purpose.QUEUE, Purpose.SURVEY),
        Kind.TURN_NEAR,
        {"number": "B007", "ahead": 2, "minutes": 12, "outlet": "中关村营业室"},
        "delivered",
    ),
    (
        55,
        "BJ-HD-ZGC",
        "13800001002",
        (Purpose.QUEUE, Purpose.SURVEY),
        Kind.SURVEY_INVITATION,
        {"link": "http://127.0.0.1:8000/s/demo"},
        "delivered",
    ),
    (
        40,
        "BJ-CY-WJ",
        "13800001003",
        (Purpose.COMPLAINT,),
        Kind.COMPLAINT_RECEIVED,
        {
            "reference": "TS20261130000DEMO",
            "deadline": "2026-12-15",
            "link": "http://127.0.0.1:8000/complaint/status",
        },
        "sent",
    ),
    (
        30,
        "BJ-HD-ZGC",
        "13800001004",
        (Purpose.QUEUE,),
        Kind.CALLED,
        {"number": "K003", "counter": 5, "outlet": "中关村营业室"},
        "failed",
    ),
)


def seed(session: Session, now: dt.datetime) -> int:
    """The demo's customer messages; returns how many were added (0 when already there)."""
    if session.scalar(select(ReachMessage.id).where(ReachMessage.dedupe_key.like("demo:%"))):
        return 0
    units = {u.code: u.id for u in session.scalars(select(Unit))}
    added = 0
    for index, (minutes, outlet, phone, purposes, kind, params, state) in enumerate(TEXTS):
        if outlet not in units:
            continue
        at = now - dt.timedelta(minutes=minutes)
        contact = contacts.remember(session, phone, at)
        for purpose in purposes:
            contacts.record_consent(
                session, audit.SYSTEM, contact, purpose, granted=True, source="demo", now=at
            )
        outcome = messages.send(
            session,
            contact,
            kind,
            params,
            at,
            ZONE,
            unit_id=units[outlet],
            dedupe_key=f"demo:{index}",
        )
        if outcome.message_id is None:
            continue
        row = session.get_one(ReachMessage, outcome.message_id)
        row.state, row.attempts, row.gateway = state, 1, GATEWAY
        row.gateway_id, row.sent_at = f"sim-demo-{index}", at + dt.timedelta(seconds=2)
        if state == "delivered":
            row.delivered_at, row.receipt = at + dt.timedelta(seconds=9), "DELIVRD"
        elif state == "failed":
            row.receipt, row.last_error = "UNDELIV", "receipt: UNDELIV"
        added += 1
    return added
