"""The lobby manager's phone page (`/guidance/triage`, 390 px first): greet, choose the need,
then one tap — a ticket of any class, a pre-fill, a diversion (a machine, mobile or online
banking, another outlet, an appointment) or a question answered; then, for a diversion, the
result (teaching given, completed there) or a ticket after all. Server-rendered, no script:
every step is a link or a form."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.guidance import queries, triage
from manyi.guidance.domain.triage import OTHER_NEED, Draft, outcome_of
from manyi.guidance.web.common import error_of, who_of
from manyi.lobby.adapters import printing
from manyi.org.model import Permission, UnitLevel
from manyi.org.tables import Unit
from manyi.parsing import ascii_int
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

TRIAGE = require(Permission.LOBBY_MANAGE)
CLASSES = ("normal", "green", "vip", "appointment")


def outlet_for(session: Session, principal: Principal, code: str) -> Unit | None:
    """The page's outlet: the signed-in outlet's own, else the one chosen (?outlet=)."""
    if not code and principal.unit_level != UnitLevel.OUTLET.value:
        return None
    return triage.outlet_of(session, who_of(principal), code or principal.unit_code)


def _page(
    request: Request,
    session: Session,
    outlet: Unit,
    need: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    page = queries.triage_page(session, outlet, utcnow())
    chosen = next((n for n in page.needs if n.code == need), None)
    if need and need != OTHER_NEED and chosen is None:
        extra = {"error": _("Unknown need {need}").format(need=need[:40]), **extra}
        status = 404 if status == 200 else status
    context: dict[str, Any] = {
        "title": _("Triage at the door"),
        "page": page,
        "need": need if (chosen is not None or need == OTHER_NEED) else "",
        "chosen": chosen,
        "classes": CLASSES,
        "error": "",
        "field": "",
        "lang": request_language(request),
        **extra,
    }
    return render(request, "guidance/triage.html", context, status)


@router.get("/guidance/triage")
def triage_page(
    request: Request,
    outlet: str = "",
    need: str = "",
    principal: Principal = TRIAGE,
    session: Session = DbSession,
) -> Response:
    unit = outlet_for(session, principal, outlet[:40])
    if unit is None:
        return _choose(request, session, principal)
    return _page(request, session, unit, need[:40])


def _choose(request: Request, session: Session, principal: Principal) -> Response:
    _ = translator(request_language(request))
    outlets = queries.outlets_in_scope(session, principal.unit_path)
    return render(
        request,
        "guidance/choose.html",
        {"title": _("Triage at the door"), "outlets": outlets, "target": "/guidance/triage"},
    )


@router.post("/guidance/triage")
def record(
    request: Request,
    outlet: Annotated[str, Form()] = "",
    need: Annotated[str, Form()] = OTHER_NEED,
    outcome: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    klass: Annotated[str, Form()] = "normal",
    machine: Annotated[str, Form()] = "",
    target_outlet: Annotated[str, Form()] = "",
    principal: Principal = TRIAGE,
    session: Session = DbSession,
) -> Response:
    unit = outlet_for(session, principal, outlet[:40])
    if unit is None:
        return _choose(request, session, principal)
    need = need.strip()[:40] or OTHER_NEED
    try:
        draft = Draft(
            outcome_of(outcome),
            need=need,
            machine_id=_machine_id(machine),
            target_outlet=target_outlet[:40],
        )
        row, _slip = triage.record(
            session,
            who_of(principal),
            unit,
            draft,
            utcnow(),
            service_code=service[:16],
            klass=klass[:16],
        )
    except ManyiError as exc:
        session.rollback()
        return _page(request, session, unit, need, exc.status_code, **error_of(request, exc))
    return RedirectResponse(f"/guidance/triage/e/{row.id}", status_code=303)


def _machine_id(text: str) -> int | None:
    if not text.strip():
        return None
    machine_id = ascii_int(text)
    if machine_id is None:
        raise InvalidInput("choose a self-service machine of this outlet", "machine")
    return machine_id


def _encounter(
    request: Request,
    session: Session,
    principal: Principal,
    encounter_id: int,
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    row = triage.load(session, who_of(principal), encounter_id)
    view = queries.encounter_view(session, row)
    base = str(request.app.state.settings.public_base_url or request.base_url).rstrip("/")
    qr = ""
    if view.ticket_token:
        qr = printing.qr_svg(f"{base}/t/{view.ticket_token}", scale=5)
    elif view.row.outcome.value == "prefill" and view.row.need != OTHER_NEED:
        qr = printing.qr_svg(
            f"{base}/prefill/{quote(view.outlet_code)}/form?t={quote(view.row.need)}", scale=5
        )
    elif view.row.outcome.value == "appointment":  # the outlet's booking page on the phone
        qr = printing.qr_svg(f"{base}/appointments/{quote(view.outlet_code)}", scale=5)
    context: dict[str, Any] = {
        "title": _("Triage at the door"),
        "v": view,
        "qr": qr,
        "classes": CLASSES,
        "error": "",
        "field": "",
        "lang": request_language(request),
        **extra,
    }
    return render(request, "guidance/encounter.html", context, status)


@router.get("/guidance/triage/e/{encounter_id}")
def encounter_page(
    request: Request, encounter_id: int, principal: Principal = TRIAGE, session: Session = DbSession
) -> Response:
    return _encounter(request, session, principal, encounter_id)


@router.post("/guidance/triage/e/{encounter_id}/result")
def set_result(
    request: Request,
    encounter_id: int,
    taught: Annotated[str, Form()] = "",
    completed: Annotated[str, Form()] = "",
    principal: Principal = TRIAGE,
    session: Session = DbSession,
) -> Response:
    try:
        row = triage.set_result(
            session,
            who_of(principal),
            encounter_id,
            utcnow(),
            taught=taught == "yes",
            completed={"yes": True, "no": False}.get(completed),
        )
    except ManyiError as exc:
        session.rollback()
        return _encounter(
            request, session, principal, encounter_id, exc.status_code, **error_of(request, exc)
        )
    code = queries.outlet_code(session, row.outlet_id)
    return RedirectResponse(f"/guidance/triage?outlet={quote(code)}", status_code=303)


@router.post("/guidance/triage/e/{encounter_id}/ticket")
def take_ticket(
    request: Request,
    encounter_id: int,
    klass: Annotated[str, Form()] = "normal",
    service: Annotated[str, Form()] = "",
    principal: Principal = TRIAGE,
    session: Session = DbSession,
) -> Response:
    try:
        triage.take_ticket(
            session,
            who_of(principal),
            encounter_id,
            utcnow(),
            service_code=service[:16],
            klass=klass[:16],
        )
    except ManyiError as exc:
        session.rollback()
        return _encounter(
            request, session, principal, encounter_id, exc.status_code, **error_of(request, exc)
        )
    return RedirectResponse(f"/guidance/triage/e/{encounter_id}", status_code=303)
