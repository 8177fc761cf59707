"""The pre-fill on the lobby kiosk (取号机): the phone's pages, on the kiosk's big screen.

`/device/prefill…` takes the outlet from the kiosk's device token and stores the
pre-fill with channel "kiosk". The pages are the phone's (`prefill_pages.py`, the same
templates) in the kiosk's layout: large touch targets, a way back to the kiosk's start on
every screen, and back to the start by itself after a minute without a touch (the
layout's script). Everyone at the kiosk shares one browser, so the code stays on the
done page only briefly, and going back to the start forgets it. The submit limit counts
per kiosk, not per address (`prefill_limits.py`).
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from manyi import audit
from manyi.counter.web import prefill_flow as pages
from manyi.counter.web.prefill_limits import PHONE_CHECKS, device_limits
from manyi.db import Session
from manyi.errors import Forbidden, NotFound
from manyi.org.device_tokens import DeviceKind
from manyi.org.tables import DeviceToken, Unit
from manyi.web.security import DbSession, device

router = APIRouter(include_in_schema=False)

BASE: Final = "/device/prefill"
# The kiosk serves the next customer in Chinese again, as its own start button does.
KIOSK_START: Final = "/lang/zh-CN?next=/device/kiosk"
SUBMIT_LIMIT: Final = 120  # stored pre-fills per kiosk per hour: a busy lobby, not a robot
DONE_FOR_S: Final = 3 * 60  # the next customer must not find the last one's code
CHOSEN = Query(default=[])


def _kiosk(session: Session, token: DeviceToken) -> tuple[pages.Flow, Unit]:
    if token.kind != DeviceKind.KIOSK.value:
        raise Forbidden("this device is not a {kind}", "device", kind=DeviceKind.KIOSK.value)
    outlet = session.get(Unit, token.outlet_id)
    if outlet is None:
        raise NotFound("no outlet {code}", "outlet", code="")
    flow = pages.Flow(
        channel="kiosk",
        base=BASE,
        layout="counter/kiosk_prefill_base.html",
        limits=device_limits(token.id, SUBMIT_LIMIT, PHONE_CHECKS),
        done_for_s=DONE_FOR_S,
        exit=f"{BASE}/exit",
        shared_device=True,
        actor=audit.Actor(
            id=None,
            name=f"device:{token.token_prefix}",
            unit_id=outlet.id,
            unit_path=outlet.path,
        ),
    )
    return flow, outlet


@router.get(BASE)
def kiosk_prefill_pick(
    request: Request,
    t: list[str] = CHOSEN,
    token: DeviceToken = device(),
    session: Session = DbSession,
) -> Response:
    flow, outlet = _kiosk(session, token)
    return pages.pick_page(request, session, flow, outlet, t, "")


@router.get(f"{BASE}/form")
def kiosk_prefill_form(
    request: Request,
    t: list[str] = CHOSEN,
    token: DeviceToken = device(),
    session: Session = DbSession,
) -> Response:
    flow, outlet = _kiosk(session, token)
    return pages.show_form(request, session, flow, outlet, t, "")


def _submit(
    request: Request,
    session: Session,
    token: DeviceToken,
    posted: tuple[list[str], dict[str, str], str],
) -> Response:
    flow, outlet = _kiosk(session, token)
    codes, values, _ticket = posted
    return pages.submit(request, session, flow, outlet, codes, values, "")


@router.post(f"{BASE}/form")
async def kiosk_prefill_submit(
    request: Request, token: DeviceToken = device(), session: Session = DbSession
) -> Response:
    posted = pages.posted_values(await request.form())
    return await run_in_threadpool(_submit, request, session, token, posted)


def _check(request: Request, session: Session, token: DeviceToken, body: object) -> Response:
    flow, outlet = _kiosk(session, token)
    return pages.check(request, session, flow, outlet, body)


@router.post(f"{BASE}/check")
async def kiosk_prefill_check(
    request: Request, token: DeviceToken = device(), session: Session = DbSession
) -> Response:
    body = await pages.json_body(request)
    return await run_in_threadpool(_check, request, session, token, body)


@router.get(f"{BASE}/done")
def kiosk_prefill_done(
    request: Request, token: DeviceToken = device(), session: Session = DbSession
) -> Response:
    flow, outlet = _kiosk(session, token)
    return pages.done_page(request, session, flow, outlet)


@router.get(f"{BASE}/exit")
def kiosk_prefill_exit(request: Request, token: DeviceToken = device()) -> Response:
    """Back to the kiosk's start, forgetting the code just shown."""
    request.session.pop(pages.DONE_KEY, None)
    return RedirectResponse(KIOSK_START, status_code=303)
