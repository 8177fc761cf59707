"""Signing in and changing one's own password, with the hashing outside the write transaction.

Argon2 costs tens of milliseconds of CPU on purpose. On SQLite a write transaction holds the
database's one write lock, so a password checked inside one would stall every kiosk and teller
for that long — and anyone can post wrong passwords. `sign_in` and `change_own_password` read
what they need in a read-only unit of work, hash with no transaction open, then record the
outcome in a short write unit of work that re-checks what may have changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org import sign_in_throttle as throttle
from manyi.org.passwords import (
    DUMMY_HASH,
    LockoutPolicy,
    WeakPasswordError,
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from manyi.org.staff import actor_of, by_username, hash_ahead, normalise_username, record_event
from manyi.org.tables import Staff


@dataclass(frozen=True)
class PasswordCheck:
    """A password checked against `password_hash` (None: no such account) before a unit of work."""

    password_hash: str | None
    matches: bool


def sign_in(
    db: Database,
    username: str,
    password: str,
    policy: LockoutPolicy,
    now: dt.datetime | None = None,
    client: str = "",
    via: str = "",
) -> Staff:
    """`authenticate` with the password checked between a read and a short write unit of work.

    A throttled address or a locked account is not checked at all (no CPU for the guesser);
    the write unit of work refuses it on the same grounds. The attempt is recorded either way.
    `via` says on the audit chain which way a sign-in came (`break-glass` under MANYI_AUTH=ldap).
    """
    now = now or utcnow()
    name = normalise_username(username)
    with db.read() as session:
        staff = by_username(session, username)
        stored = staff.password_hash if staff is not None and staff.active else None
        keys = [throttle.pair_key(client, name), throttle.address_key(client)]
        waiting = throttle.blocked_until(session, keys, now) is not None
        locked = staff is not None and staff.is_locked(now)
    checked = None
    if not (waiting or locked):
        matches = verify_password(stored or DUMMY_HASH, password) and stored is not None
        checked = PasswordCheck(stored, matches)
    refusal: SignInError
    with db.session() as session:
        try:
            return authenticate(session, username, password, policy, now, client, checked, via)
        except SignInError as exc:
            refusal = exc  # the failed attempt is recorded: this unit of work commits it
    raise refusal


def change_own_password(db: Database, staff_id: int, current: str, new: str, confirm: str) -> Staff:
    """`change_password` with both hashings done before the write unit of work."""
    with db.read() as session:
        staff = session.get(Staff, staff_id)
        stored = staff.password_hash if staff is not None else None
        username = staff.username if staff is not None else ""
    checked = PasswordCheck(stored, stored is not None and verify_password(stored, current))
    # None for a refused new password: change_password words the refusal.
    usable = checked.matches and new == confirm and new != current
    prehashed = hash_ahead(new, username) if usable else None
    with db.session() as session:
        found = session.get(Staff, staff_id)
        if found is None:
            raise InvalidInput("current password is wrong", "current_password")
        return change_password(session, found, current, new, confirm, checked, prehashed)


class SignInError(ManyiError):
    status_code = 401


def authenticate(
    session: Session,
    username: str,
    password: str,
    policy: LockoutPolicy,
    now: dt.datetime | None = None,
    client: str = "",
    checked: PasswordCheck | None = None,
    via: str = "",
) -> Staff:
    """Check a username and password; record the attempt either way.

    The failure messages never say whether the username exists, except for a locked account,
    where the user needs to know to wait or call an admin. Failures slow the guesser down
    (`LockoutPolicy`, `sign_in_throttle`): this address at this account, this address at any
    account, and — only after many more — the account from anywhere. While a key waits, no
    password is checked at all.

    `checked` is the password's check made before this unit of work (`sign_in`); it counts
    only if the stored hash is still the one checked, otherwise the password is checked here.
    """
    now = now or utcnow()
    name = normalise_username(username)
    pair, address = throttle.pair_key(client, name), throttle.address_key(client)
    staff = by_username(session, username)
    waiting = throttle.blocked_until(session, [pair, address], now)
    if waiting is not None:
        refuse_throttled(session, staff, client, now)
        raise too_many(waiting, now)
    if staff is None or not staff.active:
        if checked is None:
            verify_password(DUMMY_HASH, password)  # same cost as a real check
        # What was typed as the name is not recorded: it may be a password typed in the wrong
        # field. An inactive account is named by its id.
        audit.record(
            session,
            audit.SYSTEM,
            entity_type="staff",
            entity_id=staff.id if staff is not None else "unknown",
            action="auth.sign_in_failed",
            summary={"reason": "unknown or inactive", "client": client},
            now=now,
        )
        waiting = throttle.count_failure(session, policy, pair, address, now)
        if waiting is not None:
            raise too_many(waiting, now)
        raise SignInError("wrong username or password")
    if staff.is_locked(now):
        record_event(
            session,
            actor_of(staff),
            staff,
            "auth.sign_in_refused",
            {"reason": "locked", "client": client},
            now=now,
        )
        raise SignInError(
            "account locked after repeated failures; try again later or ask an administrator"
        )
    if checked is not None and checked.password_hash == staff.password_hash:
        matches = checked.matches
    else:
        matches = verify_password(staff.password_hash, password)
    if not matches:
        failures = session.execute(  # atomic: parallel failures all count
            update(Staff)
            .where(Staff.id == staff.id)
            .values(failed_attempts=Staff.failed_attempts + 1)
            .returning(Staff.failed_attempts)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        locked = policy.locked_until_after_failure(failures, now)
        if locked is not None:
            session.execute(
                update(Staff)
                .where(Staff.id == staff.id)
                .values(locked_until=locked)
                .execution_options(synchronize_session=False)
            )
        session.expire(staff, ["failed_attempts", "locked_until"])
        record_event(
            session,
            actor_of(staff),
            staff,
            "auth.sign_in_failed",
            {
                "reason": "wrong password",
                "failures": failures,
                "locked": locked is not None,
                "client": client,
            },
            now=now,
        )
        if locked is not None:
            raise SignInError(
                "account locked after repeated failures; try again later or ask an administrator"
            )
        waiting = throttle.count_failure(session, policy, pair, address, now)
        if waiting is not None:
            raise too_many(waiting, now)
        raise SignInError("wrong username or password")
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.last_sign_in_at = now
    throttle.clear(session, pair)
    summary = {"client": client, **({"via": via} if via else {})}
    record_event(session, actor_of(staff), staff, "auth.signed_in", summary, now=now)
    return staff


def too_many(until: dt.datetime, now: dt.datetime) -> SignInError:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))  # rounded up
    return SignInError(
        "too many failed sign-ins from this device; try again in {minutes} minutes",
        minutes=minutes,
    )


def refuse_throttled(session: Session, staff: Staff | None, client: str, now: dt.datetime) -> None:
    summary = {"reason": "throttled", "client": client}
    if staff is None:
        audit.record(
            session,
            audit.SYSTEM,
            entity_type="staff",
            entity_id="unknown",
            action="auth.sign_in_refused",
            summary=summary,
            now=now,
        )
    else:
        record_event(session, actor_of(staff), staff, "auth.sign_in_refused", summary, now=now)


def change_password(
    session: Session,
    staff: Staff,
    current: str,
    new: str,
    confirm: str,
    checked: PasswordCheck | None = None,
    prehashed: str | None = None,
) -> Staff:
    """Change one's own password. `checked` (of `current`) and `prehashed` (of `new`) are made
    before the unit of work by `change_own_password`; without them the hashing happens here."""
    if checked is not None and checked.password_hash == staff.password_hash:
        matches = checked.matches
    else:
        matches = verify_password(staff.password_hash, current)
    if not matches:
        raise InvalidInput("current password is wrong", "current_password")
    if new != confirm:
        raise InvalidInput("the two new passwords differ", "confirm_password")
    if new == current:
        raise InvalidInput("the new password must differ from the current one", "new_password")
    try:
        check_policy(new, staff.username)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), "new_password") from None
    staff.password_hash = prehashed or hash_password(new)
    staff.session_epoch += 1
    record_event(session, actor_of(staff), staff, "auth.password_changed", {})
    return staff
