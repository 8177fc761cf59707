"""/insight/classifier: the model store (each target's versions with their evaluation, a refused
model and why, how staff received the suggestions) and the bank-wide auto-apply settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi import audit
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.insight import auto_apply
from manyi.insight.classifier_overview import overview
from manyi.org.model import Permission, UnitLevel
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/insight", include_in_schema=False)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: object,
) -> Response:
    _ = translator(request_language(request))
    context = {
        "targets": overview(session),
        "target_names": {
            "business": _("Business type"),
            "cause": _("Cause"),
            "appeal": _("Appeal"),
            "product": _("Product"),
            "issue": _("Prominent issue"),
        },
        "bank_wide": principal.can(Permission.COMPLAINTS_CONFIGURE)
        and UnitLevel(principal.unit_level) is UnitLevel.HEAD_OFFICE,
        **extra,
    }
    return render(request, "insight/classifier.html", context, status_code)


@router.get("/classifier")
def classifier_page(
    request: Request,
    saved: str = "",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _page(request, session, principal, saved=saved)


@router.post("/classifier/auto-apply")
def change_auto_apply(
    request: Request,
    target: Annotated[str, Form()] = "",
    enabled: Annotated[str, Form()] = "",
    threshold: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COMPLAINTS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    try:
        value = float(threshold.strip().rstrip("%")) if threshold.strip() else 0.0
    except ValueError:
        value = 0.0
    if value > 1:  # typed as a percentage
        value /= 100
    try:
        auto_apply.change(
            session,
            audit.Actor(
                id=principal.id,
                name=principal.username,
                unit_id=principal.unit_id,
                unit_path=principal.unit_path,
            ),
            principal.permissions,
            principal.unit_level,
            target,
            enabled=enabled in ("on", "1", "true"),
            threshold=value,
            now=utcnow(),
        )
    except ManyiError as exc:
        session.rollback()
        _ = translator(request_language(request))
        status = exc.status_code
        return _page(
            request,
            session,
            principal,
            status_code=status,
            error=exc.text(_),
            field=exc.field,
            failed_target=target,
        )
    return RedirectResponse(f"/insight/classifier?saved={target}", status_code=303)
