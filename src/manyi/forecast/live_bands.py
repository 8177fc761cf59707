"""The 80 % range a live lobby shows around its wait estimate (`lobby.waits`).

The range is calibrated on the outlet's own history: each ticket keeps the wait it was
promised at issue (`predicted_wait_s`), and its first call tells the wait it had. Those
pairs, in the order the waits became known, feed `intervals.ErrorBands` (the same method
`manyi waits evaluate` scores as `coverage80` and `width80_s`). Only a visit's first leg
counts (a transfer's second wait was never promised). Each process calibrates an outlet once
from its last `HISTORY_DAYS` days (the newest `LIMIT` waits), then feeds it the waits known
since, looking at most once every `TTL_S` seconds.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.db_keys import database_key
from manyi.forecast.intervals import ErrorBands
from manyi.lobby.tables import LobbyTicket

HISTORY_DAYS = 14
LIMIT = 3000  # the newest known waits used
TTL_S = 60.0


@dataclass
class _Calibration:
    bands: ErrorBands
    checked: float  # time.monotonic() of the last look at new waits
    last: tuple[dt.datetime, int] | None  # (first call, id) of the newest wait learned
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache: dict[tuple[str, int], _Calibration] = {}
_guard = threading.Lock()


def range_80(
    session: Session, outlet_id: int, predicted_s: int, now: dt.datetime
) -> tuple[int, int] | None:
    """The 80 % range for a predicted wait at the outlet, from its calibration: built once from
    its last days, then fed only the waits known since, at most once every TTL_S seconds."""
    key = (database_key(session), outlet_id)
    with _guard:
        cal = _cache.setdefault(key, _Calibration(ErrorBands(), -TTL_S, None))
    with cal.lock:  # one thread at a time learns or reads an outlet's errors
        if time.monotonic() - cal.checked >= TTL_S:
            learn_since(session, outlet_id, now, cal)
            cal.checked = time.monotonic()
        band = cal.bands.band(float(predicted_s))
    if band is None:
        return None
    return int(band[0]), math.ceil(band[1])


def calibrate(session: Session, outlet_id: int, now: dt.datetime) -> ErrorBands:
    """The outlet's promised and actual waits of the last days, in the order they were known."""
    cal = _Calibration(ErrorBands(), 0.0, None)
    learn_since(session, outlet_id, now, cal)
    return cal.bands


def learn_since(session: Session, outlet_id: int, now: dt.datetime, cal: _Calibration) -> None:
    query = select(
        LobbyTicket.id,
        LobbyTicket.predicted_wait_s,
        LobbyTicket.issued_at,
        LobbyTicket.first_called_at,
    ).where(
        LobbyTicket.outlet_id == outlet_id,
        LobbyTicket.previous_id.is_(None),
        LobbyTicket.predicted_wait_s.is_not(None),
        LobbyTicket.first_called_at.is_not(None),
        LobbyTicket.first_called_at > now - dt.timedelta(days=HISTORY_DAYS),
        LobbyTicket.first_called_at <= now,
    )
    if cal.last is not None:
        query = query.where(LobbyTicket.first_called_at >= cal.last[0])
    rows = session.execute(
        query.order_by(LobbyTicket.first_called_at.desc(), LobbyTicket.id.desc()).limit(LIMIT)
    ).all()
    for ticket_id, predicted, issued, called in reversed(rows):
        if predicted is None or issued is None or called is None:
            continue
        if cal.last is not None and (called, ticket_id) <= cal.last:
            continue  # learned already
        cal.bands.learn(float(predicted), max((called - issued).total_seconds(), 0.0))
        cal.last = (called, ticket_id)


def forget() -> None:
    """Drop this process's calibrations (tests)."""
    with _guard:
        _cache.clear()
