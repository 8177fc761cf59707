"""ORM mapping for workload: service default weights and the anonymous pulse survey.

The pulse answers hold no staff id, no time and no sequential id (a random key), so nothing in
a row leads back to who answered; `workload_pulse_answered` records only that a staff member
answered in a month, to refuse a second answer. The two are written in one transaction and
share nothing but the month (docs/workload.md, "Why the answers cannot be traced").
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base


class ServiceWeight(Base):
    """The complexity weight of an outlet's lobby service, for tickets served without a
    counter bundle (1.0 when there is no row)."""

    __tablename__ = "workload_service_weights"
    __table_args__ = (CheckConstraint("weight > 0 AND weight <= 10", name="weight"),)

    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)


class PulseAnswer(Base):
    __tablename__ = "workload_pulse_answers"
    __table_args__ = (
        CheckConstraint("workload BETWEEN 1 AND 5", name="workload"),
        CheckConstraint("support BETWEEN 1 AND 5", name="support"),
        CheckConstraint("pressure BETWEEN 1 AND 5", name="pressure"),
        Index("ix_workload_pulse_answers_month_path", "month", "unit_path"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: no order
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    month: Mapped[str] = mapped_column(String(7))  # local "YYYY-MM"
    workload: Mapped[int] = mapped_column(SmallInteger)
    support: Mapped[int] = mapped_column(SmallInteger)
    pressure: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(String(500), default="")


class PulseAnswered(Base):
    """A staff member answered the pulse survey of this month (not what they answered)."""

    __tablename__ = "workload_pulse_answered"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
