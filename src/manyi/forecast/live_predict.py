"""The best wait predictor for each outlet, used when its lobby issues a ticket.

* **Choosing** (`manyi worker`, once a day per outlet): the outlet's last 28 days are
  replayed through every predictor (`evaluate.evaluate`) and the one with the lowest
  mean absolute error becomes the outlet's choice (`lobby_predictor_choice`). With
  fewer than `MIN_SERVED` served visits the choice stays `v0`, the engine's estimate.
* **Using** (the lobby, at issue): for an outlet whose choice is `v0` nothing changes.
  Otherwise this process keeps a warm instance of the chosen predictor per outlet: it
  replays the last `WARM_DAYS` days once, then follows the outlet's lobby events (by
  id) before each prediction, so it has seen everything up to the ticket being issued.

A leg that starts with a transfer is not a new visit to the predictors: its calls are
not fed to them (they learn from first calls of visits).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi.db import Database
from manyi.db_keys import database_key
from manyi.forecast.evaluate import evaluate
from manyi.forecast.export import export_visits
from manyi.forecast.predictors import PREDICTORS
from manyi.forecast.replay import Arrival, EventKind, Predictor, WaitEvent, events_of
from manyi.forecast.tables import PredictorChoice
from manyi.lobby import layouts, ports, queries
from manyi.lobby.tables import LobbyEventRow, LobbySettings
from manyi.org.tables import Unit

HISTORY_DAYS = 28
WARM_DAYS = 7
MIN_SERVED = 200
CHOOSE_EVERY = dt.timedelta(hours=24)
CHOICE_TTL_S = 60.0  # how long a process trusts its copy of an outlet's choice
ENDS = {"completed": "served", "no_show": "no_show", "cancelled": "cancelled"}


# --- choosing ----------------------------------------------------------------------------


def choose(session: Session, outlet: ports.OutletLike, now: dt.datetime) -> PredictorChoice:
    """Score every predictor on the outlet's recent history and record the best."""
    today = layouts.layout(session, outlet).policy.business_day(now)
    visits = export_visits(
        session, outlet, today - dt.timedelta(days=HISTORY_DAYS), today - dt.timedelta(days=1)
    ).visits
    served = sum(1 for v in visits if v.outcome == "served")
    name, mae, n = "v0", None, served
    if served >= MIN_SERVED:
        result = evaluate(visits, PREDICTORS)
        best = result.best
        if best is not None:
            name, mae, n = best, result.scores[best].mae_s, result.scores[best].n
    row = session.get(PredictorChoice, outlet.id)
    if row is None:
        row = PredictorChoice(outlet_id=outlet.id)
        session.add(row)
    row.predictor, row.mae_s, row.served, row.evaluated_at = name, mae, n, now
    return row


def run_due(db: Database, now: dt.datetime) -> int:
    """Choose again for every outlet with a lobby whose choice is a day old; returns how many."""
    with db.read() as session:
        due = list(
            session.scalars(
                select(Unit.id)
                .join(LobbySettings, LobbySettings.outlet_id == Unit.id)
                .outerjoin(PredictorChoice, PredictorChoice.outlet_id == Unit.id)
                .where(
                    (PredictorChoice.evaluated_at.is_(None))
                    | (PredictorChoice.evaluated_at <= now - CHOOSE_EVERY)
                )
            )
        )
    for outlet_id in due:
        with db.session() as session:
            choose(session, session.get_one(Unit, outlet_id), now)
    return len(due)


# --- using -------------------------------------------------------------------------------


@dataclass
class _Warm:
    predictor: Predictor
    last_event_id: int
    tickets: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> service, class
    called: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


_choices: dict[tuple[str, int], tuple[float, str]] = {}
_warm: dict[tuple[str, int, str], _Warm] = {}
_guard = threading.Lock()


def chosen(session: Session, outlet_id: int) -> str:
    key = (database_key(session), outlet_id)
    cached = _choices.get(key)
    if cached is not None and time.monotonic() - cached[0] < CHOICE_TTL_S:
        return cached[1]
    name = session.scalar(
        select(PredictorChoice.predictor).where(PredictorChoice.outlet_id == outlet_id)
    )
    name = name if name in PREDICTORS else "v0"
    _choices[key] = (time.monotonic(), name)
    return name


def forget() -> None:
    """Drop this process's warm predictors and cached choices (tests, reconfiguration)."""
    with _guard:
        _choices.clear()
        _warm.clear()


def _warm_up(session: Session, outlet: ports.OutletLike, name: str, now: dt.datetime) -> _Warm:
    predictor = PREDICTORS[name]()
    today = layouts.layout(session, outlet).policy.business_day(now)
    newest = session.scalar(
        select(func.max(LobbyEventRow.id)).where(LobbyEventRow.outlet_id == outlet.id)
    )
    history = export_visits(session, outlet, today - dt.timedelta(days=WARM_DAYS), today)
    for event in events_of(history.visits):
        predictor.observe(event)
    return _Warm(predictor, int(newest or 0))


def _follow(session: Session, outlet_id: int, warm: _Warm) -> None:
    for row in queries.events_after(session, outlet_id, warm.last_event_id):
        warm.last_event_id = row.id
        event = _as_wait_event(warm, row.kind, row.at, row.ticket_id, row.data)
        if event is not None:
            warm.predictor.observe(event)


def _as_wait_event(
    warm: _Warm, kind: str, at: dt.datetime, ticket_id: int | None, data: dict[str, object]
) -> WaitEvent | None:
    if ticket_id is None:
        return None
    if kind == "issued":
        warm.tickets[ticket_id] = (str(data.get("service")), str(data.get("class", "normal")))
        service, klass = warm.tickets[ticket_id]
        return WaitEvent(EventKind.ISSUED, at, str(ticket_id), service, klass)
    known = warm.tickets.get(ticket_id)
    if known is None:  # issued before the warm-up read, or a transfer's new leg
        return None
    service, klass = known
    counter = str(data.get("counter")) if data.get("counter") is not None else None
    if kind == "called" and ticket_id not in warm.called:
        warm.called.add(ticket_id)
        return WaitEvent(EventKind.CALLED, at, str(ticket_id), service, klass, counter)
    if kind in ENDS or kind == "transferred":
        warm.tickets.pop(ticket_id, None)
        warm.called.discard(ticket_id)
        outcome = ENDS.get(kind, "served")
        return WaitEvent(EventKind.FINISHED, at, str(ticket_id), service, klass, counter, outcome)
    return None


def predict_at_issue(
    session: Session, outlet: ports.OutletLike, service: str, klass: str, now: dt.datetime
) -> int | None:
    """The chosen predictor's wait for a ticket issued now; None when the choice is v0."""
    name = chosen(session, outlet.id)
    if name == "v0":
        return None
    key = (database_key(session), outlet.id, name)
    with _guard:
        warm = _warm.get(key)
    if warm is None:
        warm = _warm_up(session, outlet, name, now)
        with _guard:
            warm = _warm.setdefault(key, warm)
    with warm.lock:
        _follow(session, outlet.id, warm)
        seconds = warm.predictor.predict(Arrival("new", service, klass, now), now)
    return max(round(seconds), 0)
