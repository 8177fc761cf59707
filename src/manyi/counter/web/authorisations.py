"""The supervisors' authorisation screens (一次授权).

`/counter/authorisations` shows a supervisor at an outlet the requests waiting there
(本网点待授权), and a supervisor at a branch the remote authorisation centre (远程授权中心):
the queue below the branch, "claim next" and the request they hold. One request is shown
in detail at `/counter/authorisations/{request_id}`. Thin: who may decide what, and
claiming atomically, are authorise.py's rules; a refusal is shown on the page it came from
with the service's status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.counter import authorisations as authorise
from manyi.counter import queries
from manyi.counter.access import Clerk
from manyi.counter.domain.fields import field_dictionary
from manyi.counter.domain.merge import MergedField
from manyi.counter.queries import BundleView, RequestShown
from manyi.counter.tables import CounterAuthorisation
from manyi.counter.web.common import clerk_of, error_text, page, reason_text, state_labels
from manyi.db import Session, utcnow
from manyi.errors import ManyiError, NotFound
from manyi.org.model import Permission
from manyi.personal import mask_card, mask_id
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/counter/authorisations", include_in_schema=False)

SCREEN: Final = "/counter/authorisations"
_DONE: Final = frozenset({"approved", "rejected", "claimed", "released", "empty"})
_REFERENCE: Final = re.compile(r"BD\d{16}")
# "1. 取款 / Cash withdrawal CNY 60,000.00", as bundle_store writes a request's line labels.
_LABEL: Final = re.compile(r"(\d+)\. (.+?) / (.+?)((?: [A-Z]{3} [\d,]+\.\d{2})?)")
_MASKED_ID: Final = frozenset({"id_number"})
_MASKED_CARD: Final = frozenset({"card_number", "account_number", "payee_account"})
_MONEY: Final = frozenset({"amount", "daily_limit"})
_NOTHING_REFUSED: Final = {"error": "", "failed": "", "note": ""}


# --- what the screens show --------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    number: int
    name: str
    money: str
    level: str
    reasons: list[str]


@dataclass(frozen=True)
class Shown:
    """One request as the screens show it."""

    row: CounterAuthorisation
    reference: str
    outlet: str
    zone: str
    teller: str
    claimed_by: str
    waiting_min: int
    own: bool  # the supervisor opened this bundle: someone else authorises it
    lines: list[Line]


@dataclass(frozen=True)
class ValueSection:
    title: str
    rows: list[tuple[str, str]]


def _line(data: dict[str, Any], lang: str, _: Translate) -> Line:
    label = str(data.get("label", ""))
    number, name, money = int(data.get("item", 0)), label, ""
    if match := _LABEL.fullmatch(label):
        name = match.group(3) if lang == "en" else match.group(2)
        money = match.group(4).strip()
    reasons = [reason_text(str(r), _) for r in data.get("reasons", [])]
    return Line(number, name, money, str(data.get("level", "")), reasons)


def _shown(clerk: Clerk, found: list[RequestShown], request: Request) -> list[Shown]:
    lang = request_language(request)
    _ = translator(lang)
    now = utcnow()
    out = []
    for one in found:
        row, bundle, unit = one.row, one.bundle, one.outlet
        out.append(
            Shown(
                row=row,
                reference=bundle.reference,
                outlet=unit.name_en if lang == "en" and unit.name_en else unit.name_zh,
                zone=unit.timezone,
                teller=one.teller,
                claimed_by=one.claimed_by,
                waiting_min=max(0, int((now - row.requested_at).total_seconds() // 60)),
                own=bundle.teller_id == clerk.staff_id,
                lines=[_line(line, lang, _) for line in row.lines],
            )
        )
    return out


def _shown_rows(
    session: Session, clerk: Clerk, rows: list[CounterAuthorisation], request: Request
) -> list[Shown]:
    return _shown(clerk, queries.requests_shown(session, rows), request)


def _value(field: MergedField, value: Any, lang: str, _: Translate) -> str:
    if field.field_id in _MASKED_ID:
        return mask_id(str(value))
    if field.field_id in _MASKED_CARD:
        return mask_card(str(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    for option in field.options:
        if option.value == value:
            return option.names.en if lang == "en" else option.names.zh
    if field.field_id in _MONEY:
        try:
            return f"{Decimal(str(value)):,}"
        except InvalidOperation:
            pass
    return str(value)


def value_sections(view: BundleView, lang: str, _: Translate) -> list[ValueSection]:
    """The bundle's values by section of the one form, personal numbers masked."""
    dictionary = field_dictionary()
    out = []
    for section in view.form.sections:
        rows = []
        for key in section.fields:
            value = view.bundle.form_values.get(key)
            if value in (None, ""):
                continue
            field = view.form.field(key)
            label = field.label.en if lang == "en" else field.label.zh
            rows.append((label, _value(field, value, lang, _)))
        for link in view.form.links:
            if link.item == section.item:
                names = dictionary[link.field_id].label
                label = names.en if lang == "en" else names.zh
                rows.append((label, _("from item {n}").format(n=link.source)))
        title = section.names.en if lang == "en" else section.names.zh
        if section.item is not None:
            title = f"{section.item}. {title}"
        out.append(ValueSection(title, rows))
    return out


