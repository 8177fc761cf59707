"""The customer's pre-fill pages (预填单): pick the transactions, fill one form, get a code.

No sign-in; phone first. `/prefill/{outlet_code}` lists the catalogue as big tiles; the
chosen codes go to `/prefill/{outlet_code}/form?t=…&t=…`, the one merged form
(`merge.merge`). Its POST is checked and stored by `prefill.submit_prefill`; the code is
then kept in the signed session for a while and shown, with its QR code, on
`/prefill/{outlet_code}/done`. As the customer types, the page's script asks
`/prefill/{outlet_code}/check` for the problems of the values so far; the server's answer
on submit stays the authority. An optional `?ticket=TOKEN` (a lobby ticket) rides along.
This module only translates requests and pages; the rules are prefill.py and merge.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from manyi import ratelimit
from manyi.counter import catalogue_store, prefill
from manyi.counter.fields import FieldProblem
from manyi.counter.merge import MergedForm
from manyi.counter.public_forms import (
    form_sections,
    in_catalogue_order,
    local_until,
    name_in,
    problem_texts,
    tile_groups,
)
from manyi.db import utcnow
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.lobby.printing import qr_svg
from manyi.org.tables import Unit
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, public
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

DONE_KEY: Final = "prefill_done"  # the code just given, shown until DONE_FOR_S
DONE_FOR_S: Final = 30 * 60
SUBMIT_LIMIT: Final = 10  # stored pre-fills per client address …
SUBMIT_WINDOW_S: Final = 3600  # … per hour
CHECK_LIMIT: Final = 600  # live checks per client address …
CHECK_WINDOW_S: Final = 600  # … per ten minutes (about one a second)
RESERVED: Final = frozenset({"csrf_token", "t", "ticket"})
CHOSEN = Query(default=[])  # ?t=code&t=code: the transactions chosen


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _outlet(session: Session, code: str) -> Unit | None:
    try:
        return prefill.outlet_by_code(session, code)
    except NotFound:
        return None


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, f"counter/{name}", {"here": _here(request), **context}, status)


def _missing(request: Request) -> Response:
    _ = translator(request_language(request))
    return _page(request, "prefill_missing.html", {"title": _("Outlet not found")}, 404)


def _limited(request: Request, outlet: Unit) -> Response:
    _ = translator(request_language(request))
    return _page(
        request,
        "prefill_limited.html",
        {"title": _("Please wait a while"), "outlet_code": outlet.code},
        429,
    )


# --- step 1: what the customer came to do ----------------------------------------------


def _pick_page(
    request: Request,
    session: Session,
    outlet: Unit,
    chosen: Sequence[str],
    ticket: str,
    error: str = "",
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    return _page(
        request,
        "prefill_pick.html",
        {
            "title": _("Fill in your forms before the counter"),
            "outlet": outlet,
            "outlet_name": outlet.name(lang),
            "groups": tile_groups(session, lang, chosen),
            "ticket": ticket,
            "error": error,
        },
        status,
    )


@router.get("/prefill/{outlet_code}")
def prefill_pick(
    outlet_code: str,
    request: Request,
    t: list[str] = CHOSEN,
    ticket: str = "",
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    outlet = _outlet(session, outlet_code)
    if outlet is None:
        return _missing(request)
    return _pick_page(request, session, outlet, t, ticket)


# --- step 2: the one form ---------------------------------------------------------------


def _form_page(
    request: Request,
    outlet: Unit,
    codes: Sequence[str],
    form: MergedForm,
    ticket: str,
    values: Mapping[str, str] | None = None,
    problems: Sequence[FieldProblem] = (),
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    texts = problem_texts(problems, _)
    shown = {f.key for f in form.fields}
    return _page(
        request,
        "prefill_form.html",
        {
            "title": _("Your form"),
            "outlet": outlet,
            "outlet_name": outlet.name(lang),
            "codes": codes,
            "ticket": ticket,
            "sections": form_sections(form, lang, values, texts),
            "problem_count": len(texts),
            # A problem without a place on the form (an unknown field): said at the top.
            "loose": [text for key, text in texts.items() if key not in shown],
            "back": f"/prefill/{outlet.code}?" + urlencode([("t", c) for c in codes]),
            "check_url": f"/prefill/{outlet.code}/check",
        },
        status,
    )


def _merged_or_page(
    request: Request, session: Session, outlet: Unit, codes: Sequence[str], ticket: str
) -> MergedForm | Response:
    _ = translator(request_language(request))
    if not codes:
        message = _("Please choose at least one thing to do today.")
        return _pick_page(request, session, outlet, codes, ticket, message, 422)
    try:
        return prefill.merged_form(session, codes)
    except Conflict:
        message = _("These cannot be filled in on one form. Please choose fewer.")
        return _pick_page(request, session, outlet, codes, ticket, message, 409)
    except InvalidInput as exc:
        return _pick_page(request, session, outlet, codes, ticket, exc.text(_), 422)


@router.get("/prefill/{outlet_code}/form")
def prefill_form(
    outlet_code: str,
    request: Request,
    t: list[str] = CHOSEN,
    ticket: str = "",
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    outlet = _outlet(session, outlet_code)
    if outlet is None:
        return _missing(request)
    codes = in_catalogue_order(session, t)
    form = _merged_or_page(request, session, outlet, codes, ticket)
    if isinstance(form, Response):
        return form
    return _form_page(request, outlet, codes, form, ticket)


def _submit(
    request: Request,
    session: Session,
    outlet_code: str,
    codes: list[str],
    values: dict[str, str],
    ticket: str,
) -> Response:
    now = utcnow()
    outlet = _outlet(session, outlet_code)
    if outlet is None:
        return _missing(request)
    codes = in_catalogue_order(session, codes)
    form = _merged_or_page(request, session, outlet, codes, ticket)
    if isinstance(form, Response):
        return form
    # Counted first, so a refused request does no work; a refused one and a form sent
    # back with problems roll their count back: only stored pre-fills count.
    key = f"prefill-submit:{_client(request)}"
    if not ratelimit.hit(session, key, SUBMIT_LIMIT, SUBMIT_WINDOW_S, now):
        session.rollback()
        return _limited(request, outlet)
    try:
        try:
            made = prefill.submit_prefill(
                session, outlet.code, codes, values, now, ticket_token=ticket or None
            )
        except NotFound as exc:
            if exc.field != "ticket_token":
                raise
            # A ticket already served, or yesterday's: the code works without it.
            made = prefill.submit_prefill(session, outlet.code, codes, values, now)
    except prefill.FormInvalid as exc:
        session.rollback()
        return _form_page(request, outlet, codes, form, ticket, values, exc.problems, 422)
    request.session[DONE_KEY] = {
        "code": made.code,
        "outlet": outlet.code,
        "items": [[tx.code, tx.version] for tx in made.form.items],
        "expires": made.expires_at.isoformat(),
        "at": int(time.time()),
    }
    return RedirectResponse(f"/prefill/{outlet.code}/done", status_code=303)


@router.post("/prefill/{outlet_code}/form")
async def prefill_submit(
    outlet_code: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    posted = await request.form()
    codes = [str(v) for v in posted.getlist("t")]
    ticket = str(posted.get("ticket") or "")
    values = {
        name: value.strip()
        for name, value in posted.multi_items()
        if name not in RESERVED and isinstance(value, str)
    }
    return await run_in_threadpool(_submit, request, session, outlet_code, codes, values, ticket)


# --- checking as the customer types ---------------------------------------------------


def _check(request: Request, session: Session, outlet_code: str, body: object) -> Response:
    now = utcnow()
    _ = translator(request_language(request))
    outlet = _outlet(session, outlet_code)
    if outlet is None:
        return JSONResponse({"error": "not_found", "message": _("Outlet not found")}, 404)
    if not ratelimit.hit(
        session, f"prefill-check:{_client(request)}", CHECK_LIMIT, CHECK_WINDOW_S, now
    ):
        return JSONResponse({"error": "rate_limited", "message": _("Please wait a while")}, 429)
    data = body if isinstance(body, dict) else {}
    codes = data.get("t")
    values = data.get("values")
    if not isinstance(codes, list) or not isinstance(values, dict):
        message = _("Please choose at least one thing to do today.")
        return JSONResponse({"error": "invalid_input", "message": message}, 422)
    try:
        form = prefill.merged_form(session, in_catalogue_order(session, [str(c) for c in codes]))
    except (InvalidInput, Conflict) as exc:
        return JSONResponse({"error": exc.error_code, "message": exc.text(_)}, 422)
    today = now.astimezone(ZoneInfo(outlet.timezone)).date()
    typed = {str(k): v.strip() if isinstance(v, str) else v for k, v in values.items()}
    problems = form.validate(typed, today=today)
    return JSONResponse({"problems": problem_texts(problems, _)})


@router.post("/prefill/{outlet_code}/check")
async def prefill_check(
    outlet_code: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    return await run_in_threadpool(_check, request, session, outlet_code, body)


# --- the code ----------------------------------------------------------------------------


@router.get("/prefill/{outlet_code}/done")
def prefill_done(
    outlet_code: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    outlet = _outlet(session, outlet_code)
    if outlet is None:
        return _missing(request)
    done = request.session.get(DONE_KEY)
    fresh = isinstance(done, dict) and int(time.time()) - int(done.get("at", 0)) <= DONE_FOR_S
    if not fresh or not isinstance(done, dict) or done.get("outlet") != outlet.code:
        request.session.pop(DONE_KEY, None)
        return RedirectResponse(f"/prefill/{outlet.code}", status_code=303)
    code = str(done["code"])
    names = [
        name_in(catalogue_store.get_type(session, str(c), int(v)).names, lang)
        for c, v in done["items"]
    ]
    return _page(
        request,
        "prefill_done.html",
        {
            "title": _("Your pre-fill code"),
            "outlet": outlet,
            "outlet_name": outlet.name(lang),
            "code_groups": [code[:4], code[4:]],
            "qr": Markup(qr_svg(code, scale=8, border=4)),  # noqa: S704 - numbers only
            "until": local_until(dt.datetime.fromisoformat(done["expires"]), outlet.timezone, lang),
            "names": names,
        },
    )
