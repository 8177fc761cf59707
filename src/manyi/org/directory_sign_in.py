"""Signing in with the bank's directory (MANYI_AUTH=ldap): who the directory says you are.

The directory is asked with no transaction open (as `sign_in` hashes with none open): a slow
directory never holds SQLite's write lock. Then one short write unit of work records the
outcome, re-checking the throttle, and keeps the manyi account in step with the entry:

- first sign-in: the staff account is created, with the entry's name, the unit whose code the
  unit attribute holds and the roles its groups give (`org.directory_rules`); no password is
  kept. A local account with the same username is taken over (linked) the same way, and its
  password stops working;
- later sign-ins: name, unit and roles follow the directory (a change ends older sessions);
- a name the directory no longer answers to (removed, or switched off by the user filter), or
  an entry in no mapped group: refused, and the account, if manyi has one from the directory,
  is deactivated at once, its sessions ended (`auth.directory_removed`). When the directory
  answers again, the next sign-in restores it (`auth.directory_restored`); an account an
  administrator deactivated in manyi stays so;
- an entry naming no unit, or one manyi does not know, or a role the unit's level cannot hold:
  refused with what to fix, and nothing stored but the refusal on the audit chain.

Wrong passwords and unknown names count against this address like local ones
(`sign_in_throttle`); the account itself is not locked by manyi (the directory has its own
policy). The usernames in MANYI_LDAP_LOCAL_ADMINS sign in with their manyi password instead
(break-glass, for when the directory is down), recorded as such.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database, utcnow
from manyi.org import sign_in_throttle as throttle
from manyi.org.directory_rules import Directory, DirectoryAnswer, DirectoryEntry, roles_for
from manyi.org.model import PlacementError, Role, UnitLevel, check_role_level
from manyi.org.passwords import LockoutPolicy
from manyi.org.sign_in import SignInError, refuse_throttled, sign_in, too_many
from manyi.org.staff import (
    USERNAME_RE,
    by_username,
    normalise_username,
    record_event,
    update_staff,
)
from manyi.org.tables import Staff, StaffRole, Unit

# Who changes an account because the directory said so.
DIRECTORY = audit.Actor(id=None, name="directory")
# Not an argon2 hash: no password ever matches it (`passwords.verify_password`).
NO_PASSWORD = "!directory"  # noqa: S105 (a marker, not a secret)


@dataclass(frozen=True)
class DirectorySignIn:
    """What a directory sign-in needs besides the name and password (from the settings)."""

    directory: Directory
    role_map: Mapping[str, tuple[Role, ...]]
    local_admins: frozenset[str]
    policy: LockoutPolicy
    via: str = "directory"  # how the audit record says the person signed in


def sign_in_with_directory(
    db: Database,
    how: DirectorySignIn,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    client: str = "",
) -> Staff:
    """Sign in by the directory; raises `SignInError` (recorded) or `DirectoryUnavailable`
    (nothing recorded: the directory could not say)."""
    now = now or utcnow()
    name = normalise_username(username)
    if name in how.local_admins:
        return sign_in(db, username, password, how.policy, now, client, via="break-glass")
    keys = [throttle.pair_key(client, name), throttle.address_key(client)]
    with db.read() as session:
        waiting = throttle.blocked_until(session, keys, now) is not None
    answer = None
    if not waiting and USERNAME_RE.match(name):
        answer = how.directory.authenticate(name, password)
    try:
        return _record_in_unit(db, how, name, answer, now, client)
    except IntegrityError:
        # The same person's first sign-in twice at once, on PostgreSQL: the other one created
        # the account (a unique username), so once more finds it and follows the directory.
        return _record_in_unit(db, how, name, answer, now, client)


class _AskedNobody:
    """The directory of a sign-in another party verified: nothing asks it."""

    def authenticate(self, username: str, password: str) -> DirectoryAnswer:
        raise AssertionError("a verified sign-in asks no directory")

    def find(
        self, usernames: Iterable[str]
    ) -> dict[str, DirectoryEntry | None]:  # pragma: no cover
        raise AssertionError("a verified sign-in asks no directory")


def sign_in_verified(
    db: Database,
    role_map: Mapping[str, tuple[Role, ...]],
    policy: LockoutPolicy,
    username: str,
    entry: DirectoryEntry,
    *,
    via: str,
    now: dt.datetime | None = None,
    client: str = "",
) -> Staff:
    """Sign in someone another party has verified (the bank's identity platform, OpenID
    Connect, `via` "oidc"): the account follows `entry` exactly as a directory sign-in's;
    raises `SignInError` (recorded) when the entry cannot make a manyi account."""
    now = now or utcnow()
    name = normalise_username(username)
    how = DirectorySignIn(_AskedNobody(), role_map, frozenset(), policy, via)
    answer = DirectoryAnswer(entry, password_ok=True) if USERNAME_RE.match(name) else None
    try:
        return _record_in_unit(db, how, name, answer, now, client)
    except IntegrityError:  # the same person's first sign-in twice at once (see above)
        return _record_in_unit(db, how, name, answer, now, client)


def _record_in_unit(
    db: Database,
    how: DirectorySignIn,
    name: str,
    answer: DirectoryAnswer | None,
    now: dt.datetime,
    client: str,
) -> Staff:
    refusal: SignInError
    with db.session() as session:
        try:
            return _record(session, how, name, answer, now, client)
        except SignInError as exc:
            refusal = exc  # the attempt is recorded: this unit of work commits it
    raise refusal


def _record(
    session: Session,
    how: DirectorySignIn,
    name: str,
    answer: DirectoryAnswer | None,
    now: dt.datetime,
    client: str,
) -> Staff:
    pair, address = throttle.pair_key(client, name), throttle.address_key(client)
    staff = by_username(session, name)
    waiting = throttle.blocked_until(session, [pair, address], now)
    if waiting is not None:
        refuse_throttled(session, staff, client, now)
        raise too_many(waiting, now)
    if answer is None or answer.entry is None:
        # None: not asked (a name no account can have, or a wait that ended meanwhile).
        if answer is not None and staff is not None:
            mark_removed(session, staff, "not in the directory", now)
        reason = "not in the directory" if answer is not None else "not asked"
        _failed(session, staff, reason, client, now)
        _count_failure(session, how.policy, pair, address, now)
    entry = answer.entry
    if not answer.password_ok:
        _failed(session, staff, "wrong password", client, now)
        _count_failure(session, how.policy, pair, address, now)
    roles = roles_for(entry.groups, how.role_map)
    if not roles:
        if staff is not None:
            mark_removed(session, staff, "no manyi role", now)
        _refused(session, staff, "no manyi role", client, now)
        raise SignInError(
            "your directory account is in no group that gives a manyi role; ask IT to add you"
        )
    if staff is not None and not staff.active and staff.directory_removed_at is None:
        _refused(session, staff, "deactivated in manyi", client, now)
        raise SignInError("this account is deactivated in manyi; ask an administrator")
    unit = _unit_of(session, staff, entry, roles, client, now)
    if staff is None:
        staff = _create(session, name, entry, unit, roles)
    else:
        _follow_directory(session, staff, entry, unit, roles, now)
    staff.last_sign_in_at = now
    staff.failed_attempts = 0
    staff.locked_until = None
    throttle.clear(session, pair)
    summary = {"client": client, "via": how.via}
    record_event(session, _actor(staff), staff, "auth.signed_in", summary, now=now)
    return staff


def _unit_of(
    session: Session,
    staff: Staff | None,
    entry: DirectoryEntry,
    roles: list[Role],
    client: str,
    now: dt.datetime,
) -> Unit:
    """The unit the entry names, able to hold its roles; refused (recorded) otherwise."""
    if not entry.unit_code:
        _refused(session, staff, "no unit in the directory", client, now)
        raise SignInError("your directory account names no manyi unit; ask IT to set it")
    unit = session.scalar(select(Unit).where(Unit.code == entry.unit_code, Unit.active))
    if unit is None:
        _refused(session, staff, f"unknown unit {entry.unit_code[:32]}", client, now)
        raise SignInError(
            "your directory account names unit {code}, which manyi does not know;"
            " ask an administrator",
            code=entry.unit_code[:32],
        )
    for role in roles:
        try:
            check_role_level(role, UnitLevel(unit.level))
        except PlacementError as exc:
            _refused(session, staff, str(exc), client, now)
            raise SignInError(
                "your directory groups give a role your unit cannot hold: {reason}; ask IT",
                reason=str(exc),
            ) from None
    return unit


def _create(
    session: Session, name: str, entry: DirectoryEntry, unit: Unit, roles: list[Role]
) -> Staff:
    staff = Staff(
        username=name,
        display_name=(entry.display_name.strip() or name)[:100],
        unit_id=unit.id,
        password_hash=NO_PASSWORD,
        directory_dn=entry.dn[:500],
        role_rows=[StaffRole(role=role.value) for role in roles],
    )
    session.add(staff)
    session.flush()
    session.refresh(staff)
    record_event(
        session,
        DIRECTORY,
        staff,
        "staff.created",
        {"unit": unit.code, "roles": [r.value for r in roles], "directory_dn": staff.directory_dn},
    )
    return staff


def _follow_directory(
    session: Session,
    staff: Staff,
    entry: DirectoryEntry,
    unit: Unit,
    roles: list[Role],
    now: dt.datetime,
) -> None:
    """An existing account brought in step with its entry: restored, linked, updated."""
    if not staff.active:  # deactivated by manyi when the directory stopped answering
        staff.active = True
        staff.directory_removed_at = None
        record_event(session, DIRECTORY, staff, "auth.directory_restored", {}, now=now)
    if staff.directory_dn is None:  # a local account taken over: its password stops working
        staff.password_hash = NO_PASSWORD
        staff.session_epoch += 1
        record_event(
            session, DIRECTORY, staff, "auth.directory_linked", {"directory_dn": entry.dn}, now=now
        )
    staff.directory_dn = entry.dn[:500]
    update_staff(
        session,
        DIRECTORY,
        staff.id,
        display_name=(entry.display_name.strip() or staff.display_name)[:100],
        unit_id=unit.id,
        roles=roles,
    )


def mark_removed(session: Session, staff: Staff, reason: str, now: dt.datetime) -> None:
    """A directory account the directory no longer vouches for: deactivated, sessions ended."""
    if staff.directory_dn is None or not staff.active:
        return
    staff.active = False
    staff.directory_removed_at = now
    staff.session_epoch += 1
    record_event(session, DIRECTORY, staff, "auth.directory_removed", {"reason": reason}, now=now)


def end_sessions_at_platform(db: Database, subject: str, now: dt.datetime) -> str | None:
    """The identity platform ended a person's session there (OpenID Connect back-channel
    logout, `subject`: its `sub`, kept as the account's directory DN): their manyi sessions end
    too, as at a change of roles; the account stays active (the next sign-in asks the platform).
    Their username, or None when no active account is that person's."""
    with db.session() as session:
        staff = session.scalar(
            select(Staff).where(Staff.directory_dn == subject[:500], Staff.active)
        )
        if staff is None:
            return None
        staff.session_epoch += 1
        record_event(session, DIRECTORY, staff, "auth.platform_signed_out", {}, now=now)
        return staff.username


