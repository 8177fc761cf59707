"""The inspector's page of suspicious survey and rating patterns (`/quality/flags`), within
their data scope, over the last days (`?days=`, 1–366). The list is computed by
`quality.flags`; this module only shows it."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from manyi.db import Session, utcnow
from manyi.org.model import Permission
from manyi.quality import flags
from manyi.web.i18n import request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter(include_in_schema=False)
TZ = "Asia/Shanghai"  # the bank's days, for "in a day"


@router.get("/quality/flags")
def flags_page(
    request: Request,
    days: int = Query(30, ge=1, le=366),
    principal: Principal = require(Permission.QUALITY_INSPECT),
    session: Session = DbSession,
) -> Response:
    _ = translator(request_language(request))
    now = utcnow()
    found = flags.flags(session, principal.unit_path, now - dt.timedelta(days=days), now, TZ)
    context = {"title": _("Suspicious answers"), "flags": found, "days": days}
    return render(request, "quality/flags.html", context)
