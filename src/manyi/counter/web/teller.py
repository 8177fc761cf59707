"""The teller's bundle screen (柜面一次办): open a pre-fill, check it with the customer, read the
ID card, ask for the one authorisation, and cancel.

`/counter` takes the code the customer shows (typed, or scanned by a barcode gun that types
it and presses Enter) or opens the pre-fill that came with the ticket the teller called.
`/counter/bundles/{reference}` is the bundle: every item, the merged values with a
correction form each, what is still to do in order, and one button for the next step
(function keys as on the calling pad). Running with the one PIN, the signature and the
e-voucher are in views_finish.py; the page itself is built by bundle_page.py.

Simulated devices. While the process runs the simulated adapters (`registry.py`), the screen
offers what a real counter's devices do by themselves: choosing which ID card lies on the
reader, and (views_finish.py) the PIN pad's keypad. With a bank's adapters these controls
disappear and the devices answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from manyi.counter import authorisations, bundles, demo, queries
from manyi.counter.access import Clerk, bundle_for
from manyi.counter.adapters import registry
from manyi.counter.adapters.id_reader import SimulatedIdCardReader
from manyi.counter.prefill import FormInvalid
from manyi.counter.web.bundle_screen import bundle_context, station_of
from manyi.counter.web.bundle_words import problems_text
from manyi.counter.web.common import clerk_of, error_text, page
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/counter", include_in_schema=False)

OPERATE = require(Permission.COUNTER_OPERATE)
CODE_MAX = 32


def _home(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    clerk = clerk_of(principal)
    now = utcnow()
    zone = request.app.state.settings.zone
    start_of_day = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    mine = queries.recent(session, clerk, start_of_day.astimezone(dt.UTC))
    context: dict[str, Any] = {
        "called": queries.called_ticket(session, clerk, now),
        "mine": mine,
        "outcomes": queries.run_outcomes(session, mine),
        "at_outlet": clerk.at_outlet,
        "zone": zone,
        "code": "",
    }
    context.update(extra)
    return page(request, "counter/teller_home.html", context, status_code)


@router.get("")
def teller_home(
    request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    return _home(request, session, principal)


@router.post("/open")
def open_bundle(
    request: Request,
    code: Annotated[str, Form()] = "",
    principal: Principal = OPERATE,
    session: Session = DbSession,
) -> Response:
    """Open by the code, or (no code) from the called ticket's pre-fill."""
    clerk = clerk_of(principal)
    typed = code.strip()[:CODE_MAX]
    try:
        with session.begin_nested():
            bundle = bundles.open_bundle(session, clerk, utcnow(), code=typed or None)
    except ManyiError as exc:
        return _home(
            request,
            session,
            principal,
            status_code=exc.status_code,
            error=error_text(request, exc),
            code=typed,
        )
    return RedirectResponse(f"/counter/bundles/{bundle.reference}", status_code=303)


