"""The signed-in staff member's inbox: the "My notifications" page and its JSON twin.

Thin: parse, call `service`, render. Any signed-in staff member may open
their own inbox (`require()` with no permission); `service.mark_read`
refuses anyone else's message as not found.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from manyi.db import Session, utcnow
from manyi.notify import service
from manyi.notify.service import InboxItem
from manyi.web.i18n import Translate, request_language, translator
from manyi.web.security import DbSession, Principal, require
from manyi.web.templating import render

router = APIRouter()
PAGE_LIMIT = 100


@router.get("/notifications", include_in_schema=False)
def notifications_page(
    request: Request, principal: Principal = require(), session: Session = DbSession
) -> Response:
    items = service.inbox(session, principal.id, limit=PAGE_LIMIT)
    context = {
        "items": items,
        "unread": service.unread_count(session, principal.id),
        "limited": len(items) == PAGE_LIMIT,
    }
    return render(request, "notifications.html", context)


@router.post("/notifications/{message_id}/read", include_in_schema=False)
def mark_read(
    message_id: int, principal: Principal = require(), session: Session = DbSession
) -> Response:
    service.mark_read(session, principal.id, message_id, utcnow())
    return RedirectResponse("/notifications", status_code=303)


# --- JSON -------------------------------------------------------------------------------


class NotificationOut(BaseModel):
    id: int
    subject: str  # in the request's language, placeholders filled
    body: str
    unit_code: str  # the unit it was sent for
    unit_name: str
    sender: str | None  # the sender's display name; None when manyi sent it
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool

    @classmethod
    def of(cls, item: InboxItem, lang: str, translate: Translate) -> NotificationOut:
        return cls(
            id=item.id,
            subject=item.subject_text(translate),
            body=item.body,
            unit_code=item.unit_code,
            unit_name=item.unit_name(lang),
            sender=item.sender_name,
            created_at=item.created_at,
            read_at=item.read_at,
            unread=item.unread,
        )


class InboxOut(BaseModel):
    unread_count: int
    messages: list[NotificationOut]


@router.get(
    "/api/v1/notifications",
    tags=["notifications"],
    summary="The signed-in staff member's in-app messages, newest first",
)
def notifications_api(
    request: Request,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=service.INBOX_MAX)] = 50,
    principal: Principal = require(),
    session: Session = DbSession,
) -> InboxOut:
    lang = request_language(request)
    translate = translator(lang)
    items = service.inbox(session, principal.id, unread_only=unread, limit=limit)
    return InboxOut(
        unread_count=service.unread_count(session, principal.id),
        messages=[NotificationOut.of(item, lang, translate) for item in items],
    )
