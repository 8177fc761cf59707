"""The teller fills the one form for a customer who did not pre-fill (柜员代填).

Many customers, elderly ones most of all, come without a pre-fill. The teller ticks what
they came for and fills the same merged form the customer would have filled (the builders
of public_forms.py, the checks of prefill.py); `bundles.open_at_counter` stores it as a
pre-fill of channel "counter" and opens its bundle, linked to the ticket the teller is
serving. The customer then confirms every value on their own screen, as with a pre-fill.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from manyi.counter import bundles, prefill
from manyi.counter.domain.field_problems import FieldProblem
from manyi.counter.web.common import clerk_of, error_text, page
from manyi.counter.web.prefill_flow import posted_values
from manyi.counter.web.prefill_forms import (
    form_sections,
    in_catalogue_order,
    problem_texts,
    tile_groups,
)
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require

router = APIRouter(prefix="/counter", include_in_schema=False)

OPERATE = require(Permission.COUNTER_OPERATE)


def fill_page(
    request: Request,
    session: Session,
    chosen: Sequence[str],
    values: Mapping[str, str] | None = None,
    problems: Sequence[FieldProblem] = (),
    *,
    status_code: int = 200,
    error: str = "",
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    codes = in_catalogue_order(session, chosen)
    texts = problem_texts(problems, _)
    context: dict[str, Any] = {
        "groups": tile_groups(session, lang, codes),
        "codes": codes,
        "sections": [],
        "problem_count": len(texts),
        "error": error,
    }
    if codes:
        try:
            form = prefill.merged_form(session, codes)
        except ManyiError as exc:
            context["error"] = error_text(request, exc)
            status_code = exc.status_code
        else:
            context["sections"] = form_sections(form, lang, values, texts)
            shown = {f.key for f in form.fields}
            context["loose"] = [text for key, text in texts.items() if key not in shown]
    return page(request, "counter/teller_fill.html", context, status_code)


@router.get("/fill")
def fill(
    request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    """Tick the transactions; with some ticked (`?t=`), the one form to fill."""
    return fill_page(request, session, request.query_params.getlist("t"))


def _open(
    request: Request,
    session: Session,
    principal: Principal,
    posted: tuple[list[str], dict[str, str], str],
) -> Response:
    chosen, values, _ticket = posted
    codes = in_catalogue_order(session, chosen)
    if not codes:
        _ = translator(request_language(request))
        message = _("Tick at least one transaction.")
        return fill_page(request, session, codes, status_code=422, error=message)
    try:
        with session.begin_nested():
            bundle = bundles.open_at_counter(session, clerk_of(principal), codes, values, utcnow())
    except prefill.FormInvalid as exc:
        return fill_page(request, session, codes, values, exc.problems, status_code=422)
    except ManyiError as exc:
        error = error_text(request, exc)
        return fill_page(request, session, codes, values, status_code=exc.status_code, error=error)
    return RedirectResponse(f"/counter/bundles/{bundle.reference}", status_code=303)


@router.post("/fill")
async def fill_submit(
    request: Request, principal: Principal = OPERATE, session: Session = DbSession
) -> Response:
    posted = posted_values(await request.form())
    return await run_in_threadpool(_open, request, session, principal, posted)
