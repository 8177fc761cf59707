"""An outlet's lobby settings page (网点大堂设置): what `PUT /api/v1/lobby/outlets/{outlet}/config`
sets in its `settings` object, as a form an outlet's head can fill in.

The same permissions as the API: anyone with lobby.view reads the page (read-only), lobby.configure
changes it, each within their scope. A change goes through the same conversion as the API's
(`config_api.policy_from`, so the policy's own rules refuse what the API refuses) and the same
service (`setup.configure_settings`, audited `lobby.configured`); services and counters are shown,
not changed. A refused value is shown next to its field with everything typed kept, and nothing
is stored.

Durations people think of in minutes (target wait, ageing, re-queue grace) are typed in minutes
(a decimal such as 1.5 allowed); the API keeps seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.lobby import setup
from manyi.lobby.domain.model import PriorityClass
from manyi.lobby.web import config_api
from manyi.lobby.web.pages import choose_outlet, staff_outlet
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

MINUTE_FIELDS = ("target_wait_s", "ageing_s", "requeue_grace_s")
WHOLE_FIELDS = (
    "no_show_after_calls",
    "requeue_behind",
    "rating_window_s",
    "speech_rate_pct",
    "call_hold_s",
)
TEXT_FIELDS = ("opens_at", "closes_at", "day_starts_at", "announcement_zh", "announcement_en")
CHECK_FIELDS = ("green_confirm", "announce_en", "open_on_holidays")
# The days of the week the outlet opens: one check box each (ISO numbers; names: message ids).
WEEKDAYS = (
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
)
# The dialect voices boards commonly have, as speech engines tag them (Windows: zh-HK; espeak-ng:
# yue, hak, nan…); any other tag can be typed ("other"). Names are message ids.
DIALECTS = (
    ("zh-HK", "Cantonese (Hong Kong)"),
    ("yue", "Cantonese"),
    ("wuu", "Shanghainese (Wu)"),
    ("nan", "Min Nan (Hokkien)"),
    ("hak", "Hakka"),
)
OTHER = "other"
_MINUTES = re.compile(r"[0-9]{1,4}(\.[0-9]{1,2})?")


def input_name(key: str) -> str:
    """The form's name for a setting: minutes where the API has seconds."""
    return key[: -len("_s")] + "_min" if key in MINUTE_FIELDS else key


