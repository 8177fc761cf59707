"""Emerging-issue alerts (`/insight/alerts`): the detector's alerts in the viewer's scope with
the cases behind each; "propose rectification" opens supervision's new-task form prefilled
(source: the alert; responsible: the alert's unit)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.insight import alerts
from manyi.insight.domain import detector
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/insight/alerts", include_in_schema=False)


@router.get("")
def listing(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context = {
        "title": _("Emerging issues"),
        "alerts": alerts.listing(session, principal.unit_path, utcnow(), lang=lang),
        "may_propose": Permission.SUPERVISION_ISSUE in principal.permissions,
        "may_open_tasks": Permission.SUPERVISION_VIEW in principal.permissions,
        "thresholds": detector.DEFAULT,
        "lang": lang,
    }
    return render(request, "insight/alerts.html", context)


@router.get("/{alert_id}/propose")
def propose(
    request: Request,
    alert_id: int,
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    view = alerts.one(session, principal.unit_path, alert_id, utcnow())
    params = alerts.proposal(view, request_language(request))
    return RedirectResponse("/supervision/rectification/new?" + urlencode(params), status_code=303)
