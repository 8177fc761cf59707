"""ORM mapping for forecasting: the advice given to lobby managers, each outlet's wait
predictor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime
from manyi.lobby.tables import BigId


class AdviceRow(Base):
    """One piece of advice shown on the dashboard, from when it was given until it ended.

    `acted_at` is set when the lobby manager did what it advised (opened or
    closed the counter, paged staff) while it stood.
    """

    __tablename__ = "lobby_advice"
    __table_args__ = (Index("ix_lobby_advice_outlet", "outlet_id", "ended_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    action: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counter_number: Mapped[int | None] = mapped_column(Integer)
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acted_event_id: Mapped[int | None] = mapped_column(BigId)


class AdviceState(Base):
    """What the advice rule remembers per outlet between evaluations (hysteresis)."""

    __tablename__ = "lobby_advice_state"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    high_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    low_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    standing: Mapped[str] = mapped_column(String(24), default="none")


class PredictorChoice(Base):
    """The wait predictor an outlet's lobby uses: the best on its recent history."""

    __tablename__ = "lobby_predictor_choice"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    predictor: Mapped[str] = mapped_column(String(24), default="v0")
    mae_s: Mapped[float | None] = mapped_column(Float)
    served: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
