"""The mystery shopper's page, `/m/{token}`: a phone page without sign-in.

It shows the outlet, the scenario's script and the items a customer can judge, each with
passed / failed / not seen and a note, and takes the report once: the link is then spent and a
second report gets a clear page. Reports are rate-limited per address (`SUBMIT_LIMIT` in
`SUBMIT_WINDOW_S`, kept in the database like the other public forms'), counted before the link
is looked at, so guessing links costs tries. The rules live in `supervision.mystery`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi import ratelimit
from manyi.db import Session, utcnow
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.org.tables import Staff
from manyi.supervision import mystery
from manyi.supervision.web.plan_forms import item_answers
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, public
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
SUBMIT_LIMIT = 10  # reports (or guesses) per address …
SUBMIT_WINDOW_S = 600  # … in ten minutes


def _message(request: Request, status: int, message: str, kind: str) -> Response:
    _ = translator(request_language(request))
    context = {"title": _("Mystery shopper's report"), "message": message, "kind": kind}
    return render(request, "supervision/shopper_message.html", context, status)


def _page(
    request: Request,
    opened: mystery.Opened,
    *,
    errors: dict[str, str] | None = None,
    sent: dict[str, tuple[str, str]] | None = None,
    overall: str = "",
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context = {
        "title": _("Mystery shopper's report"),
        "scenario": opened.scenario,
        "outlet": opened.outlet_en if lang == "en" else opened.outlet_zh,
        "items": opened.items,
        "errors": errors or {},
        "sent": sent or {},
        "overall": overall,
        "token_path": request.url.path,
    }
    return render(request, "supervision/shopper.html", context, status)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/m/{token}")
def shopper_form(
    request: Request, token: str, _staff: Staff | None = public(), session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    try:
        opened = mystery.open_link(session, token, utcnow())
    except (NotFound, Conflict) as exc:
        return _message(request, exc.status_code, exc.text(_), exc.error_code)
    return _page(request, opened)


@router.post("/m/{token}")
async def shopper_report(
    request: Request, token: str, _staff: Staff | None = public(), session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    now = utcnow()
    form = await request.form()
    if not ratelimit.hit(
        session, f"mystery:{_address(request)}", SUBMIT_LIMIT, SUBMIT_WINDOW_S, now
    ):
        message = _("Too many reports from this phone. Please wait a few minutes and try again.")
        return _message(request, 429, message, "rate_limited")
    try:
        opened = mystery.open_link(session, token, now)
    except (NotFound, Conflict) as exc:
        return _message(request, exc.status_code, exc.text(_), exc.error_code)
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    sent = item_answers(fields, opened.items)
    overall = fields.get("overall", "")
    agent = request.headers.get("user-agent", "")
    try:
        with session.begin_nested():
            mystery.submit(
                session, token, sent, overall, now, mystery.client_hash(_address(request), agent)
            )
    except InvalidInput as exc:
        field = str(exc.params.get("code", exc.field))
        errors = {field: exc.text(_)}
        for code, (verdict, _note) in sent.items():  # every unanswered item, not just the first
            if code not in errors and not verdict.strip():
                errors[code] = _("Please answer this question.")
        return _page(
            request,
            opened,
            errors=errors,
            sent=sent,
            overall=overall,
            status=exc.status_code,
        )
    except (NotFound, Conflict) as exc:
        return _message(request, exc.status_code, exc.text(_), exc.error_code)
    return _message(
        request, 200, _("Thank you! Your report was received. This link is now spent."), "thanks"
    )
