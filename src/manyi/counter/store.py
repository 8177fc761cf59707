"""Loading bundles and what every bundle use case shares: the items with their own type
versions, the teller's own bundle, audit entries, and the authorisation level (pure rules in
authorisation.py, applied to the stored items here).

Customer flags for authorisation: those the teller gave when opening the bundle (or the
card added, see `bundles.check_identity`), plus "elderly" when the customer is 65 or older
on the outlet's local day, known from the resident ID number on the form, which the ID
card read must match.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.counter import catalogue_store
from manyi.counter.access import Clerk, bundle_for
from manyi.counter.domain.authorisation_rules import (
    AuthorisationItem,
    AuthorisationRequest,
    Condition,
    authorisation_request,
)
from manyi.counter.domain.bundle_states import Action, next_state
from manyi.counter.domain.catalogue import TransactionType
from manyi.counter.domain.field_checks import amount_of
from manyi.counter.domain.identity_rules import reasons
from manyi.counter.domain.merge import MergedForm, merge
from manyi.counter.tables import CounterBundle, CounterBundleItem
from manyi.errors import Forbidden
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.personal import check_resident_id

__all__ = [
    "ELDERLY_AGE",
    "assess",
    "flags_of",
    "form_of",
    "identity_reasons",
    "items_of",
    "local_today",
    "move",
    "needs_identity",
    "own_bundle",
    "record",
    "types_of",
]

ELDERLY_AGE: Final = 65


def local_today(session: Session, bundle: CounterBundle, now: dt.datetime) -> dt.date:
    outlet = session.get_one(Unit, bundle.outlet_id)
    return now.astimezone(ZoneInfo(outlet.timezone)).date()


def items_of(session: Session, bundle: CounterBundle) -> list[CounterBundleItem]:
    return list(
        session.scalars(
            select(CounterBundleItem)
            .where(CounterBundleItem.bundle_id == bundle.id)
            .order_by(CounterBundleItem.number)
        )
    )


def types_of(session: Session, items: Sequence[CounterBundleItem]) -> list[TransactionType]:
    """Each item's own type version, not the catalogue's current one."""
    return catalogue_store.types_for(session, [(item.code, item.version) for item in items])


def form_of(session: Session, bundle: CounterBundle) -> MergedForm:
    return merge(types_of(session, items_of(session, bundle)))


def own_bundle(
    session: Session, teller: Clerk, reference: str, *, lock: bool = True
) -> CounterBundle:
    """A bundle the teller opened; another teller's is refused, one out of scope not found."""
    teller.need(Permission.COUNTER_OPERATE)
    bundle = bundle_for(session, teller, reference, lock=lock)
    if bundle.teller_id != teller.staff_id:
        raise Forbidden(
            "bundle {reference} is served by another teller",
            "bundle",
            error_code="not_your_bundle",
            reference=reference,
        )
    return bundle


def record(
    session: Session,
    clerk: Clerk,
    bundle: CounterBundle,
    action: str,
    now: dt.datetime,
    **summary: Any,
) -> None:
    audit.record(
        session,
        clerk.actor,
        entity_type="counter_bundle",
        entity_id=bundle.reference,
        action="counter.bundle." + action,
        summary={"state": bundle.state, **summary},
        unit_id=bundle.outlet_id,
        unit_path=bundle.outlet_path,
        now=now,
    )


def move(bundle: CounterBundle, action: Action) -> None:
    bundle.state = next_state(bundle.state, action).value


def _flags(bundle: CounterBundle, today: dt.date) -> frozenset[str]:
    flags = set(bundle.customer_flags)
    number = bundle.form_values.get("id_number")
    if number and bundle.form_values.get("id_type", "resident_id") == "resident_id":
        try:
            clean = check_resident_id(str(number), today)
        except ValueError:
            clean = ""
        if clean:
            born = dt.date(int(clean[6:10]), int(clean[10:12]), int(clean[12:14]))
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            if age >= ELDERLY_AGE:
                flags.add("elderly")
    return frozenset(flags)


def flags_of(session: Session, bundle: CounterBundle, now: dt.datetime) -> frozenset[str]:
    """The customer flags authorisation rules see: given, from the card, from the ID number."""
    return _flags(bundle, local_today(session, bundle, now))


def _label(number: int, tx: TransactionType, values: dict[str, Any]) -> str:
    amount = amount_of(values.get("amount"))
    money = f" {values.get('currency') or 'CNY'} {amount:,.2f}" if amount is not None else ""
    return f"{number}. {tx.names.zh} / {tx.names.en}{money}"


def assess(
    session: Session, bundle: CounterBundle, now: dt.datetime
) -> AuthorisationRequest | None:
    """The bundle's one authorisation request (level and every item), or None."""
    items = items_of(session, bundle)
    flags = _flags(bundle, local_today(session, bundle, now))
    lines = [
        AuthorisationItem(
            label=_label(item.number, tx, item.item_values),
            rules=tx.rules,
            amount=amount_of(item.item_values.get("amount")),
            currency=str(item.item_values.get("currency") or "CNY"),
            flags=flags,
            transaction_code=tx.code,
        )
        for item, tx in zip(items, types_of(session, items), strict=True)
    ]
    return authorisation_request(bundle.reference, lines)


def identity_reasons(
    session: Session, bundle: CounterBundle, now: dt.datetime
) -> list[tuple[int, tuple[Condition, ...]]]:
    """The items that need the customer's ID card read, with why: (item number, reasons).

    Computed from the current values and flags, so a correction of an amount or a flag the
    card read adds (elderly) changes it; `needs_identity` keeps the bundle's column in step.
    """
    items = items_of(session, bundle)
    flags = _flags(bundle, local_today(session, bundle, now))
    out = []
    for item, tx in zip(items, types_of(session, items), strict=True):
        values = item.item_values
        currency = str(values.get("currency") or "CNY")
        why = reasons(tx, amount_of(values.get("amount")), currency, flags)
        if why:
            out.append((item.number, why))
    return out


def needs_identity(session: Session, bundle: CounterBundle, now: dt.datetime) -> bool:
    """Whether the bundle needs the ID card read now; stored on the bundle as well."""
    bundle.identity_required = bool(identity_reasons(session, bundle, now))
    return bundle.identity_required
