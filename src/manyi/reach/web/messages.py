"""The customer-messages page (`/reach/messages`, 客户消息) and the message words
(`/reach/templates`).

Staff see every message sent to customers in their scope: when, which outlet, the number masked
to its last four digits, the kind, the channel and gateway, its state (sent, delivered, failed,
suppressed by the rate limit, expired) and the text as the customer reads it, a verification
code hidden. With the simulated gateway (the demo, the tests) this page is where the "sent" SMS
can be read. Head office edits the words of each kind in both languages.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission, UnitLevel, check_bank_wide_settings
from manyi.reach import queries, templates_store
from manyi.reach.domain.messages import Kind
from manyi.reach.tables import MESSAGE_STATES
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/reach/messages")
def messages_page(
    request: Request,
    state: str = "",
    kind: str = "",
    phone: str = "",
    principal: Principal = require(Permission.REACH_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    filters = queries.Filters(
        state=state if state in MESSAGE_STATES else "",
        kind=kind if kind in {k.value for k in Kind} else "",
        phone=phone.strip(),
    )
    error = field = ""
    rows: list[queries.MessageRow] = []
    status = 200
    try:
        rows = queries.messages(session, principal.unit_path, filters)
    except ManyiError as exc:
        error, field, status = exc.text(_), exc.field, exc.status_code
    context: dict[str, Any] = {
        "title": _("Customer messages"),
        "rows": rows,
        "filters": filters,
        "states": MESSAGE_STATES,
        "kinds": [k.value for k in Kind],
        "error": error,
        "field": field,
    }
    return render(request, "reach/messages.html", context, status)


def _templates_page(
    request: Request, principal: Principal, session: Session, status: int = 200, **extra: Any
) -> Response:
    _ = translator(request_language(request))
    context: dict[str, Any] = {
        "title": _("Customer message words"),
        "rows": templates_store.all_templates(session),
        "bank_wide": principal.unit_level == UnitLevel.HEAD_OFFICE,
        "saved": request.query_params.get("saved", ""),
        "error": "",
        "field": "",
        "failed": "",
    }
    context.update(extra)
    return render(request, "reach/templates.html", context, status)


@router.get("/reach/templates")
def templates_page(
    request: Request,
    principal: Principal = require(Permission.REACH_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _templates_page(request, principal, session)


@router.post("/reach/templates")
def save_template(
    request: Request,
    kind: Annotated[str, Form()] = "",
    lang: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.REACH_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        check_bank_wide_settings(principal.unit_level)
        templates_store.save(session, principal.actor, kind, lang, text, utcnow())
    except ManyiError as exc:
        session.rollback()
        return _templates_page(
            request,
            principal,
            session,
            exc.status_code,
            error=exc.text(_),
            field=exc.field,
            failed=f"{kind}/{lang}",
        )
    return RedirectResponse(f"/reach/templates?saved={kind}/{lang}", status_code=303)
