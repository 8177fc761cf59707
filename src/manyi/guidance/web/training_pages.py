"""Scenario training's pages: a staff member's modules (`/guidance/training`), taking one
(`/guidance/training/{id}`), head office's modules (`/guidance/training/modules`: make, publish,
assign) and the results by outlet and staff member (`/guidance/training/report`, Excel)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi import spreadsheet
from manyi.db import Session, utcnow
from manyi.errors import InvalidInput, ManyiError
from manyi.guidance import training, training_queries
from manyi.guidance.domain.training import check_module, parse_questions
from manyi.guidance.web.cases_pages import words
from manyi.guidance.web.common import error_of, who_of
from manyi.org.model import Permission
from manyi.parsing import ascii_int
from manyi.web import downloads
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

PUBLISH = require(Permission.GUIDANCE_PUBLISH)
VIEW = require(Permission.GUIDANCE_VIEW)


@router.get("/guidance/training")
def my_training(
    request: Request, principal: Principal = require(), session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    rows = training_queries.my_modules(session, who_of(principal))
    return render(request, "guidance/training.html", {"title": _("My training"), "rows": rows})


def _take_page(
    request: Request, session: Session, module_id: int, status: int = 200, **extra: Any
) -> Response:
    _ = translator(request_language(request))
    module = training.module(session, module_id, published=True)
    context = {
        "title": module.title,
        "t": training_queries.taking(session, module),
        "answers": {},
        "result": None,
        "error": "",
        "field": "",
        **words(request),
        **extra,
    }
    return render(request, "guidance/take.html", context, status)


@router.get("/guidance/training/modules")
def modules_page(
    request: Request, principal: Principal = PUBLISH, session: Session = DbSession
) -> Response:
    return _modules_page(request, session)


def _modules_page(request: Request, session: Session, status: int = 200, **extra: Any) -> Response:
    _ = translator(request_language(request))
    context = {
        "title": _("Training modules"),
        "modules": training_queries.modules(session),
        "cases": training_queries.published_cases(session),
        "values": {},
        "error": "",
        "field": "",
        **words(request),
        **extra,
    }
    return render(request, "guidance/modules.html", context, status)


@router.post("/guidance/training/modules")
def create_module(
    request: Request,
    title: Annotated[str, Form()] = "",
    pass_mark: Annotated[str, Form()] = "",
    items: Annotated[str, Form()] = "",
    cases: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies the default)
    questions: Annotated[str, Form()] = "",
    principal: Principal = PUBLISH,
    session: Session = DbSession,
) -> Response:
    values: dict[str, Any] = {"title": title[:200], "pass_mark": pass_mark[:8],
                              "items": items[:400], "questions": questions[:25_000],
                              "cases": cases[:100]}  # fmt: skip
    try:
        text = check_module(values["title"], values["pass_mark"], values["items"])
        case_ids = [i for i in map(ascii_int, cases) if i is not None]
        asked = parse_questions(values["questions"])
        module = training.create_module(session, who_of(principal), text, case_ids, asked, utcnow())
    except ManyiError as exc:
        session.rollback()
        return _modules_page(request, session, exc.status_code, values=values,
                             **error_of(request, exc))  # fmt: skip
    return RedirectResponse(f"/guidance/training/modules#module-{module.id}", status_code=303)


def _module_step(request: Request, session: Session, run: Any) -> Response:
    try:
        run()
    except ManyiError as exc:
        session.rollback()
        return _modules_page(request, session, exc.status_code, **error_of(request, exc))
    return RedirectResponse("/guidance/training/modules", status_code=303)


@router.post("/guidance/training/modules/{module_id}/publish")
def publish_module(
    request: Request, module_id: int, principal: Principal = PUBLISH, session: Session = DbSession
) -> Response:
    who = who_of(principal)
    return _module_step(
        request, session, lambda: training.publish_module(session, who, module_id, utcnow())
    )


@router.post("/guidance/training/modules/{module_id}/assign")
def assign_module(
    request: Request,
    module_id: int,
    outlet: Annotated[str, Form()] = "",
    due_on: Annotated[str, Form()] = "",
    principal: Principal = PUBLISH,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)

    def run() -> None:
        try:
            due = dt.date.fromisoformat(due_on) if due_on.strip() else None
        except ValueError:
            raise InvalidInput("the due date is not a date", "due_on") from None
        training.assign(session, who, module_id, outlet[:40], due, utcnow())

    return _module_step(request, session, run)


@router.get("/guidance/training/report")
def report_page(
    request: Request, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    outlets, staff = training_queries.report(session, principal.unit_path)
    context = {"title": _("Training results"), "outlets": outlets, "staff": staff}
    return render(request, "guidance/report.html", context)


@router.get("/guidance/training/report.xlsx")
def report_export(
    request: Request, principal: Principal = VIEW, session: Session = DbSession
) -> Response:
    _ = translator(request_language(request))
    outlets, staff = training_queries.report(session, principal.unit_path)

    def pct(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 1)

    sheets: list[spreadsheet.Sheet] = [
        (_("By outlet"), [_("Outlet"), _("Code"), _("Staff count"), _("Assigned"), _("Completed"),
                        _("Completion (%)"), _("Mean best score (%)")],
         [[o.name, o.code, o.staff, o.assigned, o.completed, pct(o.completion),
           pct(o.best_mean)] for o in outlets]),
        (_("By staff member"), [_("Staff member"), _("Outlet"), _("Assigned"), _("Completed"),
                      _("Mean best score (%)")],
         [[s.name, s.outlet, s.assigned, s.completed, pct(s.best_mean)] for s in staff]),
    ]  # fmt: skip
    return downloads.xlsx(spreadsheet.workbook(sheets, width=16), "training-results.xlsx")


@router.get("/guidance/training/{module_id}")
def take_page(
    request: Request, module_id: int, principal: Principal = require(), session: Session = DbSession
) -> Response:
    return _take_page(request, session, module_id)


@router.post("/guidance/training/{module_id}")
async def take_module(
    request: Request, module_id: int, principal: Principal = require(), session: Session = DbSession
) -> Response:
    form = await request.form()
    answers = {
        n: str(v)[:4]
        for k, v in form.items()
        if k[:1] == "q" and (n := ascii_int(k[1:], 1, 1000)) is not None
    }
    try:
        result = training.take(session, who_of(principal), module_id, answers, utcnow())
    except ManyiError as exc:
        session.rollback()
        return _take_page(request, session, module_id, exc.status_code, answers=answers,
                          **error_of(request, exc))  # fmt: skip
    return _take_page(request, session, module_id, answers=answers, result=result)
