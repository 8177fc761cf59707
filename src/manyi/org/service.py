"""Use cases for units: create, edit, import, list within a scope."""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.model import PlacementError, Scope, UnitLevel, check_placement, child_path
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.org.unit_csv import LineError, parse_units_csv, valid_code


@dataclass
class UnitFields:
    code: str
    level: UnitLevel
    name_zh: str
    parent_id: int | None = None
    name_en: str = ""
    timezone: str = "Asia/Shanghai"
    address: str = ""
    customers_served: int = 0
    # The outlet's position in WGS-84 degrees, both or neither (the appointment link's
    # check-in near the outlet measures from it).
    latitude: float | None = None
    longitude: float | None = None


def units_in_scope(session: Session, scope: Scope) -> list[Unit]:
    return list(
        session.scalars(select(Unit).where(in_scope(Unit.path, scope.path)).order_by(Unit.path))
    )


def child_units(session: Session, unit_id: int) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.parent_id == unit_id).order_by(Unit.code)))


def get_unit(session: Session, unit_id: int, scope: Scope | None = None) -> Unit:
    unit = session.get(Unit, unit_id)
    # Out-of-scope units are reported as missing, so ids reveal nothing.
    if unit is None or (scope is not None and not scope.contains(unit.path)):
        raise NotFound("unit not found")
    return unit


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


