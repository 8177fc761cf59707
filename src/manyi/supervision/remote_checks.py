"""Remote spot checks (远程督导): review a sampled service interval of one outlet and day from the
lobby's record, write notes, judge the items that can be judged remotely; a visit of kind
"remote" holds the result.

The interval is drawn from a seed (`domain.fieldwork.pick_window`: a 30-minute window with
traffic), so the inspector, or whoever checks the inspector, sees the same window again. Its
figures come from what the lobby publishes (`lobby.tables`): tickets issued, first called and
finished in the window, their waits (first call − issue, the lobby's definition) against the
10-minute target, the counters that served, counter openings, pauses and closings, and the
alerts raised. They are stored with the check as the inspector saw them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput
from manyi.lobby.tables import LobbyAlert, LobbyCounter, LobbyEventRow, LobbyTicket
from manyi.org.model import UnitLevel
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.supervision import inspections
from manyi.supervision.domain import fieldwork, sampler
from manyi.supervision.domain.standards import Item
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.plan_tables import RemoteCheck
from manyi.supervision.plans import local_today, unit_in_scope
from manyi.supervision.standards import current_standard

TARGET_WAIT_S = 600
MAX_DAYS_BACK = 366
MAX_TIMELINE = 200
COUNTER_KINDS = ("counter_opened", "counter_closed", "counter_paused", "counter_resumed")
NOT_JUDGED = "远程督导不评此项（监控与排队记录看不到或需现场拍照）"


def outlet_in_scope(session: Session, actor: audit.Actor, outlet_id: int) -> Unit:
    outlet = unit_in_scope(session, actor, outlet_id)
    if outlet.level != UnitLevel.OUTLET:
        raise InvalidInput("Choose an outlet: a remote check reviews one lobby.", "outlet_id")
    return outlet


def check_day(outlet: Unit, day: dt.date, now: dt.datetime) -> None:
    today = local_today(outlet, now)
    if not today - dt.timedelta(days=MAX_DAYS_BACK) <= day <= today:
        raise InvalidInput("Choose a day of the last year, today at the latest.", "day")


@dataclass(frozen=True, slots=True)
class Interval:
    outlet: Unit
    day: dt.date
    seed: str
    window: fieldwork.Window | None
    figures: dict[str, Any]
    items: tuple[Item, ...]  # those judged remotely


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _figures(session: Session, outlet: Unit, window: fieldwork.Window) -> dict[str, Any]:
    zone = ZoneInfo(outlet.timezone)
    start, end = window.start, window.end

    def hm(at: dt.datetime, fmt: str = "%H:%M:%S") -> str:
        return at.astimezone(zone).strftime(fmt)

    tickets = session.scalars(
        select(LobbyTicket).where(
            LobbyTicket.outlet_id == outlet.id,
            LobbyTicket.issued_at < end,
            (LobbyTicket.finished_at.is_(None)) | (LobbyTicket.finished_at >= start),
        )
    ).all()
    numbers = {
        c.id: c.number
        for c in session.scalars(select(LobbyCounter).where(LobbyCounter.outlet_id == outlet.id))
    }

    def inside(at: dt.datetime | None) -> bool:
        return at is not None and start <= at < end

    issued = [t for t in tickets if inside(t.issued_at)]
    called = [t for t in tickets if inside(t.first_called_at)]
    finished = [t for t in tickets if inside(t.finished_at)]
    waiting = [t for t in tickets if t.issued_at < start and (t.first_called_at or end) >= start]
    waits = [(t.first_called_at - t.issued_at).total_seconds() for t in called if t.first_called_at]
    timeline: list[dict[str, Any]] = []
    for t in tickets:
        counter = numbers.get(t.counter_id) if t.counter_id else None
        for kind, at in (
            ("issued", t.issued_at),
            ("called", t.first_called_at),
            ("finished", t.finished_at),
        ):
            if inside(at):
                assert at is not None
                outcome = t.outcome if kind == "finished" else None
                timeline.append(
                    {
                        "at": hm(at),
                        "kind": kind,
                        "number": t.number,
                        "counter": counter,
                        "outcome": outcome,
                    }
                )
    counter_events = session.execute(
        select(LobbyEventRow.kind, LobbyEventRow.at, LobbyEventRow.counter_id).where(
            LobbyEventRow.outlet_id == outlet.id,
            LobbyEventRow.at >= start,
            LobbyEventRow.at < end,
            LobbyEventRow.kind.in_(COUNTER_KINDS),
        )
    ).all()
    for kind, at, counter_id in counter_events:
        timeline.append(
            {
                "at": hm(at),
                "kind": kind,
                "number": "",
                "counter": numbers.get(counter_id) if counter_id else None,
                "outcome": None,
            }
        )
    alerts = session.execute(
        select(LobbyAlert.kind, LobbyAlert.raised_at).where(
            LobbyAlert.outlet_id == outlet.id,
            LobbyAlert.raised_at >= start,
            LobbyAlert.raised_at < end,
        )
    ).all()
    timeline.sort(key=lambda e: (e["at"], e["kind"]))
    return {
        "start": hm(start, "%H:%M"),
        "end": hm(end, "%H:%M"),
        "drawn": window.drawn,
        "issued": len(issued),
        "called": len(called),
        "finished": len(finished),
        "no_show": sum(1 for t in finished if t.outcome == "no_show"),
        "waiting_at_start": len(waiting),
        "wait_mean_min": _minutes(sum(waits) / len(waits)) if waits else None,
        "wait_max_min": _minutes(max(waits)) if waits else None,
        "within_target_pct": (
            round(100 * sum(1 for w in waits if w <= TARGET_WAIT_S) / len(waits)) if waits else None
        ),
        "counters_serving": sorted(
            {numbers[t.counter_id] for t in called + finished if t.counter_id in numbers}
        ),
        "counter_events": dict(Counter(kind for kind, _at, _c in counter_events)),
        "alerts": [{"at": hm(at, "%H:%M"), "kind": kind} for kind, at in alerts],
        "timeline": timeline[:MAX_TIMELINE],
        "timeline_cut": len(timeline) > MAX_TIMELINE,
    }


def interval(
    session: Session,
    actor: audit.Actor,
    *,
    outlet_id: int,
    day: dt.date,
    seed: str,
    now: dt.datetime,
) -> Interval:
    """The window the seed draws on that day at that outlet, with its figures (reads only)."""
    seed = sampler.check_seed(seed)
    outlet = outlet_in_scope(session, actor, outlet_id)
    check_day(outlet, day, now)
    issued = session.scalars(
        select(LobbyTicket.issued_at).where(
            LobbyTicket.outlet_id == outlet.id,
            LobbyTicket.local_day == day,
            LobbyTicket.previous_id.is_(None),  # a transfer's later legs are the same visit
        )
    ).all()
    zone = ZoneInfo(outlet.timezone)
    window = fieldwork.pick_window(seed, outlet.id, day, [t.astimezone(zone) for t in issued])
    figures = _figures(session, outlet, window) if window else {}
    return Interval(outlet, day, seed, window, figures, remote_items(session))


def record_remote_check(
    session: Session,
    actor: audit.Actor,
    *,
    outlet_id: int,
    day: dt.date,
    seed: str,
    notes: str,
    sent: Mapping[str, tuple[str, str]],
    now: dt.datetime,
) -> int:
    """Store the review: a "remote" visit planned on the day reviewed, its answers (the others
    "not applicable") submitted at once, and the interval's figures; returns the visit's id."""
    notes = notes.strip()
    if not notes or len(notes) > inspections.MAX_NOTE:
        raise InvalidInput(
            "Write what you saw in the interval (1 to {n} characters).",
            "notes",
            n=inspections.MAX_NOTE,
        )
    shown = interval(session, actor, outlet_id=outlet_id, day=day, seed=seed, now=now)
    if shown.window is None:
        raise InvalidInput(
            "The lobby issued no ticket that day: there is no interval to review.", "day"
        )
    items = tuple(current_standard(session).items)
    answers = fieldwork.scorecard_answers(items, shown.items, sent, NOT_JUDGED)
    visit_id = inspections.schedule_visit(
        session,
        actor,
        outlet_id=shown.outlet.id,
        kind="remote",
        planned_on=day,
        plan_ref=f"remote:{day.isoformat()}:{shown.seed}",
        inspector_id=actor.id,
        now=now,
    )
    inspections.record_results(session, actor, visit_id, answers, now)
    inspections.submit_visit(session, actor, visit_id, now, notes=notes)
    check = RemoteCheck(
        visit_id=visit_id,
        outlet_id=shown.outlet.id,
        unit_path=shown.outlet.path,
        day=day,
        seed=shown.seed,
        window_start=shown.window.start,
        window_end=shown.window.end,
        figures=shown.figures,
        notes=notes,
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(check)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="remote_check",
        entity_id=check.id,
        action="record",
        summary={
            "outlet": shown.outlet.code,
            "day": day.isoformat(),
            "seed": shown.seed,
            "window": f"{shown.figures['start']}–{shown.figures['end']}",
            "visit": visit_id,
        },
        unit_id=shown.outlet.id,
        unit_path=shown.outlet.path,
        now=now,
    )
    return visit_id


def remote_items(session: Session) -> tuple[Item, ...]:
    """The items of the current checklist a remote reviewer judges."""
    return fieldwork.judged_items(tuple(current_standard(session).items), fieldwork.REMOTE_GROUPS)


@dataclass(frozen=True, slots=True)
class RecentCheck:
    visit_id: int
    outlet_zh: str
    outlet_en: str
    day: dt.date
    seed: str
    window: str
    score: float | None
    critical_failed: bool
    notes: str


def recent(session: Session, scope_path: str, limit: int = 20) -> list[RecentCheck]:
    """The newest remote checks of outlets in the scope, with their visit's score."""
    rows = session.execute(
        select(
            RemoteCheck,
            Unit.name_zh,
            Unit.name_en,
            InspectionVisit.score,
            InspectionVisit.critical_failed,
        )
        .join(Unit, Unit.id == RemoteCheck.outlet_id)
        .join(InspectionVisit, InspectionVisit.id == RemoteCheck.visit_id)
        .where(in_scope(RemoteCheck.unit_path, scope_path))
        .order_by(RemoteCheck.created_at.desc(), RemoteCheck.id.desc())
        .limit(limit)
    ).all()
    return [
        RecentCheck(
            c.visit_id,
            zh,
            en or zh,
            c.day,
            c.seed,
            f"{c.figures.get('start', '')}–{c.figures.get('end', '')}",
            score,
            bool(critical),
            c.notes,
        )
        for c, zh, en, score, critical in rows
    ]
