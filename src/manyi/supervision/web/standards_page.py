"""The checklist editor (`/supervision/standards`): head office sees the current window-service
standard item by item, group by group, edits text, weight, photo and critical flags, adds or
removes items, and publishes a new version; the versions are listed. Reading needs
`supervision.standards`; publishing also needs a head-office unit (bank-wide settings), checked
by `standards.publish_standard`. A fault is named and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission, UnitLevel
from manyi.supervision import standards
from manyi.supervision.domain.standards import GROUPS
from manyi.supervision.web import inspection_words as words
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/supervision/standards", include_in_schema=False)
NEW_ROWS = 3  # blank rows offered for new items
MAX_ROWS = 120


def _rows_of(current: standards.Standard) -> list[dict[str, Any]]:
    return [item.to_json() for item in current.items]


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    drafts: list[dict[str, Any]] | None = None,
    note: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    current = standards.current_standard(session)
    rows = drafts if drafts is not None else _rows_of(current)
    blank = {"code": "", "group": "", "text_zh": "", "text_en": "", "weight": ""}
    context: dict[str, Any] = {
        "title": _("Service standards"),
        "current": current,
        "rows": [*rows, *({**blank, "new": True} for _n in range(NEW_ROWS))],
        "groups": GROUPS,
        "words": words,
        "versions": standards.versions(session),
        "bank_wide": principal.unit_level == UnitLevel.HEAD_OFFICE,
        "note": note,
        "error": error,
        "published": request.query_params.get("published", ""),
    }
    return render(request, "supervision/standards.html", context, status)


@router.get("")
def standards_page(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_STANDARDS),
    session: Session = DbSession,
) -> Response:
    return _page(request, principal, session)


def _drafts(form: Any) -> list[dict[str, Any]]:
    """The edited rows as posted (`code_<n>`, `group_<n>`, …); removed and blank rows left out."""
    try:
        count = min(int(str(form.get("rows", "0"))), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for n in range(count):
        value = {k: str(form.get(f"{k}_{n}", "")) for k in ("code", "group", "text_zh", "text_en")}
        value["weight"] = str(form.get(f"weight_{n}", ""))
        if form.get(f"remove_{n}") or not any(value.values()):
            continue
        if not value["code"] and not value["text_zh"]:
            continue  # a blank new row with only a group or weight picked
        value["photo_required"] = bool(form.get(f"photo_{n}"))
        value["critical"] = bool(form.get(f"critical_{n}"))
        rows.append(value)
    return rows


@router.post("")
async def publish(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_STANDARDS),
    session: Session = DbSession,
) -> Response:
    form = await request.form()
    drafts = _drafts(form)
    note = str(form.get("note", ""))
    return await run_in_threadpool(_publish, request, principal, session, drafts, note)


def _publish(
    request: Request,
    principal: Principal,
    session: Session,
    drafts: list[dict[str, Any]],
    note: str,
) -> Response:
    _ = translator(request_language(request))
    try:
        version = standards.publish_standard(session, principal.actor, drafts, utcnow(), note)
    except ManyiError as exc:
        session.rollback()
        return _page(
            request,
            principal,
            session,
            drafts=drafts,
            note=note,
            error=exc.text(_),
            status=exc.status_code,
        )
    return RedirectResponse(f"/supervision/standards?published={version}", status_code=303)
