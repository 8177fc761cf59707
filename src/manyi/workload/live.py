"""The overload card on the lobby dashboard: tellers past the stretch or the load, with break
advice checked by the simulator (`ports.break_check`), and today's fairness figure.

Registered by the application (`manyi.web.wiring`) as a `lobby.web.cards.DashboardCard`; shown to
those who manage the lobby (lobby managers, outlet and branch heads).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from manyi.org.tables import Unit
from manyi.workload import figures, ports, queries
from manyi.workload.domain import advice, day

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Rules:
    limits: advice.Limits
    break_min: float


@dataclass(frozen=True)
class OverloadCard:
    on_duty: int  # tellers signed on now
    alerts: tuple[advice.Alert, ...]
    checked: bool  # break advice was checked by the simulator
    gini: float | None  # today's fairness so far
    limits: advice.Limits


def tellers_now(
    session: Session, outlet: Unit, now: dt.datetime, break_min: float
) -> list[advice.TellerNow]:
    """The tellers signed on now, with their current stretch and last hour's busy share."""
    counters = queries.signed_on(session, outlet.id)
    if not counters:
        return []
    today = figures.business_day(session, outlet, now)
    since, _ = figures.bounds(session, outlet, today)
    duty = queries.on_duty(session, outlet.id, since, now + dt.timedelta(seconds=1), now)
    served = queries.servings(session, outlet.id, now - 2 * HOUR, now + dt.timedelta(seconds=1))
    names = queries.names(session, list(counters))
    return [
        advice.TellerNow(
            teller_id=teller,
            name=names.get(teller, str(teller)),
            counter=number,
            stretch_s=day.current_stretch_s(duty.get(teller, []), now, break_min),
            busy_share_hour=day.busy_share_since(
                [s for _, _, s in served.get(teller, [])], now - HOUR, now
            ),
        )
        for teller, number in sorted(counters.items(), key=lambda item: item[1])
    ]


def overload_card(session: Session, outlet: Unit, now: dt.datetime, rules: Rules) -> OverloadCard:
    tellers = tellers_now(session, outlet, now, rules.break_min)
    check = ports.break_check()
    overloaded = advice.overloaded(tellers, rules.limits)
    level_check: advice.LevelCheck = lambda closed: None  # noqa: E731
    if check is not None and overloaded:
        level_check = check.levels(session, outlet, now, rules.break_min)
    alerts = advice.advise(tellers, rules.limits, level_check)
    today = figures.business_day(session, outlet, now)
    fair = figures.outlet_day(session, outlet, today, now=now, break_min=rules.break_min)
    return OverloadCard(
        on_duty=len(tellers),
        alerts=tuple(alerts),
        checked=check is not None,
        gini=fair.gini,
        limits=rules.limits,
    )
