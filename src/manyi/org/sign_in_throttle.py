"""Failed sign-ins counted per client address at an account and per address, with back-off.

Kept in the database, so every app process shares them; each count grows by an atomic UPDATE
(twenty parallel wrong passwords count twenty). A count forgets after a quiet day. The policy
(`passwords.LockoutPolicy`) says how long each key waits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from manyi.org.passwords import LockoutPolicy
from manyi.org.tables import SignInThrottle

FORGET_AFTER = dt.timedelta(days=1)


def pair_key(client: str, username: str) -> str:
    return f"pair:{client}:{username}"[:200]


def address_key(client: str) -> str:
    return f"addr:{client}"[:200]


def blocked_until(session: Session, keys: list[str], now: dt.datetime) -> dt.datetime | None:
    """The latest time any of `keys` must wait until, if it is still in the future."""
    return session.scalar(
        select(SignInThrottle.blocked_until)
        .where(SignInThrottle.key.in_(keys), SignInThrottle.blocked_until > now)
        .order_by(SignInThrottle.blocked_until.desc())
        .limit(1)
    )


def fail(
    session: Session, key: str, threshold: int, policy: LockoutPolicy, now: dt.datetime
) -> dt.datetime | None:
    """Count one failure for `key`; return until when it must now wait (None: it need not)."""
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        upsert(SignInThrottle)
        .values(key=key, failures=0, blocked_until=None, last_failure_at=now)
        .on_conflict_do_nothing()
    )
    session.execute(  # a quiet day forgets the count
        update(SignInThrottle)
        .where(SignInThrottle.key == key, SignInThrottle.last_failure_at < now - FORGET_AFTER)
        .values(failures=0, blocked_until=None)
    )
    failures = session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key)
        .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
        .returning(SignInThrottle.failures)
    ).scalar_one()
    until = policy.backoff_until(int(failures), threshold, now)
    if until is not None:
        session.execute(
            update(SignInThrottle).where(SignInThrottle.key == key).values(blocked_until=until)
        )
    return until


def count_failure(
    session: Session, policy: LockoutPolicy, pair: str, address: str, now: dt.datetime
) -> dt.datetime | None:
    """Count a failure for this address at this account and for the address; until when the
    next attempt from here must wait (None: at once)."""
    waits = [
        fail(session, pair, policy.threshold, policy, now),
        fail(session, address, policy.account_threshold, policy, now),
    ]
    return max((w for w in waits if w is not None), default=None)


def clear(session: Session, *keys: str) -> None:
    session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_(keys)))


def clear_account(session: Session, username: str) -> None:
    """Every address's count at this account (an administrator's unlock)."""
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.key.like("pair:%"), SignInThrottle.key.endswith(f":{username}")
        )
    )
