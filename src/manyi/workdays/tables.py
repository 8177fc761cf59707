"""ORM mapping of the entered calendar: one row per year head office entered (who, when, the
lines as typed), one row per listed date, and the one-row version other processes watch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime


class WorkdayYear(Base):
    """A year whose holidays head office entered: it takes precedence over the package."""

    __tablename__ = "workday_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)  # the lines as entered (domain.notice)
    source: Mapped[str] = mapped_column(String(200), default="")  # e.g. 国办发明电〔2026〕7号
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    entered_by_name: Mapped[str] = mapped_column(String(120))  # kept if the account goes
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class WorkdayDay(Base):
    """One date of an entered year: a holiday (放假) or a make-up workday (调休上班)."""

    __tablename__ = "workday_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("workday_years.year", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(40))


class WorkdayCalendarVersion(Base):
    """One row: bumped by every save, so each process knows when its cached calendar is stale.

    `token` is new on every save (a process may talk to several databases, in tests at least:
    the cache is keyed by the token, never by a bare counter)."""

    __tablename__ = "workday_calendar_version"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
