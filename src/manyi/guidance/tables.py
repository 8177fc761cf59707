"""Lobby guidance's tables: each outlet's self-service machines and the lobby manager's
encounters at the door (migration 0049).

An encounter holds no personal data: the need (a catalogue code), what was done, by whom and
when, and the live wait prediction of the need's queue at the time (the wait a completed
diversion avoided). A ticket taken is linked by id; the day is the outlet's local day.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime
from manyi.guidance.domain.triage import MachineKind, Outcome

BigId = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: object) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"  # type: ignore[attr-defined]


class GuidanceMachine(Base):
    """A self-service machine in an outlet's lobby, by the label customers see on it."""

    __tablename__ = "guidance_machines"
    __table_args__ = (
        UniqueConstraint("outlet_id", "label"),
        CheckConstraint(_in("kind", MachineKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    label: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    in_service: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class GuidanceEncounter(Base):
    """One customer met at the door and what was done for them."""

    __tablename__ = "guidance_encounters"
    __table_args__ = (
        CheckConstraint(_in("outcome", Outcome), name="outcome"),
        Index("ix_guidance_encounters_outlet_day", "outlet_id", "local_day"),
        Index("ix_guidance_encounters_path_day", "outlet_path", "local_day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    outlet_path: Mapped[str] = mapped_column(String(400))
    local_day: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    need: Mapped[str] = mapped_column(String(40))  # a catalogue code, or "other"
    service_code: Mapped[str | None] = mapped_column(String(16))  # the queue it would join
    outcome: Mapped[str] = mapped_column(String(16))
    klass: Mapped[str | None] = mapped_column(String(16))  # the ticket's class
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("guidance_machines.id"))
    function_zh: Mapped[str] = mapped_column(String(80), default="")  # mobile / online
    function_en: Mapped[str] = mapped_column(String(120), default="")
    target_outlet_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    taught: Mapped[bool] = mapped_column(Boolean, default=False)
    completed: Mapped[bool | None] = mapped_column(Boolean)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("lobby_tickets.id"))
    predicted_wait_s: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
