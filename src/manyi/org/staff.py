"""Use cases for staff accounts: create, edit roles, sign in, change password."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.org import sign_in_throttle as throttle
from manyi.org.model import PlacementError, Role, Scope, check_role_level
from manyi.org.passwords import (
    WeakPasswordError,
    check_policy,
    hash_password,
)
from manyi.org.scope import in_scope
from manyi.org.service import get_unit
from manyi.org.tables import Staff, StaffRole, Unit
from manyi.personal import check_mobile, mask_phone

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# A staff number (工号) as banks print them: "BJ01023", "001234", "SH-0042".
STAFF_NUMBER_MAX = 16
STAFF_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


def record_event(
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


def normalise_staff_number(value: str | None) -> str | None:
    """The staff number as stored (upper case, no surrounding spaces), None when empty;
    refused when too long or not made of letters, digits and '-'."""
    number = (value or "").strip().upper()
    if not number:
        return None
    if len(number) > STAFF_NUMBER_MAX or not STAFF_NUMBER_RE.match(number):
        raise InvalidInput(
            "staff number: at most {max} letters, digits or '-', e.g. BJ01023",
            "staff_number",
            max=STAFF_NUMBER_MAX,
        )
    return number


def normalise_mobile(value: str) -> str:
    """A staff member's mobile number for SMS paging: a mainland mobile, normalised."""
    try:
        return check_mobile(value)
    except ValueError:
        raise InvalidInput(
            "{number} is not a mainland mobile number (11 digits starting with 1)",
            "mobile",
            number=value.strip()[:20],
        ) from None


def masked_mobile(staff: Staff) -> str:
    """The number as pages and the audit trail show it: its last four digits."""
    return mask_phone(staff.mobile) if staff.mobile else ""


def _check_staff_number_free(
    session: Session, number: str | None, staff_id: int | None = None
) -> None:
    if number is None:
        return
    holder = session.scalar(select(Staff).where(Staff.staff_number == number))
    if holder is not None and holder.id != staff_id:
        raise Conflict(
            "staff number {number} is already {username}'s",
            "staff_number",
            number=number,
            username=holder.username,
        )


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
    prehashed: str | None = None,
    staff_number: str | None = None,
    mobile: str = "",
) -> Staff:
    """A new staff account. `prehashed` is `hash_password(password)` computed before the unit
    of work began (as `reset_password`); `staff_number` (工号) is optional."""
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
    number = normalise_staff_number(staff_number)
    phone = normalise_mobile(mobile) if mobile.strip() else None
    unit = get_unit(session, unit_id, scope)
    _check_roles(roles, unit.level)
    try:
        check_policy(password, username)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), "password") from None
    if by_username(session, username) is not None:
        raise Conflict("username {username} is taken", "username", username=username)
    _check_staff_number_free(session, number)
    staff = Staff(
        username=username,
        display_name=display_name,
        staff_number=number,
        mobile=phone,
        unit_id=unit.id,
        password_hash=prehashed or hash_password(password),
        role_rows=[StaffRole(role=r.value) for r in roles],
    )
    session.add(staff)
    session.flush()
    session.refresh(staff)
    record_event(
        session,
        actor,
        staff,
        "staff.created",
        {
            "unit": unit.code,
            "roles": [r.value for r in roles],
            **({"staff_number": number} if number else {}),
            **({"mobile": masked_mobile(staff)} if phone else {}),
        },
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
    staff_number: str | None = None,
    mobile: str | None = None,
) -> Staff:
    """Change what is given (None: unchanged; `staff_number=""` and `mobile=""` remove)."""
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
    if staff_number is not None:
        number = normalise_staff_number(staff_number)
        if number != staff.staff_number:
            _check_staff_number_free(session, number, staff.id)
            before["staff_number"], after["staff_number"] = staff.staff_number, number
            staff.staff_number = number
    if mobile is not None:
        phone = normalise_mobile(mobile) if mobile.strip() else None
        if phone != staff.mobile:
            before["mobile"] = masked_mobile(staff)
            staff.mobile = phone
            after["mobile"] = masked_mobile(staff)
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
        record_event(session, actor, staff, "staff.updated", {"before": before, "after": after})
    if role_change:
        record_event(session, actor, staff, "staff.roles_changed", role_change)
    return staff


def hash_ahead(password: str, username: str = "") -> str | None:
    """`hash_password(password)` for a caller to make before its unit of work begins (the
    `prehashed` of `create_staff` and `reset_password`); None for a password the policy refuses,
    which the service then refuses in words."""
    try:
        check_policy(password, normalise_username(username))
    except WeakPasswordError:
        return None
    return hash_password(password)


def reset_password(
    session: Session,
    actor: audit.Actor,
    staff_id: int,
    new_password: str,
    scope: Scope | None = None,
    *,
    prehashed: str | None = None,
) -> Staff:
    """Set a new password. `prehashed` is `hash_password(new_password)` computed before the
    unit of work began (the web does so: no write transaction waits on the hashing)."""
    staff = get_staff(session, staff_id, scope)
    try:
        check_policy(new_password, staff.username)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), "password") from None
    staff.password_hash = prehashed or hash_password(new_password)
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.session_epoch += 1
    record_event(session, actor, staff, "staff.password_reset", {})
    return staff


def unlock(
    session: Session, actor: audit.Actor, staff_id: int, scope: Scope | None = None
) -> Staff:
    staff = get_staff(session, staff_id, scope)
    staff.failed_attempts = 0
    staff.locked_until = None
    throttle.clear_account(session, staff.username)
    record_event(session, actor, staff, "staff.unlocked", {})
    return staff


def record_sign_out(session: Session, staff: Staff) -> None:
    """Sign out: every session of this account ends on the server, a copied cookie included."""
    staff.session_epoch += 1
    record_event(session, actor_of(staff), staff, "auth.signed_out", {})
