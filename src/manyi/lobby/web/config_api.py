"""Configuring a lobby over the API: settings, services, counters, teller skills."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, NotFound
from manyi.lobby import layouts, service, setup, store
from manyi.lobby.domain.model import Policy, PriorityClass, Service
from manyi.lobby.domain.voices import (
    DEFAULT_ANNOUNCEMENT_EN,
    DEFAULT_ANNOUNCEMENT_ZH,
    DEFAULT_CALL_HOLD_S,
    DEFAULT_SPEECH_RATE_PCT,
)
from manyi.lobby.outlets import OutletLike
from manyi.lobby.web.api import staff_operator
from manyi.org import staff as staff_service
from manyi.org.model import Permission
from manyi.web.security import DbSession, Principal, require

router = APIRouter(tags=["lobby configuration"])


class SettingsIn(BaseModel):
    weights: dict[str, int] = Field(
        default={"green": 2, "vip": 1, "appointment": 1, "normal": 2},
        description="weighted cycle per priority class (normal, appointment, vip, green)",
    )
    ageing_s: int = 900
    no_show_after_calls: int = 2
    requeue_grace_s: int = 600
    requeue_behind: int = 3
    target_wait_s: int = 600
    announcement_zh: str = DEFAULT_ANNOUNCEMENT_ZH
    announcement_en: str = DEFAULT_ANNOUNCEMENT_EN
    opens_at: str = Field(default="09:00", description="local time HH:MM")
    closes_at: str | None = Field(default="17:00", description="local time HH:MM; null: midnight")
    day_starts_at: str = Field(
        default="00:00",
        description="local time HH:MM the business day (numbers, daily figures) starts, "
        "before 12:00 and not after opening time unless open around the clock",
    )
    rating_window_s: int = Field(default=30, description="seconds the rating pad accepts an answer")
    green_confirm: bool = Field(
        default=True, description="the kiosk asks who the green channel is for before issuing"
    )
    announce_en: bool = Field(default=False, description="the board also announces in English")
    announce_dialect: str = Field(
        default="",
        description="BCP 47 tag of a dialect voice the boards have (e.g. zh-HK for Cantonese); "
        "the Chinese text is spoken once more in it; empty: none",
    )
    speech_rate_pct: int = Field(
        default=DEFAULT_SPEECH_RATE_PCT,
        description="speech rate in percent of the engine's normal pace (50–120; slower: lower)",
    )
    call_hold_s: int = Field(
        default=DEFAULT_CALL_HOLD_S,
        description="seconds a call stays the board's big call before the next replaces it (5–60)",
    )
    open_weekdays: list[int] = Field(
        default=[1, 2, 3, 4, 5],
        description="days of the week the outlet opens, ISO (1 Monday … 7 Sunday); a make-up "
        "working day of the bank's calendar (调休) is open too",
        max_length=7,
    )
    open_on_holidays: bool = Field(
        default=False,
        description="the outlet opens on public holidays too (节假日照常营业), "
        "on its days of the week",
    )


class ServiceIn(BaseModel):
    code: str
    name_zh: str
    name_en: str = ""
    prefix: str
    expected_service_s: int
    fast_lane: bool = False
    skill: str | None = None


class CounterIn(BaseModel):
    number: int
    kind: str = "regular"
    services: list[str]


class ConfigIn(BaseModel):
    settings: SettingsIn
    services: list[ServiceIn]
    counters: list[CounterIn]


class SkillsIn(BaseModel):
    skills: list[str]


def _time(text: str, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise InvalidInput("{value} is not a time like 09:00", field, value=text) from None


def policy_from(body: SettingsIn, timezone: str) -> Policy:
    """The policy the `settings` object asks for; an error names its field under `settings.`."""
    weights = {}
    for name, weight in body.weights.items():
        try:
            weights[PriorityClass(name)] = weight
        except ValueError:
            raise InvalidInput(
                "unknown priority class {klass}", "settings.weights", klass=name
            ) from None
    try:
        return Policy(
            weights=weights,
            ageing_s=body.ageing_s,
            no_show_after_calls=body.no_show_after_calls,
            requeue_grace_s=body.requeue_grace_s,
            requeue_behind=body.requeue_behind,
            target_wait_s=body.target_wait_s,
            announcement_zh=body.announcement_zh,
            announcement_en=body.announcement_en,
            opens_at=_time(body.opens_at, "settings.opens_at"),
            closes_at=_time(body.closes_at, "settings.closes_at") if body.closes_at else None,
            timezone=timezone,
            rating_window_s=body.rating_window_s,
            green_confirm=body.green_confirm,
            day_starts_at=_time(body.day_starts_at, "settings.day_starts_at"),
            announce_en=body.announce_en,
            announce_dialect=body.announce_dialect.strip(),
            speech_rate_pct=body.speech_rate_pct,
            call_hold_s=body.call_hold_s,
            open_weekdays=frozenset(body.open_weekdays),
            open_on_holidays=body.open_on_holidays,
        )
    except InvalidInput as exc:  # the policy's own rules name the bare field: say where it is
        if exc.field and not exc.field.startswith("settings."):
            exc.field = f"settings.{exc.field}"
        raise


def _services(items: list[ServiceIn]) -> list[Service]:
    out = []
    for i, item in enumerate(items):
        try:
            out.append(Service(**item.model_dump()))
        except InvalidInput as exc:
            exc.field = f"services.{i}.{exc.field}"
            raise
    return out


def config_json(session: Session, outlet: OutletLike) -> dict[str, Any]:
    policy = layouts.load_policy(session, outlet)
    return {
        "outlet": outlet.code,
        "settings": {**setup.settings_of(policy), "timezone": outlet.timezone},
        "services": [
            {
                "code": s.code,
                "name_zh": s.name_zh,
                "name_en": s.name_en,
                "prefix": s.prefix,
                "expected_service_s": s.expected_service_s,
                "fast_lane": s.fast_lane,
                "skill": s.skill,
            }
            for s in layouts.load_services(session, outlet.id).values()
        ],
        "counters": [
            {"number": c.number, "kind": c.kind.value, "services": list(c.services)}
            for c in store.load_counters(session, outlet.id)
        ],
    }


@router.get("/api/v1/lobby/outlets/{outlet}/config", summary="An outlet's lobby configuration")
def get_config(
    outlet: str,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> dict[str, Any]:
    operator = staff_operator(principal)
    unit = service.outlet_for(session, operator, outlet)
    return config_json(session, unit)


@router.put(
    "/api/v1/lobby/outlets/{outlet}/config",
    summary="Replace an outlet's lobby configuration (services, counters, settings)",
)
def put_config(
    outlet: str,
    body: ConfigIn,
    principal: Principal = require(Permission.LOBBY_CONFIGURE),
    session: Session = DbSession,
) -> dict[str, Any]:
    operator = staff_operator(principal)
    unit = service.outlet_unit_for(session, operator, outlet)
    setup.configure_outlet(
        session,
        principal.actor,
        unit,
        policy=policy_from(body.settings, unit.timezone),
        services=_services(body.services),
        counters=[setup.CounterSpec(c.number, c.kind, tuple(c.services)) for c in body.counters],
        now=utcnow(),
    )
    return config_json(session, unit)


@router.put(
    "/api/v1/lobby/tellers/{username}/skills",
    summary="Set the skills a teller has (services needing a skill go only to them)",
)
def put_skills(
    username: str,
    body: SkillsIn,
    principal: Principal = require(Permission.LOBBY_CONFIGURE),
    session: Session = DbSession,
) -> dict[str, Any]:
    staff = staff_service.by_username(session, username)
    if staff is None or not principal.scope.contains(staff.unit.path):
        raise NotFound("no teller {name}", "username", name=username)
    setup.set_skills(session, principal.actor, staff, body.skills, now=utcnow())
    return {"username": staff.username, "skills": sorted(store.skills_of(session, staff.id))}
