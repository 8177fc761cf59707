"""Delivery channels: how a claimed message leaves manyi.

A channel adapter has a `name` (a `ChannelName` value) and a `send(message)`
that returns when the message was accepted and raises `DeliveryError` when it
was not. The worker calls `send` outside any database transaction, after it
has claimed the message, and records the outcome itself. See docs/notify.md
for the checklist to add a channel.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from manyi.config import Settings
from manyi.notify.model import (
    ChannelName,
    DeliveryError,
    OutboxMessage,
    mask_phone,
    normalise_phone,
)

SMS_OUTBOX_FILE = "sms-outbox.jsonl"


class ChannelAdapter(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, message: OutboxMessage) -> None:
        """Deliver `message` or raise `DeliveryError`."""
        ...


class InAppChannel:
    """The recipient's inbox in manyi (站内消息).

    The message row *is* the inbox entry: delivering it only makes it
    visible (state `sent`), so sending always succeeds.
    """

    name = ChannelName.IN_APP.value

    def send(self, message: OutboxMessage) -> None:
        return None


class SimulatedSmsGateway:
    """A stand-in for an SMS gateway: appends one JSON line per message to a file.

    Nothing leaves the machine. Each line holds the message id, the time,
    the recipient's staff id, the phone number masked but for its last four
    digits, the subject and the body; operators and tests read the file to
    see what would have been sent.

    The contract a real gateway adapter must meet (this simulation meets
    it within one process):

    * **Idempotent on the message id.** A worker that stops after the
      gateway accepted a message but before recording it lets the lease
      run out, and another worker sends the same message again. Pass
      `message.id` as the gateway's client reference (or keep a table of
      sent ids) so the second send is accepted without a second SMS.
    * **Raise `DeliveryError` on a refusal**, with the gateway's reason;
      `permanent=True` when retrying cannot help (invalid or blocked
      number, content rejected), so the message fails at once. Any other
      exception counts as a temporary failure and is retried.
    * **Time out within `timeout_s` seconds** (10 by default) and raise
      `DeliveryError` then. The worker's lease (see
      `notify.delivery.DEFAULT_LEASE`) must stay well above the timeout
      times the batch size, or a slow gateway lets a second worker
      re-claim messages still being sent.
    * **Log no full phone number**: mask all but the last four digits.
    """

    name = ChannelName.SMS.value

    def __init__(self, path: Path, *, timeout_s: float = 10.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._sent_ids: set[int] | None = None

    def _load_sent_ids(self) -> set[int]:
        ids: set[int] = set()
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    ids.add(int(json.loads(line)["id"]))
                except (ValueError, KeyError, TypeError):
                    continue
        return ids

    def send(self, message: OutboxMessage) -> None:
        number = normalise_phone(message.address or "")
        if number is None:
            raise DeliveryError("no valid mobile number for SMS", permanent=True)
        line = {
            "id": message.id,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "staff_id": message.recipient_staff_id,
            "to": mask_phone(number),
            "subject": message.subject_text(),
            "body": message.body,
        }
        with self._lock:
            if self._sent_ids is None:
                self._sent_ids = self._load_sent_ids()
            if message.id in self._sent_ids:
                return  # sent before: accepted again, not written twice
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._sent_ids.add(message.id)


_sms_channel: Callable[[Settings], ChannelAdapter | None] | None = None


def register_sms_channel(factory: Callable[[Settings], ChannelAdapter | None]) -> None:
    """How staff SMS leave when the bank has an SMS centre: the composition roots plug customer
    reach's gateway in (`reach.staff_sms`); a factory answering None keeps the simulation."""
    global _sms_channel
    _sms_channel = factory


def default_channels(settings: Settings) -> Mapping[str, ChannelAdapter]:
    """The channels a worker delivers with: the inbox, and SMS (the bank's SMS centre when one
    is plugged in, else the simulated gateway's file)."""
    real = _sms_channel(settings) if _sms_channel is not None else None
    return {
        ChannelName.IN_APP.value: InAppChannel(),
        ChannelName.SMS.value: real or SimulatedSmsGateway(settings.var_dir / SMS_OUTBOX_FILE),
    }
