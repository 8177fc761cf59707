"""Open a rectification task by hand (`/supervision/rectification/new`), or from a link that
presets it: `?source=complaint&ref=REF&unit=ID` (the complaint case page, the satisfaction
page's comment themes). A refused form comes back with the message and what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.parsing import ascii_int
from manyi.supervision import rectification
from manyi.supervision import rectification_queries as queries
from manyi.supervision.domain.rectification import NewTask, Source
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/supervision/rectification", include_in_schema=False)
FIELDS = (
    "source", "ref", "unit", "owner", "title", "detail", "evidence", "due_kind", "due_on",
    "due_days",
)  # fmt: skip


def _form(
    request: Request,
    principal: Principal,
    session: Session,
    values: dict[str, str],
    *,
    error: str = "",
    field: str = "",
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    lang = request_language(request)
    context: dict[str, Any] = {
        "title": _("Open a rectification task"),
        "values": values,
        "sources": list(Source),
        "units": queries.unit_choices(session, principal.unit_path, lang),
        "owners": queries.owner_choices(session, principal.unit_path, lang),
        "error": error,
        "field": field,
    }
    return render(request, "supervision/rectification_new.html", context, status)


@router.get("/new")
def new_form(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    params = request.query_params
    values = {name: params.get(name, "")[:200] for name in FIELDS}
    values["source"] = values["source"] or Source.MANUAL.value
    values["due_kind"] = values["due_kind"] or "working"
    values["due_days"] = values["due_days"] or "10"
    return _form(request, principal, session, values)


def _number(text: str, field: str, message: str) -> int | None:
    """A whole number typed in a field (None when empty); else `message` names the field."""
    if not text.strip():
        return None
    value = ascii_int(text.strip())
    if value is None:
        raise InvalidInput(message, field)
    return value


def parse(values: dict[str, str]) -> NewTask:
    """The form as a new task; a field that is not what it should be is named."""
    try:
        source = Source(values["source"])
    except ValueError:
        raise InvalidInput("unknown source {source}", "source", source=values["source"]) from None
    unit_id = _number(values["unit"], "unit", "choose the responsible unit")
    if unit_id is None:
        raise InvalidInput("choose the responsible unit", "unit")
    due_on = due_days = None
    if values["due_kind"] == "date":
        try:
            due_on = dt.date.fromisoformat(values["due_on"].strip())
        except ValueError:
            raise InvalidInput("due date: a date like 2026-12-31", "due_on") from None
    elif values["due_kind"] in ("working", "calendar"):
        due_days = _number(
            values["due_days"], "due_days", "the number of days must be a whole number"
        )
        if due_days is None:
            raise InvalidInput("give either a due date or a number of days", "due_days")
    else:
        raise InvalidInput("give either a due date or a number of days", "due_kind")
    return NewTask(
        source=source,
        source_ref=values["ref"],
        title=values["title"],
        detail=values["detail"],
        unit_id=unit_id,
        owner_id=_number(values["owner"], "owner", "choose the owner from the list"),
        evidence_required=values["evidence"],
        due_on=due_on,
        due_days=due_days,
        working_days=values["due_kind"] != "calendar",
    )


@router.post("/new")
def open_task(
    request: Request,
    source: Annotated[str, Form()] = "",
    ref: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    owner: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    detail: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "",
    due_kind: Annotated[str, Form()] = "working",
    due_on: Annotated[str, Form()] = "",
    due_days: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    values = {
        "source": source, "ref": ref, "unit": unit, "owner": owner, "title": title,
        "detail": detail, "evidence": evidence, "due_kind": due_kind, "due_on": due_on,
        "due_days": due_days,
    }  # fmt: skip
    _ = translator(request_language(request))
    try:
        task_id = rectification.open_task(session, principal.actor, parse(values), now=utcnow())
    except ManyiError as exc:
        session.rollback()
        return _form(
            request, principal, session, values,
            error=exc.text(_), field=exc.field, status=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/supervision/rectification/{task_id}?done=open", status_code=303)
