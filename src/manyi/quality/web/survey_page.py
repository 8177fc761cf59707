"""The customer's survey page, `/s/{token}`: a phone page without sign-in.

It shows the outlet and the survey only (no personal data), in large type, with a high-contrast
toggle remembered by a cookie. A link is answered once; a second answer, an expired or unknown
link each get a clear page. Staff cannot answer: a signed-in staff session or a paired device
(its cookie) is refused. The rules live in `quality.surveys`; this module translates the form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import Conflict, InvalidInput, ManyiError, NotFound
from manyi.lobby.adapters import printing
from manyi.org.tables import Staff
from manyi.quality import surveys
from manyi.quality.domain.surveys import REACHES
from manyi.web.i18n import request_language, translator
from manyi.web.security import DEVICE_COOKIE, DbSession, public
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
CONTRAST_COOKIE = "manyi_contrast"
CONTRAST_DAYS = 365


def _base(request: Request) -> dict[str, object]:
    return {
        "high_contrast": request.cookies.get(CONTRAST_COOKIE) == "high",
        "path": request.url.path,
        "via": _via(request),
    }


def _via(request: Request) -> str:
    via = request.query_params.get("via", "")
    return via if via in REACHES else "link"


def _message(request: Request, status: int, message: str, kind: str) -> Response:
    _ = translator(request_language(request))
    context = _base(request) | {"title": _("Survey"), "message": message, "kind": kind}
    return render(request, "quality/survey_message.html", context, status)


def _staff_refusal(request: Request, staff: Staff | None) -> Response | None:
    """Staff may not answer for a customer: not signed in, nor from a paired device."""
    _ = translator(request_language(request))
    device = request.cookies.get(DEVICE_COOKIE) or request.headers.get(
        "authorization", ""
    ).lower().startswith("bearer ")
    if staff is not None or device:
        return _message(
            request,
            403,
            _(
                "Surveys are answered by customers on their own phones. "
                "This link cannot be answered from a staff session or a bank device."
            ),
            "staff",
        )
    return None


def _refused(request: Request, exc: ManyiError) -> Response:
    _ = translator(request_language(request))
    kind = exc.error_code.removeprefix("survey_")
    return _message(request, exc.status_code, exc.text(_), kind)


def _page(
    request: Request,
    opened: surveys.Opened,
    errors: dict[str, str],
    sent: dict[str, list[str]],
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context = _base(request) | {
        "title": opened.definition.title(lang),
        "survey": opened.definition,
        "outlet": opened.outlet_en if lang == "en" else opened.outlet_zh,
        "errors": errors,
        "sent": sent,
        "token_path": request.url.path,
    }
    return render(request, "quality/survey.html", context, status)


@router.get("/s/{token}")
def survey_form(
    request: Request, token: str, staff: Staff | None = public(), session: Session = DbSession
) -> Response:
    refusal = _staff_refusal(request, staff)
    if refusal is not None:
        return refusal
    try:
        opened = surveys.open_invitation(session, token, utcnow())
    except (NotFound, Conflict) as exc:
        return _refused(request, exc)
    return _page(request, opened, {}, {})


@router.post("/s/{token}")
async def survey_answer(
    request: Request, token: str, staff: Staff | None = public(), session: Session = DbSession
) -> Response:
    refusal = _staff_refusal(request, staff)
    if refusal is not None:
        return refusal
    form = await request.form()
    sent = {key: [str(v) for v in form.getlist(key)] for key in form if key != "csrf_token"}
    _ = translator(request_language(request))
    address = request.client.host if request.client else "unknown"
    agent = request.headers.get("user-agent", "")
    now = utcnow()
    try:
        surveys.answer(
            session, token, sent, now, _via(request), surveys.client_hash(address, agent)
        )
    except InvalidInput as exc:
        opened = surveys.open_invitation(session, token, now)
        return _page(request, opened, {exc.field: exc.text(_)}, sent, 422)
    except (NotFound, Conflict) as exc:
        return _refused(request, exc)
    return _message(request, 200, _("Thank you! Your answer was received."), "thanks")


@router.get("/s/{token}/qr.svg")
def survey_qr(
    request: Request,
    token: str,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    """The survey link as a QR code (the rating pad, the printed slip): scanned by the
    customer's own phone, so it holds the address phones reach manyi at."""
    if not surveys.known(session, token):
        raise NotFound("This survey link is not valid.")
    base = request.app.state.settings.public_base_url or str(request.base_url)
    url = f"{base.rstrip('/')}/s/{token}?via={_via(request)}"
    return Response(printing.qr_svg(url, scale=8), media_type="image/svg+xml")


@router.get("/s/{token}/slip")
def survey_slip(
    request: Request,
    token: str,
    _visitor: None = public(identify=False),
    session: Session = DbSession,
) -> Response:
    """A printable slip (the kiosk's or a counter's printer, 58/80 mm): the survey's QR code
    and one line of text; no personal data."""
    if not surveys.known(session, token):
        raise NotFound("This survey link is not valid.")
    _ = translator(request_language(request))
    return render(request, "quality/survey_slip.html", {"title": _("Survey"), "token": token})


@router.get("/s/{token}/contrast")
def toggle_contrast(
    request: Request, token: str, _visitor: None = public(identify=False)
) -> Response:
    """Switch high contrast on or off (remembered by a cookie), back to the survey."""
    on = request.cookies.get(CONTRAST_COOKIE) != "high"
    response = RedirectResponse(f"/s/{token}", status_code=303)
    if on:
        response.set_cookie(
            CONTRAST_COOKIE, "high", max_age=CONTRAST_DAYS * 86400, samesite="lax", httponly=True
        )
    else:
        response.delete_cookie(CONTRAST_COOKIE)
    return response
