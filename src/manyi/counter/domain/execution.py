"""Running a bundle: its items in order through the core-banking port, with one PIN.

Each item becomes one `core.post` call with the idempotency key ``"<bundle id>:<n>"``
(n counts from 1). The key depends on nothing else — not the attempt, not the time — so
sending an item again can never post it twice (see the port contract in `core`).

Dependencies are explicit. A string field of an item's posting may hold a reference such
as ``"@item1.account_number"``: the output ``account_number`` of item 1, filled in just
before the item is sent; ``BundleItem.requires`` names items that must have posted even when
no value is taken from them (replace a card only once its loss is recorded). An item whose
dependency failed or was skipped is skipped, with the reason.

Order is kept. A FAILED item is final and the run goes on with the next item (the core
protects balances, and each item shows its own result). An UNKNOWN item (timeout, or an
adapter that raised) stops the run: the items after it stay PENDING, because they may rely on
its effect. `retry` resumes at the first unfinished item with the same keys; the core
answers an already-applied item from its idempotency record.

The PIN block is passed to each item with ``needs_pin`` (one entry for the whole bundle) and
is wiped when `execute` returns or raises. A retry that still has PIN items to send needs a
new PIN entry. An item that failed for good (insufficient funds, a locked card) is not sent
again under its key; doing it again is a new bundle with its own id.

A wrong PIN is not final. The core answers ``pin_invalid`` without recording it under the
key (core contract, 1 and 5), so the item becomes PIN_WRONG: nothing posted, the run stops
there (the items after it would meet the same wrong PIN) and the customer types the PIN
again; `retry` with the new block sends the same item under the same key. The run counts
wrong PINs (`BundleRun.wrong_pins`); the `pin_tries`-th (the bank's setting, 3 by default)
makes the item FAILED for this visit. When the core itself locks the card it answers
``card_locked``, a final failure. After either, the later items that need the PIN are
skipped (sending them would only repeat the refusal and count against the card) and the
others run.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from manyi.counter.adapters.core import CoreBanking, ErrorCode, Outcome, Posting, PostingResult
from manyi.counter.adapters.pin_pad import PinBlock
from manyi.errors import InvalidInput

__all__ = [
    "DEFAULT_PIN_TRIES",
    "BundleItem",
    "BundleRun",
    "ItemRun",
    "ItemStatus",
    "PinRequired",
    "RunStatus",
    "execute",
    "idempotency_key",
    "plan_bundle",
    "retry",
    "run_bundle",
    "stop_pin_entry",
]

MAX_ITEMS = 20
_BUNDLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_REFERENCE = re.compile(r"@item([1-9][0-9]*)\.([a-z][a-z0-9_]*)")


class PinRequired(InvalidInput):
    error_code = "pin_required"


class ItemStatus(StrEnum):
    PENDING = "pending"  # not sent yet
    POSTED = "posted"
    FAILED = "failed"  # final: the core refused it and changed nothing
    UNKNOWN = "unknown"  # sent, answer lost: retry with the same key
    PIN_WRONG = "pin_wrong"  # the core refused the PIN, posted nothing: retry with a new PIN
    SKIPPED = "skipped"  # never sent: an item it depends on did not post


class RunStatus(StrEnum):
    COMPLETED = "completed"  # every item posted
    NEEDS_RETRY = "needs_retry"  # an item is unknown or pending
    PIN_WRONG = "pin_wrong"  # stopped at a wrong PIN: the customer types it again
    PARTIAL = "partial"  # finished, some posted, some failed or skipped
    FAILED = "failed"  # finished, nothing posted


@dataclass(frozen=True)
class BundleItem:
    posting: Posting  # string fields may hold "@item<n>.<output>" references
    needs_pin: bool = False
    label: str = ""  # what the teller and the voucher show, e.g. "withdrawal"
    requires: frozenset[int] = frozenset()  # items (from 1) that must have posted first


@dataclass
class ItemRun:
    """One item's progress and result; `message` says why it failed, waits or was skipped."""

    number: int  # from 1
    item: BundleItem
    key: str
    depends_on: frozenset[int]
    status: ItemStatus = ItemStatus.PENDING
    code: ErrorCode | None = None
    message: str = ""
    outputs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    core_reference: str = ""
    attempts: int = 0
    replayed: bool = False  # the core answered from its record (it had applied it before)

    @property
    def finished(self) -> bool:
        return self.status in (ItemStatus.POSTED, ItemStatus.FAILED, ItemStatus.SKIPPED)

    @property
    def name(self) -> str:
        return f"item {self.number} ({self.item.label or self.item.posting.kind.value})"


