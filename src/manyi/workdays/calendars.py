"""The bank's calendar as every feature asks for it: the package merged with the years head
office entered, cached per process.

`bank_calendar(session)` reads the one-row `workday_calendar_version` (a primary-key read) and
rebuilds the calendar only when its token differs from the cached one. A save here changes the
token in the same transaction as the days, so the saving process and every other process (web
workers, `manyi worker`, a command) see the new calendar on their next read after the commit;
there is no message to miss and no time-to-live to wait for. A database without the row (no
year entered yet) gets the package's calendar.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.workdays.domain.calendar import BankCalendar, Calendars, DayKind, EnteredDay
from manyi.workdays.tables import WorkdayCalendarVersion, WorkdayDay, WorkdayYear

__all__ = ["ChangeListener", "bank_calendar", "calendars", "changed", "forget", "on_change"]

_lock = threading.Lock()
_cached: tuple[str, BankCalendar] | None = None
_NONE_ENTERED = BankCalendar()

# What a feature does, in the saving transaction, when the calendar changes (complaints: their
# open working-day cases are looked at again by the next deadline scan). Registered by the
# composition roots (`manyi.web.wiring.plug_features`, `manyi.cli`), since the calendar knows no
# feature that counts on it.
ChangeListener = Callable[[Session, dt.datetime], None]
_listeners: list[ChangeListener] = []


def on_change(listener: ChangeListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def changed(session: Session, now: dt.datetime) -> None:
    """Tell every listener the calendar changed (called by the saves, in their transaction)."""
    for listener in list(_listeners):
        listener(session, now)


def _token(session: Session) -> str:
    row = session.get(WorkdayCalendarVersion, 1)
    return row.token if row is not None else ""


def _load(session: Session) -> BankCalendar:
    years = session.scalars(select(WorkdayYear.year)).all()
    days = [
        EnteredDay(row.day, DayKind(row.kind), row.name, row.year)
        for row in session.scalars(select(WorkdayDay))
    ]
    return BankCalendar(days, years)


def bank_calendar(session: Session) -> BankCalendar:
    """The calendar deadlines, staffing plans and due dates count on, as of this unit of work."""
    global _cached
    token = _token(session)
    if not token:
        return _NONE_ENTERED
    cached = _cached
    if cached is not None and cached[0] == token:
        return cached[1]
    calendar = _load(session)
    with _lock:
        _cached = (token, calendar)
    return calendar


def calendars(session: Session) -> Calendars:
    """The calendars a deadline policy may name, "cn" being the bank's."""
    return Calendars(cn=bank_calendar(session))


def forget() -> None:
    """Drop the cached calendar (tests; a save needs no call, its new token does it)."""
    global _cached
    with _lock:
        _cached = None
