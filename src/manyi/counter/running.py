"""Running a bundle through the core with one PIN entry (一次输密).

`run` sends the bundle's items in order through the core-banking port (`execution`). When
any unfinished item needs the PIN, the customer types it **once** on the PIN pad; the
encrypted `PinBlock` exists only inside this call, in a ``with`` block that wipes it
however the run ends, and goes nowhere but `execution.execute`, which hands it to the
core adapter for each PIN item. It is never stored, logged or put in an error: the
per-item results stored are status, error code, message, core reference and outputs.
tests/integration/test_counter_pin_trace.py dumps the database and the logs after a run
and finds no trace of the PIN, the block or its clear format-0 form.

Retries. An item whose answer was lost (timeout, adapter error) leaves the bundle
*interrupted*; `run` on such a bundle resumes it with the same idempotency keys
("<reference>:<n>"), so the core answers an item it had applied from its record and never
posts it twice. A retry that still has PIN items to send asks for the PIN again (one more
entry, counted). Whether an "account or card" value is a card is decided once, on the first
run, and kept on the item (`payer`), so a retry sends exactly the same posting.

A wrong PIN leaves the bundle in *pin_retry*: the item posted nothing and the core did not
record it, so `run` again asks the customer for the PIN and sends the same item under the
same key — with the same authorisation and card read, since nothing can change in between.
The bundle keeps the count of wrong PINs of the visit (`wrong_pins`); at `pin_tries` (the
bank's `MANYI_COUNTER_PIN_TRIES`, 3) the item fails, as it does at once when the core
reports the card locked. A customer who does not know the PIN stops instead (`stop_pin`):
the item fails without another try against the card, the later PIN items are skipped and
the others run.

The bundle row stays locked (``SELECT … FOR UPDATE``) while the core is called, so a
double click cannot run a bundle twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.counter import measures, store
from manyi.counter.access import Clerk
from manyi.counter.adapters.core import CoreBanking, CoreQueryError, ErrorCode
from manyi.counter.adapters.pin_pad import PinPad
from manyi.counter.domain import postings
from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.bundle_states import BundleState, after_run, check_run
from manyi.counter.domain.execution import (
    DEFAULT_PIN_TRIES,
    BundleRun,
    ItemStatus,
    RunStatus,
    execute,
    plan_bundle,
    stop_pin_entry,
)
from manyi.counter.domain.merge import merge
from manyi.counter.tables import CounterAuthorisation, CounterBundle, CounterBundleItem
from manyi.errors import Conflict, ManyiError

__all__ = ["RunOutcome", "run"]

log = logging.getLogger(__name__)

PIN_PROMPT: Final = "请输入密码 / Please enter your PIN"


@dataclass(frozen=True)
class RunOutcome:
    bundle: CounterBundle
    status: RunStatus
    items: list[CounterBundleItem]
    pin_entered: bool
    adapter_error: str = ""  # the exception type when the core adapter raised


def _payer_lookup(core: CoreBanking) -> Callable[[str], bool]:
    """Whether a number is an account (True) or a card: the core answers balances of
    accounts only."""

    def is_account(number: str) -> bool:
        try:
            core.balance(number)
        except CoreQueryError as exc:
            if exc.code is ErrorCode.ACCOUNT_NOT_FOUND:
                return False
            raise Conflict(
                "the core banking system did not answer; try again",
                "core",
                error_code="core_unavailable",
            ) from None
        return True

    return is_account


def _plan(
    session: Session, bundle: CounterBundle, rows: list[CounterBundleItem], core: CoreBanking
) -> BundleRun:
    """The bundle's run, with each item's stored progress (a retry resumes it)."""
    lookup = _payer_lookup(core)

    def is_account(number: int, value: str) -> bool:
        row = rows[number - 1]
        if not row.payer:  # decided once, on the first run, and kept for every retry
            row.payer = "account" if lookup(value) else "card"
        return row.payer == "account"

    types = store.types_of(session, rows)
    items = postings.bundle_items(types, [row.item_values for row in rows], is_account)
    run = plan_bundle(bundle.reference, items)
    run.wrong_pins = bundle.wrong_pins or 0
    for item_run, row in zip(run.items, rows, strict=True):
        item_run.status = ItemStatus(row.status)
        item_run.code = ErrorCode(row.error_code) if row.error_code else None
        item_run.message = row.message
        item_run.outputs = dict(row.outputs)
        item_run.core_reference = row.core_reference
        item_run.attempts = row.attempts
        item_run.replayed = row.replayed
    return run


def _store(run: BundleRun, rows: list[CounterBundleItem]) -> None:
    for item_run, row in zip(run.items, rows, strict=True):
        row.status = item_run.status.value
        row.error_code = item_run.code.value if item_run.code else None
        row.message = item_run.message[:300]
        row.outputs = dict(item_run.outputs)
        row.core_reference = item_run.core_reference
        row.attempts = item_run.attempts
        row.replayed = item_run.replayed


def run(
    session: Session,
    teller: Clerk,
    reference: str,
    now: dt.datetime,
    *,
    pin_pad: PinPad,
    core: CoreBanking,
    pin_tries: int = DEFAULT_PIN_TRIES,
    stop_pin: bool = False,
) -> RunOutcome:
    """Run (or resume) the bundle; the customer types the PIN once if any item needs it
    (again after a wrong PIN, up to `pin_tries` entries in the visit)."""
    bundle = store.own_bundle(session, teller, reference)
    retry = bundle.state in (BundleState.INTERRUPTED.value, BundleState.PIN_RETRY.value)
    if stop_pin and bundle.state != BundleState.PIN_RETRY.value:
        raise Conflict(
            "only after a wrong PIN can the customer stop typing it",
            "pin",
            error_code="bundle_state",
        )
    request = store.assess(session, bundle, now)
    check_run(
        bundle.state,
        identity_required=store.needs_identity(session, bundle, now),
        identity_checked=bundle.id_checked_at is not None,
        level=request.level if request is not None else Level.NONE,
        retry=retry,
    )
    rows = store.items_of(session, bundle)
    plan = _plan(session, bundle, rows, core)
    plan.pin_tries = pin_tries
    pan = None if stop_pin else postings.pin_pan(plan)
    if stop_pin:
        stop_pin_entry(plan)
    adapter_error = ""
    attempts = [item.attempts for item in plan.items]
    # The one PIN entry (a cancelled entry raises here: nothing sent, nothing changed). The
    # block is wiped when the ``with`` ends, whatever happens inside.
    pin_block = None if pan is None else pin_pad.enter_pin(pan, PIN_PROMPT)
    with contextlib.ExitStack() as wiping:
        if pin_block is not None:
            wiping.enter_context(pin_block)
            bundle.pin_entries += 1
        try:
            execute(core, plan, pin_block)
        except ManyiError:
            raise
        except Exception as exc:  # the adapter failed mid-item: execute marked it UNKNOWN
            in_flight = [
                item
                for item, before in zip(plan.items, attempts, strict=True)
                if item.attempts > before and item.status is ItemStatus.UNKNOWN
            ]
            if not in_flight:
                raise
            adapter_error = type(exc).__name__
            log.warning("core adapter raised %s during bundle %s", adapter_error, reference)
    _store(plan, rows)
    bundle.wrong_pins = plan.wrong_pins
    status = plan.status
    bundle.state = after_run(status).value
    if bundle.state not in (BundleState.INTERRUPTED.value, BundleState.PIN_RETRY.value):
        bundle.finished_at = now
        requested = session.scalar(
            select(CounterAuthorisation.id).where(CounterAuthorisation.bundle_id == bundle.id)
        )
        types = store.types_of(session, rows)
        flags = store.flags_of(session, bundle, now)
        measures.finish(session, bundle, merge(types), flags, int(requested is not None), now)
    audit.record(
        session,
        teller.actor,
        entity_type="counter_bundle",
        entity_id=bundle.reference,
        action="counter.bundle." + ("stop_pin" if stop_pin else "retry" if retry else "run"),
        summary={
            "state": bundle.state,
            "items": [f"{r.number}:{r.status}:{r.error_code or ''}" for r in rows],
            "pin_entered": pan is not None,
            "wrong_pins": bundle.wrong_pins,
        },
        unit_id=bundle.outlet_id,
        unit_path=bundle.outlet_path,
        now=now,
    )
    return RunOutcome(bundle, status, rows, pan is not None, adapter_error)
