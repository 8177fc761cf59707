"""Complaint news for the complainant as text messages: reach's side of complaints'
`CustomerNoticePort`.

The complainant agrees on the public form ("tell me by text message"): reach records the yes to
complaint messages for that number. Then "received" (with the date the answer is due) and
"decided" (read the answer, and accept or dispute it on the status page), and "needs your
answer" two days before an unanswered decision closes by itself, go to that number;
a number that never agreed gets nothing. The link is the public status look-up, which asks
for the reference and the query code the complainant was given: the message holds neither code
nor any detail of the complaint.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from manyi import audit
from manyi.complaints.ports import CustomerNotice
from manyi.errors import InvalidInput
from manyi.reach import contacts, messages
from manyi.reach.domain.messages import Kind, Purpose

KINDS = {
    "received": Kind.COMPLAINT_RECEIVED,
    "decided": Kind.COMPLAINT_DECIDED,
    "needs_answer": Kind.COMPLAINT_NEEDS_ANSWER,
}


class ComplaintNotices:
    def __init__(self, public_base_url: str) -> None:
        self.base = public_base_url.rstrip("/")

    def agree(self, session: Session, phone: str, lang: str, now: dt.datetime) -> None:
        try:
            contact = contacts.remember(session, phone, now, lang="en" if lang == "en" else "zh-CN")
        except InvalidInput:
            return  # the form's own check refuses a wrong number; no consent without one
        contacts.record_consent(
            session,
            audit.SYSTEM,
            contact,
            Purpose.COMPLAINT,
            granted=True,
            source="complaint_form",
            now=now,
        )

    def notice(self, session: Session, notice: CustomerNotice, now: dt.datetime) -> None:
        kind = KINDS.get(notice.kind)
        if kind is None:
            return
        try:
            contact = contacts.by_phone(session, notice.phone)
        except InvalidInput:
            return  # a landline or a foreign number: no text message
        if contact is None:
            return
        if notice.person_key:
            contact.person_key = notice.person_key
        zone = ZoneInfo(notice.timezone)
        link = f"{self.base}/complaint/status" if self.base else "/complaint/status"
        params: dict[str, object] = {"reference": notice.reference, "link": link}
        if kind is Kind.COMPLAINT_RECEIVED:
            due = notice.due_at.astimezone(zone).date().isoformat() if notice.due_at else ""
            params["deadline"] = due
        messages.send(
            session,
            contact,
            kind,
            params,
            now,
            zone,
            unit_id=notice.unit_id,
            link=link,
            dedupe_key=f"complaint:{notice.complaint_id}:{notice.kind}",
        )
