"""Home and hospital visits plugged into customer reach and quality (a composition root).

Special declares what it needs (`special.ports`); reach keeps the family's number and sends
"visit scheduled", quality invites the customer to the "visit" survey after a closed visit.
Special, reach and quality do not import each other for this: `manyi.web.wiring.plug_features()`
and `manyi.demo` call `register`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from manyi import audit
from manyi.quality import surveys
from manyi.reach import contacts, messages
from manyi.reach.domain.messages import Kind, Purpose
from manyi.special import ports


class FamilyMessages:
    """Reach's contacts and its VISIT_SCHEDULED message, for special's `FamilyMessagePort`."""

    def __init__(self, zone: dt.tzinfo) -> None:
        self.zone = zone

    def remember(
        self, session: Session, actor: audit.Actor, phone: str, now: dt.datetime
    ) -> tuple[int, str]:
        contact = contacts.remember(session, phone, now)
        contacts.record_consent(
            session, actor, contact, Purpose.VISIT, granted=True, source="visit", now=now
        )
        return contact.id, contacts.masked(contact)

    def tell_scheduled(
        self,
        session: Session,
        contact_id: int,
        params: Mapping[str, str],
        now: dt.datetime,
        *,
        unit_id: int,
        dedupe_key: str,
    ) -> str:
        outcome = messages.send(
            session,
            contacts.contact(session, contact_id),
            Kind.VISIT_SCHEDULED,
            params,
            now,
            self.zone,
            unit_id=unit_id,
            dedupe_key=dedupe_key,
        )
        return outcome.state

    def masked(self, session: Session, contact_id: int) -> str:
        return contacts.masked(contacts.contact(session, contact_id))


class VisitSurveys:
    """Quality's survey invitation (trigger "visit"), for special's `SurveyPort`."""

    def __init__(self, expiry_days: int) -> None:
        self.expiry_days = expiry_days

    def invite(
        self,
        session: Session,
        visit_id: int,
        outlet_id: int,
        unit_path: str,
        staff_id: int | None,
        contact_id: int | None,
        now: dt.datetime,
    ) -> bool:
        key = contacts.contact(session, contact_id).phone_key if contact_id else None
        visit = surveys.Visit(
            trigger="visit",
            visit_key=f"v:{visit_id}",
            outlet_id=outlet_id,
            unit_path=unit_path,
            teller_staff_id=staff_id,
            customer_key=key,
        )
        return surveys.invite(session, visit, now, self.expiry_days) is not None


def register(zone: dt.tzinfo, expiry_days: int) -> None:
    ports.register_messages(FamilyMessages(zone))
    ports.register_surveys(VisitSurveys(expiry_days))
