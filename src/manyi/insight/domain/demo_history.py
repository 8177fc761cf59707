"""Two years of the demo bank's complaint history, as a story a head-office manager can read.

Every case is finished (decided and closed), classified on every axis and filed under one of the
demo's prominent-issue categories, with axes that agree with the category (a long wait is a
savings or cash matter at the counter whose cause is 排队等候时间). The story:

- complaints fall year on year, about 55 % overall and two thirds on staff attitude, the way the
  brief's bank reported (−58 %, attitude −68 %), along a steady decline with noise;
- seasons: the weeks before Spring Festival are busy and its holiday quiet; month ends and
  weekdays see more; busy city outlets (by customers served) more than quiet ones;
- rectification tasks (`STORY_TASKS`) closed in the past, after which their category falls
  clearly at the units they address;
- an emerging issue: in the last three weeks one outlet's mobile-banking complaints jump, so the
  detector has something to find.

Pure and repeatable: `plan(now, outlets, seed)` returns the same cases for the same arguments.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from manyi.insight.domain import demo_texts
from manyi.insight.domain.demo_story import (
    EMERGING,
    EMERGING_NOTE,
    INTAKES,
    PROFILES,
    STORY_TASKS,
    Profile,
)

DAYS = 730  # two years before `now`
ZONE = ZoneInfo("Asia/Shanghai")
SEED = 19
DUE_DAYS = 15  # the regulatory period (calendar days)
SURGE = 1.5  # a story task's category before it closed, from some weeks before it opened
SURGE_DAYS = 42

# Spring Festival (春节) day by year: busy weeks before, a quiet holiday week.
SPRING_FESTIVAL = {
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
}


@dataclass(frozen=True)
class Outlet:
    code: str
    name: str  # a short name for the texts (中关村)
    weight: float  # relative traffic (customers served over the average)
    ancestors: tuple[str, ...]  # demo codes of the units above it, nearest first


@dataclass(frozen=True)
class HistoricCase:
    outlet: str
    issue: str
    intake: str
    channel: str
    business: str
    cause: str
    appeal: str
    root: str
    verdict: str
    subject: str
    description: str
    request: str
    product: str
    received_at: dt.datetime
    due_at: dt.datetime
    decided_at: dt.datetime
    closed_at: dt.datetime
    breached: bool
    reopen_count: int
    regulator_ref: str
    intake_ref: str


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def season(day: dt.date, festival: float) -> float:
    """The day's factor: the weekday, the month end and Spring Festival."""
    factor = 0.65 if day.weekday() >= 5 else 1.08
    next_day = day + dt.timedelta(days=1)
    if next_day.month != day.month or (next_day + dt.timedelta(days=2)).month != day.month:
        factor *= 1.5  # the last three days of a month
    spring = SPRING_FESTIVAL.get(day.year if day.month < 6 else day.year + 1)
    if spring is not None:
        offset = (day - spring).days
        if -21 <= offset < 0:
            factor *= 1 + 1.2 * festival
        elif 0 <= offset < 7:
            factor *= 0.4
    return factor


def _trend(profile: Profile, age_days: float) -> float:
    """The steady trend: 1 two years ago, `year_ratio` a year later, and so on."""
    rate = math.log(profile.year_ratio) / 365.0
    return math.exp(rate * (DAYS - age_days))


@functools.lru_cache(maxsize=DAYS * 16)
def _base(profile: Profile, age_days: int, day: dt.date) -> float:
    """The expected count at an average outlet on `day` before the story's events."""
    return profile.monthly / 30.4 * _trend(profile, age_days) * season(day, profile.festival)


def _story(issue: str, outlet: Outlet, age_days: int) -> float:
    factor = 1.0
    for task in STORY_TASKS:
        if task.issue != issue or (task.unit != outlet.code and task.unit not in outlet.ancestors):
            continue
        if age_days < task.closed_days_ago:
            factor *= task.after
        elif age_days < task.opened_days_ago + SURGE_DAYS:
            factor *= SURGE  # the rise that made the bank act, until the task closed
    return factor


def _moment(rng: random.Random, day: dt.date, intake: str) -> dt.datetime:
    first, last = (8, 21) if intake in ("hotline", "web", "social_media", "email") else (9, 17)
    local = dt.datetime.combine(day, dt.time(rng.randint(first, last - 1), rng.randint(0, 59)))
    return local.replace(tzinfo=ZONE).astimezone(dt.UTC)


@dataclass(frozen=True)
class _Timing:
    due_at: dt.datetime
    decided_at: dt.datetime
    closed_at: dt.datetime
    breached: bool
    reopen_count: int


