"""The remote spot check (`/supervision/plans/remote`): pick an outlet, a day and a seed; the
page shows the sampled 30-minute interval from the lobby's record; the inspector writes notes and
judges the items that can be judged remotely, which stores a "remote" visit. The rules live in
`supervision.remote_checks`."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.supervision import plans, remote_checks, spot_checks
from manyi.supervision.web.plan_forms import day, item_answers, number, unit_options
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/supervision/plans/remote"
INSPECT = Permission.SUPERVISION_INSPECT


def _page(
    request: Request,
    principal: Principal,
    session: Session,
    args: dict[str, str],
    *,
    error: str = "",
    field: str = "",
    sent: dict[str, tuple[str, str]] | None = None,
    notes: str = "",
    status: int = 200,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    now = utcnow()
    outlets = [
        u for u in plans.units_to_choose(session, principal.unit_path) if u.level == "outlet"
    ]
    today = now.astimezone(request.app.state.settings.zone).date()
    shown: remote_checks.Interval | None = None
    interval_error = ""
    if args.get("outlet_id"):
        try:
            shown = remote_checks.interval(
                session,
                principal.actor,
                outlet_id=number(args["outlet_id"], "outlet_id", "Choose an outlet."),
                day=day(args.get("day", ""), "day"),
                seed=args.get("seed", ""),
                now=now,
            )
        except ManyiError as exc:
            interval_error = exc.text(_)
    context = {
        "title": _("Remote spot checks"),
        "outlets": unit_options(outlets, lang),
        "args": args,
        "shown": shown,
        "interval_error": interval_error,
        "fresh_seed": spot_checks.new_seed(),
        "today": today.isoformat(),
        "recent": remote_checks.recent(session, principal.unit_path),
        "done": request.query_params.get("done", ""),
        "error": error,
        "field": field,
        "sent": sent or {},
        "notes": notes,
    }
    return render(request, "supervision/remote.html", context, status)


@router.get(PAGE)
def remote_page(
    request: Request, principal: Principal = require(INSPECT), session: Session = DbSession
) -> Response:
    args = {k: request.query_params.get(k, "") for k in ("outlet_id", "day", "seed")}
    return _page(request, principal, session, args)


@router.post(PAGE)
async def record_remote_check(
    request: Request,
    outlet_id: str = Form(""),
    day_text: str = Form("", alias="day"),
    seed: str = Form(""),
    notes: str = Form(""),
    principal: Principal = require(INSPECT),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    items = remote_checks.remote_items(session)
    sent = item_answers(fields, items)
    args = {"outlet_id": outlet_id, "day": day_text, "seed": seed}
    try:
        with session.begin_nested():
            visit_id = remote_checks.record_remote_check(
                session,
                principal.actor,
                outlet_id=number(outlet_id, "outlet_id", "Choose an outlet."),
                day=day(day_text, "day"),
                seed=seed,
                notes=notes,
                sent=sent,
                now=utcnow(),
            )
    except ManyiError as exc:
        return _page(
            request,
            principal,
            session,
            args,
            error=exc.text(_),
            field=exc.field,
            sent=sent,
            notes=notes,
            status=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}?done={visit_id}", status_code=303)
