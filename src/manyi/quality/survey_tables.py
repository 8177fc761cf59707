"""ORM mapping of surveys: versioned definitions, sampling rules, invitations, scan positions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedText, UTCDateTime
from manyi.quality.tables import BigId


class SurveyDefinitionRow(Base):
    """One version of a trigger's survey: each edit adds a version; answers keep theirs."""

    __tablename__ = "survey_definitions"
    __table_args__ = (
        UniqueConstraint("trigger", "version", name="uq_survey_definitions_trigger_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # domain.surveys.to_json
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class SurveyRule(Base):
    """Sampling for a trigger at a unit and below (no unit: the bank-wide rule)."""

    __tablename__ = "survey_rules"
    __table_args__ = (
        UniqueConstraint("trigger", "unit_id", name="uq_survey_rules_trigger_unit"),
        CheckConstraint("rate_percent BETWEEN 0 AND 100", name="rate_percent"),
        CheckConstraint("quiet_days BETWEEN 0 AND 365", name="quiet_days"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    rate_percent: Mapped[int] = mapped_column(Integer)
    quiet_days: Mapped[int] = mapped_column(Integer)


class SurveyInvitation(Base):
    """An invitation to answer one survey about one visit: at most one per visit (a bundle done
    for a ticket shares the ticket's visit key, so the visit is asked once).

    The token is random; `token_hash` (SHA-256) finds it, and the token itself is sealed at rest
    so the customer's own channels (the ticket's status page, the voucher) can show the link
    again. `customer_key` is a blind index (never the customer's data) for the quiet period.
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("visit_key", name="uq_survey_invitations_visit_key"),
        Index("ix_survey_invitations_customer", "customer_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(EncryptedText("survey_invitations.token"))
    trigger: Mapped[str] = mapped_column(String(16))
    visit_key: Mapped[str] = mapped_column(String(64))
    definition_id: Mapped[int] = mapped_column(ForeignKey("survey_definitions.id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_path: Mapped[str] = mapped_column(String(400))
    teller_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    service: Mapped[str | None] = mapped_column(String(32), nullable=True)
    customer_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)  # how it was answered
    client_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SurveyScanPosition(Base):
    """How far the invitation scan has read each trigger's source: every row finished before
    `scanned_to` was looked at (the first scan starts from its own moment: no back-filling)."""

    __tablename__ = "survey_scan_positions"

    trigger: Mapped[str] = mapped_column(String(16), primary_key=True)
    scanned_to: Mapped[dt.datetime] = mapped_column(UTCDateTime)
