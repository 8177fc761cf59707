"""A month of financial-literacy outreach in the demo bank: at each of its five outlets, events
over the last four weeks (held, one cancelled) and the next two (planned), made through the
same use cases as the pages (each step audited) at times before `now`.

The outlets with a lobby manager (中关村, 陆家嘴) plan and record their own; the others' are
planned and recorded by their tier-1 branch's head, naming the outlet's teller as the staff who
went. Participants are drawn from a seeded generator, so every seed gives the same figures.
Idempotent: nothing is added when the bank has outreach events already.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.guidance import outreach
from manyi.guidance.access import Who
from manyi.guidance.outreach_tables import OutreachEvent
from manyi.org.tables import Staff, Unit

# outlet: (who plans and records, the staff who go, places by kind of venue)
OUTLETS: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "BJ-HD-ZGC": (
        "zgc.lobby",
        ("zgc.lobby", "zgc.teller1", "zgc.head"),
        {
            "community": "中关村街道科育社区居委会",
            "school": "中关村第一小学",
            "care_home": "海淀区双榆树养老照料中心",
            "market": "中关村广场步行街",
        },
    ),
    "BJ-HD-WDK": (
        "bj.head",
        ("wdk.teller1",),
        {
            "community": "五道口东升园社区",
            "school": "清华大学紫荆学生公寓",
            "care_home": "成府路老年日间照料中心",
            "market": "五道口购物中心广场",
        },
    ),
    "BJ-CY-WJ": (
        "bj.head",
        ("wj.teller1",),
        {
            "community": "望京西园三区社区",
            "school": "望京实验学校",
            "care_home": "望京颐养院",
            "market": "望京早市",
        },
    ),
    "SH-PD-LJZ": (
        "ljz.lobby",
        ("ljz.lobby", "ljz.teller1", "ljz.teller2"),
        {
            "community": "陆家嘴街道梅园社区",
            "school": "浦东新区福山外国语小学",
            "care_home": "浦东新区东昌养老院",
            "market": "陆家嘴滨江步道集市",
        },
    ),
    "SH-XH-XJH": (
        "sh.head",
        ("xjh.teller1",),
        {
            "community": "徐家汇街道汇站社区",
            "school": "徐汇区第一中心小学",
            "care_home": "徐汇区枫林养老院",
            "market": "徐家汇商圈美罗城广场",
        },
    ),
}

# (topic, kind of venue, title); taken in turn, each outlet starting elsewhere.
EVENTS = (
    ("fraud", "community", "守好钱袋子：社区防范电信网络诈骗讲座"),
    ("elderly_digital", "care_home", "手把手教老人用手机银行和扫码支付"),
    ("rmb", "school", "小小银行家：认识人民币与反假币"),
    ("illegal_fundraising", "market", "防范非法集资宣传进集市"),
    ("deposit_insurance", "community", "存款保险知识进社区"),
    ("credit", "school", "珍爱信用记录，理性借贷"),
    ("personal_info", "market", "保护个人信息，远离“套路贷”"),
    ("fraud", "care_home", "识破养老诈骗，守护“养老钱”"),
)
# Days from today: past ones held (the third one at 望京 cancelled), the rest planned.
OFFSETS = (-27, -22, -17, -12, -8, -4, -1, 3, 9)
CANCELLED = ("BJ-CY-WJ", -17)
PARTICIPANTS = {"community": (30, 90), "school": (40, 200), "care_home": (15, 45)}


def _who(session: Session, username: str) -> Who:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise LookupError(f"demo staff {username} is missing: seed the demo bank first")
    return Who(staff.id, staff.display_name, staff.unit_id, staff.unit.path, staff.permissions)


def _at(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), zone).astimezone(dt.UTC)


def seed_outreach(session: Session, now: dt.datetime) -> int:
    """Add the demo's outreach events; returns how many were added (0 when there were some)."""
    if session.scalar(select(func.count()).select_from(OutreachEvent)):
        return 0
    draw = random.Random(23)  # noqa: S311 (demo data, not a secret)
    added = 0
    for index, (code, (actor_name, team, places)) in enumerate(OUTLETS.items()):
        outlet = session.scalar(select(Unit).where(Unit.code == code))
        if outlet is None:
            raise LookupError(f"demo outlet {code} is missing: seed the demo bank first")
        zone = ZoneInfo(outlet.timezone)
        today = now.astimezone(zone).date()
        actor = _who(session, actor_name)
        staff = [_who(session, name).staff_id for name in team]
        for n, offset in enumerate(OFFSETS):
            topic, venue_kind, title = EVENTS[(index * 3 + n) % len(EVENTS)]
            day = today + dt.timedelta(days=offset)
            planned_at = min(now, _at(day - dt.timedelta(days=12), 9, zone))
            fields = outreach.PlanFields(
                outlet_code=code,
                title=title,
                venue_kind=venue_kind,
                venue=places[venue_kind],
                topic=topic,
                planned_on=day.isoformat(),
                description="联合社区、学校或商户开展，发放宣传折页，现场答疑。",
            )
            event = outreach.plan(session, actor, fields, planned_at)
            added += 1
            if offset >= 0:
                continue
            if (code, offset) == CANCELLED:
                reason = "暴雨预警，活动场地临时关闭，改期另行安排"
                outreach.cancel(session, actor, event.reference, reason, _at(day, 8, zone))
                continue
            low, high = PARTICIPANTS.get(venue_kind, (50, 260))
            people = draw.randint(low, high)
            held = outreach.HeldFields(
                held_on=day.isoformat(),
                participants=str(people),
                materials=str(people * draw.randint(1, 3)),
                summary="现场讲解典型案例并解答提问，参与者反响良好。",
                staff=tuple(staff[: 1 + n % len(staff)]),
            )
            outreach.record_held(session, actor, event.reference, held, _at(day, 18, zone))
    return added
