"""Device tokens for kiosks, display boards and rating pads.

A token is a random secret shown once when issued; only its SHA-256 is kept.
It is bound to one outlet, may expire, can be revoked, and opens device
endpoints only (never a staff page).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import utcnow
from manyi.errors import InvalidInput, ManyiError, NotFound
from manyi.org.model import Scope, UnitLevel
from manyi.org.scope import in_scope
from manyi.org.service import get_unit
from manyi.org.tables import DeviceToken, Unit

TOKEN_PREFIX = "mdt_"  # noqa: S105 (a marker, not a secret)


class DeviceKind(enum.StrEnum):
    KIOSK = "kiosk"  # 取号机
    DISPLAY = "display"  # 叫号显示屏
    RATING_PAD = "rating_pad"  # 评价器
    COUNTER_PAD = "counter_pad"  # 叫号器: a teller's calling pad at one counter


# The kinds that work one counter, not the whole outlet.
COUNTER_BOUND = frozenset({DeviceKind.RATING_PAD, DeviceKind.COUNTER_PAD})


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def tokens_in_scope(session: Session, scope: Scope) -> list[DeviceToken]:
    return list(
        session.scalars(
            select(DeviceToken)
            .join(Unit, DeviceToken.outlet_id == Unit.id)
            .where(in_scope(Unit.path, scope.path))
            .order_by(DeviceToken.created_at.desc(), DeviceToken.id.desc())
        ).unique()
    )


def issue_token(
    session: Session,
    actor: audit.Actor,
    *,
    outlet_id: int,
    kind: str,
    name: str,
    valid_days: int | None,
    scope: Scope | None = None,
    now: dt.datetime | None = None,
    secret: str | None = None,
    counter: int | None = None,
) -> tuple[DeviceToken, str]:
    """Create a token; returns the row and the secret, which is never shown again.

    A rating pad or a calling pad is bound to one `counter` (its number): it can answer or
    act on no other. `secret` is for the demo bank only, whose screens are paired with
    printed tokens.
    """
    now = now or utcnow()
    outlet = get_unit(session, outlet_id, scope)
    if outlet.unit_level is not UnitLevel.OUTLET:
        raise InvalidInput("device tokens belong to an outlet", "outlet_id")
    try:
        device_kind = DeviceKind(kind)
    except ValueError:
        raise InvalidInput("unknown device kind {kind}", "kind", kind=kind) from None
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("device name is required (at most 100 characters)", "name")
    if device_kind in COUNTER_BOUND:
        if counter is None or not 1 <= counter <= 999:
            raise InvalidInput(
                "a rating pad or calling pad is bound to one counter: give its number", "counter"
            )
    elif counter is not None:
        raise InvalidInput("only rating pads and calling pads belong to a counter", "counter")
    if valid_days is not None and not 1 <= valid_days <= 3650:
        raise InvalidInput("validity must be between 1 and 3650 days", "valid_days")
    if secret is not None and not secret.startswith(TOKEN_PREFIX):
        raise InvalidInput("a device token starts with " + TOKEN_PREFIX, "secret")
    secret = secret or TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = DeviceToken(
        outlet_id=outlet.id,
        kind=device_kind.value,
        name=name,
        token_hash=hash_token(secret),
        token_prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_at=now,
        created_by_id=actor.id,
        expires_at=now + dt.timedelta(days=valid_days) if valid_days else None,
        counter_number=counter,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="device_token",
        entity_id=token.id,
        action="device.token_issued",
        summary={
            "outlet": outlet.code,
            "kind": token.kind,
            "name": name,
            "prefix": token.token_prefix,
            "counter": counter,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
        unit_id=outlet.id,
        unit_path=outlet.path,
        now=now,
    )
    return token, secret


def revoke_token(
    session: Session,
    actor: audit.Actor,
    token_id: int,
    scope: Scope | None = None,
    now: dt.datetime | None = None,
) -> DeviceToken:
    now = now or utcnow()
    token = session.get(DeviceToken, token_id)
    if token is None or (scope is not None and not scope.contains(token.outlet.path)):
        raise NotFound("device token not found")
    forget_device(token.token_hash)
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            session,
            actor,
            entity_type="device_token",
            entity_id=token.id,
            action="device.token_revoked",
            summary={"outlet": token.outlet.code, "name": token.name, "prefix": token.token_prefix},
            unit_id=token.outlet_id,
            unit_path=token.outlet.path,
            now=now,
        )
    return token


class DeviceAuthError(ManyiError):
    status_code = 401


# A kiosk or calling pad presents its token on every request. Each process
# remembers a token it accepted for AUTH_CACHE_S seconds, so a busy device
# costs one lookup every few seconds instead of one per request. Revoking a
# token forgets it at once in the process that revoked it; other processes
# stop accepting it within AUTH_CACHE_S.
AUTH_CACHE_S = 5.0
_accepted: dict[str, tuple[float, DeviceToken]] = {}


def _columns(row: DeviceToken | Unit) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _remember(digest: str, token: DeviceToken) -> None:
    # A copy that belongs to no session: no rollback or commit can expire it,
    # so requests may share it, reading only.
    copy = DeviceToken(**_columns(token))
    copy.outlet = Unit(**_columns(token.outlet))
    _accepted[digest] = (time.monotonic(), copy)


def _recall(digest: str) -> DeviceToken | None:
    """The shared, unattached copy of a recently accepted token: read it, never add it."""
    hit = _accepted.get(digest)
    if hit is None or time.monotonic() - hit[0] >= AUTH_CACHE_S:
        return None
    return hit[1]


def authenticate_device(
    session: Session, secret: str, now: dt.datetime | None = None
) -> DeviceToken:
    """The active token for `secret`; from the cache it is an unattached copy: read it only."""
    now = now or utcnow()
    if not secret.startswith(TOKEN_PREFIX):
        raise DeviceAuthError("not a device token")
    digest = hash_token(secret)
    cached = _recall(digest)
    if cached is not None and cached.state(now) == "active" and not _needs_touch(cached, now):
        return cached
    token = session.scalar(select(DeviceToken).where(DeviceToken.token_hash == digest))
    if token is None:
        raise DeviceAuthError("unknown device token")
    state = token.state(now)
    if state != "active":
        _accepted.pop(digest, None)
        raise DeviceAuthError("device token " + state)
    # Write last-used at most once a minute, so a board polling does not
    # turn every read into a write.
    if _needs_touch(token, now):
        token.last_used_at = now
    _remember(digest, token)
    return token


def recall_device(secret: str, now: dt.datetime | None = None) -> DeviceToken | None:
    """The token for `secret` if this process accepted it moments ago; no database needed."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    cached = _recall(hash_token(secret))
    if cached is None or cached.state(now) != "active" or _needs_touch(cached, now):
        return None
    return cached


def _needs_touch(token: DeviceToken, now: dt.datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1)


def forget_device(token_hash: str) -> None:
    _accepted.pop(token_hash, None)
