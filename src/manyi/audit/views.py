"""Audit log page: browse events in scope, verify the chain."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import or_, select

from manyi import audit
from manyi.audit.tables import AuditEvent
from manyi.db import Session
from manyi.org.model import Permission
from manyi.org.scope import in_scope
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/admin/audit", include_in_schema=False)
PAGE_SIZE = 100


def events_in_scope(
    session: Session, principal: Principal, q: str = "", before: int | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent)
    if principal.unit_level != "head_office":
        # Head office sees everything, including events tied to no unit
        # (failed sign-ins with unknown usernames, system jobs).
        query = query.where(in_scope(AuditEvent.unit_path, principal.scope.path))
    if q.strip():
        like = f"%{q.strip()}%"
        query = query.where(
            or_(
                AuditEvent.action.like(like),
                AuditEvent.actor.like(like),
                AuditEvent.summary.like(like),
            )
        )
    if before:
        query = query.where(AuditEvent.seq < before)
    return list(session.scalars(query.order_by(AuditEvent.seq.desc()).limit(PAGE_SIZE)))


@router.get("")
def audit_page(
    request: Request,
    q: str = "",
    before: int | None = None,
    principal: Principal = require(Permission.AUDIT_VIEW),
    session: Session = DbSession,
) -> Response:
    events = events_in_scope(session, principal, q, before)
    older = events[-1].seq if len(events) == PAGE_SIZE else None
    return render(request, "audit.html", {"events": events, "q": q, "older": older, "result": None})


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
    events = events_in_scope(session, principal)
    return render(
        request,
        "audit.html",
        {"events": events, "q": "", "older": None, "result": result},
        status_code=200 if result.ok else 409,
    )
