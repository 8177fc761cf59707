"""An outlet's self-service machines (`/guidance/machines`): the list, adding one, taking one
out of service and back; for whoever configures the outlet's lobby."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.guidance import machines, queries, triage
from manyi.guidance.domain.triage import MachineKind
from manyi.guidance.web.common import error_of, who_of
from manyi.guidance.web.triage_pages import outlet_for
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

CONFIGURE = require(Permission.LOBBY_CONFIGURE)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    outlet: Unit | None,
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    if outlet is None:
        return render(
            request,
            "guidance/choose.html",
            {
                "title": _("Self-service machines"),
                "outlets": queries.outlets_in_scope(session, principal.unit_path),
                "target": "/guidance/machines",
            },
        )
    context: dict[str, Any] = {
        "title": _("Self-service machines"),
        "outlet": outlet,
        "machines": triage.machines_of(session, outlet.id),
        "kinds": [k.value for k in MachineKind],
        "error": "",
        "field": "",
        "values": {},
        **extra,
    }
    return render(request, "guidance/machines.html", context, status)


@router.get("/guidance/machines")
def machines_page(
    request: Request,
    outlet: str = "",
    principal: Principal = CONFIGURE,
    session: Session = DbSession,
) -> Response:
    return _page(request, session, principal, outlet_for(session, principal, outlet[:40]))


def _step(
    request: Request,
    session: Session,
    principal: Principal,
    outlet: str,
    run: Any,
    values: dict[str, str],
) -> Response:
    unit = outlet_for(session, principal, outlet[:40])
    if unit is None:
        return _page(request, session, principal, None)
    try:
        run(unit)
    except ManyiError as exc:
        session.rollback()
        return _page(
            request,
            session,
            principal,
            unit,
            exc.status_code,
            values=values,
            **error_of(request, exc),
        )
    return RedirectResponse(f"/guidance/machines?outlet={quote(unit.code)}", status_code=303)


@router.post("/guidance/machines")
def add_machine(
    request: Request,
    outlet: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    principal: Principal = CONFIGURE,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    return _step(
        request,
        session,
        principal,
        outlet,
        lambda unit: machines.add(session, who, unit, label[:200], kind[:40], utcnow()),
        {"label": label[:200], "kind": kind[:40]},
    )


@router.post("/guidance/machines/{machine_id}/service")
def set_service(
    request: Request,
    machine_id: int,
    outlet: Annotated[str, Form()] = "",
    in_service: Annotated[str, Form()] = "",
    principal: Principal = CONFIGURE,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    return _step(
        request,
        session,
        principal,
        outlet,
        lambda unit: machines.set_in_service(
            session, who, unit, machine_id, in_service == "yes", utcnow()
        ),
        {},
    )
