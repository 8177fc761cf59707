"""The outlet head's daily self-check on the phone (390 px first, no script) and the branch's
board:

- `/guidance/selfcheck`: today's rounds of the outlet (due, done, late, missed); `?round=` its
  form — each item passed or failed, a note, a photo of a failure (the phone's camera) — and
  the submission; a refusal shows the form again with the message beside the item, nothing
  stored (the photos must be chosen again: a browser never refills a file field);
- `/guidance/selfcheck/r/{id}`: a submitted round, its photos, and for each failed item the
  one-step button that opens a rectification task (then the task);
- `/guidance/selfcheck/board` (and `.xlsx`): for the branch, per outlet over a period, the
  rounds done on time, late and missed, failed items and tasks, and the rounds to look at.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from manyi import spreadsheet
from manyi.complaints.domain.files import MAX_BYTES
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.guidance import queries, selfcheck
from manyi.guidance import selfcheck_queries as views
from manyi.guidance.domain import selfcheck as rules
from manyi.guidance.domain.selfcheck import Answer
from manyi.guidance.web.common import who_of
from manyi.guidance.web.triage_pages import outlet_for
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.web import downloads
from manyi.web.body_limit import FORM_SLACK_BYTES, BodyCap
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/guidance/selfcheck"
CHECK = require(Permission.LOBBY_CONFIGURE)
VIEW = require(Permission.SUPERVISION_VIEW)

# A round's photos and the form around them; a larger request is refused before it is read.
SUBMIT_CAP = BodyCap(
    "POST",
    PAGE,
    selfcheck.MAX_ROUND_BYTES + FORM_SLACK_BYTES,
    "Too large to upload. Please go back and choose photos of at most {mb} MB together.",
    {"mb": selfcheck.MAX_ROUND_BYTES // (1024 * 1024)},
    back=PAGE + "?refused=too_large",
)


def _clock(timezone: str) -> Any:
    zone = ZoneInfo(timezone)

    def hm(value: dt.datetime | None) -> str:
        return value.astimezone(zone).strftime("%H:%M") if value else ""

    return hm


def _today(
    request: Request,
    session: Session,
    principal: Principal,
    outlet: Unit | None,
    round_name: str = "",
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    if outlet is None:
        outlets = queries.outlets_in_scope(session, principal.unit_path)
        return render(
            request,
            "guidance/choose.html",
            {"title": _("Daily self-check"), "outlets": outlets, "target": PAGE},
        )
    view = views.today(session, outlet, utcnow())
    chosen = next((r for r in view.rounds if r.round.value == round_name), None)
    error = extra.pop("error", "")
    if request.query_params.get("refused") == "too_large" and not error:
        error = _(SUBMIT_CAP.message).format(**SUBMIT_CAP.params)
    context: dict[str, Any] = {
        "title": _("Daily self-check"),
        "v": view,
        "chosen": chosen,
        "items": rules.items_of(chosen.round) if chosen else (),
        "mine": principal.unit_id == outlet.id,
        "hm": _clock(outlet.timezone),
        "error": error,
        "field": "",
        "values": {},
        "done": request.query_params.get("done", ""),
        **extra,
    }
    return render(request, "guidance/selfcheck_today.html", context, status)


@router.get(PAGE)
def today_page(
    request: Request,
    outlet: str = "",
    round: str = "",
    principal: Principal = CHECK,
    session: Session = DbSession,
) -> Response:
    unit = outlet_for(session, principal, outlet[:40])
    return _today(request, session, principal, unit, round[:16])


def _answers(form: FormData) -> tuple[dict[str, Answer], dict[str, selfcheck.Photo]]:
    """The items' answers (`a.CODE`: pass or fail, `n.CODE`: the note) and photos (`p.CODE`)."""
    answers: dict[str, Answer] = {}
    photos: dict[str, selfcheck.Photo] = {}
    for key, value in form.multi_items():
        kind, _dot, code = key.partition(".")
        code = code[:8]
        if kind == "a" and isinstance(value, str):
            passed = {"pass": True, "fail": False}.get(value)
            old = answers.get(code, Answer(code, None))
            answers[code] = Answer(code, passed, old.note)
        elif kind == "n" and isinstance(value, str):
            old = answers.get(code, Answer(code, None))
            answers[code] = Answer(code, old.passed, value[:1000])
        elif kind == "p" and isinstance(value, UploadFile) and value.filename:
            photos[code] = selfcheck.Photo(value.filename, value.file.read(MAX_BYTES + 1))
    return answers, photos


@router.post(PAGE)
async def submit(
    request: Request, principal: Principal = CHECK, session: Session = DbSession
) -> Response:
    form = await request.form()
    outlet = str(form.get("outlet") or "")[:40]
    round_name = str(form.get("round") or "")[:16]
    answers, photos = await run_in_threadpool(_answers, form)
    return await run_in_threadpool(
        _submit, request, principal, session, outlet, round_name, answers, photos
    )


def _submit(
    request: Request,
    principal: Principal,
    session: Session,
    outlet: str,
    round_name: str,
    answers: dict[str, Answer],
    photos: dict[str, selfcheck.Photo],
) -> Response:
    unit = outlet_for(session, principal, outlet)
    if unit is None:
        return _today(request, session, principal, None)
    try:
        row = selfcheck.submit(
            session,
            who_of(principal),
            unit,
            round_name,
            answers,
            photos,
            var_dir=request.app.state.settings.var_dir,
            now=utcnow(),
        )
    except ManyiError as exc:
        session.rollback()
        _ = translator(request_language(request))
        values = {
            code: ("" if a.passed is None else "pass" if a.passed else "fail", a.note)
            for code, a in answers.items()
        }
        return _today(
            request, session, principal, unit, round_name, exc.status_code,
            error=exc.text(_), field=exc.field, values=values,
        )  # fmt: skip
    return RedirectResponse(f"{PAGE}/r/{row.id}?done=submitted", status_code=303)


