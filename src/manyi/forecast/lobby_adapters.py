"""Forecasting's adapters for the lobby's ports (`manyi.lobby.ports`), registered at start-up.

`LearnedWaits`: the wait of a ticket at issue, by the predictor each outlet's own history chose
(`live_predict`; an outlet whose choice is v0 keeps the lobby's estimate), and the 80 % range
around it from the outlet's own errors (`live_bands`). `AdviceBoard`: the
flexible-counter advice standing on the dashboard and how much of it was taken (`live_advice`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from manyi.forecast import live_advice, live_bands, live_predict
from manyi.lobby import ports


class LearnedWaits:
    def wait_at_issue(
        self, session: Session, outlet: ports.OutletLike, service: str, klass: str, now: dt.datetime
    ) -> int | None:
        return live_predict.predict_at_issue(session, outlet, service, klass, now)

    def range_80(
        self, session: Session, outlet: ports.OutletLike, predicted_s: int, now: dt.datetime
    ) -> tuple[int, int] | None:
        return live_bands.range_80(session, outlet.id, predicted_s, now)


class AdviceBoard:
    def standing(self, session: Session, outlet_id: int) -> ports.StandingAdvice | None:
        row = live_advice.current_advice(session, outlet_id)
        if row is None:
            return None
        return ports.StandingAdvice(
            action=row.action,
            reason=row.reason,
            params=dict(row.params),
            counter_number=row.counter_number,
            given_at=row.given_at,
            acted=row.acted_at is not None,
        )

    def taken_since(self, session: Session, outlet_id: int, since: dt.datetime) -> tuple[int, int]:
        return live_advice.acted_share(session, outlet_id, since)


def register() -> None:
    """Plug forecasting into the lobby (called by the application at start-up)."""
    ports.register_wait_predictor(LearnedWaits())
    ports.register_advice(AdviceBoard())
