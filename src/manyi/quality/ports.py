"""What quality asks of customer reach: sending a survey invitation as a customer message (SMS,
WeChat). The composition roots register reach's adapter (`manyi.reach.survey_messages`); without
one, invitations go out only through the status page, the rating pad's QR and the printed slip,
and `NoMessages` sends nothing; `SimulatedMessages` records what would have been sent (tests).

The message is addressed by `customer_key`, the blind index the invitation already holds: the
customer-reach feature resolves it to a contact it is allowed to use (consent, opt-out), so
quality never sees a phone number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session


class CustomerMessagePort(Protocol):
    def survey_invitation(
        self,
        session: Session,
        invitation_id: int,
        customer_key: str,
        trigger: str,
        path: str,
        outlet_id: int,
        now: dt.datetime,
    ) -> bool:
        """Send the invitation's link (`path`, "/s/…?via=message") in the caller's unit of work
        (an outbox row); True when a message was written."""


class NoMessages:
    def survey_invitation(
        self,
        session: Session,
        invitation_id: int,
        customer_key: str,
        trigger: str,
        path: str,
        outlet_id: int,
        now: dt.datetime,
    ) -> bool:
        del session, invitation_id, customer_key, trigger, path, outlet_id, now
        return False


@dataclass
class SimulatedMessages:
    sent: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, key, trigger, path

    def survey_invitation(
        self,
        session: Session,
        invitation_id: int,
        customer_key: str,
        trigger: str,
        path: str,
        outlet_id: int,
        now: dt.datetime,
    ) -> bool:
        del session, outlet_id, now
        self.sent.append((invitation_id, customer_key, trigger, path))
        return True


_messages: CustomerMessagePort = NoMessages()


def register_messages(adapter: CustomerMessagePort) -> None:
    global _messages
    _messages = adapter


def messages() -> CustomerMessagePort:
    return _messages