DEFAULT_PIN_TRIES = 3
_PIN_REFUSALS = frozenset({ErrorCode.PIN_INVALID, ErrorCode.CARD_LOCKED})


@dataclass
class BundleRun:
    bundle_id: str
    items: list[ItemRun]
    pin_tries: int = DEFAULT_PIN_TRIES  # PIN entries the bank allows in one visit
    wrong_pins: int = 0  # wrong PINs so far in this visit

    @property
    def status(self) -> RunStatus:
        if any(i.status is ItemStatus.PIN_WRONG for i in self.items):
            return RunStatus.PIN_WRONG
        if not all(i.finished for i in self.items):
            return RunStatus.NEEDS_RETRY
        posted = sum(i.status is ItemStatus.POSTED for i in self.items)
        if posted == len(self.items):
            return RunStatus.COMPLETED
        return RunStatus.PARTIAL if posted else RunStatus.FAILED

    def item(self, number: int) -> ItemRun:
        return self.items[number - 1]


def idempotency_key(bundle_id: str, number: int) -> str:
    """The key of item `number` (from 1): the same for every attempt."""
    return f"{bundle_id}:{number}"


def plan_bundle(bundle_id: str, items: Sequence[BundleItem]) -> BundleRun:
    """Check a bundle's shape and references and return a run with every item pending."""
    if not _BUNDLE_ID.fullmatch(bundle_id):
        raise InvalidInput(
            "bundle id must be 1–64 letters, digits, '.', '_', '/' or '-'", "bundle_id"
        )
    if not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidInput("a bundle has 1 to {max} items", "items", max=MAX_ITEMS)
    runs = []
    for number, item in enumerate(items, start=1):
        depends_on = frozenset(n for _, n, _ in _references(item.posting)) | item.requires
        later = sorted(n for n in depends_on if n >= number)
        if later:
            raise InvalidInput(
                "item {number} depends on item {other}, which does not run before it",
                "items",
                number=number,
                other=later[0],
            )
        runs.append(ItemRun(number, item, idempotency_key(bundle_id, number), depends_on))
    return BundleRun(bundle_id, runs)


def run_bundle(
    core: CoreBanking, bundle_id: str, items: Sequence[BundleItem], pin_block: PinBlock | None
) -> BundleRun:
    """Plan and execute a bundle; the PIN block is wiped whatever happens."""
    try:
        run = plan_bundle(bundle_id, items)
    except BaseException:
        if pin_block is not None:
            pin_block.wipe()
        raise
    return execute(core, run, pin_block)


def execute(core: CoreBanking, run: BundleRun, pin_block: PinBlock | None) -> BundleRun:
    """Send every unfinished item, in order, until one is UNKNOWN or PIN_WRONG; wipe the
    PIN block.

    If the adapter raises, the item in flight is marked UNKNOWN (it may have been applied),
    the PIN block is wiped and the exception propagates; `retry` can resume the run.
    """
    try:
        todo = [i for i in run.items if not i.finished]
        refused = _pin_refused(run)
        usable = [i for i in todo if refused is None or i.number < refused.number]
        if any(i.item.needs_pin for i in usable) and (pin_block is None or pin_block.wiped):
            raise PinRequired("the customer's PIN is needed for the items still to send", "pin")
        for item in todo:
            if item.item.needs_pin and refused is not None:
                _skip(item, f"{refused.name}: the PIN was not accepted")
                item.code = ErrorCode.PIN_INVALID  # why it was never sent
                continue
            posting = _prepare(run, item)
            if posting is None:
                continue
            try:
                _send(core, item, posting, pin_block if item.item.needs_pin else None)
            finally:
                if item.status is ItemStatus.UNKNOWN:
                    _hold_after(run, item)
            if item.status is ItemStatus.PIN_WRONG:
                run.wrong_pins += 1
                if run.wrong_pins < run.pin_tries:
                    _hold_after(run, item, "whose PIN the customer types again")
                    break
                item.status = ItemStatus.FAILED
                item.message = f"wrong PIN {run.wrong_pins} times: the bank's limit for a visit"
            if item.item.needs_pin and item.status is ItemStatus.FAILED:
                refused = item if item.code in _PIN_REFUSALS else refused
            if item.status is ItemStatus.UNKNOWN:
                break
    finally:
        if pin_block is not None:
            pin_block.wipe()
    return run


