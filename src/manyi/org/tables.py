"""ORM mapping for units, staff, roles and device tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from manyi.db import Base, EncryptedText, UTCDateTime, utcnow
from manyi.org.model import Permission, Role, Scope, UnitLevel, permissions_for


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(
            "level IN ('head_office', 'tier1_branch', 'tier2_branch', 'outlet')", name="level"
        ),
        CheckConstraint("customers_served >= 0", name="customers_served"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    # Materialised path of ids from the root, e.g. "/1/4/9/"; see org.model.
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    address: Mapped[str] = mapped_column(String(300), default="")
    customers_served: Mapped[int] = mapped_column(Integer, default=0)
    # An outlet's position (WGS-84 degrees), both or neither: the appointment link's
    # check-in "when near the outlet" measures from it (reach.domain.nearby).
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    @property
    def unit_level(self) -> UnitLevel:
        return UnitLevel(self.level)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # The staff number (工号) the bank gives, e.g. "BJ01023": shown on the teller's badge.
    # Optional; unique when set (`org.staff.normalise_staff_number`).
    staff_number: Mapped[str | None] = mapped_column(String(16), unique=True, index=True)
    # A mobile number for paging by SMS (二线支援短信), sealed at rest; pages show its last four
    # digits only (`org.staff.masked_mobile`).
    mobile: Mapped[str | None] = mapped_column(EncryptedText("staff.mobile"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change and sign-out everywhere: older cookies stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # An account the bank's directory keeps (MANYI_AUTH=ldap): its entry's DN as last seen, and
    # when manyi found the entry gone or switched off (the account was then deactivated).
    # None: a local account with a manyi password.
    directory_dn: Mapped[str | None] = mapped_column(String(500))
    directory_removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    role_rows: Mapped[list[StaffRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="StaffRole.role"
    )

    @property
    def roles(self) -> list[Role]:
        return sorted((Role(r.role) for r in self.role_rows), key=list(Role).index)

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.roles)

    @property
    def scope(self) -> Scope:
        return Scope(unit_id=self.unit_id, path=self.unit.path)

    def is_locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class StaffRole(Base):
    __tablename__ = "staff_roles"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class DeviceToken(Base):
    """A credential for a kiosk, display board or rating pad, bound to one outlet."""

    __tablename__ = "device_tokens"
    __table_args__ = (
        CheckConstraint("kind IN ('kiosk', 'display', 'rating_pad', 'counter_pad')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    # A rating pad or calling pad works one counter of its outlet, this one; other kinds none.
    counter_number: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    outlet: Mapped[Unit] = relationship(lazy="joined")

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class SignInThrottle(Base):
    """Failed sign-ins counted for one key (an address at an account, or an address), and
    until when that key must wait (`org.sign_in_throttle`)."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
