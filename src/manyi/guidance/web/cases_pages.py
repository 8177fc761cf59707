"""The typical-case library's pages: the list (`/guidance/cases`), a new case from a source
(`/guidance/cases/new`), a case with its steps (edit, submit; head office: approve, return)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.guidance import cases, training_queries
from manyi.guidance.domain.cases import CaseState, SourceKind, Topic, check_text, masked_source
from manyi.guidance.web.common import error_of, who_of
from manyi.org.model import Permission
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)

WRITE = require(Permission.GUIDANCE_CASES)
PUBLISH = require(Permission.GUIDANCE_PUBLISH)


def words(request: Request) -> dict[str, Any]:
    _ = translator(request_language(request))
    return {
        "topic_names": {
            "attitude": _("Service attitude"), "process": _("Business process"),
            "elderly": _("Serving the elderly"), "fraud": _("Fraud prevention"),
            "disclosure": _("Disclosure and suitability"),
            "environment": _("Premises and facilities"),
            "complaints": _("Complaint handling"), "excellence": _("Excellent service"),
        },
        "source_names": {
            "complaint": _("Upheld complaint"), "inspection": _("Inspection finding"),
            "praise": _("Praise"), "misconduct": _("Misconduct case"),
        },
        "state_names": {
            "draft": _("Draft"), "submitted": _("Waiting for head office"),
            "published": _("Published (state)"), "returned": _("Returned"),
        },
        "topics": [t.value for t in Topic],
        "kinds": [k.value for k in SourceKind],
    }  # fmt: skip


@router.get("/guidance/cases")
def cases_page(
    request: Request,
    state: str = "",
    topic: str = "",
    principal: Principal = require(),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    state = state if state in {s.value for s in CaseState} else ""
    topic = topic if topic in {t.value for t in Topic} else ""
    context = {
        "title": _("Typical cases"),
        "rows": training_queries.cases(session, who_of(principal), state, topic),
        "state": state,
        "topic": topic,
        **words(request),
    }
    return render(request, "guidance/cases.html", context)


def _new_page(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    source_text = ""
    if values.get("source_kind") and values.get("source_ref") and "error" not in extra:
        try:
            kind = cases.source_kind_of(values["source_kind"])
            source = cases.source_of(session, who_of(principal), kind, values["source_ref"])
            source_text = masked_source(source.text, source.names)
        except ManyiError as exc:
            extra = {**error_of(request, exc), **extra}
            status = exc.status_code if status == 200 else status
    context = {
        "title": _("New typical case"),
        "values": values,
        "source_text": source_text,
        "error": "",
        "field": "",
        **words(request),
        **extra,
    }
    return render(request, "guidance/case_new.html", context, status)


@router.get("/guidance/cases/new")
def new_case_form(
    request: Request,
    source_kind: str = "",
    source_ref: str = "",
    principal: Principal = WRITE,
    session: Session = DbSession,
) -> Response:
    values = {"source_kind": source_kind[:20], "source_ref": source_ref[:60]}
    return _new_page(request, session, principal, values)


@router.post("/guidance/cases/new")
def new_case(
    request: Request,
    source_kind: Annotated[str, Form()] = "",
    source_ref: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    story: Annotated[str, Form()] = "",
    lessons: Annotated[str, Form()] = "",
    not_names: Annotated[str, Form()] = "",
    topics: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies the default)
    principal: Principal = WRITE,
    session: Session = DbSession,
) -> Response:
    values = {"source_kind": source_kind[:20], "source_ref": source_ref[:60],
              "title": title[:200], "story": story[:5000], "lessons": lessons[:2000],
              "not_names": not_names[:500]}  # fmt: skip
    chosen = [t[:40] for t in topics[:20]]
    try:
        kind = cases.source_kind_of(values["source_kind"])
        text = check_text(values["title"], values["story"], values["lessons"], chosen,
                          values["not_names"])  # fmt: skip
        row = cases.draft(session, who_of(principal), kind, values["source_ref"], text, utcnow())
    except ManyiError as exc:
        session.rollback()
        return _new_page(request, session, principal, values, exc.status_code,
                         chosen=chosen, **error_of(request, exc))  # fmt: skip
    return RedirectResponse(f"/guidance/cases/{row.id}", status_code=303)


def _case_page(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: int,
    status: int = 200,
    **extra: Any,
) -> Response:
    _ = translator(request_language(request))
    row = cases.load(session, who_of(principal), case_id)
    context = {
        "title": _("Typical case {id}").format(id=row.id),
        "case": row,
        "can_write": principal.can(Permission.GUIDANCE_CASES),
        "can_publish": principal.can(Permission.GUIDANCE_PUBLISH),
        "error": "",
        "field": "",
        **words(request),
        **extra,
    }
    return render(request, "guidance/case.html", context, status)


@router.get("/guidance/cases/{case_id}")
def case_page(
    request: Request, case_id: int, principal: Principal = require(), session: Session = DbSession
) -> Response:
    return _case_page(request, session, principal, case_id)


def _step(
    request: Request, session: Session, principal: Principal, case_id: int, run: Any
) -> Response:
    try:
        run()
    except ManyiError as exc:
        session.rollback()
        return _case_page(request, session, principal, case_id, exc.status_code,
                          **error_of(request, exc))  # fmt: skip
    return RedirectResponse(f"/guidance/cases/{case_id}", status_code=303)


@router.post("/guidance/cases/{case_id}/edit")
def edit_case(
    request: Request,
    case_id: int,
    title: Annotated[str, Form()] = "",
    story: Annotated[str, Form()] = "",
    lessons: Annotated[str, Form()] = "",
    not_names: Annotated[str, Form()] = "",
    topics: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies the default)
    principal: Principal = WRITE,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)

    def run() -> None:
        text = check_text(title[:200], story[:5000], lessons[:2000],
                          [t[:40] for t in topics[:20]], not_names[:500])  # fmt: skip
        cases.edit(session, who, case_id, text, utcnow())

    return _step(request, session, principal, case_id, run)


@router.post("/guidance/cases/{case_id}/submit")
def submit_case(
    request: Request, case_id: int, principal: Principal = WRITE, session: Session = DbSession
) -> Response:
    who = who_of(principal)
    return _step(
        request, session, principal, case_id, lambda: cases.submit(session, who, case_id, utcnow())
    )


@router.post("/guidance/cases/{case_id}/approve")
def approve_case(
    request: Request, case_id: int, principal: Principal = PUBLISH, session: Session = DbSession
) -> Response:
    who = who_of(principal)
    return _step(
        request, session, principal, case_id, lambda: cases.approve(session, who, case_id, utcnow())
    )


@router.post("/guidance/cases/{case_id}/return")
def return_case(
    request: Request,
    case_id: int,
    reason: Annotated[str, Form()] = "",
    principal: Principal = PUBLISH,
    session: Session = DbSession,
) -> Response:
    who = who_of(principal)
    return _step(
        request,
        session,
        principal,
        case_id,
        lambda: cases.send_back(session, who, case_id, reason[:2000], utcnow()),
    )
