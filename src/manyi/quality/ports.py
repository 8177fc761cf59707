"""What quality asks of the customer-reach feature (to come): sending a survey invitation as a
customer message (SMS, WeChat, the bank's app). Until a real adapter is registered, invitations
go out only through what exists (the status page, the rating pad's QR, the printed slip) and
`NoMessages` sends nothing; `SimulatedMessages` records what would have been sent (tests, demo).

The message is addressed by `customer_key`, the blind index the invitation already holds: the
customer-reach feature resolves it to a contact it is allowed to use (consent, opt-out), so
quality never sees a phone number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class CustomerMessagePort(Protocol):
    def survey_invitation(
        self, invitation_id: int, customer_key: str, trigger: str, path: str
    ) -> bool:
        """Send the invitation's link (`path`, "/s/…?via=message"); True when it was sent."""


class NoMessages:
    def survey_invitation(
        self, invitation_id: int, customer_key: str, trigger: str, path: str
    ) -> bool:
        return False


@dataclass
class SimulatedMessages:
    sent: list[tuple[int, str, str, str]] = field(default_factory=list)

    def survey_invitation(
        self, invitation_id: int, customer_key: str, trigger: str, path: str
    ) -> bool:
        self.sent.append((invitation_id, customer_key, trigger, path))
        return True


_messages: CustomerMessagePort = NoMessages()


def register_messages(adapter: CustomerMessagePort) -> None:
    global _messages
    _messages = adapter


def messages() -> CustomerMessagePort:
    return _messages
