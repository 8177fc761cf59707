"""Customers' replies by SMS: a TD (退订) withdraws every consent of that number.

The worker's delivery pass takes each gateway's new replies (`MessageGateway.replies()`: the
SMS centre's mobile-originated messages, or the simulated gateway's). A reply that
`domain.replies.withdraws_consent` reads as TD, from a number manyi has a contact for, records
a "no" for every purpose (queue, appointment, complaint, survey, visit) with source
`sms_reply`: audited like any withdrawal (`reach.consent_withdrawn`, the number masked). What
is still waiting in the outbox for that number (held for the end of quiet hours, or due for a
retry) is not sent either: it becomes `suppressed`, "the customer replied TD". A verification
code needs no consent: one waiting is still sent, and the customer may ask for more. Any other
text, a number manyi never had and a sender that is no mainland mobile number are ignored; the
log names the number masked and never the text.

Replies are read at most once: the SMPP gateway answers the SMSC as soon as it reads one, so a
worker stopped between reading and recording loses it (the customer may reply again).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from sqlalchemy import update
from sqlalchemy.orm import Session

from manyi import audit
from manyi.db import Database
from manyi.personal import check_mobile
from manyi.reach import contacts
from manyi.reach.adapters.gateway import Channel, MessageGateway, Reply, mask_phone
from manyi.reach.domain.messages import Purpose
from manyi.reach.domain.replies import withdraws_consent
from manyi.reach.tables import ReachMessage

log = logging.getLogger("manyi.reach.replies")
SOURCE = "sms_reply"
WITHDRAWN = tuple(p for p in Purpose if p is not Purpose.VERIFICATION)
HELD_BACK = "the customer replied TD"


def record_replies(
    db: Database, gateways: Mapping[Channel, MessageGateway], now: dt.datetime
) -> int:
    """Take the SMS gateway's new replies; returns the customers who withdrew."""
    gateway = gateways.get(Channel.SMS)
    if gateway is None:
        return 0
    replies = gateway.replies()
    if not replies:
        return 0
    with db.session() as session:
        return apply_replies(session, replies, now)


def apply_replies(session: Session, replies: Iterable[Reply], now: dt.datetime) -> int:
    withdrew = 0
    for reply in replies:
        who = mask_phone(reply.address)
        if not withdraws_consent(reply.text):
            log.info("SMS reply from %s ignored: not TD (%d characters)", who, len(reply.text))
            continue
        try:
            number = check_mobile(reply.address)
        except ValueError:
            log.info("SMS reply TD from %s ignored: not a mainland mobile number", who)
            continue
        contact = contacts.by_phone(session, number)
        if contact is None:
            log.info("SMS reply TD from %s ignored: manyi has no contact for it", who)
            continue
        for purpose in WITHDRAWN:
            contacts.record_consent(
                session, audit.SYSTEM, contact, purpose, granted=False, source=SOURCE, now=now
            )
        held = session.execute(
            update(ReachMessage)
            .where(
                ReachMessage.contact_id == contact.id,
                ReachMessage.state == "pending",
                ReachMessage.purpose != Purpose.VERIFICATION.value,
            )
            .values(state="suppressed", reason=HELD_BACK)
            .returning(ReachMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
        log.info(
            "SMS reply TD from %s: every consent withdrawn, %d waiting message(s) held back",
            contacts.masked(contact),
            len(held),
        )
        withdrew += 1
    return withdrew
