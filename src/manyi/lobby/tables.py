"""ORM mapping for the lobby: settings, services, counters, tickets, numbering, events."""

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
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, UTCDateTime, utcnow

# The waiting tickets outside the services' plain normal lines: priority classes and tickets
# sent to one counter. Few at any time; call-next reads them all (lobby.hot_sql, migration 0048).
QUEUE_SPECIAL = "state = 'waiting' AND (klass <> 'normal' OR target_counter_id IS NOT NULL)"
# The first legs that were called (ix_lobby_tickets_first_called).
FIRST_CALLED = "previous_id IS NULL AND first_called_at IS NOT NULL"
WAITING = "state = 'waiting'"  # ix_lobby_tickets_waiting

# Ticket and event ids grow by millions a day across a bank; SQLite needs
# INTEGER for its rowid alias, PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class LobbySettings(Base):
    """An outlet's lobby policy (see lobby.model.Policy)."""

    __tablename__ = "lobby_settings"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    weights: Mapped[dict[str, int]] = mapped_column(JSON)
    ageing_s: Mapped[int] = mapped_column(Integer)
    no_show_after_calls: Mapped[int] = mapped_column(Integer)
    requeue_grace_s: Mapped[int] = mapped_column(Integer)
    requeue_behind: Mapped[int] = mapped_column(Integer)
    target_wait_s: Mapped[int] = mapped_column(Integer)
    announcement_zh: Mapped[str] = mapped_column(String(200))
    announcement_en: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[str] = mapped_column(String(5))  # local "HH:MM"
    closes_at: Mapped[str | None] = mapped_column(String(5))  # None: until midnight
    # Local "HH:MM" at which the outlet's business day (numbers, daily figures) begins.
    day_starts_at: Mapped[str] = mapped_column(String(5), default="00:00", server_default="00:00")
    rating_window_s: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The kiosk asks a customer to confirm they qualify before a green-channel ticket.
    green_confirm: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The board's voices (lobby.domain.model.Policy): English after Mandarin, a dialect voice,
    # the speech rate in percent and how long a call stays the board's big call.
    announce_en: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    announce_dialect: Mapped[str] = mapped_column(String(24), default="", server_default="")
    speech_rate_pct: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    call_hold_s: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # The days it opens (domain.days.open_on): ISO days of the week as digits; public holidays.
    open_weekdays: Mapped[str] = mapped_column(String(7), default="12345", server_default="12345")
    open_on_holidays: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LobbyService(Base):
    __tablename__ = "lobby_services"
    __table_args__ = (UniqueConstraint("outlet_id", "code", name="uq_lobby_services_outlet_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(1))
    expected_service_s: Mapped[int] = mapped_column(Integer)
    fast_lane: Mapped[bool] = mapped_column(Boolean, default=False)
    skill: Mapped[str | None] = mapped_column(String(32))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LobbyCounter(Base):
    __tablename__ = "lobby_counters"
    __table_args__ = (
        UniqueConstraint("outlet_id", "number", name="uq_lobby_counters_outlet_number"),
        CheckConstraint(
            "kind IN ('regular', 'vip', 'fast_lane', 'green', 'flexible')", name="kind"
        ),
        CheckConstraint("state IN ('closed', 'open', 'paused', 'serving')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    services: Mapped[list[str]] = mapped_column(JSON)  # service codes, most preferred first
    state: Mapped[str] = mapped_column(String(16), default="closed")
    teller_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    current_ticket_id: Mapped[int | None] = mapped_column(BigId)
    credits: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TellerSkill(Base):
    __tablename__ = "lobby_teller_skills"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(32), primary_key=True)


class TicketSequence(Base):
    """The last number handed out per outlet, business day and prefix."""

    __tablename__ = "lobby_ticket_sequences"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(1), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class QueueTally(Base):
    """How many tickets wait, per outlet, business day and service: kept by the database's
    own triggers on `lobby_tickets` (migration 0058), so that issuing reads a few rows instead
    of counting a queue that may be thousands long (`hot_sql.waiting_counts`).

    A key's waiting count is the sum of its rows: shard 0 takes the tickets issued (and those
    cancelled or deleted while waiting), and each counter has a shard of its own for the
    tickets it calls or puts back, so that calling counters never wait on each other's row,
    nor on a kiosk's. Rows of business days before the queue's first are dropped when those
    days' tickets are sent home (`store.expire_stale`); nothing reads them.

    The triggers live on `lobby_tickets`: a migration that rebuilds that table on SQLite
    (alembic's batch mode copies it to a new one) must create them again.
    """

    __tablename__ = "lobby_queue_tally"

    outlet_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class LobbyTicket(Base):
    """One leg of a visit; a transfer starts a new leg with the same number."""

    __tablename__ = "lobby_tickets"
    __table_args__ = (
        CheckConstraint("state IN ('waiting', 'called', 'serving', 'finished')", name="state"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('served', 'no_show', 'cancelled', 'transferred')",
            name="outcome",
        ),
        CheckConstraint("klass IN ('normal', 'appointment', 'vip', 'green')", name="klass"),
        # Numbers are unique per outlet, day and prefix among first legs.
        Index(
            "uq_lobby_tickets_number",
            "outlet_id",
            "local_day",
            "prefix",
            "seq",
            unique=True,
            sqlite_where=text("previous_id IS NULL"),
            postgresql_where=text("previous_id IS NULL"),
        ),
        # Each service's line in calling order (queued_at, then id): call-next reads its front.
        Index("ix_lobby_tickets_queue", "outlet_id", "state", "service_code", "queued_at", "id"),
        Index(
            "ix_lobby_tickets_queue_special",
            "outlet_id",
            "service_code",
            "queued_at",
            sqlite_where=text(QUEUE_SPECIAL),
            postgresql_where=text(QUEUE_SPECIAL),
        ),
        Index("ix_lobby_tickets_finished", "outlet_id", "finished_at"),
        # Across outlets, for /metrics (observe.gauges): the first legs called lately (the last
        # hour's service level; a ticket enters it when first called) and those waiting now
        # (how many, and since when). Partial, so each holds a sliver of the table.
        Index(
            "ix_lobby_tickets_first_called",
            "first_called_at",
            sqlite_where=text(FIRST_CALLED),
            postgresql_where=text(FIRST_CALLED),
        ),
        Index(
            "ix_lobby_tickets_waiting",
            "issued_at",
            "outlet_id",
            sqlite_where=text(WAITING),
            postgresql_where=text(WAITING),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    local_day: Mapped[dt.date] = mapped_column(Date)  # the outlet's business day of issue
    prefix: Mapped[str] = mapped_column(String(1))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(8))
    service_id: Mapped[int] = mapped_column(ForeignKey("lobby_services.id"))
    service_code: Mapped[str] = mapped_column(String(16))
    klass: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_called_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("lobby_counters.id"))
    teller_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("lobby_counters.id"))
    predicted_wait_s: Mapped[int | None] = mapped_column(Integer)
    public_token: Mapped[str] = mapped_column(String(32), index=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("lobby_tickets.id"))
    customer_ref: Mapped[str | None] = mapped_column(String(64))


class LobbyEventRow(Base):
    """Every lobby state change, in order: the feed for boards, dashboards and analytics."""

    __tablename__ = "lobby_events"
    __table_args__ = (Index("ix_lobby_events_outlet", "outlet_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    ticket_id: Mapped[int | None] = mapped_column(BigId, index=True)
    counter_id: Mapped[int | None] = mapped_column(Integer)
    staff_id: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RatingPrompt(Base):
    """The rating pad at a counter asked the customer of one finished ticket to rate.

    Kept apart from the answers so that the share of served customers who
    were asked, and of those asked who answered, can both be measured.
    """

    __tablename__ = "lobby_rating_prompts"
    __table_args__ = (Index("ix_lobby_rating_prompts_counter", "outlet_id", "counter_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("lobby_tickets.id"), unique=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("lobby_counters.id"))
    counter_number: Mapped[int] = mapped_column(Integer)
    teller_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    number: Mapped[str] = mapped_column(String(8))
    service_code: Mapped[str] = mapped_column(String(16))
    prompted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    times_shown: Mapped[int] = mapped_column(Integer, default=1)


class Rating(Base):
    """A customer's answer on the rating pad: one per ticket."""

    __tablename__ = "lobby_ratings"
    __table_args__ = (
        CheckConstraint(
            "score IN ('very_satisfied', 'satisfied', 'neutral', 'dissatisfied')", name="score"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("lobby_rating_prompts.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("lobby_tickets.id"), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    counter_id: Mapped[int] = mapped_column(ForeignKey("lobby_counters.id"))
    teller_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    score: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device_tokens.id"))


class LobbyAlert(Base):
    """An alert the lobby manager must see until they acknowledge it."""

    __tablename__ = "lobby_alerts"
    __table_args__ = (Index("ix_lobby_alerts_open", "outlet_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


def served_ticket_row(
    service: LobbyService,
    outlet_id: int,
    day: dt.date,
    issued: dt.datetime,
    called: dt.datetime,
    finished: dt.datetime,
    counter_id: int,
    teller_id: int | None,
    token: str,
) -> dict[str, Any]:
    """The row of a ticket served in one call (issued, called and started at `called`, finished):
    the history the demos write in bulk, as a lobby day would have left it."""
    return {
        "outlet_id": outlet_id,
        "local_day": day,
        "prefix": service.prefix,
        "service_id": service.id,
        "service_code": service.code,
        "klass": "normal",
        "channel": "kiosk",
        "state": "finished",
        "outcome": "served",
        "issued_at": issued,
        "queued_at": issued,
        "first_called_at": called,
        "last_called_at": called,
        "started_at": called,
        "finished_at": finished,
        "call_count": 1,
        "counter_id": counter_id,
        "teller_id": teller_id,
        "public_token": token,
    }
