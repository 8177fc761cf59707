"""The outreach pages (普及金融知识): the events of one's scope with the period's figures rolled
up one level down (`/guidance/outreach`, its Excel export), the planning form
(`/guidance/outreach/new`) and an event's page with its steps (record as held, cancel, photos).

A refused form is shown again with the message next to its field, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi import spreadsheet
from manyi.complaints.domain.files import MAX_BYTES
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.guidance import outreach, outreach_queries
from manyi.guidance.domain.outreach import State, Topic, Venue
from manyi.guidance.domain.outreach_figures import Period, period_of
from manyi.guidance.web.common import error_of, who_of
from manyi.org.model import Permission
from manyi.web import downloads
from manyi.web.body_limit import BodyCap
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
VIEW = require(Permission.GUIDANCE_VIEW)
ACT = require(Permission.GUIDANCE_OUTREACH)
BASE = "/guidance/outreach"

# One photo and the form around it (registered in `manyi.web.wiring.body_caps`).
PHOTO_CAP = BodyCap(
    "POST",
    r"/guidance/outreach/(?P<reference>[A-Za-z0-9-]+)/photos",
    MAX_BYTES + 64 * 1024,
    "a file may have at most {mb} MB",
    {"mb": MAX_BYTES // (1024 * 1024)},
    back="/guidance/outreach/{reference}",
)
PLAN_FIELDS = ("outlet_code", "title", "venue_kind", "venue", "topic", "planned_on", "description")


def _today(request: Request) -> dt.date:
    return utcnow().astimezone(request.app.state.settings.zone).date()


def words(_: Translate) -> dict[str, Any]:
    """The labels of topics, venues and states in the page's language."""
    return {
        "topics": {t.value: _("outreach_topic:" + t.value) for t in Topic},
        "venues": {v.value: _("outreach_venue:" + v.value) for v in Venue},
        "states": {s.value: _("outreach:" + s.value) for s in State},
    }


def _filters(request: Request, period: Period) -> outreach_queries.Filters:
    query = request.query_params
    state, topic, venue = (query.get(k, "") for k in ("state", "topic", "venue_kind"))
    outlet = query.get("outlet", "")[:32]
    return outreach_queries.Filters(
        period=period,
        state=state if state in {s.value for s in State} else "",
        topic=topic if topic in {t.value for t in Topic} else "",
        venue_kind=venue if venue in {v.value for v in Venue} else "",
        outlet=outlet if outlet.isprintable() else "",
    )


def _period(request: Request) -> tuple[Period, dict[str, Any]]:
    """The period asked for, or this month with the message when it cannot be read."""
    today = _today(request)
    query = request.query_params
    try:
        return period_of(query.get("from", "")[:10], query.get("to", "")[:10], today), {}
    except ManyiError as exc:
        return Period.month_of(today), error_of(request, exc)


