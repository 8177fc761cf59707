"""ORM mapping for the classifier: the model store, the suggestions, the auto-apply settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")

_TARGETS = "'business', 'cause', 'appeal', 'product', 'issue'"
_OUTCOMES = "'pending', 'accepted', 'corrected', 'auto_applied'"


class ClassifierModel(Base):
    """One trained version of the model of one target, with its evaluation.

    `blob` is `classifier.dumps` (an .npz of arrays and JSON, no pickle); `blob_sha256` lets a
    load tell a damaged or replaced blob from the one trained. One version per target is active.
    """

    __tablename__ = "insight_classifier_models"
    __table_args__ = (
        CheckConstraint(f"target IN ({_TARGETS})", name="target"),
        UniqueConstraint("target", "version", name="uq_insight_classifier_models_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(64))
    labels: Mapped[list[str]] = mapped_column(JSON)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    blob_sha256: Mapped[str] = mapped_column(String(64))
    training_size: Mapped[int] = mapped_column(Integer)
    # Cases per label in the training set; labels left out for too few cases.
    label_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    left_out: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # k-fold on the training cases: {"folds", "n", "classes", "accuracy", "macro_f1"}.
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    trained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    trained_by: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class ClassifierSuggestion(Base):
    """A model's suggested value for one target of one complaint, and what became of it."""

    __tablename__ = "insight_suggestions"
    __table_args__ = (
        CheckConstraint(f"target IN ({_TARGETS})", name="target"),
        CheckConstraint(f"outcome IN ({_OUTCOMES})", name="outcome"),
        UniqueConstraint("complaint_id", "target", name="uq_insight_suggestions_target"),
        Index("ix_insight_suggestions_target_outcome", "target", "outcome"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    confidence: Mapped[float] = mapped_column(Float)
    model_id: Mapped[int] = mapped_column(ForeignKey("insight_classifier_models.id"))
    model_version: Mapped[int] = mapped_column(Integer)
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    # Who accepted or corrected it (None: the model applied it, or staff have not acted yet).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    final_value: Mapped[str | None] = mapped_column(String(300))  # staff's value when corrected


class AutoApplySetting(Base):
    """Whether a target's confident suggestions are applied at once, bank-wide (head office)."""

    __tablename__ = "insight_auto_apply"
    __table_args__ = (
        CheckConstraint(f"target IN ({_TARGETS})", name="target"),
        CheckConstraint("threshold > 0 AND threshold <= 1", name="threshold"),
    )

    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    threshold: Mapped[float] = mapped_column(Float, default=0.9)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_by: Mapped[str] = mapped_column(String(100), default="")
