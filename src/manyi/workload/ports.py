"""What workload needs from features it does not import: the simulator's check of break advice
(filled by the application with `forecast.break_check.SimulatedBreaks`; none: alerts without
break advice)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session

from manyi.org.tables import Unit
from manyi.workload.domain.advice import LevelCheck


class BreakCheck(Protocol):
    def levels(
        self, session: Session, outlet: Unit, now: dt.datetime, break_min: float
    ) -> LevelCheck: ...


_break_check: list[BreakCheck] = []


def register_break_check(check: BreakCheck) -> None:
    _break_check[:] = [check]


def break_check() -> BreakCheck | None:
    return _break_check[0] if _break_check else None
