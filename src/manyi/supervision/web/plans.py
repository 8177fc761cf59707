"""The inspection plans page (`/supervision/plans`): scheduled plans (巡查), the spot-check
sampler with its seed (抽查), the plans made and their visits.

The draw is a GET (`?unit_id=&seed=&n=`): it reads only, and the same address shows the same
draw again, so an inspector can send it to whoever checks them. "Schedule these visits" posts
the seed and size, and the server draws again before it plans anything. The rules live in
`supervision.plans` and `supervision.spot_checks`; this module translates forms and pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.supervision import plans, spot_checks
from manyi.supervision.domain import plans as plan_rules
from manyi.supervision.domain import sampler
from manyi.supervision.web.plan_forms import day, number, unit_options
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/supervision/plans"
INSPECT = Permission.SUPERVISION_INSPECT


def next_quarter(today: dt.date) -> str:
    quarter = (today.month - 1) // 3 + 2
    year = today.year + (quarter > 4)
    return f"{year}-Q{(quarter - 1) % 4 + 1}"


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    draw_args: dict[str, str] | None = None,
    error: str = "",
    field: str = "",
    sent: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    now = utcnow()
    actor = principal.actor
    units = plans.units_to_choose(session, principal.unit_path)
    query = request.query_params
    args = (
        draw_args
        if draw_args is not None
        else {k: query.get(k, "") for k in ("unit_id", "seed", "n")}
    )
    drawn: spot_checks.Preview | None = None
    draw_error = ""
    if args.get("unit_id"):
        try:
            drawn = spot_checks.preview(
                session,
                actor,
                unit_id=number(args["unit_id"], "unit_id", "Choose a unit."),
                seed=args.get("seed", ""),
                n=number(args.get("n", ""), "n", "The sample size is a whole number."),
                now=now,
            )
        except ManyiError as exc:
            draw_error = exc.text(_)
    shown_plan: tuple[Any, list[plans.PlannedVisit]] | None = None
    plan_id = query.get("plan", "")
    if plan_id.isascii() and plan_id.isdigit():
        try:
            shown_plan = plans.plan_visits(session, actor, int(plan_id))
        except ManyiError as exc:
            error = error or exc.text(_)
            status = 404 if status == 200 else status
    today = now.astimezone(principal_zone(request)).date()
    context = {
        "title": _("Inspection plans"),
        "units": unit_options(units, lang),
        "lines": plans.plan_lines(session, principal.unit_path),
        "draw": drawn,
        "draw_args": args,
        "draw_error": draw_error,
        "fresh_seed": spot_checks.new_seed(),
        "default_period": next_quarter(today),
        "today": today.isoformat(),
        "weights": sampler.DEFAULT_WEIGHTS,
        "window_days": spot_checks.WINDOW_DAYS,
        "max_visits": plan_rules.MAX_VISITS_PER_OUTLET,
        "shown_plan": shown_plan,
        "created": query.get("created", ""),
        "error": error,
        "field": field,
        "sent": sent or {},
    }
    return render(request, "supervision/plans.html", context, status)


def principal_zone(request: Request) -> Any:
    return request.app.state.settings.zone


@router.get(PAGE)
def plans_page(
    request: Request, principal: Principal = require(INSPECT), session: Session = DbSession
) -> Response:
    return _page(request, principal, session)


@router.post(PAGE)
def create_plan(
    request: Request,
    unit_id: str = Form(""),
    name: str = Form(""),
    period: str = Form(""),
    visits: str = Form("1"),
    principal: Principal = require(INSPECT),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    sent = {"unit_id": unit_id, "name": name, "period": period, "visits": visits}
    try:
        with session.begin_nested():
            plan_id = plans.create_scheduled_plan(
                session,
                principal.actor,
                unit_id=number(unit_id, "unit_id", "Choose a unit."),
                name=name,
                period=period,
                visits=number(visits, "visits", "Visits per outlet is a whole number."),
                now=utcnow(),
            )
    except ManyiError as exc:
        return _page(
            request,
            principal,
            session,
            error=exc.text(_),
            field=exc.field,
            sent=sent,
            status=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}?plan={plan_id}&created={plan_id}", status_code=303)


@router.post(PAGE + "/spot")
def schedule_spot_check(
    request: Request,
    unit_id: str = Form(""),
    seed: str = Form(""),
    n: str = Form(""),
    planned_on: str = Form(""),
    name: str = Form(""),
    principal: Principal = require(INSPECT),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    args = {"unit_id": unit_id, "seed": seed, "n": n}
    try:
        with session.begin_nested():
            plan_id = spot_checks.schedule_spot_check(
                session,
                principal.actor,
                unit_id=number(unit_id, "unit_id", "Choose a unit."),
                seed=seed,
                n=number(n, "n", "The sample size is a whole number."),
                planned_on=day(planned_on, "planned_on"),
                name=name,
                now=utcnow(),
            )
    except ManyiError as exc:
        return _page(
            request,
            principal,
            session,
            draw_args=args,
            error=exc.text(_),
            field=exc.field,
            sent={"planned_on": planned_on, "name": name},
            status=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}?plan={plan_id}&created={plan_id}", status_code=303)