def _bundle_values(
    session: Session, clerk: Clerk, shown: Shown, request: Request
) -> list[ValueSection]:
    lang = request_language(request)
    try:
        view = queries.view(session, clerk, shown.reference)
    except ManyiError:  # a supervisor without the counter's view permission sees the lines only
        return []
    return value_sections(view, lang, translator(lang))


# --- the screen -------------------------------------------------------------------------


def _flash(request: Request) -> str:
    _ = translator(request_language(request))
    done = request.query_params.get("done", "")
    reference = request.query_params.get("ref", "")
    if done not in _DONE or (done != "empty" and not _REFERENCE.fullmatch(reference)):
        return ""
    return {
        "approved": _("Bundle {ref} approved."),
        "rejected": _("Bundle {ref} rejected: the teller has been told why."),
        "claimed": _("You now hold bundle {ref}: check it, then approve or reject."),
        "released": _("Bundle {ref} is back in the queue."),
        "empty": _("No request is waiting: there is nothing to claim."),
    }[done].format(ref=reference)


def _screen(
    request: Request, session: Session, principal: Principal, status_code: int = 200, **again: str
) -> Response:
    """The screen; `again` (error, failed, note) when a decision was refused."""
    clerk = clerk_of(principal)
    centre = clerk.can(Permission.COUNTER_REMOTE_AUTHORISE) and not clerk.at_outlet
    local = _shown_rows(session, clerk, authorise.pending_here(session, clerk), request)
    queue: list[Shown] = []
    held: list[tuple[Shown, list[ValueSection]]] = []
    if centre:
        queue = _shown_rows(session, clerk, authorise.remote_queue(session, clerk), request)
        held = [
            (s, _bundle_values(session, clerk, s, request))
            for s in queue
            if s.row.state == "claimed" and s.row.claimed_by_id == clerk.staff_id
        ]
    context = {
        "title": translator(request_language(request))("Authorisations"),
        "at_outlet": clerk.at_outlet,
        "centre": centre,
        "local": local,
        "queue": queue,
        "held": held,
        "waiting": sum(1 for s in queue if s.row.state == "pending"),
        "flash": _flash(request),
        "back": "screen",
        **_NOTHING_REFUSED,
        **again,
    }
    return page(request, "counter/authorise_screen.html", context, status_code)


@router.get("")
def screen(
    request: Request,
    principal: Principal = require(Permission.COUNTER_AUTHORISE),
    session: Session = DbSession,
) -> Response:
    return _screen(request, session, principal)


