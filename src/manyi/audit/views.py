"""Audit log page: browse events in scope, verify the chain."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi import audit
from manyi.audit import service
from manyi.audit.labels import describe, pretty
from manyi.audit.tables import AuditEvent
from manyi.db import Session
from manyi.org.model import Permission
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/admin/audit", include_in_schema=False)
PAGE_SIZE = 100


def _events(
    session: Session, principal: Principal, q: str = "", before: int | None = None
) -> list[AuditEvent]:
    sees_all = principal.unit_level == "head_office"
    return service.events_in_scope(session, principal.scope.path, sees_all, q, before, PAGE_SIZE)


@router.get("")
def audit_page(
    request: Request,
    q: str = "",
    before: int | None = None,
    principal: Principal = require(Permission.AUDIT_VIEW),
    session: Session = DbSession,
) -> Response:
    events = _events(session, principal, q, before)
    older = events[-1].seq if len(events) == PAGE_SIZE else None
    return render(
        request,
        "audit.html",
        {
            "events": events,
            "q": q,
            "older": older,
            "result": None,
            "describe": describe,
            "pretty": pretty,
        },
    )


@router.post("/verify")
def verify_chain(
    request: Request,
    principal: Principal = require(Permission.AUDIT_VERIFY),
    session: Session = DbSession,
) -> Response:
    result = audit.verify(session)
    audit.record(
        session,
        principal.actor,
        entity_type="audit",
        entity_id="chain",
        action="audit.verified",
        summary={
            "ok": result.ok,
            "rows": result.rows,
            "problem": str(result.problem) if result.problem else None,
        },
    )
    events = _events(session, principal)
    return render(
        request,
        "audit.html",
        {
            "events": events,
            "q": "",
            "older": None,
            "result": result,
            "describe": describe,
            "pretty": pretty,
        },
        status_code=200 if result.ok else 409,
    )