def form_values(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values for the settings the configuration API shows."""
    values: dict[str, Any] = {}
    for key in MINUTE_FIELDS:
        minutes = settings[key] / 60
        values[input_name(key)] = f"{minutes:.2f}".rstrip("0").rstrip(".")
    for key in WHOLE_FIELDS:
        values[key] = str(settings[key])
    for key in TEXT_FIELDS:
        values[key] = settings[key] or ""
    for key in CHECK_FIELDS:
        values[key] = bool(settings[key])
    for klass, weight in settings["weights"].items():
        values[f"weight_{klass}"] = str(weight)
    for day, _name in WEEKDAYS:
        values[f"open_day_{day}"] = day in settings["open_weekdays"]
    dialect = settings["announce_dialect"]
    known = dialect in {tag for tag, _ in DIALECTS}
    values["announce_dialect"] = dialect if known or not dialect else OTHER
    values["announce_dialect_other"] = "" if known else dialect
    return values


def typed_values(form: Mapping[str, str]) -> dict[str, Any]:
    """What was typed, to show again beside a refusal."""
    values: dict[str, Any] = {key: form.get(key, "") for key in _text_inputs()}
    values.update({key: form.get(key) == "on" for key in CHECK_FIELDS})
    values.update({f"open_day_{day}": form.get(f"open_day_{day}") == "on" for day, _ in WEEKDAYS})
    return values


def _text_inputs() -> list[str]:
    return [
        *(input_name(k) for k in MINUTE_FIELDS),
        *WHOLE_FIELDS,
        *TEXT_FIELDS,
        *(f"weight_{c.value}" for c in PriorityClass),
        "announce_dialect",
        "announce_dialect_other",
    ]


def _whole(form: Mapping[str, str], key: str) -> int:
    text = form.get(key, "").strip()
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise InvalidInput("enter a whole number", key)
    return int(text)


def _seconds(form: Mapping[str, str], key: str) -> int:
    name = input_name(key)
    text = form.get(name, "").strip()
    if not _MINUTES.fullmatch(text):
        raise InvalidInput("enter minutes as a number, such as 10 or 1.5", name)
    return round(float(text) * 60)


def _dialect(form: Mapping[str, str]) -> str:
    chosen = form.get("announce_dialect", "").strip()
    if chosen != OTHER:
        return chosen
    typed = form.get("announce_dialect_other", "").strip()
    if not typed:
        raise InvalidInput(
            "type the language tag of the dialect voice, such as zh-HK", "announce_dialect"
        )
    return typed


def settings_from_form(form: Mapping[str, str]) -> config_api.SettingsIn:
    """The configuration API's `settings` object from the posted form; a value that is not even
    a number is refused here, naming its input."""
    weights = {c.value: _whole(form, f"weight_{c.value}") for c in PriorityClass}
    return config_api.SettingsIn(
        weights=weights,
        **{key: _seconds(form, key) for key in MINUTE_FIELDS},
        **{key: _whole(form, key) for key in WHOLE_FIELDS},
        **{key: form.get(key, "") for key in TEXT_FIELDS if key != "closes_at"},
        closes_at=form.get("closes_at", "").strip() or None,
        **{key: form.get(key) == "on" for key in CHECK_FIELDS},
        announce_dialect=_dialect(form),
        open_weekdays=[day for day, _ in WEEKDAYS if form.get(f"open_day_{day}") == "on"],
    )


def error_field(field: str) -> str:
    """The form input a refusal names (the API names `settings.target_wait_s` and so on)."""
    key = field.removeprefix("settings.")
    return input_name(key) if key in MINUTE_FIELDS else key


async def posted_form(request: Request) -> dict[str, str]:
    """The posted fields as text (read once: the CSRF check read the same form before)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _sample(config: Mapping[str, Any]) -> dict[str, Any]:
    """The call the 「试听」 button speaks: the outlet's first service and counter."""
    services, counters = config["services"], config["counters"]
    first = services[0] if services else {"prefix": "A", "name_zh": "个人业务"}
    return {
        "number": f"{first['prefix']}012",
        "counter": counters[0]["number"] if counters else 3,
        "service": first["name_zh"],
    }


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    unit: Unit,
    *,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    config = config_api.config_json(session, unit)
    context = {
        "outlet": unit,
        "config": config,
        "values": values if values is not None else form_values(config["settings"]),
        "dialects": DIALECTS,
        "weekdays": WEEKDAYS,
        "other": OTHER,
        "can_change": principal.can(Permission.LOBBY_CONFIGURE),
        "sample": _sample(config),
        "error": "",
        "field": "",
        "saved": False,
        **extra,
    }
    return render(request, "lobby_settings.html", context, status_code)


@router.get("/lobby/settings")
def settings_page(
    request: Request,
    outlet: str | None = None,
    saved: int = 0,
    principal: Principal = require(Permission.LOBBY_VIEW),
    session: Session = DbSession,
) -> Response:
    unit = staff_outlet(session, principal, outlet)
    if unit is None:
        _ = translator(request_language(request))
        return choose_outlet(request, session, principal, _("Lobby settings"))
    return _page(request, session, principal, unit, saved=bool(saved))


@router.post("/lobby/settings")
def save_settings(
    request: Request,
    outlet: str | None = None,
    form: dict[str, str] = Depends(posted_form),
    principal: Principal = require(Permission.LOBBY_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    unit = staff_outlet(session, principal, outlet)
    if unit is None:
        raise InvalidInput("choose an outlet", "outlet")
    try:
        policy = config_api.policy_from(settings_from_form(form), unit.timezone)
        setup.configure_settings(session, principal.actor, unit, policy, now=utcnow())
    except ManyiError as exc:
        session.rollback()
        _ = translator(request_language(request))
        return _page(
            request,
            session,
            principal,
            unit,
            values=typed_values(form),
            status_code=exc.status_code,
            error=exc.text(_),
            field=error_field(exc.field),
        )
    return RedirectResponse(f"/lobby/settings?outlet={quote(unit.code)}&saved=1", status_code=303)
