"""The customer's pre-fill pages (预填单) on a phone: pick the transactions, fill one form,
get a code.

No sign-in; phone first. `/prefill/{outlet_code}` lists the catalogue as big tiles; the
chosen codes go to `/prefill/{outlet_code}/form?t=…&t=…`, the one merged form
(`merge.merge`). Its POST is checked and stored by `prefill.submit_prefill`; the code is
then kept in the signed session for a while and shown, with its QR code, on
`/prefill/{outlet_code}/done`. As the customer types, the page's script asks
`/prefill/{outlet_code}/check` for the problems of the values so far; the server's answer
on submit stays the authority. An optional `?ticket=TOKEN` (a lobby ticket, linked from
the ticket's status page) rides along and is stored with the pre-fill.

The kiosk's version of these pages is `public_kiosk.py`, included in this router; both
are thin over `prefill_pages.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

from manyi.counter.web import prefill_flow as pages
from manyi.counter.web.prefill_kiosk import router as kiosk_router
from manyi.counter.web.prefill_limits import phone_limits
from manyi.db import Session
from manyi.lobby.adapters.printing import qr_svg
from manyi.org.tables import Unit
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, public
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(kiosk_router)

DONE_FOR_S: Final = 30 * 60  # the code stays on the phone's done page this long
CHOSEN = Query(default=[])  # ?t=code&t=code: the transactions chosen


def _flow(request: Request, outlet_code: str) -> pages.Flow:
    return pages.Flow(
        channel="phone",
        base=f"/prefill/{outlet_code}",
        layout="counter/prefill_base.html",
        limits=phone_limits(request),
        done_for_s=DONE_FOR_S,
    )


def _at_outlet(
    request: Request,
    session: Session,
    outlet_code: str,
    show: Callable[[pages.Flow, Unit], Response],
) -> Response:
    """`show` the page of the outlet, or the page saying there is no such outlet."""
    flow = _flow(request, outlet_code)
    outlet = pages.outlet_or_none(session, outlet_code)
    if outlet is None:
        return pages.missing(request, flow)
    return show(flow, outlet)


@router.get("/prefill/{outlet_code}")
def prefill_pick(
    outlet_code: str,
    request: Request,
    t: list[str] = CHOSEN,
    ticket: str = "",
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    return _at_outlet(
        request,
        session,
        outlet_code,
        lambda flow, outlet: pages.pick_page(request, session, flow, outlet, t, ticket),
    )


@router.get("/prefill/{outlet_code}/form")
def prefill_form(
    outlet_code: str,
    request: Request,
    t: list[str] = CHOSEN,
    ticket: str = "",
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    return _at_outlet(
        request,
        session,
        outlet_code,
        lambda flow, outlet: pages.show_form(request, session, flow, outlet, t, ticket),
    )


def _submit(
    request: Request,
    session: Session,
    outlet_code: str,
    posted: tuple[list[str], dict[str, str], str],
) -> Response:
    return _at_outlet(
        request,
        session,
        outlet_code,
        lambda flow, outlet: pages.submit(request, session, flow, outlet, *posted),
    )


@router.post("/prefill/{outlet_code}/form")
async def prefill_submit(
    outlet_code: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    posted = pages.posted_values(await request.form())
    return await run_in_threadpool(_submit, request, session, outlet_code, posted)


def _check(request: Request, session: Session, outlet_code: str, body: object) -> Response:
    outlet = pages.outlet_or_none(session, outlet_code)
    if outlet is None:
        _ = translator(request_language(request))
        return JSONResponse({"error": "not_found", "message": _("Outlet not found")}, 404)
    return pages.check(request, session, _flow(request, outlet_code), outlet, body)


@router.post("/prefill/{outlet_code}/check")
async def prefill_check(
    outlet_code: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    body = await pages.json_body(request)
    return await run_in_threadpool(_check, request, session, outlet_code, body)


@router.get("/prefill/{outlet_code}/done")
def prefill_done(
    outlet_code: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    return _at_outlet(
        request,
        session,
        outlet_code,
        lambda flow, outlet: pages.done_page(request, session, flow, outlet),
    )


@router.get("/prefill/{outlet_code}/poster")
def prefill_poster(
    outlet_code: str,
    request: Request,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    """An A4 poster for the lobby: the QR code of this outlet's pre-fill, to print and hang.

    The QR code holds the configured public address (MANYI_PUBLIC_BASE_URL), never the
    address this browser used, which may be the server's own loopback or an intranet
    name a customer's phone cannot open. Without one the poster is refused, saying why.
    """

    def poster(_flow: pages.Flow, outlet: Unit) -> Response:
        base = request.app.state.settings.public_base_url
        if not base:
            _ = translator(request_language(request))
            context = {"outlet": outlet, "title": _("The poster cannot be printed yet")}
            return render(request, "counter/prefill_poster_missing.html", context, 409)
        url = f"{base}/prefill/{quote(outlet.code)}"
        qr = Markup(qr_svg(url, scale=10, border=4))  # noqa: S704 - the SVG holds numbers only
        context = {"outlet": outlet, "url": url, "qr": qr}
        return render(request, "counter/prefill_poster.html", context)

    return _at_outlet(request, session, outlet_code, poster)
