"""The customer's appointment pages on a phone, no sign-in (zh-CN first, 390 px and up).

`/appointments` (outlet) → `/appointments/{outlet}` (service) → `/appointments/{outlet}/{service}`
(day and slot) → the mobile number → the code sent to it → `/a/{token}`: the booked page with
the check-in code and its QR, and change, cancel and check-in by the link. The rules live in
`reach.appointments` and `reach.appointment_checkin`; this module translates forms and pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.lobby.adapters import printing
from manyi.personal import mask_phone
from manyi.reach import appointment_checkin, appointment_queries, appointment_slots, appointments
from manyi.reach.domain import nearby
from manyi.reach.web.appointment_views import booked_view, day_view, parse_day, parse_start
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, public
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    _ = translator(request_language(request))
    context.setdefault("title", _("Book an appointment"))
    return render(
        request, "appointments/" + template, {"path": request.url.path, **context}, status
    )


def _refused(
    request: Request, exc: ManyiError, session: Session | None = None, back: str | None = None
) -> Response:
    """The refusal's page; what the use case wrote before refusing is rolled back (a wrong
    code's count was committed by the use case itself)."""
    if session is not None:
        session.rollback()
    _ = translator(request_language(request))
    return _page(
        request, "message.html", exc.status_code, message=exc.text(_), kind="error", back=back
    )


@router.get("/appointments")
def pick_outlet(request: Request, _v: object = public(), session: Session = DbSession) -> Response:
    return _page(request, "outlets.html", outlets=appointment_slots.bookable_outlets(session))


@router.get("/appointments/{outlet}")
def pick_service(
    request: Request, outlet: str, _v: object = public(), session: Session = DbSession
) -> Response:
    try:
        unit, services = appointment_slots.services_of(session, outlet)
    except ManyiError as exc:
        return _refused(request, exc)
    return _page(request, "services.html", outlet=unit, services=services)


@router.get("/appointments/{outlet}/{service}")
def pick_slot(
    request: Request, outlet: str, service: str, _v: object = public(), session: Session = DbSession
) -> Response:
    now = utcnow()
    try:
        where = appointment_slots.place(session, outlet, service)
        day = parse_day(
            request.query_params.get("day"), appointment_slots.open_days(session, where, now)
        )
        view = appointment_slots.slots_for_day(session, where, day, now)
    except ManyiError as exc:
        return _refused(request, exc)
    start = request.query_params.get("start")
    return _page(
        request,
        "slots.html",
        view=day_view(view, request_language(request)),
        base=f"/appointments/{quote(where.outlet.code)}/{quote(where.service.code)}",
        chosen=start,
    )


def _form_context(where: appointment_slots.Place, start: dt.datetime, lang: str) -> dict[str, Any]:
    local = where.local(start)
    return {
        "outlet": where.outlet,
        "service": where.service,
        "start": start.isoformat(),
        "when": local.strftime("%Y-%m-%d %H:%M"),
        "base": f"/appointments/{quote(where.outlet.code)}/{quote(where.service.code)}",
        "service_name": where.service.name(lang),
    }


@router.get("/appointments/{outlet}/{service}/book")
def phone_form(
    request: Request, outlet: str, service: str, _v: object = public(), session: Session = DbSession
) -> Response:
    lang = request_language(request)
    try:
        where = appointment_slots.place(session, outlet, service)
        start = parse_start(request.query_params.get("start"))
    except ManyiError as exc:
        return _refused(request, exc)
    return _page(request, "phone.html", **_form_context(where, start, lang), errors={}, phone="")


async def _posted(
    request: Request, session: Session, outlet: str, service: str
) -> tuple[Any, str, str, dt.datetime, dict[str, Any]] | Response:
    """A phone page's posted form: the form, the language, the typed number, the slot's start
    and the page's context, or the refusal page for a wrong outlet, service or time."""
    form = await request.form()
    lang = request_language(request)
    try:
        where = appointment_slots.place(session, outlet, service)
        start = parse_start(str(form.get("start", "")))
        context = _form_context(where, start, lang)
    except ManyiError as exc:
        return _refused(request, exc)
    return form, lang, str(form.get("phone", "")).strip(), start, context


