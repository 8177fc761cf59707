"""Head office edits the surveys (`/quality/surveys`): a JSON editor per trigger, checked on
save (a fault is named, nothing stored), each save a new version; and the sampling rules (rate
and quiet period per trigger and unit). Reading needs `quality.configure`; changing also needs
a head-office unit (bank-wide settings). The rules live in `quality.surveys`."""

from __future__ import annotations

import json

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission, UnitLevel
from manyi.quality import survey_rules, surveys
from manyi.quality.domain.surveys import TRIGGERS
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/quality/surveys"


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    error: str = "",
    drafts: dict[str, str] | None = None,
    saved: str = "",
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    current = surveys.definitions(session)
    texts = {row.trigger: json.dumps(row.body, ensure_ascii=False, indent=2) for row, _n in current}
    texts.update(drafts or {})
    context = {
        "title": _("Surveys"),
        "current": current,
        "texts": texts,
        "rules": survey_rules.rules_list(session),
        "triggers": TRIGGERS,
        "bank_wide": principal.unit_level == UnitLevel.HEAD_OFFICE,
        "error": error,
        "saved": saved or request.query_params.get("saved", ""),
    }
    return render(request, "quality/survey_admin.html", context, status)


@router.get(PAGE)
def survey_admin(
    request: Request,
    principal: Principal = require(Permission.QUALITY_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _page(request, principal, session)


@router.post(PAGE + "/{trigger}")
def save_survey(
    request: Request,
    trigger: str,
    body: str = Form(""),
    principal: Principal = require(Permission.QUALITY_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        data = json.loads(body)
    except ValueError as exc:
        message = _("The survey is not valid JSON: {problem}").format(problem=str(exc))
        return _page(request, principal, session, error=message, drafts={trigger: body}, status=422)
    if isinstance(data, dict) and data.get("trigger", trigger) != trigger:
        message = _("This editor saves the {trigger} survey only.").format(trigger=trigger)
        return _page(request, principal, session, error=message, drafts={trigger: body}, status=422)
    try:
        row = surveys.save_definition(
            session, principal.actor, data, utcnow(), level=principal.unit_level
        )
    except ManyiError as exc:
        return _page(
            request,
            principal,
            session,
            error=exc.text(_),
            drafts={trigger: body},
            status=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}?saved={row.trigger}", status_code=303)


@router.post("/quality/survey-rules")
def save_rule(
    request: Request,
    trigger: str = Form(""),
    unit: str = Form(""),
    rate_percent: int = Form(..., ge=0, le=100),
    quiet_days: int = Form(..., ge=0, le=365),
    principal: Principal = require(Permission.QUALITY_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        unit_id = survey_rules.unit_id_of(session, unit)
        survey_rules.set_rule(
            session,
            principal.actor,
            trigger,
            unit_id,
            rate_percent,
            quiet_days,
            level=principal.unit_level,
        )
    except ManyiError as exc:
        return _page(request, principal, session, error=exc.text(_), status=exc.status_code)
    return RedirectResponse(f"{PAGE}?saved=rules", status_code=303)
