"""ORM mapping for complaints: cases, timeline, categories, policies, experts, supervision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedText, UTCDateTime, utcnow

# Hundreds of thousands of complaints a year, kept for years after closure.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _sealed(column: str) -> EncryptedText:
    return EncryptedText(f"complaints.{column}")


_STATES = "'registered', 'assigned', 'investigating', 'decided', 'closed', 'withdrawn'"


# The columns complaint analysis counts by (insight.analysis), kept in its indexes.
ANALYSED_COLUMNS = (
    "responsible_unit_id",
    "business_code",
    "cause_code",
    "channel_code",
    "appeal_code",
    "issue_code",
    "intake",
    "verdict",
    "breached",
    "reopen_count",
)


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        CheckConstraint("deadline_stage >= 0", name="deadline_stage"),
        UniqueConstraint("source", "external_id", name="uq_complaints_source_external_id"),
        # The deadline scan reads only open cases whose next check is due.
        Index(
            "ix_complaints_next_check",
            "next_check_at",
            postgresql_where=text("next_check_at IS NOT NULL"),
            sqlite_where=text("next_check_at IS NOT NULL"),
        ),
        Index("ix_complaints_unit_state", "responsible_unit_id", "state"),
        Index("ix_complaints_handler_state", "handler_id", "state"),
        # Complaint analysis (insight, issue 19): a range of receipt, or a scope's range,
        # counted from the index alone on PostgreSQL (INCLUDE; plain indexes on SQLite).
        Index(
            "ix_complaints_analysis_received",
            "received_at",
            postgresql_include=["responsible_unit_path", *ANALYSED_COLUMNS],
        ),
        Index(
            "ix_complaints_analysis_scope",
            "responsible_unit_path",
            "received_at",
            postgresql_ops={"responsible_unit_path": "varchar_pattern_ops"},
            postgresql_include=list(ANALYSED_COLUMNS),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    # Blind index (HMAC under the pepper) of the query code the complainant got
    # (intake.query_code_hash); the code itself is never stored.
    query_code_hash: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), default="manyi")  # or "cfpb", "csv", …
    external_id: Mapped[str | None] = mapped_column(String(64))

    intake: Mapped[str] = mapped_column(String(20))
    # The channel's own reference: hotline call id, letter number, post or article link.
    intake_ref: Mapped[str] = mapped_column(String(200), default="")
    channel_code: Mapped[str | None] = mapped_column(String(64))
    business_code: Mapped[str | None] = mapped_column(String(64))
    cause_code: Mapped[str | None] = mapped_column(String(64))
    appeal_code: Mapped[str | None] = mapped_column(String(64))  # 诉求 (the fourth axis)
    # The prominent-issue category (突出问题, insight's categories as data), when classified.
    issue_code: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(32))
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)

    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[str] = mapped_column(Text, default="")  # what the complainant asks for
    product: Mapped[str] = mapped_column(String(300), default="")

    # Sealed at rest (AES-256-GCM, manyi.sealed): SQL sees only envelopes, and "" when empty.
    complainant_name: Mapped[str] = mapped_column(_sealed("complainant_name"), default="")
    complainant_phone: Mapped[str] = mapped_column(_sealed("complainant_phone"), default="")
    complainant_id_number: Mapped[str] = mapped_column(_sealed("complainant_id_number"), default="")
    complainant_email: Mapped[str] = mapped_column(_sealed("complainant_email"), default="")
    complainant_address: Mapped[str] = mapped_column(_sealed("complainant_address"), default="")
    # Keyed blind indexes (HMAC under the pepper, manyi.personal): the ID number's, else the
    # phone's, for repeat detection and the search by ID; the phone's and the name's for the
    # exact search by phone or name. They tell equal values apart from unequal ones, no more.
    person_key: Mapped[str | None] = mapped_column(String(64), index=True)
    complainant_phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    complainant_name_index: Mapped[str | None] = mapped_column(String(64), index=True)

    registered_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    responsible_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    responsible_unit_path: Mapped[str] = mapped_column(String(400), index=True)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    regulator_ref: Mapped[str] = mapped_column(String(64), default="")
    regulator_received_on: Mapped[dt.date | None] = mapped_column(Date)

    state: Mapped[str] = mapped_column(String(20), default="registered")
    policy_code: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    deadline_stage: Mapped[int] = mapped_column(Integer, default=0)
    # The regulatory period runs from here (receipt, or the latest reopening).
    clock_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the deadline scan should look at this case next (None: never, e.g. finished).
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    risk_notified: Mapped[int] = mapped_column(Integer, default=0)  # highest risk level notified
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # Once overdue, always recorded: a late extension or decision does not erase it.
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    decision: Mapped[str] = mapped_column(Text, default="")
    reply_channel: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    # The decision's verdict (投诉是否成立): upheld, partly upheld or not upheld (model.Verdict).
    verdict: Mapped[str | None] = mapped_column(String(16))
    # The decision's root-cause category: person, process, product, system or policy.
    root_cause_kind: Mapped[str | None] = mapped_column(String(16))
    rectification_ref: Mapped[str] = mapped_column(String(64), default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ComplaintEvent(Base):
    """One entry on a case's timeline; every action writes one (and an audit event)."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Shown to the complainant on the public status page.
    public: Mapped[bool] = mapped_column(Boolean, default=False)


