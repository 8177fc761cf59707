"""The demo outlets' lobbies: five services and five to eight counters each."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from manyi import audit
from manyi.lobby import setup
from manyi.lobby.domain.model import Policy, Service
from manyi.lobby.setup import CounterSpec
from manyi.lobby.tables import LobbySettings
from manyi.org import service as unit_service
from manyi.org import staff as staff_service

SERVICES = (
    Service("A", "个人现金业务", "A", 300, name_en="Personal cash"),
    Service("B", "个人非现金业务", "B", 480, name_en="Personal non-cash"),
    Service("C", "对公业务", "C", 720, name_en="Corporate", skill="corporate"),
    Service("V", "贵宾理财", "V", 900, name_en="VIP and wealth", skill="wealth"),
    Service("K", "快速通道", "K", 150, name_en="Fast lane", fast_lane=True),
)

LARGE = (
    CounterSpec(1, "fast_lane", ("K", "A")),
    CounterSpec(2, "regular", ("A", "B", "K")),
    CounterSpec(3, "regular", ("A", "B")),
    CounterSpec(4, "regular", ("B", "A")),
    CounterSpec(5, "regular", ("C",)),
    CounterSpec(6, "vip", ("V", "B", "A")),
    CounterSpec(7, "green", ("A", "B")),
    CounterSpec(8, "flexible", ("A", "B", "K")),
)
SMALL = (
    CounterSpec(1, "fast_lane", ("K", "A")),
    CounterSpec(2, "regular", ("A", "B", "C")),
    CounterSpec(3, "green", ("A", "B")),
    CounterSpec(4, "vip", ("V", "B")),
    CounterSpec(5, "flexible", ("B", "A", "K")),
)

# The two showcase outlets stay open around the clock so the demo works at
# any hour; the others keep ordinary banking hours.
OUTLETS = {
    "BJ-HD-ZGC": (LARGE, None),
    "SH-PD-LJZ": (LARGE, None),
    "BJ-HD-WDK": (SMALL, (dt.time(9), dt.time(17))),
    "BJ-CY-WJ": (SMALL, (dt.time(9), dt.time(17))),
    "SH-XH-XJH": (SMALL, (dt.time(9), dt.time(17))),
}

# Where the doors never close, the business day (numbers from A001, the day's
# figures) starts at the quietest hour of the night rather than at midnight, so the
# late evening counts with the day it belongs to and a change of day finds few
# people waiting.
AROUND_THE_CLOCK_DAY_STARTS = dt.time(4, 0)

SKILLS = {
    "zgc.teller1": ("corporate",),
    "zgc.teller2": ("wealth",),
    "ljz.teller1": ("corporate",),
    "ljz.teller2": ("wealth",),
    "wdk.teller1": ("corporate", "wealth"),
}


def seed_lobbies(session: Session, actor: audit.Actor) -> int:
    """Configure every demo outlet that has no lobby yet; returns how many were set up."""
    done = 0
    for code, (counters, hours) in OUTLETS.items():
        outlet = unit_service.unit_by_code(session, code)
        if outlet is None or session.get(LobbySettings, outlet.id) is not None:
            continue
        opens, closes = hours or (dt.time(0), None)
        policy = Policy(
            opens_at=opens,
            closes_at=closes,
            timezone=outlet.timezone,
            day_starts_at=dt.time(0) if hours else AROUND_THE_CLOCK_DAY_STARTS,
        )
        setup.configure_outlet(
            session, actor, outlet, policy=policy, services=SERVICES, counters=counters
        )
        done += 1
    for username, skills in SKILLS.items():
        staff = staff_service.by_username(session, username)
        if staff is not None and done:
            setup.set_skills(session, actor, staff, skills)
    return done
