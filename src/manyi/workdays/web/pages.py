"""The holidays settings page (`/admin/holidays`, 节假日与调休): each year with where its days
come from (entered by head office, the package, or a guess), who entered it and when; head
office enters a year from the State Council's notice, line by line, or removes an entered year.

Reading needs `workdays.configure`; changing also needs a head-office unit (bank-wide settings):
a branch administrator gets 403 and the reason. Refused lines are listed with their numbers and
nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission, UnitLevel, check_bank_wide_settings
from manyi.parsing import ascii_int
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render
from manyi.workdays import entry, queries

router = APIRouter(include_in_schema=False)
PAGE = "/admin/holidays"


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    today = utcnow().astimezone(request.app.state.settings.zone).date()
    chosen = ascii_int(request.query_params.get("year", "")) or today.year + 1
    context: dict[str, Any] = {
        "title": _("Holidays and make-up workdays"),
        "years": queries.years(session, today),
        "bank_wide": principal.unit_level == UnitLevel.HEAD_OFFICE,
        "year": chosen,
        "text": queries.year_text(session, chosen),
        "source": queries.year_source(session, chosen),
        "problems": [],
        "error": "",
        "field": "",
        "saved": request.query_params.get("saved", ""),
        "removed": request.query_params.get("removed", ""),
    }
    context.update(extra)
    return render(request, "workdays/holidays.html", context, status)


@router.get(PAGE)
def holidays_page(
    request: Request,
    principal: Principal = require(Permission.WORKDAYS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    return _page(request, principal, session)


@router.post(PAGE)
def save_year(
    request: Request,
    year: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.WORKDAYS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    chosen = ascii_int(year)
    form = {"year": chosen or year, "text": text, "source": source}
    try:
        # A bank-wide setting: anyone but head office gets 403 whatever they typed.
        check_bank_wide_settings(principal.unit_level)
        if chosen is None:
            raise InvalidInput("give the year as four digits", "year")
        entry.save_year(
            session,
            principal.actor,
            chosen,
            text,
            utcnow(),
            level=principal.unit_level,
            source=source,
            display_name=principal.display_name,
        )
    except ManyiError as exc:
        session.rollback()
        problems = [(p.line, _(p.message).format(**p.params)) for p in getattr(exc, "problems", [])]
        return _page(
            request,
            principal,
            session,
            status=exc.status_code,
            error=exc.text(_),
            field=exc.field,
            problems=problems,
            **form,
        )
    return RedirectResponse(f"{PAGE}?saved={chosen}&year={chosen}", status_code=303)


@router.post(PAGE + "/{year}/remove")
def remove_year(
    request: Request,
    year: int,
    principal: Principal = require(Permission.WORKDAYS_CONFIGURE),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    try:
        entry.remove_year(session, principal.actor, year, utcnow(), level=principal.unit_level)
    except ManyiError as exc:
        session.rollback()
        return _page(request, principal, session, status=exc.status_code, error=exc.text(_))
    return RedirectResponse(f"{PAGE}?removed={year}&year={year}", status_code=303)
