"""The pre-fill pages' work, shared by the customer's phone and the lobby kiosk.

Both run the same three steps — pick the transactions, fill one merged form, get a code —
with the same templates; a `Flow` says where they run: the URL prefix of the pages, the
layout the templates extend, the channel stored with the pre-fill and the limits that
count what is sent (`prefill_limits.py`: the browser and its address on the phone, the
device at the kiosk). `public.py` (the
phone) and `public_kiosk.py` (the kiosk) only build a `Flow` and call these functions;
the rules are prefill.py and merge.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from manyi import audit
from manyi.counter import catalogue_store, prefill
from manyi.counter.domain.field_problems import FieldProblem
from manyi.counter.domain.merge import MergedForm
from manyi.counter.web.prefill_forms import (
    form_sections,
    in_catalogue_order,
    local_until,
    name_in,
    problem_texts,
    tile_groups,
)
from manyi.counter.web.prefill_limits import Limit, refused_check, refused_submit
from manyi.db import Session, utcnow
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.lobby.adapters.printing import qr_svg
from manyi.org.tables import Unit
from manyi.web.i18n import request_language, translator
from manyi.web.templating import render

DONE_KEY: Final = "prefill_done"  # the code just given, shown for `Flow.done_for_s`
RESERVED: Final = frozenset({"csrf_token", "t", "ticket"})


@dataclass(frozen=True)
class Flow:
    """Where the pre-fill pages run."""

    channel: str  # one of prefill.CHANNELS
    base: str  # the URL prefix of the pages: "/prefill/BJ-HD-ZGC", "/device/prefill"
    layout: str  # the template the pages extend
    limits: tuple[Limit, ...]  # what is counted, and how much each may send
    done_for_s: int  # how long the code stays on the done page
    exit: str = ""  # the kiosk's way back to its start; empty on the phone
    # A device many customers use (the kiosk): the browser must not offer one customer's name
    # or number to the next, so no field asks it to remember or fill anything.
    shared_device: bool = False
    actor: audit.Actor = prefill.PUBLIC  # who the audit chain names: the public, or the kiosk


def page(
    request: Request, flow: Flow, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    query = request.url.query
    here = request.url.path + ("?" + query if query else "")
    shared = {"here": here, "base": flow.base, "layout": flow.layout, "exit": flow.exit}
    return render(request, f"counter/{name}", {**shared, **context}, status)


def missing(request: Request, flow: Flow) -> Response:
    _ = translator(request_language(request))
    return page(request, flow, "prefill_missing.html", {"title": _("Outlet not found")}, 404)


def outlet_or_none(session: Session, code: str) -> Unit | None:
    try:
        return prefill.outlet_by_code(session, code)
    except NotFound:
        return None


# --- step 1: what the customer came to do ----------------------------------------------


def pick_page(
    request: Request,
    session: Session,
    flow: Flow,
    outlet: Unit,
    chosen: Sequence[str],
    ticket: str,
    error: str = "",
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context = {
        "title": _("Fill in your forms before the counter"),
        "outlet": outlet,
        "outlet_name": outlet.name(lang),
        "groups": tile_groups(session, lang, chosen),
        "ticket": ticket,
        "error": error,
    }
    return page(request, flow, "prefill_pick.html", context, status)


# --- step 2: the one form ---------------------------------------------------------------


def form_page(
    request: Request,
    flow: Flow,
    outlet: Unit,
    codes: Sequence[str],
    form: MergedForm,
    ticket: str,
    values: Mapping[str, str] | None = None,
    problems: Sequence[FieldProblem] = (),
    status: int = 200,
    limited: str = "",
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    texts = problem_texts(problems, _)
    shown = {f.key for f in form.fields}
    back = [("t", c) for c in codes] + ([("ticket", ticket)] if ticket else [])
    context = {
        "title": _("Your form"),
        "outlet": outlet,
        "outlet_name": outlet.name(lang),
        "codes": codes,
        "ticket": ticket,
        "sections": form_sections(form, lang, values, texts, shared_device=flow.shared_device),
        "problem_count": len(texts),
        # A problem without a place on the form (an unknown field): said at the top.
        "loose": [text for key, text in texts.items() if key not in shown],
        "back": f"{flow.base}?" + urlencode(back),
        "check_url": f"{flow.base}/check",
        "limited": limited,  # the `Limit.who` of a limit reached: the form is kept
    }
    return page(request, flow, "prefill_form.html", context, status)


def merged_or_page(
    request: Request,
    session: Session,
    flow: Flow,
    outlet: Unit,
    codes: Sequence[str],
    ticket: str,
) -> MergedForm | Response:
    _ = translator(request_language(request))

    def again(message: str, status: int) -> Response:
        return pick_page(request, session, flow, outlet, codes, ticket, message, status)

    if not codes:
        return again(_("Please choose at least one thing to do today."), 422)
    try:
        return prefill.merged_form(session, codes)
    except Conflict:
        return again(_("These cannot be filled in on one form. Please choose fewer."), 409)
    except InvalidInput as exc:
        return again(exc.text(_), 422)


def show_form(
    request: Request, session: Session, flow: Flow, outlet: Unit, chosen: Sequence[str], ticket: str
) -> Response:
    codes = in_catalogue_order(session, chosen)
    form = merged_or_page(request, session, flow, outlet, codes, ticket)
    if isinstance(form, Response):
        return form
    return form_page(request, flow, outlet, codes, form, ticket)


async def json_body(request: Request) -> object:
    """The JSON a check posts, or None for anything else. A form-encoded body is not read
    again: the CSRF guard has parsed it already, and its stream cannot be read twice."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    try:
        return await request.json()
    except ValueError:
        return None