def _round(
    request: Request,
    session: Session,
    principal: Principal,
    round_id: int,
    status: int = 200,
    error: str = "",
) -> Response:
    _ = translator(request_language(request))
    view = views.submitted(session, who_of(principal), round_id)
    context = {
        "title": _("Daily self-check"),
        "s": view,
        "hm": _clock(view.outlet.timezone),
        "can_issue": principal.can(Permission.SUPERVISION_ISSUE),
        "error": error,
        "done": request.query_params.get("done", ""),
    }
    return render(request, "guidance/selfcheck_round.html", context, status)


@router.get(PAGE + "/r/{round_id}")
def round_page(
    request: Request, round_id: int, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    return _round(request, session, principal, round_id)


@router.post(PAGE + "/r/{round_id}/items/{item_code}/task")
def make_task(
    request: Request,
    round_id: int,
    item_code: str,
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    try:
        selfcheck.open_task(session, who_of(principal), round_id, item_code[:8], utcnow())
    except ManyiError as exc:
        session.rollback()
        _ = translator(request_language(request))
        return _round(request, session, principal, round_id, exc.status_code, exc.text(_))
    return RedirectResponse(
        f"{PAGE}/r/{round_id}?done=task#item-{quote(item_code[:8])}", status_code=303
    )


@router.get(PAGE + "/r/{round_id}/photos/{sha256}")
def photo(
    request: Request,
    round_id: int,
    sha256: str,
    principal: Principal = VIEW,
    session: Session = DbSession,
) -> Response:
    kind, data = views.read_photo(
        session, who_of(principal), round_id, sha256[:64], request.app.state.settings.var_dir
    )
    return Response(
        data,
        media_type=kind,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# --- the branch's board -------------------------------------------------------------------


def _board(request: Request, principal: Principal, session: Session) -> views.Board:
    params = request.query_params
    focus = views.focus_unit(
        session, principal.unit_path, params.get("unit", ""), principal.unit_id
    )
    today = rules.local_day(utcnow(), focus.timezone)
    period = views.Period.parse(params.get("from", "")[:10], params.get("to", "")[:10], today)
    show = params.get("show", "problems")[:20]
    return views.board(session, focus, period, show, utcnow(), request_language(request))


@router.get(PAGE + "/board")
def board_page(
    request: Request, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    params = request.query_params
    context: dict[str, Any] = {
        "title": _("Self-check board"),
        "shows": views.SHOWS,
        "show": params.get("show", "problems")[:20],
        "values": {k: params.get(k, "")[:40] for k in ("unit", "from", "to")},
        "hm": _clock("Asia/Shanghai"),
        "board": None,
        "error": "",
        "field": "",
    }
    try:
        board = _board(request, principal, session)
    except ManyiError as exc:
        context.update(error=exc.text(_), field=exc.field)
        return render(request, "guidance/selfcheck_board.html", context, exc.status_code)
    query = urlencode(
        {
            "unit": board.focus.code,
            "from": board.period.first.isoformat(),
            "to": board.period.last.isoformat(),
            "show": context["show"],
        }
    )
    context.update(
        board=board, hm=_clock(board.focus.timezone), export_url=f"{PAGE}/board.xlsx?{query}"
    )
    return render(request, "guidance/selfcheck_board.html", context)


@router.get(PAGE + "/board.xlsx")
def board_export(
    request: Request, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    board = _board(request, principal, session)  # a bad parameter is the 4xx error page
    data = spreadsheet.workbook(_sheets(_, board))
    name = f"selfcheck-{board.focus.code}-{board.period.first:%Y%m%d}-{board.period.last:%Y%m%d}"
    return downloads.xlsx(data, f"{name}.xlsx")


def _sheets(_: Translate, board: views.Board) -> list[spreadsheet.Sheet]:
    hm = _clock(board.focus.timezone)
    figures = [
        _("Rounds"), _("Done on time"), _("Done late"), _("Missed round"), _("Not yet due"),
        _("Failed items"), _("Tasks"), _("On time %"),
    ]  # fmt: skip

    def row(code: str, name: str, t: rules.Tally) -> list[object]:
        pct = "" if t.on_time_pct is None else t.on_time_pct
        return [code, name, t.planned, t.done, t.late, t.missed, t.pending, t.failed_items,
                t.tasks, pct]  # fmt: skip

    outlets = [row(code, name, t) for code, name, t in board.outlets]
    outlets.append(row("", _("Total"), board.total))
    rounds = [
        [
            r.day.isoformat(), r.outlet_code, r.outlet_name, _(rules.ROUND_WORDS[r.round]),
            _(rules.STATUS_WORDS[r.status]), hm(r.due_at), hm(r.submitted_at), r.submitted_by,
            r.failed, _("Yes") if r.alerted else "",
        ]
        for r in board.rounds
    ]  # fmt: skip
    headers = [
        _("Day"), _("Unit code"), _("Outlet"), _("Round"), _("State"), _("Due at"),
        _("Submitted at"), _("By"), _("Failed items"), _("Branch alerted"),
    ]  # fmt: skip
    return [
        (_("Outlets"), [_("Unit code"), _("Outlet"), *figures], outlets),
        (_("Rounds"), headers, rounds),
    ]
