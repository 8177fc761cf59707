"""A year of satisfaction history for the demo bank, so every chart of the page has something
to show: survey answers (stored as imported from the bank's former survey system, batch
`demo-history`) at every demo outlet, by its tellers, with comments.

Plausible rather than random noise: each outlet has its own level (陆家嘴 is good, 望京 weaker
and improving through the year), February (Spring Festival crowds) dips, waits drive the
comments. Deterministic (a seeded generator, ids by outlet and day), so seeding twice adds
nothing; one batch insert per 1,000 rows keeps it well under 10 s.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.org.tables import Staff, StaffRole, Unit
from manyi.quality.store import NewResponse, insert_responses
from manyi.quality.tables import QualityResponse

BATCH_ID = "demo-history"
DAYS = 365
TZ = "Asia/Shanghai"

# outlet code → (base satisfaction 0..1, change over the year, answers per day)
OUTLETS = {
    "BJ-HD-ZGC": (0.80, 0.04, 6),
    "BJ-HD-WDK": (0.74, 0.00, 3),
    "BJ-CY-WJ": (0.62, 0.14, 4),
    "SH-PD-LJZ": (0.86, 0.00, 7),
    "SH-XH-XJH": (0.76, -0.05, 2),
}
SERVICES = ("A", "A", "A", "B", "B", "C", "V", "K")
CHANNELS = ("counter", "counter", "counter", "lobby", "self_service", "mobile", "online")
TRIGGERS = {"counter": "ticket", "lobby": "ticket", "self_service": "visit"}
PRAISE = (
    "柜员很耐心，讲解清楚",
    "服务态度好，很热情",
    "办理很快，效率高",
    "大堂经理引导很周到",
    "环境干净，座位舒适",
    "业务很专业，谢谢王先生的帮助",
)
COMPLAINTS = (
    "排队等了很久，叫号太慢",
    "手续繁琐，材料复印了好几次",
    "自助机器故障，吞卡了",
    "柜员态度冷漠，不耐烦",
    "人多座位少，空调太冷",
    "等候时间太长，请回电13812345678",
    "来回跑了两趟，流程不清楚",
)


def seed(session: Session, now: dt.datetime) -> int:
    """Store the demo history ending the day before `now` (local); returns rows added."""
    stored = session.scalar(select(func.count()).where(QualityResponse.imported_batch == BATCH_ID))
    if stored:
        return 0
    outlets = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(OUTLETS))).all()}
    tellers = _tellers(session, [u.id for u in outlets.values()])
    rng = random.Random(17)  # noqa: S311 (demo data, not a secret)
    last = now.astimezone(zoneinfo.ZoneInfo(TZ)).date() - dt.timedelta(days=1)
    rows: list[NewResponse] = []
    for code, (base, drift, per_day) in OUTLETS.items():
        outlet = outlets.get(code)
        if outlet is None:
            continue
        staff = tellers.get(outlet.id) or [None]
        for back in range(DAYS, 0, -1):
            day = last - dt.timedelta(days=back - 1)
            level = base + drift * (DAYS - back) / DAYS - (0.08 if day.month == 2 else 0.0)
            for i in range(rng.randint(max(0, per_day - 2), per_day + 2)):
                rows.append(_response(rng, outlet, staff, day, i, level))
    return insert_responses(session, rows)


def _tellers(session: Session, outlet_ids: list[int]) -> dict[int, list[int | None]]:
    found: dict[int, list[int | None]] = {}
    statement = (
        select(Staff.unit_id, Staff.id)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(Staff.unit_id.in_(outlet_ids), StaffRole.role == "teller")
        .order_by(Staff.id)
    )
    for unit_id, staff_id in session.execute(statement).all():
        found.setdefault(unit_id, []).append(staff_id)
    return found


def _response(
    rng: random.Random,
    outlet: Unit,
    tellers: list[int | None],
    day: dt.date,
    index: int,
    level: float,
) -> NewResponse:
    happy = rng.random() < level
    channel = rng.choice(CHANNELS)
    at_counter = channel == "counter"
    minute = rng.randint(9 * 60, 16 * 60 + 30)
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), zoneinfo.ZoneInfo(TZ))
    csat = rng.choice((4, 5, 5)) if happy else rng.choice((1, 2, 3, 3))
    nps = rng.choice((8, 9, 10, 10)) if happy else rng.choice((2, 5, 6, 7))
    ces = rng.choice((1, 2, 2, 3)) if happy else rng.choice((3, 4, 5, 6))
    comment = None
    if rng.random() < 0.3:
        comment = rng.choice(PRAISE if happy else COMPLAINTS)
    return NewResponse(
        source="import",
        external_id=f"demo-{outlet.code}-{day.isoformat()}-{index}",
        outlet_id=outlet.id,
        unit_path=outlet.path,
        channel=channel,
        answered_at=local.astimezone(dt.UTC),
        csat=csat,
        nps=nps if rng.random() < 0.8 else None,
        ces=ces if rng.random() < 0.6 else None,
        teller_staff_id=rng.choice(tellers) if at_counter else None,
        service=rng.choice(SERVICES),
        trigger=TRIGGERS.get(channel),
        comment=comment,
        imported_batch=BATCH_ID,
    )