def posted_values(posted: Any) -> tuple[list[str], dict[str, str], str]:
    """The chosen codes, the form's values and the ticket token of a posted form."""
    codes = [str(v) for v in posted.getlist("t")]
    values = {
        name: value.strip()
        for name, value in posted.multi_items()
        if name not in RESERVED and isinstance(value, str)
    }
    return codes, values, str(posted.get("ticket") or "")


def submit(
    request: Request,
    session: Session,
    flow: Flow,
    outlet: Unit,
    codes: list[str],
    values: dict[str, str],
    ticket: str,
) -> Response:
    now = utcnow()
    codes = in_catalogue_order(session, codes)
    form = merged_or_page(request, session, flow, outlet, codes, ticket)
    if isinstance(form, Response):
        return form
    # Counted first, so a refused request does no work; a refused one and a form sent
    # back with problems roll their count back: only stored pre-fills count. A refused
    # form comes back with everything typed, saying which limit was reached.
    over = refused_submit(session, flow.limits, now)
    if over is not None:
        session.rollback()
        return form_page(request, flow, outlet, codes, form, ticket, values, (), 429, over.who)
    try:
        try:
            made = prefill.submit_prefill(
                session,
                outlet.code,
                codes,
                values,
                now,
                ticket_token=ticket or None,
                channel=flow.channel,
                actor=flow.actor,
            )
        except NotFound as exc:
            if exc.field != "ticket_token":
                raise
            # A ticket already served, or yesterday's: the code works without it.
            made = prefill.submit_prefill(
                session, outlet.code, codes, values, now, channel=flow.channel, actor=flow.actor
            )
    except prefill.FormInvalid as exc:
        session.rollback()
        return form_page(request, flow, outlet, codes, form, ticket, values, exc.problems, 422)
    request.session[DONE_KEY] = {
        "code": made.code,
        "outlet": outlet.code,
        "items": [[tx.code, tx.version] for tx in made.form.items],
        "expires": made.expires_at.isoformat(),
        "at": int(time.time()),
    }
    return RedirectResponse(f"{flow.base}/done", status_code=303)


# --- checking as the customer types ---------------------------------------------------


def check(request: Request, session: Session, flow: Flow, outlet: Unit, body: object) -> Response:
    now = utcnow()
    _ = translator(request_language(request))
    if refused_check(session, flow.limits, now) is not None:
        session.rollback()
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


# --- the code ----------------------------------------------------------------------------


def done_page(request: Request, session: Session, flow: Flow, outlet: Unit) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    found = request.session.get(DONE_KEY)
    done: dict[str, Any] = found if isinstance(found, dict) else {}
    age = int(time.time()) - int(done.get("at", 0))
    if not done or age > flow.done_for_s or done.get("outlet") != outlet.code:
        request.session.pop(DONE_KEY, None)
        return RedirectResponse(flow.base, status_code=303)
    code = str(done["code"])
    names = [
        name_in(catalogue_store.get_type(session, str(c), int(v)).names, lang)
        for c, v in done["items"]
    ]
    context = {
        "title": _("Your pre-fill code"),
        "outlet": outlet,
        "outlet_name": outlet.name(lang),
        "code_groups": [code[:4], code[4:]],
        "qr": Markup(qr_svg(code, scale=8, border=4)),  # noqa: S704 - numbers only
        "until": local_until(dt.datetime.fromisoformat(done["expires"]), outlet.timezone, lang),
        "names": names,
    }
    return page(request, flow, "prefill_done.html", context)