@router.post("/appointments/{outlet}/{service}/code")
async def send_code(
    request: Request, outlet: str, service: str, _v: object = public(), session: Session = DbSession
) -> Response:
    posted = await _posted(request, session, outlet, service)
    if isinstance(posted, Response):
        return posted
    _form, lang, phone, _start, context = posted
    _ = translator(lang)
    try:
        appointments.request_code(session, phone, _client(request), lang, utcnow())
    except ManyiError as exc:
        session.rollback()
        return _page(
            request,
            "phone.html",
            exc.status_code,
            **context,
            errors={"phone": exc.text(_)},
            phone=phone,
        )
    return _page(request, "code.html", **context, phone=phone, masked=mask_phone(phone), errors={})


@router.post("/appointments/{outlet}/{service}/book")
async def book(
    request: Request, outlet: str, service: str, _v: object = public(), session: Session = DbSession
) -> Response:
    posted = await _posted(request, session, outlet, service)
    if isinstance(posted, Response):
        return posted
    form, lang, phone, start, context = posted
    _ = translator(lang)
    try:
        booked = appointments.book(
            session,
            outlet_code=outlet,
            service_code=service,
            start=start,
            phone=phone,
            code=str(form.get("code", "")),
            lang=lang,
            now=utcnow(),
        )
    except ManyiError as exc:
        session.rollback()
        if exc.field == "code":
            return _page(
                request,
                "code.html",
                exc.status_code,
                **context,
                phone=phone,
                masked=mask_phone(phone),
                errors={"code": exc.text(_)},
            )
        return _page(
            request,
            "message.html",
            exc.status_code,
            message=exc.text(_),
            kind="error",
            back=context["base"],
        )
    return RedirectResponse(f"/a/{booked.token}?new=1", status_code=303)


# --- by the link -------------------------------------------------------------------


@router.get("/a/{token}")
def view_booking(
    request: Request, token: str, _v: object = public(), session: Session = DbSession
) -> Response:
    now = utcnow()
    try:
        row = appointments.by_token(session, token)
    except ManyiError as exc:
        return _refused(request, exc)
    _ = translator(request_language(request))
    return _page(
        request,
        "booked.html",
        title=_("Your appointment"),
        a=booked_view(appointment_queries.describe(session, row, now), request_language(request)),
        token=token,
        new=request.query_params.get("new") == "1",
    )


@router.get("/a/{token}/qr.svg")
def checkin_qr(
    request: Request, token: str, _v: None = public(identify=False), session: Session = DbSession
) -> Response:
    """The check-in code as a QR for the kiosk's scanner ("MANYI-APPT:<code>")."""
    row = appointments.by_token(session, token)
    return Response(
        printing.qr_svg("MANYI-APPT:" + row.checkin_code, scale=8), media_type="image/svg+xml"
    )


@router.get("/a/{token}/change")
def change_form(
    request: Request, token: str, _v: object = public(), session: Session = DbSession
) -> Response:
    now = utcnow()
    try:
        row = appointments.by_token(session, token)
        where = appointment_slots.place_of(session, row.outlet_id, row.service_code)
        day = parse_day(
            request.query_params.get("day"), appointment_slots.open_days(session, where, now)
        )
        view = appointment_slots.slots_for_day(session, where, day, now)
    except ManyiError as exc:
        return _refused(request, exc)
    _ = translator(request_language(request))
    return _page(
        request,
        "change.html",
        title=_("Change the time"),
        view=day_view(view, request_language(request)),
        token=token,
    )


@router.post("/a/{token}/change")
async def change(
    request: Request, token: str, _v: object = public(), session: Session = DbSession
) -> Response:
    form = await request.form()
    try:
        appointments.change(session, token, parse_start(str(form.get("start", ""))), utcnow())
    except ManyiError as exc:
        return _refused(request, exc, session)
    return RedirectResponse(f"/a/{token}", status_code=303)


@router.post("/a/{token}/cancel")
def cancel(
    request: Request, token: str, _v: object = public(), session: Session = DbSession
) -> Response:
    try:
        appointments.cancel(session, token, utcnow())
    except ManyiError as exc:
        return _refused(request, exc, session)
    return RedirectResponse(f"/a/{token}", status_code=303)


@router.post("/a/{token}/check-in")
async def check_in(
    request: Request, token: str, _v: object = public(), session: Session = DbSession
) -> Response:
    """Check in by the link; the page's script adds the phone's position (latitude and
    longitude) when the customer shares it, and leaves them empty when not."""
    form = await request.form()
    try:
        position = nearby.position_of(form.get("latitude"), form.get("longitude"))
        appointment_checkin.check_in_by_link(session, token, utcnow(), position)
    except ManyiError as exc:
        return _refused(request, exc, session, back=f"/a/{token}")
    return RedirectResponse(f"/a/{token}", status_code=303)
