"""ORM mapping for the paperless counter: catalogue versions, pre-fills, bundles and their
items, corrections, the one authorisation request, signature, e-voucher and measures.

No column ever holds a PIN, a PIN block or anything derived from one: the block lives only
inside `runner.run` (see tests/integration/test_counter_pin_trace.py).
"""

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
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedJSON, UTCDateTime, utcnow

# Bundles and pre-fills grow by the hundred per outlet and day; SQLite needs INTEGER
# for its rowid alias, PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")

BUNDLE_STATES = (
    "draft",
    "confirmed",
    "identity_checked",
    "awaiting_authorisation",
    "authorised",
    "rejected",
    "interrupted",
    "pin_retry",
    "done",
    "partial",
    "failed",
    "signed",
    "archived",
    "cancelled",
)
ITEM_STATUSES = ("pending", "posted", "failed", "unknown", "skipped", "pin_wrong")
REQUEST_STATES = ("pending", "claimed", "approved", "rejected", "withdrawn")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CounterTransactionType(Base):
    """One version of a transaction type (a form); never changed once written."""

    __tablename__ = "counter_transaction_types"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_counter_transaction_types_code_version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the JSON Schema of the form
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical document
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")  # why it was edited


class CounterPrefill(Base):
    """A customer's merged form, filled before the visit; found again by its code."""

    __tablename__ = "counter_prefills"
    __table_args__ = (CheckConstraint("channel IN ('phone', 'kiosk', 'counter')", name="channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    # The first characters of the code, to find the row; the code itself is never stored.
    code_prefix: Mapped[str] = mapped_column(String(4), index=True)
    # Blind index of the code (prefill.code_hash, an HMAC under the pepper).
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"code", "version"}]
    # Merged key → normalised value, sealed at rest (names, ID and phone numbers, accounts).
    form_values: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("counter_prefills.form_values")
    )
    ticket_token: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class CounterBundle(Base):
    """Several transactions done for one customer with one form, PIN and authorisation."""

    __tablename__ = "counter_bundles"
    __table_args__ = (
        CheckConstraint(_in("state", BUNDLE_STATES), name="state"),
        CheckConstraint("pin_entries >= 0", name="pin_entries"),
        Index("ix_counter_bundles_outlet_opened", "outlet_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Also the bundle id of the core's idempotency keys ("<reference>:<item>").
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    outlet_path: Mapped[str] = mapped_column(String(400), index=True)
    teller_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    prefill_id: Mapped[int | None] = mapped_column(ForeignKey("counter_prefills.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("lobby_tickets.id"), index=True)
    state: Mapped[str] = mapped_column(String(24))
    # The merged form's values, sealed at rest like the pre-fill's.
    form_values: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("counter_bundles.form_values")
    )
    customer_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    identity_required: Mapped[bool] = mapped_column(Boolean)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the ticket's call
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A card matching the bundle was read (cleared by a correction).
    id_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pin_entries: Mapped[int] = mapped_column(Integer, default=0)
    wrong_pins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CounterBundleItem(Base):
    """One transaction of a bundle, with the type version it was made with and its result."""

    __tablename__ = "counter_bundle_items"
    __table_args__ = (
        UniqueConstraint("bundle_id", "number", name="uq_counter_bundle_items_bundle_number"),
        ForeignKeyConstraint(
            ["code", "version"],
            ["counter_transaction_types.code", "counter_transaction_types.version"],
            name="fk_counter_bundle_items_type",
        ),
        CheckConstraint(_in("status", ITEM_STATUSES), name="status"),
        CheckConstraint("number >= 1", name="number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("counter_bundles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # from 1, the order the items run in
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    # Field → value or "@item1.f", sealed at rest.
    item_values: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("counter_bundle_items.item_values")
    )
    needs_pin: Mapped[bool] = mapped_column(Boolean)
    # "account" or "card": what the account-or-card number turned out to be on the first
    # run, so that a retry sends the same posting; "" before the first run.
    payer: Mapped[str] = mapped_column(String(8), default="")
    idempotency_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error_code: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(300), default="")
    core_reference: Mapped[str] = mapped_column(String(64), default="")
    outputs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    replayed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CounterCorrection(Base):
    """A value the teller changed; the customer confirms the bundle again after it."""

    __tablename__ = "counter_corrections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("counter_bundles.id"), index=True)
    field: Mapped[str] = mapped_column(String(80))  # the merged form's key
    old_value: Mapped[Any] = mapped_column(
        EncryptedJSON("counter_corrections.old_value"), nullable=True
    )
    new_value: Mapped[Any] = mapped_column(
        EncryptedJSON("counter_corrections.new_value"), nullable=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CounterAuthorisation(Base):
    """The one authorisation request of a bundle (unique `bundle_id`), listing every item."""

    __tablename__ = "counter_authorisations"
    __table_args__ = (
        CheckConstraint("level IN ('supervisor', 'remote')", name="level"),
        CheckConstraint(_in("state", REQUEST_STATES), name="state"),
        # The remote centre's queue: pending requests, oldest first.
        Index("ix_counter_authorisations_queue", "level", "state", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("counter_bundles.id"), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    outlet_path: Mapped[str] = mapped_column(String(400), index=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # label, level, reasons per item
    state: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class CounterSignature(Base):
    """The customer's one signature for the bundle (a PNG from the signature pad)."""

    __tablename__ = "counter_signatures"

    bundle_id: Mapped[int] = mapped_column(ForeignKey("counter_bundles.id"), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    captured_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))


class CounterVoucher(Base):
    """The e-voucher PDF of a bundle, kept under var/ by its SHA-256."""

    __tablename__ = "counter_vouchers"

    bundle_id: Mapped[int] = mapped_column(ForeignKey("counter_bundles.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))


class CounterBundleMeasure(Base):
    """What one bundle saved: the baseline when it opens, the times when it finishes."""

    __tablename__ = "counter_bundle_measures"
    __table_args__ = (Index("ix_counter_bundle_measures_outlet_day", "outlet_id", "local_day"),)

    bundle_id: Mapped[int] = mapped_column(ForeignKey("counter_bundles.id"), primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    local_day: Mapped[dt.date] = mapped_column(Date)
    items: Mapped[int] = mapped_column(Integer)
    fields_separately: Mapped[int] = mapped_column(Integer)  # on separate forms, summed
    fields_merged: Mapped[int] = mapped_column(Integer)  # on the one merged form
    values_separately: Mapped[int] = mapped_column(Integer)  # values separate forms would take
    values_filled: Mapped[int] = mapped_column(Integer)  # values actually filled, merged
    pin_entries_saved: Mapped[int] = mapped_column(Integer)
    authorisations_saved: Mapped[int] = mapped_column(Integer)
    identity_checks_saved: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    pin_entries: Mapped[int] = mapped_column(Integer, default=0)  # actually taken
    authorisations: Mapped[int] = mapped_column(Integer, default=0)  # actually requested
    called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[int | None] = mapped_column(Integer)  # call (or opening) to finish
