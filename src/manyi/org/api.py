"""JSON endpoints for the organisation (same use cases as the pages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from manyi.db import Session
from manyi.org import service as unit_service
from manyi.org import staff as staff_service
from manyi.org.model import Permission, UnitLevel
from manyi.org.tables import DeviceToken, Staff, Unit
from manyi.web.security import DbSession, Principal, device, require

router = APIRouter(tags=["organisation"])


class UnitOut(BaseModel):
    id: int
    code: str
    parent_id: int | None
    level: str
    name_zh: str
    name_en: str
    timezone: str
    address: str
    customers_served: int
    latitude: float | None = Field(default=None, description="WGS-84 degrees; null: no position")
    longitude: float | None = None
    active: bool

    @classmethod
    def of(cls, unit: Unit) -> UnitOut:
        return cls(
            id=unit.id,
            code=unit.code,
            parent_id=unit.parent_id,
            level=unit.level,
            name_zh=unit.name_zh,
            name_en=unit.name_en,
            timezone=unit.timezone,
            address=unit.address,
            customers_served=unit.customers_served,
            latitude=unit.latitude,
            longitude=unit.longitude,
            active=unit.active,
        )


class UnitIn(BaseModel):
    code: str = Field(max_length=32)
    parent_id: int
    level: UnitLevel
    name_zh: str = Field(max_length=100)
    name_en: str = Field(default="", max_length=200)
    timezone: str = "Asia/Shanghai"
    address: str = Field(default="", max_length=300)
    customers_served: int = Field(default=0, ge=0)
    latitude: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)


class UnitPatch(BaseModel):
    name_zh: str | None = Field(default=None, max_length=100)
    name_en: str | None = Field(default=None, max_length=200)
    timezone: str | None = None
    address: str | None = Field(default=None, max_length=300)
    customers_served: int | None = Field(default=None, ge=0)
    latitude: float | None = Field(
        default=None, ge=-90, le=90, allow_inf_nan=False, description="null clears the position"
    )
    longitude: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    active: bool | None = None


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    unit: dict[str, Any]
    roles: list[str]
    permissions: list[str]


class StaffOut(BaseModel):
    id: int
    username: str
    display_name: str
    staff_number: str | None
    unit_id: int
    unit_code: str
    roles: list[str]
    active: bool
    locked: bool

    @classmethod
    def of(cls, staff: Staff) -> StaffOut:
        from manyi.db import utcnow

        return cls(
            id=staff.id,
            username=staff.username,
            display_name=staff.display_name,
            staff_number=staff.staff_number,
            unit_id=staff.unit_id,
            unit_code=staff.unit.code,
            roles=[r.value for r in staff.roles],
            active=staff.active,
            locked=staff.is_locked(utcnow()),
        )


@router.get("/api/v1/me")
def me(principal: Principal = require()) -> MeOut:
    return MeOut(
        id=principal.id,
        username=principal.username,
        display_name=principal.display_name,
        unit={
            "id": principal.unit_id,
            "code": principal.unit_code,
            "level": principal.unit_level,
            "name_zh": principal.unit_name_zh,
            "name_en": principal.unit_name_en,
        },
        roles=[r.value for r in principal.roles],
        permissions=sorted(p.value for p in principal.permissions),
    )


@router.get("/api/v1/units")
def list_units(
    principal: Principal = require(Permission.UNITS_VIEW), session: Session = DbSession
) -> list[UnitOut]:
    return [UnitOut.of(u) for u in unit_service.units_in_scope(session, principal.scope)]


@router.get("/api/v1/units/{unit_id}")
def get_unit(
    unit_id: int,
    principal: Principal = require(Permission.UNITS_VIEW),
    session: Session = DbSession,
) -> UnitOut:
    return UnitOut.of(unit_service.get_unit(session, unit_id, principal.scope))


@router.post("/api/v1/units", status_code=201)
def create_unit(
    body: UnitIn,
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> UnitOut:
    unit = unit_service.create_unit(
        session,
        principal.actor,
        unit_service.UnitFields(**body.model_dump()),
        scope=principal.scope,
    )
    return UnitOut.of(unit)


@router.patch("/api/v1/units/{unit_id}")
def patch_unit(
    unit_id: int,
    body: UnitPatch,
    principal: Principal = require(Permission.UNITS_MANAGE),
    session: Session = DbSession,
) -> UnitOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    for name in ("latitude", "longitude"):  # an explicit null clears the position
        if name in body.model_fields_set:
            changes[name] = getattr(body, name)
    return UnitOut.of(
        unit_service.update_unit(session, principal.actor, unit_id, changes, principal.scope)
    )


@router.get("/api/v1/staff")
def list_staff(
    principal: Principal = require(Permission.STAFF_VIEW), session: Session = DbSession
) -> list[StaffOut]:
    return [StaffOut.of(s) for s in staff_service.staff_in_scope(session, principal.scope)]


class DeviceOut(BaseModel):
    device_id: int
    kind: str
    name: str
    outlet: dict[str, Any]


@router.get("/device/api/v1/whoami", tags=["devices"])
def device_whoami(token: DeviceToken = device()) -> DeviceOut:
    """What a kiosk, board or rating pad is: its outlet, kind and name."""
    outlet = token.outlet
    return DeviceOut(
        device_id=token.id,
        kind=token.kind,
        name=token.name,
        outlet={
            "id": outlet.id,
            "code": outlet.code,
            "name_zh": outlet.name_zh,
            "name_en": outlet.name_en,
            "timezone": outlet.timezone,
        },
    )
