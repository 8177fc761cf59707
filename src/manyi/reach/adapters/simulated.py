"""A gateway that sends nothing: for the demo, for tests, and for a pilot without an SMSC.

It accepts every message as `sim-<outbox id>` (a second send of one id is the same message),
and the next `receipts()` call reports each accepted message DELIVERED, once. It keeps nothing
on disk and nothing but what it owes the next `receipts()` call: the outbox rows are the
record of what was sent. Tests steer it:

- `refuse(number, ...)`: those addresses are refused permanently (a number that does not exist,
  a customer who unfollowed the account);
- `fail_next(n)`: the next n sends fail temporarily (an SMSC that is throttling or down);
- `undeliverable(number, ...)`: accepted, then reported FAILED ("UNDELIV") by the receipt;
- `reply(number, text)`: the customer answers ("TD"): reported by the next `replies()` call.

`sent` lists the last accepted messages in order (for a test to read, not for the outbox).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable

from manyi.reach.adapters.gateway import (
    Accepted,
    Channel,
    GatewayError,
    OutgoingMessage,
    Receipt,
    ReceiptState,
    Reply,
    mask_phone,
)

__all__ = ["SimulatedGateway"]

log = logging.getLogger("manyi.reach.simulated")

REMEMBERED = 10_000  # a demo that runs for weeks keeps this many ids, and a tenth as many texts


class SimulatedGateway:
    def __init__(self, channel: Channel, *, refused: Iterable[str] = ()) -> None:
        self.channel = channel
        self.sent: deque[OutgoingMessage] = deque(maxlen=REMEMBERED // 10)
        self._refused = set(refused)
        self._undeliverable: set[str] = set()
        self._failures_left = 0
        self._accepted: OrderedDict[int, Accepted] = OrderedDict()
        self._owed: list[Receipt] = []
        self._replies: deque[Reply] = deque(maxlen=REMEMBERED)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"simulated-{self.channel.value}"

    def refuse(self, *addresses: str) -> None:
        with self._lock:
            self._refused.update(addresses)

    def undeliverable(self, *addresses: str) -> None:
        with self._lock:
            self._undeliverable.update(addresses)

    def fail_next(self, count: int = 1) -> None:
        with self._lock:
            self._failures_left = count

    def send(self, message: OutgoingMessage) -> Accepted:
        with self._lock:
            known = self._accepted.get(message.id)
            if known is not None:
                return known
            who = mask_phone(message.address)
            if self._failures_left > 0:
                self._failures_left -= 1
                raise GatewayError("simulated gateway: temporarily unavailable")
            if message.address in self._refused:
                raise GatewayError(f"simulated gateway: {who} refused", permanent=True)
            accepted = Accepted(f"sim-{message.id}")
            self._accepted[message.id] = accepted
            if len(self._accepted) > REMEMBERED:
                self._accepted.popitem(last=False)
            self.sent.append(message)
            if message.address in self._undeliverable:
                self._owed.append(Receipt(accepted.gateway_id, ReceiptState.FAILED, "UNDELIV"))
            else:
                self._owed.append(Receipt(accepted.gateway_id, ReceiptState.DELIVERED, "DELIVRD"))
            log.info("simulated %s message %s to %s", self.channel.value, message.id, who)
            return accepted

    def receipts(self) -> list[Receipt]:
        with self._lock:
            owed, self._owed = self._owed, []
            return owed

    def reply(self, address: str, text: str) -> None:
        """A customer's message to the bank, as an SMS centre would hand it over."""
        with self._lock:
            self._replies.append(Reply(address, text))

    def replies(self) -> list[Reply]:
        with self._lock:
            found = list(self._replies)
            self._replies.clear()
            return found

    def close(self) -> None:
        pass