@router.post("/claim")
def claim(
    request: Request,
    principal: Principal = require(Permission.COUNTER_AUTHORISE),
    session: Session = DbSession,
) -> Response:
    clerk = clerk_of(principal)
    try:
        row = authorise.claim_next(session, clerk, utcnow())
    except ManyiError as exc:
        session.rollback()
        return _screen(request, session, principal, exc.status_code, error=error_text(request, exc))
    if row is None:
        return RedirectResponse(f"{SCREEN}?done=empty", status_code=303)
    reference = queries.bundle_reference(session, row.bundle_id)
    return RedirectResponse(f"{SCREEN}?done=claimed&ref={reference}", status_code=303)


# --- one request ------------------------------------------------------------------------


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    request_id: int,
    status_code: int = 200,
    **again: str,
) -> Response:
    clerk = clerk_of(principal)
    try:
        found = queries.request_shown(session, clerk, request_id)
    except NotFound as exc:
        return page(
            request,
            "counter/authorise_missing.html",
            {
                "title": translator(request_language(request))("Authorisations"),
                "error": error_text(request, exc),
            },
            404,
        )
    row = found.row
    shown = _shown(clerk, [found], request)[0]
    decidable = (
        row.state == "pending" and row.level == "supervisor" and row.outlet_id == clerk.unit_id
    ) or (row.state == "claimed" and row.claimed_by_id == clerk.staff_id)
    context = {
        "title": shown.reference,
        "s": shown,
        "values": _bundle_values(session, clerk, shown, request),
        "bundle_state": found.bundle.state,
        "decidable": decidable and not shown.own,
        "back": "detail",
        **_NOTHING_REFUSED,
        **again,
    }
    return page(request, "counter/authorise_detail.html", context, status_code)


@router.get("/{request_id}")
def detail(
    request: Request,
    request_id: int,
    principal: Principal = require(Permission.COUNTER_AUTHORISE),
    session: Session = DbSession,
) -> Response:
    return _detail(request, session, principal, request_id)


def _refusal(request: Request, exc: ManyiError) -> str:
    if exc.error_code == "bundle_state":  # decided already, or the teller cancelled the bundle
        _ = translator(request_language(request))
        state = str(exc.params.get("state", ""))
        return _("This request can no longer be decided: the bundle is {state}.").format(
            state=state_labels(_).get(state, state)
        )
    return error_text(request, exc)


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    request_id: int,
    action: str,
    note: str,
    back: str,
) -> Response:
    clerk = clerk_of(principal)
    now = utcnow()
    try:
        if action == "approve":
            row = authorise.approve(session, clerk, request_id, now, note)
        elif action == "reject":
            row = authorise.reject(session, clerk, request_id, now, note)
        else:
            row = authorise.release(session, clerk, request_id, now)
    except ManyiError as exc:
        session.rollback()
        again = {"error": _refusal(request, exc), "failed": f"{request_id}-{action}", "note": note}
        if back == "detail":
            return _detail(request, session, principal, request_id, exc.status_code, **again)
        return _screen(request, session, principal, exc.status_code, **again)
    reference = queries.bundle_reference(session, row.bundle_id)
    done = {"approve": "approved", "reject": "rejected", "release": "released"}[action]
    return RedirectResponse(f"{SCREEN}?done={done}&ref={reference}", status_code=303)


@router.post("/{request_id}/approve")
def approve(
    request: Request,
    request_id: int,
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COUNTER_AUTHORISE),
    session: Session = DbSession,
) -> Response:
    return _act(request, session, principal, request_id, "approve", note, back)


@router.post("/{request_id}/reject")
def reject(
    request: Request,
    request_id: int,
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COUNTER_AUTHORISE),
    session: Session = DbSession,
) -> Response:
    return _act(request, session, principal, request_id, "reject", note, back)


@router.post("/{request_id}/release")
def release(
    request: Request,
    request_id: int,
    back: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.COUNTER_AUTHORISE),
    session: Session = DbSession,
) -> Response:
    return _act(request, session, principal, request_id, "release", "", back)
