"""Tables of appointments (预约): bookings, verification codes, places taken per slot, rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from manyi.db import Base, EncryptedText, UTCDateTime


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("state IN ('booked', 'cancelled', 'checked_in', 'no_show')", name="state"),
        Index("ix_appointments_outlet_slot", "outlet_id", "slot_start"),
        Index("ix_appointments_state_slot", "state", "slot_start"),
        # The check-in code typed at the kiosk is unique per outlet and day.
        Index("ux_appointments_checkin", "outlet_id", "local_day", "checkin_code", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=False)
    service_code: Mapped[str] = mapped_column(String(16))
    slot_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    slot_end: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    local_day: Mapped[dt.date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(EncryptedText("appointments.phone"))
    customer_key: Mapped[str] = mapped_column(String(64), index=True)  # blind index of the mobile
    # One active booking per number and day: "<customer_key>:<day>" while booked or checked in,
    # NULL once cancelled (NULLs never collide in a unique index, on either engine).
    active_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    checkin_code: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the link token
    # The link token itself, sealed: the reminders carry the link (reach.appointment_messages).
    link_token: Mapped[str | None] = mapped_column(EncryptedText("appointments.link_token"))
    state: Mapped[str] = mapped_column(String(16), default="booked")
    lang: Mapped[str] = mapped_column(String(8), default="zh-CN")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("lobby_tickets.id"))
    ticket_number: Mapped[str | None] = mapped_column(String(16))
    ticket_token: Mapped[str | None] = mapped_column(String(64))
    late: Mapped[bool | None] = mapped_column()
    reminded_day_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_hour_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AppointmentSlotCount(Base):
    """Places taken per outlet, service and slot: booking is one filtered UPDATE on this row
    (`booked < capacity`), so two customers never take the last place twice."""

    __tablename__ = "appointment_slot_counts"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    slot_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class AppointmentCode(Base):
    """A verification code sent to a mobile number (stored hashed)."""

    __tablename__ = "appointment_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AppointmentRules(Base):
    """An outlet's appointment rules; an outlet without a row uses the defaults."""

    __tablename__ = "appointment_rules"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    walk_in_share: Mapped[float] = mapped_column(Float)
    horizon_days: Mapped[int] = mapped_column(Integer)
    lead_minutes: Mapped[int] = mapped_column(Integer)
    early_minutes: Mapped[int] = mapped_column(Integer)
    late_grace_minutes: Mapped[int] = mapped_column(Integer)
    no_show_limit: Mapped[int] = mapped_column(Integer)
    no_show_window_days: Mapped[int] = mapped_column(Integer)
    block_days: Mapped[int] = mapped_column(Integer)
    book_from: Mapped[dt.time] = mapped_column(Time)
    book_until: Mapped[dt.time] = mapped_column(Time)
    checkin_radius_m: Mapped[int] = mapped_column(Integer, default=500, server_default="500")
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
