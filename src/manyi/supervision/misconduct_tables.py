"""ORM mapping of misconduct cases (confidential), their sanctions, accountable parties and
bulletins (通报). The rules are in `domain/misconduct.py`; the use cases in `misconduct.py`.

A case carries the unit path of the staff member concerned when it was opened: the data scope
of who may see it is that path (`org.scope.in_scope`). The investigation notes and findings are
sealed at rest: they are the confidential part, never shown to the staff member.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedText, UTCDateTime


class MisconductCase(Base):
    __tablename__ = "misconduct_cases"
    __table_args__ = (
        # The cases list: a scope's cases by state, newest first.
        Index("ix_misconduct_cases_scope", "unit_path", "state", "id"),
        # A staff member's own sanctions, and the stars part's question.
        Index("ix_misconduct_cases_staff", "staff_id", "state"),
        # The worker's deadline watch reads only cases whose next look is due.
        Index("ix_misconduct_cases_deadline_check", "deadline_check_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))  # domain.Origin
    origin_ref: Mapped[str] = mapped_column(String(120), default="")
    severity: Mapped[str] = mapped_column(String(16))  # domain.SEVERITIES code
    state: Mapped[str] = mapped_column(String(16))  # domain.CaseState
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    happened_on: Mapped[dt.date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)  # what happened, as reported
    investigation_due_on: Mapped[dt.date] = mapped_column(Date)
    investigator_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    notes: Mapped[str] = mapped_column(EncryptedText("misconduct_cases.notes"), default="")
    findings: Mapped[str] = mapped_column(EncryptedText("misconduct_cases.findings"), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")  # shown to the staff member
    dismissal_reason: Mapped[str] = mapped_column(Text, default="")
    rectification_task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    investigating_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    findings_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sanctioned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finalised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dismissed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the worker's deadline watch looks at the case next (None: nothing left to watch);
    # workers claim a case by moving it on (`misconduct_deadlines.claim`).
    deadline_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MisconductSanction(Base):
    """One sanction of the catalogue decided on a case; in force once the case is finalised
    (`effective_on`, the local day of finalising)."""

    __tablename__ = "misconduct_sanctions"
    __table_args__ = (Index("ix_misconduct_sanctions_staff", "staff_id", "removes_star"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("misconduct_cases.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    code: Mapped[str] = mapped_column(String(32))
    removes_star: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class MisconductParty(Base):
    """An accountable party of a severe case (one level up), as computed when it was decided."""

    __tablename__ = "misconduct_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("misconduct_cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # domain.Accountable
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_name: Mapped[str] = mapped_column(String(100))


class MisconductBulletin(Base):
    """A bulletin (通报) issued from a finalised case to every staff member of a unit's subtree."""

    __tablename__ = "misconduct_bulletins"
    __table_args__ = (Index("ix_misconduct_bulletins_scope", "scope_path", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("misconduct_cases.id"), index=True)
    scope_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    scope_path: Mapped[str] = mapped_column(String(400))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    names_shown: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class MisconductDeadlineNotice(Base):
    """One notice of the investigation's deadline (`domain.misconduct.DeadlineNotice`: the
    investigator warned when it is at risk, the responsible managers told when it is overdue);
    unique per case and step, so each is sent once whatever the workers do."""

    __tablename__ = "misconduct_deadline_notices"
    __table_args__ = (
        UniqueConstraint("case_id", "step", name="uq_misconduct_deadline_notices_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("misconduct_cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[dt.date] = mapped_column(Date)
    notified: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
