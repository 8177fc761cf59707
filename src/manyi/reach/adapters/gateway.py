"""What a customer-message gateway is: the contract every adapter meets.

The outbox worker claims a due message, renders it and calls `send` outside any database
transaction, then records the outcome itself (at least once: a worker that stops after the
gateway accepted a message but before recording it lets its claim run out, and another worker
sends the same message again). So:

- **Idempotent on `OutgoingMessage.id`.** Pass it as the gateway's client reference, or keep the
  ids already sent, so a second send of the same id is accepted without a second message.
- **`send` returns `Accepted`** with the gateway's own id for the message (the SMSC's message_id,
  WeChat's msgid): delivery receipts name it.
- **Refusals raise `GatewayError`**, `permanent=True` when retrying cannot help (an invalid
  number, a customer who unfollowed the account, content refused); any other failure is temporary
  and is retried by the outbox's rule.
- **Time out within the adapter's `timeout_s`** and raise a temporary `GatewayError` then.
- **`receipts()`** returns the delivery receipts that arrived since the last call (empty when the
  channel has none); the worker records them against the messages' gateway ids.
- **`replies()`** returns the customers' own messages to the bank that arrived since the last
  call (an SMS centre's mobile-originated messages: a `Reply` with the sender's number as the
  SMSC gave it and the decoded text; empty when the channel has none). Each is reported once;
  the worker reads a TD (退订) as a withdrawal (`manyi.reach.replies`). A gateway that reads
  receipts and replies from one connection keeps both until asked.
- **Never log a full phone number**: `mask_phone` keeps the last four digits.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Channel(enum.StrEnum):
    SMS = "sms"  # a text message to a mobile number (短信)
    WECHAT = "wechat"  # a template message from the bank's official account (公众号模板消息)


@dataclass(frozen=True)
class OutgoingMessage:
    id: int  # the outbox id: the client reference a gateway is idempotent on
    channel: Channel
    address: str  # a mobile number ("13812345678") for SMS, the customer's openid for WeChat
    kind: str  # the message kind ("turn_near", "called", "appointment_booked", ...)
    text: str  # the whole rendered text, in the customer's language
    params: Mapping[str, str] = field(default_factory=dict)  # the template's values, by name
    link: str | None = None  # an absolute URL the message points to, if any


@dataclass(frozen=True)
class Accepted:
    gateway_id: str  # the gateway's id for the message, named by its receipts


class ReceiptState(enum.StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # undeliverable, expired, rejected by the handset's network


@dataclass(frozen=True)
class Receipt:
    gateway_id: str
    state: ReceiptState
    status: str  # the gateway's own word ("DELIVRD", "UNDELIV", "success", ...)
    at: dt.datetime | None = None  # when the gateway says it happened, if it says


@dataclass(frozen=True)
class Reply:
    """A customer's message to the bank (SMS: mobile-originated)."""

    address: str  # the sender as the gateway gave it ("13812345678", "8613812345678")
    text: str  # decoded; a long message's parts each come as a reply of their own
    at: dt.datetime | None = None  # when the gateway says it was sent, if it says


class GatewayError(Exception):
    """The gateway did not take the message; `permanent` when retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class MessageGateway(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, message: OutgoingMessage) -> Accepted: ...

    def receipts(self) -> list[Receipt]: ...

    def replies(self) -> list[Reply]: ...

    def close(self) -> None: ...


def mask_phone(number: str) -> str:
    """All but the last four digits hidden: '13812345678' -> '*******5678'."""
    digits = number.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
