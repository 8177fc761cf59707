"""What the appointment pages show, built from the use cases' answers (no SQL here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from manyi.errors import InvalidInput
from manyi.reach.appointment_queries import Described
from manyi.reach.appointment_slots import DayView

WEEKDAYS_ZH = "一二三四五六日"


def parse_day(text: str | None, days: list[dt.date]) -> dt.date:
    """The day asked for, or the first bookable one."""
    if not text:
        if not days:
            raise InvalidInput(
                "no day can be booked at this outlet now", "day", error_code="no_day"
            )
        return days[0]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("give the day as YYYY-MM-DD", "day", error_code="bad_day") from None


def parse_start(text: str | None) -> dt.datetime:
    try:
        start = dt.datetime.fromisoformat((text or "").strip().replace(" ", "+"))
    except ValueError:
        raise InvalidInput("please choose a time", "start", error_code="bad_start") from None
    if start.tzinfo is None:
        raise InvalidInput("please choose a time", "start", error_code="bad_start")
    return start.astimezone(dt.UTC)


def day_label(day: dt.date, lang: str) -> str:
    if lang == "en":
        return day.strftime("%a %d %b")
    return f"{day.month}月{day.day}日 周{WEEKDAYS_ZH[day.weekday()]}"


def day_view(view: DayView, lang: str) -> dict[str, Any]:
    zone = view.place.zone
    return {
        "outlet": view.place.outlet,
        "outlet_name": view.place.outlet.name_en
        if lang == "en" and view.place.outlet.name_en
        else view.place.outlet.name_zh,
        "service": view.place.service,
        "service_name": view.place.service.name(lang),
        "day": view.day.isoformat(),
        "day_label": day_label(view.day, lang),
        "workday": view.workday,
        "holiday": view.holiday,
        "days": [
            {"iso": d.isoformat(), "label": day_label(d, lang), "chosen": d == view.day}
            for d in view.days
        ],
        "slots": [
            {
                "start": s.start.isoformat(),
                "label": f"{s.start.astimezone(zone):%H:%M}–{s.end.astimezone(zone):%H:%M}",
                "free": s.free,
                "state": s.state,
            }
            for s in view.slots
        ],
        "lead_minutes": view.place.rules.lead_minutes,
        "horizon_days": view.place.rules.horizon_days,
    }


def booked_view(a: Described, lang: str) -> dict[str, Any]:
    local = a.slot_start.astimezone(a.zone)
    return {
        "outlet": a.outlet_en if lang == "en" else a.outlet_zh,
        "service": a.service_en if lang == "en" else a.service_zh,
        "day": day_label(local.date(), lang),
        "time": f"{local:%H:%M}–{a.slot_end.astimezone(a.zone):%H:%M}",
        "state": a.state,
        "code": a.checkin_code,
        "phone": a.phone,
        "ticket_number": a.ticket_number,
        "ticket_token": a.ticket_token,
        "late": a.late,
        "can_change": a.can_change,
        "can_check_in": a.can_check_in,
        "checkin_radius_m": a.checkin_radius_m,
    }
