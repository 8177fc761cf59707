"""Opinions and suggestions (意见建议) pages: the list with filters, registration, one opinion
with its steps (review, adopt or decline with a reply) and its classification.

Thin: parse, call `insight.opinions`, render. Viewing needs `complaints.view`; registering
`complaints.register` (complaint handlers, lobby managers, complaint managers);
reviewing, deciding and classifying `complaints.handle` or `complaints.manage` (handlers,
complaint managers, branch heads, head office's service managers). No deadline anywhere:
opinions are outside the regulatory clock (`domain.opinions`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.insight import opinions
from manyi.insight.domain import opinions as rules
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.parsing import ascii_int
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, PermissionDenied, Principal, require
from manyi.web.templating import render

PAGE = "/insight/opinions"
router = APIRouter(prefix=PAGE, include_in_schema=False)
CODE_FIELDS = ("business_code", "cause_code", "appeal_code", "issue_code")


def _zone(session: Session, principal: Principal) -> zoneinfo.ZoneInfo:
    unit = session.get(Unit, principal.unit_id)
    return zoneinfo.ZoneInfo(unit.timezone if unit is not None else "Asia/Shanghai")


def _local_datetime(value: str, zone: zoneinfo.ZoneInfo, field: str) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter the date and time as YYYY-MM-DD HH:MM", field) from None
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)


def _day(value: str, zone: zoneinfo.ZoneInfo, field: str, *, next_day: bool) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("enter the date as YYYY-MM-DD", field) from None
    if next_day:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)


def _labels(lang: str) -> dict[str, Any]:
    i = 1 if lang == "en" else 0
    return {
        "source_names": {k.value: v[i] for k, v in rules.SOURCE_NAMES.items()},
        "state_names": {k.value: v[i] for k, v in rules.STATE_NAMES.items()},
    }


def _shared(request: Request, session: Session, principal: Principal) -> dict[str, Any]:
    lang = request_language(request)
    base = principal.unit_path.count("/")
    options = opinions.axis_options(session, lang)
    return {
        **_labels(lang),
        "options": options,
        "option_names": {f: {o.code: o.label for o in opts} for f, opts in options.items()},
        "units": [
            (u, u.path.count("/") - base)
            for u in opinions.units_in_scope(session, principal.unit_path)
        ],
        "zone": _zone(session, principal),
        "may_register": Permission.COMPLAINTS_REGISTER in principal.permissions,
        "may_handle": _may_handle(principal),
        "text_max": rules.TEXT_MAX,
        "reply_max": rules.REPLY_MAX,
    }


def _may_handle(principal: Principal) -> bool:
    return bool(
        {Permission.COMPLAINTS_HANDLE, Permission.COMPLAINTS_MANAGE} & principal.permissions
    )


def _need_handle(principal: Principal) -> None:
    if not _may_handle(principal):
        raise PermissionDenied()


def _filters(query: dict[str, str], zone: zoneinfo.ZoneInfo) -> opinions.Filters:
    return opinions.Filters(
        state=query.get("state", "") if query.get("state") in _labels("zh")["state_names"] else "",
        source_kind=query.get("source_kind", "")
        if query.get("source_kind") in _labels("zh")["source_names"]
        else "",
        unit_id=ascii_int(query.get("unit_id", ""), 1),
        business_code=query.get("business_code", "").strip(),
        cause_code=query.get("cause_code", "").strip(),
        appeal_code=query.get("appeal_code", "").strip(),
        issue_code=query.get("issue_code", "").strip(),
        start=_day(query.get("from", ""), zone, "from", next_day=False),
        end=_day(query.get("to", ""), zone, "to", next_day=True),
        q=query.get("q", "")[:100],
    )


@router.get("")
def opinions_page(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    context = _shared(request, session, principal)
    query = dict(request.query_params)
    error = ""
    try:
        found = opinions.listing(session, principal.unit_path, _filters(query, context["zone"]))
    except ManyiError as exc:
        error = exc.text(translator(request_language(request)))
        query = {}
        found = opinions.listing(session, principal.unit_path, opinions.Filters())
    context.update(found=found, query=query, error=error, cap=opinions.LIST_CAP)
    return render(request, "insight/opinions.html", context, 422 if error else 200)


def _new_page(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    context = _shared(request, session, principal)
    context.update(values=values, **extra)
    return render(request, "insight/opinion_new.html", context, status)


@router.get("/new")
def new_opinion_page(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_REGISTER),
    session: Session = DbSession,
) -> Response:
    zone = _zone(session, principal)
    values = {
        "source_kind": "forum",
        "unit_id": str(principal.unit_id),
        "received_at": utcnow().astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
    }
    return _new_page(request, session, principal, values)


@router.post("")
def register_opinion(
    request: Request,
    source_kind: str = Form(""),
    source_ref: str = Form(""),
    text: str = Form(""),
    unit_id: str = Form(""),
    received_at: str = Form(""),
    business_code: str = Form(""),
    cause_code: str = Form(""),
    appeal_code: str = Form(""),
    issue_code: str = Form(""),
    principal: Principal = require(Permission.COMPLAINTS_REGISTER),
    session: Session = DbSession,
) -> Response:
    codes = {
        "business_code": business_code,
        "cause_code": cause_code,
        "appeal_code": appeal_code,
        "issue_code": issue_code,
    }
    values = {
        "source_kind": source_kind,
        "source_ref": source_ref,
        "text": text,
        "unit_id": unit_id,
        "received_at": received_at,
        **codes,
    }
    try:
        row = opinions.register(
            session,
            principal.actor,
            source_kind=source_kind,
            source_ref=source_ref,
            text=text,
            unit_id=ascii_int(unit_id, 1),
            received_at=_local_datetime(received_at, _zone(session, principal), "received_at"),
            codes=codes,
            now=utcnow(),
        )
    except ManyiError as exc:
        _ = translator(request_language(request))
        return _new_page(
            request,
            session,
            principal,
            values,
            exc.status_code,
            error=exc.text(_),
            field=exc.field,
        )
    return RedirectResponse(f"{PAGE}/{row.id}?done=registered", status_code=303)


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    opinion_id: int,
    status: int = 200,
    **extra: Any,
) -> Response:
    row = opinions.get(session, principal.unit_path, opinion_id)
    context = _shared(request, session, principal)
    people = opinions.staff_names(
        session, [row.registered_by_id, row.reviewed_by_id, row.decided_by_id]
    )
    context.update(
        row=row,
        unit=session.get(Unit, row.unit_id),
        people=people,
        steps=[s.value for s in rules.steps(rules.OpinionState(row.state))],
        suggested=opinions.suggestions(session, row),
        values={f: getattr(row, f) or "" for f in CODE_FIELDS},
        **extra,
    )
    return render(request, "insight/opinion.html", context, status)


@router.get("/{opinion_id}")
def opinion_page(
    request: Request,
    opinion_id: int,
    done: str = "",
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    flash = {
        "registered": _("Opinion registered."),
        "review": _("Marked as reviewed."),
        "adopt": _("Adopted; the reply is recorded."),
        "decline": _("Not adopted; the reply is recorded."),
        "classify": _("Classification saved."),
    }.get(done, "")
    return _detail(request, session, principal, opinion_id, flash=flash)


@router.post("/{opinion_id}/step")
def opinion_step(
    request: Request,
    opinion_id: int,
    step: str = Form(""),
    reply: str = Form(""),
    principal: Principal = require(Permission.COMPLAINTS_VIEW),  # and handle or manage
    session: Session = DbSession,
) -> Response:
    _need_handle(principal)
    try:
        opinions.take_step(session, principal.actor, opinion_id, step, reply, utcnow())
    except InvalidInput as exc:
        _ = translator(request_language(request))
        return _detail(
            request,
            session,
            principal,
            opinion_id,
            exc.status_code,
            error=exc.text(_),
            field=exc.field,
            reply=reply,
        )
    return RedirectResponse(f"{PAGE}/{opinion_id}?done={step}", status_code=303)


@router.post("/{opinion_id}/classify")
def opinion_classify(
    request: Request,
    opinion_id: int,
    business_code: str = Form(""),
    cause_code: str = Form(""),
    appeal_code: str = Form(""),
    issue_code: str = Form(""),
    principal: Principal = require(Permission.COMPLAINTS_VIEW),  # and handle or manage
    session: Session = DbSession,
) -> Response:
    _need_handle(principal)
    codes = {
        "business_code": business_code,
        "cause_code": cause_code,
        "appeal_code": appeal_code,
        "issue_code": issue_code,
    }
    try:
        opinions.classify(session, principal.actor, opinion_id, codes, utcnow())
    except InvalidInput as exc:
        _ = translator(request_language(request))
        return _detail(
            request,
            session,
            principal,
            opinion_id,
            exc.status_code,
            error=exc.text(_),
            field=exc.field,
        )
    return RedirectResponse(f"{PAGE}/{opinion_id}?done=classify", status_code=303)