def _check_fields(fields: UnitFields) -> None:
    reason = valid_code(fields.code)
    if reason:
        raise InvalidInput("code {reason}", "code", reason=reason)
    if not fields.name_zh.strip():
        raise InvalidInput("Chinese name is required", "name_zh")
    if len(fields.name_zh) > 100:
        raise InvalidInput("Chinese name must be at most 100 characters", "name_zh")
    if len(fields.name_en) > 200:
        raise InvalidInput("English name must be at most 200 characters", "name_en")
    if len(fields.address) > 300:
        raise InvalidInput("address must be at most 300 characters", "address")
    if fields.customers_served < 0:
        raise InvalidInput("customers served must be ≥ 0", "customers_served")
    _check_position(fields.latitude, fields.longitude)
    try:
        zoneinfo.ZoneInfo(fields.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("unknown time zone {zone}", "timezone", zone=fields.timezone) from None


def _check_position(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        field = "longitude" if longitude is None else "latitude"
        raise InvalidInput("give both latitude and longitude, or neither", field)
    if latitude is not None and not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise InvalidInput("the latitude must be a number from -90 to 90", "latitude")
    if longitude is not None and not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise InvalidInput("the longitude must be a number from -180 to 180", "longitude")


def create_unit(
    session: Session, actor: audit.Actor, fields: UnitFields, scope: Scope | None = None
) -> Unit:
    _check_fields(fields)
    if unit_by_code(session, fields.code) is not None:
        raise Conflict("unit code {code} already exists", "code", code=fields.code)
    parent = get_unit(session, fields.parent_id, scope) if fields.parent_id else None
    if parent is None and scope is not None:
        raise InvalidInput("a parent unit within your scope is required", "parent_id")
    try:
        check_placement(fields.level, parent.unit_level if parent else None)
    except PlacementError as exc:
        raise InvalidInput("{reason}", "level", reason=str(exc)) from None
    if parent is None:
        existing_root = session.scalar(select(func.count()).where(Unit.parent_id.is_(None)))
        if existing_root:
            raise Conflict("the organisation already has a head office", "level")
    unit = Unit(
        code=fields.code,
        parent_id=parent.id if parent else None,
        level=fields.level.value,
        name_zh=fields.name_zh.strip(),
        name_en=fields.name_en.strip(),
        timezone=fields.timezone,
        address=fields.address.strip(),
        customers_served=fields.customers_served,
        latitude=fields.latitude,
        longitude=fields.longitude,
        path="",
    )
    session.add(unit)
    session.flush()
    unit.path = child_path(parent.path if parent else None, unit.id)
    session.flush()
    audit.record(
        session,
        actor,
        entity_type="unit",
        entity_id=unit.id,
        action="unit.created",
        summary={"code": unit.code, "level": unit.level, "parent": parent.code if parent else None},
        unit_id=unit.id,
        unit_path=unit.path,
    )
    return unit


EDITABLE_UNIT_FIELDS = (
    "name_zh",
    "name_en",
    "timezone",
    "address",
    "customers_served",
    "latitude",
    "longitude",
    "active",
)


def update_unit(
    session: Session,
    actor: audit.Actor,
    unit_id: int,
    changes: dict[str, object],
    scope: Scope | None = None,
) -> Unit:
    """Edit a unit's descriptive fields. Code, level and place in the tree stay fixed."""
    unit = get_unit(session, unit_id, scope)
    unknown = set(changes) - set(EDITABLE_UNIT_FIELDS)
    if unknown:
        raise InvalidInput(
            "cannot change {fields}", sorted(unknown)[0], fields=", ".join(sorted(unknown))
        )
    merged = UnitFields(
        code=unit.code,
        level=unit.unit_level,
        name_zh=str(changes.get("name_zh", unit.name_zh)),
        name_en=str(changes.get("name_en", unit.name_en)),
        timezone=str(changes.get("timezone", unit.timezone)),
        address=str(changes.get("address", unit.address)),
        customers_served=int(changes.get("customers_served", unit.customers_served)),  # type: ignore[call-overload]
        latitude=_coordinate(changes, "latitude", unit.latitude),
        longitude=_coordinate(changes, "longitude", unit.longitude),
    )
    _check_fields(merged)
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for name in EDITABLE_UNIT_FIELDS:
        if name not in changes:
            continue
        new = getattr(merged, name) if name != "active" else bool(changes[name])
        if isinstance(new, str):
            new = new.strip()
        old = getattr(unit, name)
        if old != new:
            before[name], after[name] = old, new
            setattr(unit, name, new)
    if after:
        audit.record(
            session,
            actor,
            entity_type="unit",
            entity_id=unit.id,
            action="unit.updated",
            summary={"code": unit.code, "before": before, "after": after},
            unit_id=unit.id,
            unit_path=unit.path,
        )
    return unit


def _coordinate(changes: dict[str, object], name: str, current: float | None) -> float | None:
    """A coordinate from the changes (None clears it), else the current one."""
    if name not in changes:
        return current
    value = changes[name]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("{name} must be a number", name, name=name)
    return float(value)


@dataclass
class ImportResult:
    created: list[Unit]
    errors: list[LineError]

    @property
    def ok(self) -> bool:
        return not self.errors


def import_units(
    session: Session,
    actor: audit.Actor,
    text: str,
    default_timezone: str,
    scope: Scope | None = None,
) -> ImportResult:
    """Import units from CSV text: all lines or none."""
    stored = {
        row.code: row for row in session.execute(select(Unit.code, Unit.id, Unit.level, Unit.path))
    }
    parsed = parse_units_csv(
        text, {code: UnitLevel(row.level) for code, row in stored.items()}, default_timezone
    )
    if parsed.errors:
        return ImportResult(created=[], errors=parsed.errors)
    has_root = any(row.level == UnitLevel.HEAD_OFFICE.value for row in stored.values())
    errors: list[LineError] = []
    for row in parsed.rows:
        if not row.parent_code and (has_root or scope is not None):
            errors.append(
                LineError(row.line, "parent_code", "the organisation already has a head office")
            )
        has_root = has_root or not row.parent_code
    if scope is not None:
        for row in parsed.rows:
            parent = stored.get(row.parent_code)
            if parent is not None and not scope.contains(parent.path):
                errors.append(
                    LineError(
                        row.line, "parent_code", f"unit {row.parent_code} is outside your scope"
                    )
                )
    if errors:
        return ImportResult(created=[], errors=errors)
    created: list[Unit] = []
    ids = {code: row.id for code, row in stored.items()}
    for row in parsed.rows:
        unit = create_unit(
            session,
            actor,
            UnitFields(
                code=row.code,
                level=row.level,
                name_zh=row.name_zh,
                parent_id=ids.get(row.parent_code),
                name_en=row.name_en,
                timezone=row.timezone,
                address=row.address,
                customers_served=row.customers_served,
            ),
        )
        ids[unit.code] = unit.id
        created.append(unit)
    audit.record(
        session,
        actor,
        entity_type="unit",
        entity_id="import",
        action="unit.imported",
        summary={"count": len(created), "codes": [u.code for u in created][:50]},
    )
    return ImportResult(created=created, errors=[])