def _timing(rng: random.Random, received: dt.datetime, now: dt.datetime) -> _Timing:
    """Decided mostly within the 15 days (a few late: breached), closed a few days after; a
    case received lately is decided and closed sooner so that all lies before `now`."""
    due = received + dt.timedelta(days=DUE_DAYS)
    late = rng.random() < 0.05
    days = rng.uniform(16, 28) if late else min(rng.expovariate(1 / 5.0) + 0.3, 14.5)
    closes = days + rng.uniform(1, 7)
    reopened = rng.random() < 0.03
    if reopened:
        closes += rng.uniform(5, 12)
    room = (now - received).total_seconds() / 86400 - 0.05
    if closes > room:  # squeeze the case into the time there is
        days, closes = days * room / closes, room
    decided = _office(rng, received + dt.timedelta(days=days), received, now)
    closed = _office(rng, received + dt.timedelta(days=closes), decided, now)
    return _Timing(
        due_at=due,
        decided_at=decided,
        closed_at=closed,
        breached=decided > due,
        reopen_count=1 if reopened else 0,
    )


def _office(
    rng: random.Random, at: dt.datetime, after: dt.datetime, now: dt.datetime
) -> dt.datetime:
    """`at` moved into office hours (9:00 to 18:00, the bank's time) on its day, or the next
    day's when it fell in the evening; left as it is when the move would break the order."""
    local = at.astimezone(ZONE)
    if 9 <= local.hour < 18:
        return at
    day = local.date() + dt.timedelta(days=1 if local.hour >= 18 else 0)
    moment = dt.time(rng.randint(9, 17), rng.randint(0, 59))
    moved = dt.datetime.combine(day, moment, ZONE).astimezone(dt.UTC)
    return moved if after < moved < now - dt.timedelta(hours=1) else at


def _case(
    rng: random.Random, outlet: Outlet, issue: str, day: dt.date, now: dt.datetime, extra: bool
) -> HistoricCase | None:
    profile = PROFILES[issue]
    intake = _pick(rng, INTAKES)
    received = _moment(rng, day, intake)
    if received >= now - dt.timedelta(hours=6):
        return None  # not finished yet: the history ends a few hours before now
    appeal = _pick(rng, profile.appeal)
    business = _pick(rng, profile.business)
    note = (EMERGING_NOTE,) if extra else ()
    text = demo_texts.write(issue, intake, appeal, business, outlet.name, rng, extra=note)
    timing = _timing(rng, received, now)
    up, partly, not_upheld = profile.verdict
    verdict = rng.choices(("upheld", "partly", "not_upheld"), (up, partly, not_upheld))[0]
    local = received.astimezone(ZONE)
    return HistoricCase(
        outlet=outlet.code,
        issue=issue,
        intake=intake,
        channel=_pick(rng, profile.channel),
        business=business,
        cause=_pick(rng, profile.cause),
        appeal=appeal,
        root=_pick(rng, profile.root),
        verdict=verdict,
        subject=text.subject,
        description=text.description,
        request=text.request,
        product=text.product,
        received_at=received,
        due_at=timing.due_at,
        decided_at=timing.decided_at,
        closed_at=timing.closed_at,
        breached=timing.breached,
        reopen_count=timing.reopen_count,
        regulator_ref=f"JG{local:%Y%m%d}{rng.randint(100, 999)}" if intake == "regulator" else "",
        intake_ref=f"H{local:%y%m%d%H%M}{rng.randint(10, 99)}" if intake == "hotline" else "",
    )


def _jump(rng: random.Random, today: dt.date) -> dict[dt.date, int]:
    """The emerging issue's extra cases by day: each of the last three complete weeks (Monday
    to Sunday) gets its number of cases on random days, and the current week goes on at the
    last one's rate."""
    *_, weekly = EMERGING
    this_week = today - dt.timedelta(days=today.weekday())
    extra: dict[dt.date, int] = {}
    for i, count in enumerate(weekly):
        monday = this_week - dt.timedelta(weeks=len(weekly) - i)
        for d in range(7):
            extra[monday + dt.timedelta(days=d)] = 0
        for _ in range(count):
            day = monday + dt.timedelta(days=rng.randrange(7))
            extra[day] += 1
    for d in range(today.weekday() + 1):
        extra[this_week + dt.timedelta(days=d)] = poisson(rng, weekly[-1] / 7)
    return extra


def plan(now: dt.datetime, outlets: Sequence[Outlet], seed: int = SEED) -> list[HistoricCase]:
    """The history of the `DAYS` days before `now`, oldest first (the n-th is case number n)."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not a secret)
    today = now.astimezone(ZONE).date()
    cases: list[HistoricCase] = []
    emerging_outlet, emerging_issue, _weekly = EMERGING
    jump = _jump(rng, today)
    for age in range(DAYS, -1, -1):
        day = today - dt.timedelta(days=age)
        for outlet in outlets:
            for issue, profile in PROFILES.items():
                mean = _base(profile, age, day) * outlet.weight * _story(issue, outlet, age)
                count = poisson(rng, mean)
                extra = outlet.code == emerging_outlet and issue == emerging_issue
                if extra and day in jump:
                    count += jump[day]
                else:
                    extra = False
                for _ in range(count):
                    found = _case(rng, outlet, issue, day, now, extra)
                    if found is not None:
                        cases.append(found)
    cases.sort(key=lambda c: (c.received_at, c.outlet, c.issue))
    return cases
