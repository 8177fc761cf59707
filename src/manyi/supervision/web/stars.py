"""Service stars' pages: `/supervision/stars` (the programme, candidates explained per outlet,
the nominations waiting for the viewer's step, the stars), a nomination with its steps, the
outlet's nomination and the approvers' decisions, and head office's programme editor. Thin: the
rules are in `supervision.stars` and `stars_steps`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi import spreadsheet
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission, UnitLevel, check_bank_wide_settings
from manyi.parsing import ascii_int
from manyi.supervision import stars, stars_steps
from manyi.supervision.domain import star_definitions as definitions
from manyi.supervision.domain import stars as rules
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/supervision/stars"
S = rules.NominationState


def _step_state(principal: Principal) -> S | None:
    """The state of the nominations the viewer's approval step takes, if any."""
    if not principal.can(Permission.STARS_APPROVE):
        return None
    if principal.unit_level == UnitLevel.HEAD_OFFICE.value:
        return S.BRANCH_APPROVED
    if principal.unit_level in (UnitLevel.TIER1_BRANCH.value, UnitLevel.TIER2_BRANCH.value):
        return S.NOMINATED
    return None


def _criteria_names(lang: str) -> dict[str, str]:
    index = 1 if lang == "en" else 0
    return {c.value: names[index] for c, names in rules.CRITERION_NAMES.items()}


