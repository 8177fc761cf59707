"""A rectification task's page (`/supervision/rectification/{id}`): what must be done and by
when, the evidence required and submitted, the timeline from the audit chain, and the next
action as a button for whoever may take it. Each action is a small POST through `_act`: back
to the task (303), or the task again with the error (4xx) and nothing stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from manyi import audit
from manyi.complaints.domain.files import KINDS, MAX_BYTES
from manyi.db import Session, utcnow
from manyi.errors import ManyiError
from manyi.org.model import Permission
from manyi.supervision import rectification
from manyi.supervision import rectification_detail as details
from manyi.supervision.rectification_files import MAX_TOTAL_BYTES, Upload
from manyi.web.body_limit import FORM_SLACK_BYTES, BodyCap
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/supervision/rectification", include_in_schema=False)

SUBMIT_CAP = BodyCap(
    "POST",
    r"/supervision/rectification/(?P<id>\d+)/submit",
    MAX_TOTAL_BYTES + FORM_SLACK_BYTES,
    "Too large to upload. Please go back and choose files of at most {mb} MB together.",
    {"mb": MAX_TOTAL_BYTES // (1024 * 1024)},
    back="/supervision/rectification/{id}?refused=too_large",
)


def task_page(
    request: Request,
    session: Session,
    principal: Principal,
    task_id: int,
    *,
    error: str = "",
    status: int = 200,
    open_form: str = "",
) -> Response:
    _ = translator(request_language(request))
    view = details.detail(session, principal.actor, task_id, utcnow())
    if request.query_params.get("refused") == "too_large" and not error:
        error = _(SUBMIT_CAP.message).format(**SUBMIT_CAP.params)
        open_form = "submit"
    context = {
        "title": _("Rectification task #{id}").format(id=task_id),
        "d": view,
        "error": error,
        "done": request.query_params.get("done", ""),
        "open_form": open_form,
    }
    return render(request, "supervision/rectification_task.html", context, status)


@router.get("/{task_id}")
def show(
    request: Request,
    task_id: int,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    return task_page(request, session, principal, task_id)


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    task_id: int,
    name: str,
    work: Callable[[audit.Actor, dt.datetime], object],
) -> Response:
    _ = translator(request_language(request))
    try:
        work(principal.actor, utcnow())
    except ManyiError as exc:
        session.rollback()
        return task_page(
            request, session, principal, task_id,
            error=exc.text(_), status=exc.status_code, open_form=name,
        )  # fmt: skip
    return RedirectResponse(f"/supervision/rectification/{task_id}?done={name}", status_code=303)


@router.post("/{task_id}/start")
def start(
    request: Request,
    task_id: int,
    principal: Principal = require(Permission.SUPERVISION_RECTIFY),
    session: Session = DbSession,
) -> Response:
    return _act(
        request, session, principal, task_id, "start",
        lambda actor, now: rectification.start(session, actor, task_id, now=now),
    )  # fmt: skip


@router.post("/{task_id}/submit")
def submit(
    request: Request,
    task_id: int,
    note: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
    principal: Principal = require(Permission.SUPERVISION_RECTIFY),
    session: Session = DbSession,
) -> Response:
    uploads = [
        Upload(f.filename or "", f.file.read(MAX_BYTES + 1)) for f in files or [] if f.filename
    ]
    var_dir = request.app.state.settings.var_dir
    return _act(
        request, session, principal, task_id, "submit",
        lambda actor, now: rectification.submit(
            session, actor, task_id, note=note, files=uploads, var_dir=var_dir, now=now
        ),
    )  # fmt: skip


@router.post("/{task_id}/verify")
def verify(
    request: Request,
    task_id: int,
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    return _act(
        request, session, principal, task_id, "verify",
        lambda actor, now: rectification.verify(session, actor, task_id, now=now, note=note),
    )  # fmt: skip


@router.post("/{task_id}/send-back")
def send_back(
    request: Request,
    task_id: int,
    reason: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    return _act(
        request, session, principal, task_id, "send_back",
        lambda actor, now: rectification.send_back(
            session, actor, task_id, reason=reason, now=now
        ),
    )  # fmt: skip


@router.post("/{task_id}/close")
def close(
    request: Request,
    task_id: int,
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    return _act(
        request, session, principal, task_id, "close",
        lambda actor, now: rectification.close(session, actor, task_id, now=now),
    )  # fmt: skip


@router.post("/{task_id}/recheck")
def recheck(
    request: Request,
    task_id: int,
    note: Annotated[str, Form()] = "",
    principal: Principal = require(Permission.SUPERVISION_ISSUE),
    session: Session = DbSession,
) -> Response:
    return _act(
        request, session, principal, task_id, "request_recheck",
        lambda actor, now: rectification.request_recheck(
            session, actor, task_id, now=now, note=note
        ),
    )  # fmt: skip


@router.get("/{task_id}/evidence/{evidence_id}")
def evidence(
    request: Request,
    task_id: int,
    evidence_id: int,
    principal: Principal = require(Permission.SUPERVISION_VIEW),
    session: Session = DbSession,
) -> Response:
    var_dir = request.app.state.settings.var_dir
    row, data = details.evidence_file(session, principal.actor, task_id, evidence_id, var_dir)
    disposition = "inline" if row.content_type.startswith("image/") else "attachment"
    return Response(
        data,
        media_type=row.content_type,
        headers={
            "Content-Disposition": (
                f'{disposition}; filename="evidence-{row.id}{KINDS.get(row.content_type, "")}"'
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )
