"""Customers manyi may message: their contact (a sealed mobile number) and their consents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from manyi import audit, sealed
from manyi.errors import InvalidInput, NotFound
from manyi.personal import check_mobile, phone_index
from manyi.reach.domain.messages import Purpose, check_lang
from manyi.reach.domain.sending import ConsentRecord
from manyi.reach.tables import ReachConsent, ReachContact

CONSENT_SOURCES = (
    "status_page",
    "booking",
    "complaint_form",
    "kiosk",
    "staff",
    "visit",
    "demo",
    "sms_reply",  # the customer replied TD (退订) to a text: `replies`
)


def remember(
    session: Session,
    phone: str,
    now: dt.datetime,
    *,
    lang: str = "zh-CN",
    person_key: str | None = None,
) -> ReachContact:
    """The contact for this mobile number, created on first use; a person key, when given,
    is kept so features that know only the key can reach the customer."""
    number = mobile(phone)
    check_lang(lang)
    key = phone_index(number, keys=sealed.keys_of(session.info))
    assert key is not None
    contact = session.scalar(select(ReachContact).where(ReachContact.phone_key == key))
    if contact is None:
        contact = ReachContact(
            phone_key=key, phone=number, phone_tail=number[-4:], lang=lang, created_at=now
        )
        session.add(contact)
    else:
        contact.lang = lang
    if person_key:
        contact.person_key = person_key
    session.flush()
    return contact


def find(session: Session, customer_key: str) -> ReachContact | None:
    """The contact known by a customer key: its phone's blind index or a feature's person key."""
    return session.scalars(
        select(ReachContact)
        .where(or_(ReachContact.phone_key == customer_key, ReachContact.person_key == customer_key))
        .order_by(ReachContact.id.desc())
    ).first()


def mobile(phone: str) -> str:
    """The mainland mobile number typed, normalised; anything else is refused naming the field."""
    try:
        return check_mobile(phone)
    except ValueError:
        raise InvalidInput(
            "{number} is not a mainland mobile number (11 digits starting with 1)",
            "phone",
            number=phone.strip()[:20],
        ) from None


def by_phone(session: Session, phone: str) -> ReachContact | None:
    number = mobile(phone)
    key = phone_index(number, keys=sealed.keys_of(session.info))
    return session.scalar(select(ReachContact).where(ReachContact.phone_key == key))


def record_consent(
    session: Session,
    actor: audit.Actor,
    contact: ReachContact,
    purpose: Purpose | str,
    *,
    granted: bool,
    source: str,
    now: dt.datetime,
) -> None:
    """Record the customer's yes or no for a purpose (the latest counts); audited."""
    try:
        chosen = Purpose(purpose)
    except ValueError:
        raise InvalidInput("unknown purpose {purpose}", "purpose", purpose=str(purpose)) from None
    if chosen is Purpose.VERIFICATION:
        raise InvalidInput("a verification code needs no consent", "purpose")
    if source not in CONSENT_SOURCES:
        raise InvalidInput("unknown consent source {source}", "source", source=source)
    session.add(
        ReachConsent(
            contact_id=contact.id,
            purpose=chosen.value,
            granted=granted,
            source=source,
            recorded_by_id=actor.id,
            at=now,
        )
    )
    audit.record(
        session,
        actor,
        entity_type="reach_contact",
        entity_id=contact.id,
        action="reach.consent_granted" if granted else "reach.consent_withdrawn",
        summary={"purpose": chosen.value, "source": source, "phone": masked(contact)},
        now=now,
    )


def masked(contact: ReachContact) -> str:
    """The number as every page and log shows it: the last four digits."""
    return "*" * 7 + contact.phone_tail


def consents(session: Session, contact_id: int) -> list[ConsentRecord]:
    rows = session.execute(
        select(ReachConsent.purpose, ReachConsent.granted, ReachConsent.at).where(
            ReachConsent.contact_id == contact_id
        )
    ).all()
    return [ConsentRecord(Purpose(r.purpose), r.granted, r.at) for r in rows]


def contact(session: Session, contact_id: int) -> ReachContact:
    found = session.get(ReachContact, contact_id)
    if found is None:
        raise NotFound("no such contact", "contact_id")
    return found