def _actor(staff: Staff) -> audit.Actor:
    return audit.Actor(
        id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
    )


def _failed(
    session: Session, staff: Staff | None, reason: str, client: str, now: dt.datetime
) -> None:
    _attempt(session, staff, "auth.sign_in_failed", reason, client, now)


def _refused(
    session: Session, staff: Staff | None, reason: str, client: str, now: dt.datetime
) -> None:
    _attempt(session, staff, "auth.sign_in_refused", reason, client, now)


def _attempt(
    session: Session, staff: Staff | None, action: str, reason: str, client: str, now: dt.datetime
) -> None:
    summary = {"reason": reason, "client": client, "via": "directory"}
    if staff is None:
        # What was typed as the name is not recorded: it may be a password in the wrong field.
        audit.record(
            session,
            audit.SYSTEM,
            entity_type="staff",
            entity_id="unknown",
            action=action,
            summary=summary,
            now=now,
        )
    else:
        record_event(session, _actor(staff), staff, action, summary, now=now)


def _count_failure(
    session: Session, policy: LockoutPolicy, pair: str, address: str, now: dt.datetime
) -> NoReturn:
    """Count the failure against this address; always raises the refusal."""
    waiting = throttle.count_failure(session, policy, pair, address, now)
    if waiting is not None:
        raise too_many(waiting, now)
    raise SignInError("wrong username or password")
