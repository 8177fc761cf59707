"""Mystery shopping for inspectors (`/supervision/plans/mystery`): the scenario scripts, a new
scenario, assigning one to an outlet (which plans a "mystery" visit and makes the shopper's
single-use link), and the assignments with their links while they can be used. The rules live
in `supervision.mystery`."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.supervision import mystery, plans
from manyi.supervision.web.plan_forms import day, number, unit_options
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/supervision/plans/mystery"
INSPECT = Permission.SUPERVISION_INSPECT


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    error: str = "",
    field: str = "",
    form: str = "",
    sent: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    now = utcnow()
    base = request.app.state.settings.public_base_url or str(request.base_url)
    units = [u for u in plans.units_to_choose(session, principal.unit_path) if u.level == "outlet"]
    context = {
        "title": _("Mystery-shopping assignments"),
        "scenarios": mystery.scenarios(session),
        "items": mystery.current_items(session),
        "outlets": unit_options(units, lang),
        "assignments": mystery.assignment_lines(session, principal.unit_path, now),
        "base_url": base.rstrip("/"),
        "today": now.astimezone(request.app.state.settings.zone).date().isoformat(),
        "default_days": mystery.DEFAULT_VALID_DAYS,
        "max_days": mystery.MAX_VALID_DAYS,
        "assigned": request.query_params.get("assigned", ""),
        "error": error,
        "field": field,
        "form": form,
        "sent": sent or {},
    }
    return render(request, "supervision/mystery.html", context, status)


@router.get(PAGE)
def mystery_page(
    request: Request, principal: Principal = require(INSPECT), session: Session = DbSession
) -> Response:
    return _page(request, principal, session)


@router.post(PAGE + "/scenarios")
def create_scenario(
    request: Request,
    code: str = Form(""),
    title_zh: str = Form(""),
    title_en: str = Form(""),
    steps_zh: str = Form(""),
    steps_en: str = Form(""),
    principal: Principal = require(INSPECT),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        with session.begin_nested():
            mystery.create_scenario(
                session,
                principal.actor,
                code=code,
                title_zh=title_zh,
                title_en=title_en,
                steps_zh=steps_zh,
                steps_en=steps_en,
                now=utcnow(),
            )
    except ManyiError as exc:
        sent = {
            "code": code,
            "title_zh": title_zh,
            "title_en": title_en,
            "steps_zh": steps_zh,
            "steps_en": steps_en,
        }
        return _page(
            request,
            principal,
            session,
            error=exc.text(_),
            field=exc.field,
            form="scenario",
            sent=sent,
            status=exc.status_code,
        )
    return RedirectResponse(PAGE, status_code=303)


@router.post(PAGE + "/assignments")
def assign(
    request: Request,
    scenario_id: str = Form(""),
    outlet_id: str = Form(""),
    planned_on: str = Form(""),
    valid_days: str = Form(""),
    shopper_label: str = Form(""),
    principal: Principal = require(INSPECT),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        with session.begin_nested():
            done = mystery.assign(
                session,
                principal.actor,
                scenario_id=number(scenario_id, "scenario_id", "Choose one of the scenarios."),
                outlet_id=number(outlet_id, "outlet_id", "Choose an outlet."),
                planned_on=day(planned_on, "planned_on"),
                shopper_label=shopper_label,
                valid_days=number(
                    valid_days, "valid_days", "The link's validity is a whole number of days."
                ),
                now=utcnow(),
            )
    except ManyiError as exc:
        sent = {
            "scenario_id": scenario_id,
            "outlet_id": outlet_id,
            "planned_on": planned_on,
            "valid_days": valid_days,
            "shopper_label": shopper_label,
        }
        return _page(
            request,
            principal,
            session,
            error=exc.text(_),
            field=exc.field,
            form="assign",
            sent=sent,
            status=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}?assigned={done.id}", status_code=303)
