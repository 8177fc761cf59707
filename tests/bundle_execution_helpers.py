"""Shared pieces of the bundle execution tests: a recording fake around the simulated core, a
core with planned faults, one PIN entry, and 张伟's four-item bundle."""

from __future__ import annotations

from decimal import Decimal

from manyi.counter.adapters.core import Balance, Posting, PostingKind, PostingResult
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import SimulatedCore
from manyi.counter.domain.execution import BundleItem, ItemStatus
from tests.simulated_core_helpers import TODAY, K


class RecordingCore:
    """A fake around the simulated core that remembers every call and can break on one."""

    def __init__(self, inner: SimulatedCore, explode_on: int = 0) -> None:
        self.inner = inner
        self.calls: list[tuple[PostingKind, str, bool]] = []  # kind, key, PIN given
        self.explode_on = explode_on

    def post(
        self, posting: Posting, pin_block: PinBlock | None, idempotency_key: str
    ) -> PostingResult:
        self.calls.append((posting.kind, idempotency_key, pin_block is not None))
        if len(self.calls) == self.explode_on:
            raise RuntimeError("connection reset by core")
        return self.inner.post(posting, pin_block, idempotency_key)

    def balance(self, account: str) -> Balance:
        return self.inner.balance(account)


def make_core(key: SessionKey, **faults: str) -> tuple[SimulatedCore, dict[str, tuple[str, str]]]:
    plan = {int(call.removeprefix("call")): when for call, when in faults.items()}
    core = SimulatedCore(key, seed=11, faults=plan, today=lambda: TODAY)
    return core, core.seed_demo()


def one_pin(pad: SimulatedPinPad, card: str, digits: str) -> PinBlock:
    pad.customer_types(digits)
    return pad.enter_pin(card, "请输入密码")


def amount(text: str) -> Decimal:
    return Decimal(text)


def statuses(run: object) -> list[ItemStatus]:
    return [i.status for i in run.items]  # type: ignore[attr-defined]


def zhang_bundle(account: str, card: str, payee: str) -> list[BundleItem]:
    """Deposit, withdrawal, transfer, bill payment for 张伟: three of them need the PIN."""
    return [
        BundleItem(Posting(K.DEPOSIT, account=account, amount=amount("2000")), label="deposit"),
        BundleItem(Posting(K.WITHDRAW, card=card, amount=amount("5000")), needs_pin=True),
        BundleItem(
            Posting(K.TRANSFER, card=card, amount=amount("30000"), counterpart_account=payee),
            needs_pin=True,
        ),
        BundleItem(
            Posting(
                K.BILL_PAY,
                card=card,
                amount=amount("200"),
                counterpart_account="WATER",
                reference="W-1",
            ),
            needs_pin=True,
        ),
    ]