class ComplaintNamedStaff(Base):
    """Staff named in a complaint, or who declared a conflict: never its handler (回避)."""

    __tablename__ = "complaint_recusals"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))  # "named" | "conflict"


class ComplaintCategory(Base):
    """A value on one of the three classification axes (JR/T 0169-2018); data, not code."""

    __tablename__ = "complaint_categories"
    __table_args__ = (
        CheckConstraint("axis IN ('channel', 'business', 'cause', 'appeal')", name="axis"),
        UniqueConstraint("axis", "code", name="uq_complaint_categories_axis_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    axis: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ComplaintPolicy(Base):
    """A deadline policy (complaints.policies.DeadlinePolicy as JSON); presets are seeded."""

    __tablename__ = "complaint_policies"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Days after a decision with no answer from the complainant before the case closes.
    close_after_days: Mapped[int] = mapped_column(Integer, default=7)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComplaintExtension(Base):
    """A request to extend the deadline to the next stage; granted at once or after approval."""

    __tablename__ = "complaint_extensions"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'granted', 'rejected')", name="state"),
        UniqueConstraint("complaint_id", "stage", "round", name="uq_complaint_extensions_stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[int] = mapped_column(Integer)  # the stage it grants (1, 2, …)
    round: Mapped[int] = mapped_column(Integer, default=0)  # counts reopenings
    reason: Mapped[str] = mapped_column(Text)
    complainant_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(10))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    approver_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ComplaintExpert(Base):
    """The expert roster: staff who advise on hard cases across levels."""

    __tablename__ = "complaint_experts"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    business_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[str] = mapped_column(String(20))  # "senior" | "chief"
    note: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ComplaintConsultation(Base):
    __tablename__ = "complaint_consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    question: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opinion: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ComplaintSupervision(Base):
    """A 督办 record: a higher-level unit supervises an overdue case."""

    __tablename__ = "complaint_supervisions"
    __table_args__ = (
        # One supervision per level and period: two workers can never escalate twice.
        UniqueConstraint("complaint_id", "round", "level", name="uq_complaint_supervisions_level"),
        CheckConstraint("state IN ('open', 'resolved')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer)  # 1 = parent of the responsible unit
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    instructions: Mapped[str] = mapped_column(Text)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="open")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ComplaintAttachment(Base):
    __tablename__ = "complaint_attachments"
    __table_args__ = (
        UniqueConstraint("complaint_id", "sha256", name="uq_complaint_attachments_content"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # sent by the complainant
