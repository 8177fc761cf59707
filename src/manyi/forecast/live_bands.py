"""The 80 % range a live lobby shows around its wait estimate (`lobby.waits`).

The range is calibrated on the outlet's own history: each ticket keeps the wait it was
promised at issue (`predicted_wait_s`), and its first call tells the wait it had. Those
pairs, in the order the waits became known, feed `intervals.ErrorBands` (the same method
`manyi waits evaluate` scores as `coverage80` and `width80_s`). Only a visit's first leg
counts (a transfer's second wait was never promised). The calibration is rebuilt from the
last `HISTORY_DAYS` days at most once every `TTL_S` seconds per outlet and process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.forecast.intervals import ErrorBands
from manyi.lobby.tables import LobbyTicket

HISTORY_DAYS = 14
LIMIT = 3000  # the newest known waits used
TTL_S = 60.0

_cache: dict[tuple[str, int], tuple[float, ErrorBands]] = {}
_guard = threading.Lock()


def bands_for(session: Session, outlet_id: int, now: dt.datetime) -> ErrorBands:
    key = (str(session.get_bind().engine.url), outlet_id)
    with _guard:
        cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < TTL_S:
        return cached[1]
    bands = calibrate(session, outlet_id, now)
    with _guard:
        _cache[key] = (time.monotonic(), bands)
    return bands


def calibrate(session: Session, outlet_id: int, now: dt.datetime) -> ErrorBands:
    """The outlet's promised and actual waits of the last days, in the order they were known."""
    rows = session.execute(
        select(LobbyTicket.predicted_wait_s, LobbyTicket.issued_at, LobbyTicket.first_called_at)
        .where(
            LobbyTicket.outlet_id == outlet_id,
            LobbyTicket.previous_id.is_(None),
            LobbyTicket.predicted_wait_s.is_not(None),
            LobbyTicket.first_called_at.is_not(None),
            LobbyTicket.first_called_at > now - dt.timedelta(days=HISTORY_DAYS),
            LobbyTicket.first_called_at <= now,
        )
        .order_by(LobbyTicket.first_called_at.desc(), LobbyTicket.id.desc())
        .limit(LIMIT)
    ).all()
    bands = ErrorBands()
    for predicted, issued, called in reversed(rows):
        if predicted is None or issued is None or called is None:
            continue
        bands.learn(float(predicted), max((called - issued).total_seconds(), 0.0))
    return bands


def range_80(
    session: Session, outlet_id: int, predicted_s: int, now: dt.datetime
) -> tuple[int, int] | None:
    band = bands_for(session, outlet_id, now).band(float(predicted_s))
    if band is None:
        return None
    return int(band[0]), round(band[1] + 0.5)


def forget() -> None:
    """Drop this process's calibrations (tests)."""
    with _guard:
        _cache.clear()