@router.get(PAGE)
def stars_page(
    request: Request,
    programme: int | None = None,
    outlet: str | None = None,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    now = utcnow()
    all_programmes = stars.programmes(session)
    row = (
        stars.programme_row(session, programme)
        if programme is not None
        else stars.current_programme(session, now.date())
    )
    context: dict[str, Any] = {
        "title": translator(request_language(request))("Service stars"),
        "programmes": all_programmes,
        "row": row,
        "editor": principal.can(Permission.SUPERVISION_STANDARDS),
        "criteria_names": _criteria_names(request_language(request)),
    }
    if row is None:
        return render(request, "supervision/stars.html", context)
    outlets = stars.outlets_in_scope(session, principal.unit_path)
    chosen = outlet or (principal.unit_code if principal.unit_level == "outlet" else None)
    focus = stars.outlet_in_scope(session, chosen, principal.unit_path) if chosen else None
    step = _step_state(principal)
    at_outlet = principal.unit_level == UnitLevel.OUTLET.value
    context.update(
        {
            "programme": stars.programme_of(row),
            "outlets": outlets,
            "focus": focus,
            "candidates": stars.candidates(session, row, focus) if focus else [],
            "may_nominate": at_outlet
            and principal.can(Permission.STARS_NOMINATE)
            and focus is not None
            and focus.id == principal.unit_id,
            "waiting": stars.nominations(
                session, principal.unit_path, states=(step,), programme_id=row.id
            )
            if step
            else [],
            "pending": stars.nominations(
                session,
                principal.unit_path,
                states=(S.NOMINATED, S.BRANCH_APPROVED),
                programme_id=row.id,
            ),
            "awarded": stars.nominations(
                session, principal.unit_path, states=(S.AWARDED,), programme_id=row.id
            ),
            "quotas": stars.quota_use(session, row, principal.unit_path),
            "reasons": rules.reason_texts,
        }
    )
    return render(request, "supervision/stars.html", context)


@router.get(PAGE + "/export.xlsx")
def export_nominations(
    request: Request,
    programme: int,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    """The programme's nominations in the viewer's scope, as Excel."""
    _ = translator(request_language(request))
    lang = request_language(request)
    row = stars.programme_row(session, programme)
    criteria = [c.criterion.value for c in stars.programme_of(row).criteria]
    names = _criteria_names(lang)
    headers = [
        _("Teller"),
        _("Outlet"),
        _("Star level"),
        _("Score"),
        _("State"),
        _("Nominated"),
        *(names[c] for c in criteria),
    ]
    rows = []
    for v in stars.nominations(session, principal.unit_path, programme_id=row.id):
        points = {line["criterion"]: line["contribution"] for line in v.row.explanation["lines"]}
        level = (v.level.name_en if lang == "en" else v.level.name_zh) if v.level else ""
        rows.append(
            [
                v.teller,
                v.outlet,
                level,
                v.row.score,
                _("star:" + v.row.state),
                v.row.nominated_at.astimezone(request.app.state.settings.zone).strftime(
                    "%Y-%m-%d %H:%M"
                ),
                *(points.get(c, "") for c in criteria),
            ]
        )
    body = spreadsheet.workbook([(row.code, headers, rows)])
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="stars-{row.code}.xlsx"'},
    )


@router.post(PAGE + "/programmes/{programme_id}/nominations")
def nominate(
    request: Request,
    programme_id: int,
    staff_id: str = Form(""),
    note: str = Form(""),
    principal: Principal = require(Permission.STARS_NOMINATE),
    session: Session = DbSession,
) -> Response:
    staff = ascii_int(staff_id, 1)
    if staff is None:
        raise InvalidInput("choose the teller to nominate", "staff_id")
    row = stars_steps.nominate(
        session,
        principal.actor,
        level=principal.unit_level,
        programme_id=programme_id,
        staff_id=staff,
        note=note,
        now=utcnow(),
    )
    return RedirectResponse(f"{PAGE}/nominations/{row.id}?done=nominated", status_code=303)


@router.get(PAGE + "/nominations/{nomination_id}")
def nomination_page(
    request: Request,
    nomination_id: int,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    view = stars.nomination_view(session, nomination_id, principal.unit_path)
    row = view.row
    people = stars.staff_names(
        session,
        [
            i
            for i in (row.nominated_by_id, row.branch_by_id, row.awarded_by_id, row.rejected_by_id)
            if i
        ],
    )
    step = _step_state(principal)
    may_decide = (
        step is not None
        and row.state == step.value
        and principal.id
        not in (
            row.nominated_by_id,
            row.branch_by_id,
            row.staff_id,
        )
    )
    lang = request_language(request)
    context = {
        "title": translator(lang)("Nomination"),
        "view": view,
        "people": people,
        "may_decide": may_decide,
        "step": "branch" if step is S.NOMINATED else "ho",
        "criteria_names": _criteria_names(lang),
        "reasons": rules.reason_texts,
        "done": request.query_params.get("done", ""),
    }
    return render(request, "supervision/star_nomination.html", context)


@router.post(PAGE + "/nominations/{nomination_id}/approve")
def approve(
    nomination_id: int,
    principal: Principal = require(Permission.STARS_APPROVE),
    session: Session = DbSession,
) -> Response:
    row = stars_steps.approve(
        session,
        principal.actor,
        level=principal.unit_level,
        nomination_id=nomination_id,
        now=utcnow(),
    )
    done = "awarded" if row.state == S.AWARDED.value else "approved"
    return RedirectResponse(f"{PAGE}/nominations/{nomination_id}?done={done}", status_code=303)


@router.post(PAGE + "/nominations/{nomination_id}/reject")
def reject(
    nomination_id: int,
    reason: str = Form(""),
    principal: Principal = require(Permission.STARS_APPROVE),
    session: Session = DbSession,
) -> Response:
    stars_steps.reject(
        session,
        principal.actor,
        level=principal.unit_level,
        nomination_id=nomination_id,
        reason=reason,
        now=utcnow(),
    )
    return RedirectResponse(f"{PAGE}/nominations/{nomination_id}?done=rejected", status_code=303)


# --- head office: the programmes -----------------------------------------------------------


def _editor(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    error: str = "",
    draft: str | None = None,
    status: int = 200,
) -> Response:
    _ = translator(request_language(request))
    rows = stars.programmes(session)
    texts = {r.id: json.dumps(r.definition, ensure_ascii=False, indent=2) for r in rows}
    # The draft proposes the first quarter from today that has no programme yet.
    day, taken = utcnow().date(), {r.code for r in rows}
    fresh = definitions.default_definition(day)
    while fresh["code"] in taken:
        day = rules.period_bounds(rules.PeriodKind.QUARTER, day)[1] + dt.timedelta(days=1)
        fresh = definitions.default_definition(day)
    context = {
        "title": _("Star programmes"),
        "rows": rows,
        "texts": texts,
        "locked": stars.programmes_with_nominations(session),
        "draft": draft if draft is not None else json.dumps(fresh, ensure_ascii=False, indent=2),
        "bank_wide": principal.unit_level == UnitLevel.HEAD_OFFICE.value,
        "error": error,
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, "supervision/star_programmes.html", context, status)


@router.get(PAGE + "/programmes")
def programmes_page(
    request: Request,
    principal: Principal = require(Permission.SUPERVISION_STANDARDS),
    session: Session = DbSession,
) -> Response:
    return _editor(request, principal, session)


@router.post(PAGE + "/programmes")
def save_programme(
    request: Request,
    body: str = Form(""),
    programme_id: str = Form(""),
    principal: Principal = require(Permission.SUPERVISION_STANDARDS),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    check_bank_wide_settings(principal.unit_level)  # before reading what was sent
    target = ascii_int(programme_id, 1) if programme_id.strip() else None
    if programme_id.strip() and target is None:
        raise InvalidInput("no star programme {id}", "programme_id", id=programme_id[:20])
    try:
        data = json.loads(body)
    except ValueError as exc:
        message = _("The programme is not valid JSON: {problem}").format(problem=str(exc))
        return _editor(request, principal, session, error=message, draft=body, status=422)
    try:
        row = stars.save_programme(
            session,
            principal.actor,
            data,
            utcnow(),
            level=principal.unit_level,
            programme_id=target,
        )
    except ManyiError as exc:
        session.rollback()
        return _editor(
            request, principal, session, error=exc.text(_), draft=body, status=exc.status_code
        )
    return RedirectResponse(f"{PAGE}/programmes?saved={row.code}", status_code=303)