@router.get(BASE)
def outreach_page(
    request: Request, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    who = who_of(principal)
    period, problem = _period(request)
    filters = _filters(request, period)
    context: dict[str, Any] = {
        "title": _("Financial-literacy outreach"),
        "filters": filters,
        "rows": outreach_queries.events(session, who, filters, lang=lang),
        "rollup": outreach_queries.rollup(session, who, period, lang),
        "outlets": outreach_queries.outlets(session, who, lang),
        "limit": outreach_queries.LIST_LIMIT,
        "error": "",
        "field": "",
        **words(_),
        **problem,
    }
    return render(request, "guidance/outreach_list.html", context, 422 if problem else 200)


@router.get(BASE + "/export.xlsx")
def export_outreach(
    request: Request, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    """The list and the roll-up as the page shows them, as an Excel workbook."""
    lang = request_language(request)
    _ = translator(lang)
    labels = words(_)
    who = who_of(principal)
    period, _problem = _period(request)
    filters = _filters(request, period)
    event_headers = [
        _("Event reference"),
        _("Date"),
        _("Outlet"),
        _("Branch above"),
        _("State"),
        _("Title"),
        _("Topic"),
        _("Kind of venue"),
        _("Venue"),
        _("Participants"),
        _("Materials handed out"),
    ]
    event_rows = [
        [
            e.reference,
            e.event_on.isoformat(),
            e.outlet,
            e.branch,
            labels["states"][e.state],
            e.title,
            labels["topics"][e.topic],
            labels["venues"][e.venue_kind],
            e.venue,
            e.participants,
            e.materials,
        ]
        for e in outreach_queries.events(session, who, filters, outreach_queries.EXPORT_LIMIT, lang)
    ]
    rolled = outreach_queries.rollup(session, who, period, lang)
    unit_headers = [
        _("Unit"),
        _("Events held"),
        _("Planned"),
        _("Cancelled"),
        _("Participants"),
        _("Materials handed out"),
        *(labels["topics"][t.value] for t in Topic),
        *(labels["venues"][v.value] for v in Venue),
    ]
    unit_rows = [
        [
            name,
            t.held,
            t.planned,
            t.cancelled,
            t.participants,
            t.materials,
            *(t.held_by_topic.get(topic.value, 0) for topic in Topic),
            *(t.held_by_venue.get(venue.value, 0) for venue in Venue),
        ]
        for name, t in [*((r.name, r.tally) for r in rolled.rows), (_("Total"), rolled.total)]
    ]
    body = spreadsheet.workbook(
        [
            (_("Outreach events"), event_headers, event_rows),
            (_("Figures by unit"), unit_headers, unit_rows),
        ],
        width=14,
    )
    return downloads.xlsx(body, "outreach.xlsx")


def _plan_form(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context: dict[str, Any] = {
        "title": _("Plan an outreach event"),
        "values": values,
        "outlets": outreach_queries.outlets(session, who_of(principal), lang),
        "today": _today(request),
        "error": "",
        "field": "",
        **words(_),
    }
    context.update(extra)
    return render(request, "guidance/outreach_form.html", context, status)


@router.get(BASE + "/new")
def new_event(
    request: Request, principal: Principal = ACT, session: Session = DbSession
) -> Response:
    values = {"outlet_code": principal.unit_code, "planned_on": _today(request).isoformat()}
    return _plan_form(request, session, principal, values)


@router.post(BASE + "/new")
def create_event(
    request: Request,
    outlet_code: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    venue_kind: Annotated[str, Form()] = "",
    venue: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "",
    planned_on: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    principal: Principal = ACT,
    session: Session = DbSession,
) -> Response:
    typed = (outlet_code, title, venue_kind, venue, topic, planned_on, description)
    values = {name: value[:2000] for name, value in zip(PLAN_FIELDS, typed, strict=True)}
    try:
        event = outreach.plan(session, who_of(principal), outreach.PlanFields(**values), utcnow())
    except ManyiError as exc:
        session.rollback()
        return _plan_form(
            request, session, principal, values, exc.status_code, **error_of(request, exc)
        )
    return RedirectResponse(f"{BASE}/{event.reference}", status_code=303)


def _event_page(
    request: Request,
    session: Session,
    principal: Principal,
    reference: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    event = outreach.load(session, who_of(principal), reference)
    context: dict[str, Any] = {
        "title": _("Outreach event {reference}").format(reference=event.reference),
        "d": outreach_queries.detail(session, event, lang),
        "today": _today(request),
        "values": {},
        "error": "",
        "field": "",
        **words(_),
    }
    context.update(extra)
    return render(request, "guidance/outreach_event.html", context, status)


@router.get(BASE + "/{reference}")
def event_page(
    request: Request, reference: str, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    return _event_page(request, session, principal, reference)


def _step(
    request: Request,
    session: Session,
    principal: Principal,
    reference: str,
    run: Callable[[], object],
    values: dict[str, Any] | None = None,
) -> Response:
    """Run one step; on a refusal show the event's page again with the message, unchanged."""
    try:
        run()
    except ManyiError as exc:
        session.rollback()
        extra = {**error_of(request, exc), "values": values or {}}
        return _event_page(request, session, principal, reference, exc.status_code, **extra)
    return RedirectResponse(f"{BASE}/{reference}", status_code=303)


@router.post(BASE + "/{reference}/held")
def record_held(
    request: Request,
    reference: str,
    held_on: Annotated[str, Form()] = "",
    participants: Annotated[str, Form()] = "",
    materials: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    staff: Annotated[list[str] | None, Form()] = None,
    principal: Principal = ACT,
    session: Session = DbSession,
) -> Response:
    values = {
        "held_on": held_on[:20],
        "participants": participants[:20],
        "materials": materials[:20],
        "summary": summary[:2000],
    }
    chosen = [value[:20] for value in (staff or [])][:100]
    who = who_of(principal)

    def run() -> None:
        fields = outreach.HeldFields(**values, staff=outreach.staff_ids_of(chosen))
        outreach.record_held(session, who, reference, fields, utcnow())

    return _step(request, session, principal, reference, run, {**values, "staff": chosen})


@router.post(BASE + "/{reference}/cancel")
def cancel_event(
    request: Request,
    reference: str,
    reason: Annotated[str, Form()] = "",
    principal: Principal = ACT,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    return _step(
        request,
        session,
        principal,
        reference,
        lambda: outreach.cancel(session, who, reference, reason[:2000], utcnow()),
        {"reason": reason[:2000]},
    )


@router.post(BASE + "/{reference}/photos")
def upload_photo(
    request: Request,
    reference: str,
    photo: Annotated[UploadFile | None, File()] = None,
    principal: Principal = ACT,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)

    def run() -> None:
        if photo is None or not photo.filename:
            raise InvalidInput("choose a photo to upload", "photo")
        outreach.add_photo(session, who, reference, photo.file.read(MAX_BYTES + 1), utcnow())

    return _step(request, session, principal, reference, run)


@router.get(BASE + "/{reference}/photos/{photo_id}")
def show_photo(
    reference: str, photo_id: int, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    event = outreach.load(session, who_of(principal), reference)
    found = outreach_queries.photo(session, event, photo_id)
    if found is None:
        return Response(status_code=404)
    return Response(
        found.data,
        media_type=found.content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