def stop_pin_entry(run: BundleRun) -> BundleRun:
    """The customer types no more PINs: the PIN_WRONG item fails for good, so that `execute`
    (without a block) skips the later PIN items and runs the others."""
    for item in run.items:
        if item.status is ItemStatus.PIN_WRONG:
            item.status, item.code = ItemStatus.FAILED, ErrorCode.PIN_INVALID
            item.message = "wrong PIN; the customer stopped typing it"
    return run


def retry(core: CoreBanking, run: BundleRun, pin_block: PinBlock | None = None) -> BundleRun:
    """Resume a run: unknown items again with their keys, then the pending ones.

    Items that posted, failed or were skipped are left alone, so nothing is posted twice.
    """
    return execute(core, run, pin_block)


def _references(posting: Posting) -> list[tuple[str, int, str]]:
    """Every reference in a posting: (field, item number, output name)."""
    found = []
    for f in dataclasses.fields(posting):
        value = getattr(posting, f.name)
        if isinstance(value, str) and value.startswith("@"):
            match = _REFERENCE.fullmatch(value)
            if match is None:
                raise InvalidInput(
                    "{name}: {value!r} is not a reference like @item1.account_number",
                    f.name,
                    name=f.name,
                    value=value,
                )
            found.append((f.name, int(match[1]), match[2]))
    return found


def _prepare(run: BundleRun, item: ItemRun) -> Posting | None:
    """The posting with its references filled in, or None after marking the item skipped."""
    for number in sorted(item.depends_on):
        dependency = run.item(number)
        if dependency.status is not ItemStatus.POSTED:
            reason = dependency.code.value if dependency.code else dependency.status.value
            _skip(item, f"{dependency.name} did not post ({reason})")
            return None
    values: dict[str, Any] = {}  # field name → output value (all str fields)
    for name, number, output in _references(item.item.posting):
        dependency = run.item(number)
        if output not in dependency.outputs:
            _skip(item, f"{dependency.name} has no output {output}")
            return None
        values[name] = dependency.outputs[output]
    return dataclasses.replace(item.item.posting, **values) if values else item.item.posting


def _send(core: CoreBanking, item: ItemRun, posting: Posting, pin: PinBlock | None) -> None:
    item.attempts += 1
    item.status, item.code = ItemStatus.UNKNOWN, ErrorCode.TIMEOUT  # until the core answers
    item.message = "sent; no answer yet"
    try:
        result = core.post(posting, pin, item.key)
    except Exception as exc:
        item.message = f"the core adapter failed ({type(exc).__name__}); retry the bundle"
        raise
    _record(item, result)


def _pin_refused(run: BundleRun) -> ItemRun | None:
    """The item whose PIN was refused for good (limit reached, card locked), if any."""
    return next(
        (
            i
            for i in run.items
            if i.status is ItemStatus.FAILED and i.item.needs_pin and i.code in _PIN_REFUSALS
        ),
        None,
    )


def _record(item: ItemRun, result: PostingResult) -> None:
    item.status = {
        Outcome.POSTED: ItemStatus.POSTED,
        Outcome.FAILED: ItemStatus.FAILED,
        Outcome.UNKNOWN: ItemStatus.UNKNOWN,
    }[result.outcome]
    if item.item.needs_pin and result.code is ErrorCode.PIN_INVALID:
        item.status = ItemStatus.PIN_WRONG  # not recorded by the core: may be sent again
    item.code, item.message = result.code, result.message
    item.outputs, item.core_reference = result.outputs, result.core_reference
    item.replayed = result.replayed


def _skip(item: ItemRun, reason: str) -> None:
    item.status, item.code, item.message = ItemStatus.SKIPPED, None, reason


def _hold_after(run: BundleRun, held: ItemRun, why: str = "whose result is unknown") -> None:
    for item in run.items[held.number :]:
        if item.status is ItemStatus.PENDING:
            item.message = f"waiting for {held.name}, {why}"
