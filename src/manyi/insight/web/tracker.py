"""The prominent-issue tracker (`/insight/issues`): every category's latest month against its
target path in the viewer's scope, and one category's page with its monthly chart, the
rectification tasks addressing it and the complaints before and after each closed."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from manyi.db import Session, utcnow
from manyi.insight import tracker
from manyi.insight.domain.targets import Progress
from manyi.insight.web.categories import departments, may_edit
from manyi.org.model import Permission
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(prefix="/insight/issues", include_in_schema=False)


def status_labels(_: Translate) -> dict[str, str]:
    return {
        "on_track": _("On track"),
        "behind": _("Behind target"),
        "not_started": _("Not started"),
        "no_baseline": _("No baseline"),
        "no_timetable": _("No timetable"),
    }


def chart(progress: Progress, _: Translate) -> dict[str, Any]:
    return {
        "months": [p.month.strftime("%Y-%m") for p in progress.points],
        "counts": [p.count for p in progress.points],
        "targets": [None if p.target is None else round(p.target, 1) for p in progress.points],
        "count_label": _("Complaint count"),
        "target_label": _("Target path"),
    }


def _month(day: dt.date | None) -> str:
    return day.strftime("%Y-%m") if day else "—"


@router.get("")
def overview(
    request: Request,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    context = {
        "title": _("Prominent issues"),
        "tracked": tracker.overview(session, principal.unit_path, utcnow()),
        "statuses": status_labels(_),
        "departments": dict(departments(lang)),
        "may_edit": may_edit(principal),
        "lang": lang,
        "month": _month,
    }
    return render(request, "insight/tracker.html", context)


@router.get("/{code}")
def category_page(
    request: Request,
    code: str,
    principal: Principal = require(Permission.COMPLAINTS_VIEW),
    session: Session = DbSession,
) -> Response:
    lang = request_language(request)
    _ = translator(lang)
    tracked = tracker.detail(session, principal.unit_path, code, utcnow())
    name = tracked.category.name(lang)
    new_task = ""
    if Permission.SUPERVISION_ISSUE in principal.permissions:
        params = {
            "source": "issue",
            "ref": tracker.token(code),
            "unit": str(principal.unit_id),
            "title": (_("Prominent issue: {name}").format(name=name))[:200],
        }
        new_task = "/supervision/rectification/new?" + urlencode(params)
    context = {
        "title": name,
        "tracked": tracked,
        "chart": chart(tracked.progress, _),
        "statuses": status_labels(_),
        "departments": dict(departments(lang)),
        "new_task": new_task,
        "lang": lang,
        "month": _month,
    }
    return render(request, "insight/tracker_category.html", context)
