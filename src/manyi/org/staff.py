"""Use cases for staff accounts: create, edit roles, sign in, change password."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import utcnow
from manyi.errors import Conflict, Forbidden, InvalidInput, ManyiError, NotFound
from manyi.org import sign_in_throttle as throttle
from manyi.org.model import PlacementError, Role, Scope, check_role_level
from manyi.org.passwords import (
    DUMMY_HASH,
    LockoutPolicy,
    WeakPasswordError,
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from manyi.org.scope import in_scope
from manyi.org.service import get_unit
from manyi.org.tables import Staff, StaffRole, Unit

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _record(
    session: Session,
    actor: audit.Actor,
    staff: Staff,
    action: str,
    summary: Mapping[str, object],
    now: dt.datetime | None = None,
) -> None:
    """Append a staff event to the audit chain, placed at the staff member's unit."""
    audit.record(
        session,
        actor,
        entity_type="staff",
        entity_id=staff.id,
        action=action,
        summary={"username": staff.username, **summary},
        unit_id=staff.unit_id,
        unit_path=staff.unit.path,
        now=now,
    )


def actor_of(staff: Staff) -> audit.Actor:
    return audit.Actor(
        id=staff.id, name=staff.username, unit_id=staff.unit_id, unit_path=staff.unit.path
    )


def normalise_username(username: str) -> str:
    return username.strip().lower()


def staff_in_scope(session: Session, scope: Scope) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .join(Unit, Staff.unit_id == Unit.id)
            .where(in_scope(Unit.path, scope.path))
            .order_by(Staff.username)
        ).unique()
    )


def staff_of_unit(session: Session, unit_id: int) -> list[Staff]:
    return list(
        session.scalars(select(Staff).where(Staff.unit_id == unit_id).order_by(Staff.username))
    )


def get_staff(session: Session, staff_id: int, scope: Scope | None = None) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None or (scope is not None and not scope.contains(staff.unit.path)):
        raise NotFound("staff member not found")
    return staff


def by_username(session: Session, username: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.username == normalise_username(username)))


def _check_roles(roles: list[Role], level_text: str) -> None:
    from manyi.org.model import UnitLevel

    if not roles:
        raise InvalidInput("choose at least one role", "roles")
    for role in roles:
        try:
            check_role_level(role, UnitLevel(level_text))
        except PlacementError as exc:
            raise InvalidInput("{reason}", "roles", reason=str(exc)) from None


def create_staff(
    session: Session,
    actor: audit.Actor,
    *,
    username: str,
    display_name: str,
    unit_id: int,
    roles: list[Role],
    password: str,
    scope: Scope | None = None,
) -> Staff:
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            "username: 2–64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            "username",
        )
    display_name = display_name.strip()
    if not display_name or len(display_name) > 100:
        raise InvalidInput("display name is required (at most 100 characters)", "display_name")
    unit = get_unit(session, unit_id, scope)
    _check_roles(roles, unit.level)
    try:
        check_policy(password, username)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), "password") from None
    if by_username(session, username) is not None:
        raise Conflict("username {username} is taken", "username", username=username)
    staff = Staff(
        username=username,
        display_name=display_name,
        unit_id=unit.id,
        password_hash=hash_password(password),
        role_rows=[StaffRole(role=r.value) for r in roles],
    )
    session.add(staff)
    session.flush()
    session.refresh(staff)
    _record(
        session,
        actor,
        staff,
        "staff.created",
        {"unit": unit.code, "roles": [r.value for r in roles]},
    )
    return staff


def update_staff(
    session: Session,
    actor: audit.Actor,
    staff_id: int,
    *,
    display_name: str | None = None,
    unit_id: int | None = None,
    roles: list[Role] | None = None,
    active: bool | None = None,
    scope: Scope | None = None,
) -> Staff:
    staff = get_staff(session, staff_id, scope)
    if actor.id == staff.id and (
        active is False
        or (
            roles is not None
            and Role.ADMINISTRATOR not in roles
            and Role.ADMINISTRATOR in staff.roles
        )
    ):
        raise Forbidden("you cannot deactivate yourself or drop your own administrator role")
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    if display_name is not None and display_name.strip() != staff.display_name:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 100:
            raise InvalidInput("display name is required (at most 100 characters)", "display_name")
        before["display_name"], after["display_name"] = staff.display_name, display_name
        staff.display_name = display_name
    unit = staff.unit
    if unit_id is not None and unit_id != staff.unit_id:
        unit = get_unit(session, unit_id, scope)
        before["unit"], after["unit"] = staff.unit.code, unit.code
    new_roles = roles if roles is not None else staff.roles
    _check_roles(new_roles, unit.level)
    if unit.id != staff.unit_id:
        staff.unit_id = unit.id
        staff.unit = unit
        staff.session_epoch += 1  # scope changed: sign out everywhere
    role_change = None
    if roles is not None and set(roles) != set(staff.roles):
        old = [r.value for r in staff.roles]
        staff.role_rows = [StaffRole(role=r.value) for r in roles]
        role_change = {"before": old, "after": [r.value for r in roles]}
        staff.session_epoch += 1
    if active is not None and active != staff.active:
        before["active"], after["active"] = staff.active, active
        staff.active = active
        staff.session_epoch += 1
    session.flush()
    if after:
        _record(session, actor, staff, "staff.updated", {"before": before, "after": after})
    if role_change:
        _record(session, actor, staff, "staff.roles_changed", role_change)
    return staff


def reset_password(
    session: Session,
    actor: audit.Actor,
    staff_id: int,
    new_password: str,
    scope: Scope | None = None,
) -> Staff:
    staff = get_staff(session, staff_id, scope)
    try:
        check_policy(new_password, staff.username)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), "password") from None
    staff.password_hash = hash_password(new_password)
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.session_epoch += 1
    _record(session, actor, staff, "staff.password_reset", {})
    return staff


def unlock(
    session: Session, actor: audit.Actor, staff_id: int, scope: Scope | None = None
) -> Staff:
    staff = get_staff(session, staff_id, scope)
    staff.failed_attempts = 0
    staff.locked_until = None
    throttle.clear_account(session, staff.username)
    _record(session, actor, staff, "staff.unlocked", {})
    return staff


class SignInError(ManyiError):
    status_code = 401


def authenticate(
    session: Session,
    username: str,
    password: str,
    policy: LockoutPolicy,
    now: dt.datetime | None = None,
    client: str = "",
) -> Staff:
    """Check a username and password; record the attempt either way.

    The failure messages never say whether the username exists, except for a locked account,
    where the user needs to know to wait or call an admin. Failures slow the guesser down
    (`LockoutPolicy`, `sign_in_throttle`): this address at this account, this address at any
    account, and — only after many more — the account from anywhere. While a key waits, no
    password is checked at all.
    """
    now = now or utcnow()
    name = normalise_username(username)
    pair, address = throttle.pair_key(client, name), throttle.address_key(client)
    staff = by_username(session, username)
    waiting = throttle.blocked_until(session, [pair, address], now)
    if waiting is not None:
        _refuse_throttled(session, staff, client, now)
        raise _too_many(waiting, now)
    if staff is None or not staff.active:
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
            raise _too_many(waiting, now)
        raise SignInError("wrong username or password")
    if staff.is_locked(now):
        _record(
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
    if not verify_password(staff.password_hash, password):
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
        _record(
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
            raise _too_many(waiting, now)
        raise SignInError("wrong username or password")
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.last_sign_in_at = now
    throttle.clear(session, pair)
    _record(session, actor_of(staff), staff, "auth.signed_in", {"client": client}, now=now)
    return staff


def _too_many(until: dt.datetime, now: dt.datetime) -> SignInError:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))  # rounded up
    return SignInError(
        "too many failed sign-ins from this device; try again in {minutes} minutes",
        minutes=minutes,
    )


def _refuse_throttled(session: Session, staff: Staff | None, client: str, now: dt.datetime) -> None:
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
        _record(session, actor_of(staff), staff, "auth.sign_in_refused", summary, now=now)


def change_password(session: Session, staff: Staff, current: str, new: str, confirm: str) -> Staff:
    if not verify_password(staff.password_hash, current):
        raise InvalidInput("current password is wrong", "current_password")
    if new != confirm:
        raise InvalidInput("the two new passwords differ", "confirm_password")
    if new == current:
        raise InvalidInput("the new password must differ from the current one", "new_password")
    try:
        check_policy(new, staff.username)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), "new_password") from None
    staff.password_hash = hash_password(new)
    staff.session_epoch += 1
    _record(session, actor_of(staff), staff, "auth.password_changed", {})
    return staff


def record_sign_out(session: Session, staff: Staff) -> None:
    """Sign out: every session of this account ends on the server, a copied cookie included."""
    staff.session_epoch += 1
    _record(session, actor_of(staff), staff, "auth.signed_out", {})
