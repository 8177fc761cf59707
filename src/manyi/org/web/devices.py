"""The device-token page (/admin/devices): the tokens of the outlets in scope, issuing one
(its secret shown once) and revoking one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session
from manyi.errors import ManyiError
from manyi.org import device_tokens as device_service
from manyi.org import service as unit_service
from manyi.org.model import Permission, UnitLevel
from manyi.org.web.forms import form_failed, parse_int
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


def _device_context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    from manyi.db import utcnow

    outlets = [
        u
        for u in unit_service.units_in_scope(session, principal.scope)
        if u.unit_level is UnitLevel.OUTLET
    ]
    return {
        "tokens": device_service.tokens_in_scope(session, principal.scope),
        "outlets": outlets,
        "kinds": list(device_service.DeviceKind),
        "now": utcnow(),
        "secret": None,
        "error": None,
        "field": "",
        **extra,
    }


@router.get("/devices")
def devices_page(
    request: Request,
    principal: Principal = require(Permission.DEVICES_MANAGE),
    session: Session = DbSession,
) -> Response:
    return render(request, "devices.html", _device_context(session, principal))


@router.post("/devices")
def issue_device_token(
    request: Request,
    outlet_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    valid_days: Annotated[str, Form()] = "",
    counter: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.DEVICES_MANAGE),
    session: Session = DbSession,
) -> Response:
    try:
        token, secret = device_service.issue_token(
            session,
            principal.actor,
            outlet_id=parse_int(outlet_id, "outlet_id") or 0,
            kind=kind,
            name=name,
            valid_days=parse_int(valid_days, "valid_days"),
            scope=principal.scope,
            counter=parse_int(counter, "counter"),
        )
    except ManyiError as exc:
        return form_failed(
            request, session, "devices.html", _device_context(session, principal), exc
        )
    session.flush()
    # The secret is shown on this response only; it is not stored anywhere.
    context = _device_context(session, principal, secret=secret, issued=token)
    response = render(request, "devices.html", context, status_code=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/devices/{token_id}/revoke")
def revoke_device_token(
    token_id: int,
    principal: Principal = require(Permission.DEVICES_MANAGE),
    session: Session = DbSession,
) -> Response:
    device_service.revoke_token(session, principal.actor, token_id, principal.scope)
    return RedirectResponse("/admin/devices", status_code=303)