def show(
    request: Request,
    session: Session,
    principal: Principal,
    reference: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The bundle screen; a bundle the teller cannot see is a 404 page, ids reveal nothing."""
    clerk = clerk_of(principal)
    try:
        context = bundle_context(request, session, clerk, principal, reference)
    except ManyiError as exc:
        return _home(
            request, session, principal, status_code=exc.status_code, error=error_text(request, exc)
        )
    problems = extra.pop("problems", ())
    if problems:
        lang = request_language(request)
        extra["error"] = problems_text(context["view"].form, problems, translator(lang), lang)
    context.update(extra)
    return page(request, "counter/bundle.html", context, status_code)


@router.get("/bundles/{reference}")
def bundle_screen(
    reference: str,
    request: Request,
    principal: Principal = OPERATE,
    session: Session = DbSession,
) -> Response:
    done = request.query_params.get("done", "")[:32]
    return show(request, session, principal, reference, done=done)


@router.get("/bundles/{reference}/state.json")
def bundle_state(
    reference: str, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    """What the screen polls while a supervisor decides: the bundle's state."""
    try:
        view = queries.view(session, clerk_of(principal), reference)
    except ManyiError as exc:
        return JSONResponse({"error": exc.error_code}, status_code=exc.status_code)
    request_state = view.request.state if view.request is not None else None
    return JSONResponse({"state": view.bundle.state, "request": request_state})


def refuse(
    request: Request,
    session: Session,
    principal: Principal,
    reference: str,
    exc: ManyiError,
    open_form: str = "",
    *,
    typed: str = "",
) -> Response:
    """The bundle screen with the service's reason for refusing, and its status; values the
    form refuses (a date passed since the pre-fill) each by its field's label."""
    return show(
        request,
        session,
        principal,
        reference,
        status_code=exc.status_code,
        error=error_text(request, exc),
        problems=exc.problems if isinstance(exc, FormInvalid) else (),
        error_field=exc.field,
        open_form=open_form,
        typed=typed,
    )


def act(
    request: Request,
    session: Session,
    principal: Principal,
    reference: str,
    done: str | Callable[[Any], str],
    action: Callable[..., Any],
    *args: Any,
    open_form: str = "",
) -> Response:
    """Run one use case on the bundle, then show it with `done` (a word, or one made from
    the use case's result); on refusal show the screen with the reason, nothing changed."""
    clerk = clerk_of(principal)
    try:
        with session.begin_nested():
            result = action(session, clerk, reference, *args)
    except ManyiError as exc:
        return refuse(request, session, principal, reference, exc, open_form)
    word = done(result) if callable(done) else done
    return RedirectResponse(f"/counter/bundles/{reference}?done={word}", status_code=303)


@router.post("/bundles/{reference}/correct")
def correct(
    reference: str,
    request: Request,
    key: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    principal: Principal = OPERATE,
    session: Session = DbSession,
) -> Response:
    """Change one value; the customer confirms the whole form again. A refused value is
    kept in the open correction box, with each field's reason by its label."""
    key, typed = key.strip()[:64], value.strip()
    try:
        with session.begin_nested():
            bundles.correct(session, clerk_of(principal), reference, key, typed, utcnow())
    except ManyiError as exc:
        return refuse(request, session, principal, reference, exc, key, typed=typed)
    return RedirectResponse(f"/counter/bundles/{reference}?done=corrected", status_code=303)


@router.post("/bundles/{reference}/confirm")
def confirm(
    reference: str, request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    return act(
        request, session, principal, reference, "confirmed", bundles.confirm_by_customer, utcnow()
    )


def _read_card(
    session: Session,
    clerk: Clerk,
    reference: str,
    station: str,
    card: str,
    now: dt.datetime,
    demo_mode: bool,
) -> None:
    """Read the card on the station's reader; with the simulated reader, put it there first
    (the card matching the form itself only in demo mode, never in a production pilot)."""
    reader = registry.current().id_reader(station)
    if isinstance(reader, SimulatedIdCardReader):
        if card == "form" and demo_mode:
            bundle = bundle_for(session, clerk, reference)
            reader.place(demo.card_of_form(dict(bundle.form_values)))
        elif card in {c.short for c in demo.customers()}:
            reader.place(demo.id_card(card))
        else:
            raise InvalidInput("choose the card the customer places on the reader", "card")
    bundles.check_identity(session, clerk, reference, reader, now)


@router.post("/bundles/{reference}/identity")
def identity(
    reference: str,
    request: Request,
    card: Annotated[str, Form()] = "form",
    principal: Principal = OPERATE,
    session: Session = DbSession,
) -> Response:
    station = station_of(principal)
    demo_mode = request.app.state.settings.demo_mode
    return act(
        request,
        session,
        principal,
        reference,
        "identity",
        lambda s, c, ref: _read_card(s, c, ref, station, card[:32], utcnow(), demo_mode),
    )


@router.post("/bundles/{reference}/authorisation")
def request_authorisation(
    reference: str, request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    return act(
        request,
        session,
        principal,
        reference,
        "requested",
        authorisations.request_authorisation,
        utcnow(),
    )


@router.post("/bundles/{reference}/cancel")
def cancel(
    reference: str,
    request: Request,
    reason: Annotated[str, Form()] = "",
    principal: Principal = OPERATE,
    session: Session = DbSession,
) -> Response:
    return act(
        request, session, principal, reference, "cancelled", bundles.cancel, utcnow(), reason
    )
