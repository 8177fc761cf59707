"""Bundles at the counter: open from a pre-fill, correct, confirm, check identity, cancel.

A bundle is opened by the teller of the outlet the pre-fill was made for, either from the
ticket they just called (the pre-fill linked to its public token) or from the code the
customer shows. Each item keeps the (code, version) of its transaction type and its own
values (`MergedForm.split`), so a later catalogue edit changes nothing for it.

Only the teller who opened a bundle acts on it; their outlet's supervisors and the remote
centre authorise it (authorise.py). Every change writes an audit event; values, which are
personal data, are kept in the bundle and its corrections, never in the audit summary.

Loading, the teller's own bundle, audit entries and the authorisation level are in
bundle_store.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.counter import catalogue_store, measures
from manyi.counter.access import Clerk, bundle_for
from manyi.counter.adapters.id_reader import IdCardReader
from manyi.counter.domain.authorisation_rules import (
    CUSTOMER_FLAGS,
    AuthorisationRequest,
)
from manyi.counter.domain.bundle_states import FINAL, Action, BundleState, next_state
from manyi.counter.domain.execution import idempotency_key
from manyi.counter.domain.field_checks import compact
from manyi.counter.domain.merge import merge
from manyi.counter.prefill import clean_values, find_prefill, submit_prefill
from manyi.counter.queries import (
    current_ticket,
)
from manyi.counter.store import (
    ELDERLY_AGE,
    assess,
    flags_of,
    form_of,
    items_of,
    local_today,
    move,
    needs_identity,
    own_bundle,
    record,
    types_of,
)
from manyi.counter.tables import (
    CounterAuthorisation,
    CounterBundle,
    CounterBundleItem,
    CounterCorrection,
    CounterPrefill,
)
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.lobby.tables import LobbyTicket
from manyi.org.model import Permission
from manyi.org.tables import Unit
from manyi.personal import mask_id

__all__ = [
    "cancel",
    "check_identity",
    "confirm_by_customer",
    "correct",
    "open_at_counter",
    "open_bundle",
    "required_authorisation",
]


# --- opening --------------------------------------------------------------------------


def _prefill_of_ticket(session: Session, ticket: LobbyTicket, now: dt.datetime) -> CounterPrefill:
    prefill = session.scalar(
        select(CounterPrefill)
        .where(
            CounterPrefill.ticket_token == ticket.public_token,
            CounterPrefill.outlet_id == ticket.outlet_id,
            CounterPrefill.expires_at > now,
        )
        .order_by(CounterPrefill.id.desc())
        .limit(1)
    )
    if prefill is None:
        raise NotFound(
            "ticket {number} has no pre-fill: scan or type the customer's code",
            "ticket",
            number=ticket.number,
        )
    return prefill


def _given_flags(flags: Collection[str]) -> list[str]:
    unknown = sorted(set(flags) - CUSTOMER_FLAGS)
    if unknown:
        raise InvalidInput("unknown customer flag {flag}", "customer_flags", flag=unknown[0])
    return sorted(set(flags))


def open_bundle(
    session: Session,
    teller: Clerk,
    now: dt.datetime,
    *,
    code: str | None = None,
    customer_flags: Collection[str] = (),
) -> CounterBundle:
    """Open the bundle of a pre-fill: by its code, else from the teller's called ticket.

    Opening the same pre-fill again returns the teller's bundle; another teller gets a
    conflict. The ticket being served, when there is one, is linked to the bundle (its
    call time starts the bundle's service time).
    """
    teller.need(Permission.COUNTER_OPERATE)
    if not teller.at_outlet:
        raise Forbidden("only a teller at an outlet serves bundles", "bundle")
    ticket = current_ticket(session, teller)
    if code is not None:
        prefill = find_prefill(session, code, now, outlet_id=teller.unit_id)
    elif ticket is not None:
        prefill = _prefill_of_ticket(session, ticket, now)
    else:
        raise NotFound("call a ticket or give the customer's pre-fill code", "code")
    existing = session.scalar(select(CounterBundle).where(CounterBundle.prefill_id == prefill.id))
    if existing is not None:
        if existing.teller_id == teller.staff_id and BundleState(existing.state) not in FINAL:
            return existing
        raise Conflict("this pre-fill was used already", "code", error_code="prefill_used")
    outlet = session.get_one(Unit, prefill.outlet_id)
    types = catalogue_store.types_for(session, [(i["code"], i["version"]) for i in prefill.items])
    form = merge(types)
    values = dict(prefill.form_values)
    bundle = CounterBundle(
        reference=f"tmp-{prefill.id}",
        outlet_id=outlet.id,
        outlet_path=outlet.path,
        teller_id=teller.staff_id,
        prefill_id=prefill.id,
        ticket_id=ticket.id if ticket is not None else None,
        state=BundleState.DRAFT.value,
        form_values=values,
        customer_flags=_given_flags(customer_flags),
        identity_required=False,  # known once the items are stored, below
        opened_at=now,
        called_at=ticket.last_called_at if ticket is not None else None,
        pin_entries=0,
    )
    session.add(bundle)
    session.flush()
    local_day = now.astimezone(ZoneInfo(outlet.timezone)).date()
    bundle.reference = f"BD{local_day:%Y%m%d}{bundle.id:08d}"
    for number, (tx, item_values) in enumerate(zip(types, form.split(values), strict=True), 1):
        session.add(
            CounterBundleItem(
                bundle_id=bundle.id,
                number=number,
                code=tx.code,
                version=tx.version,
                item_values=item_values,
                needs_pin=tx.needs_pin,
                idempotency_key=idempotency_key(bundle.reference, number),
                status="pending",
            )
        )
    session.flush()
    needs_identity(session, bundle, now)
    measures.baseline(session, bundle, form, local_day, flags_of(session, bundle, now))
    record(
        session,
        teller,
        bundle,
        "open",
        now,
        transactions=[f"{tx.code} v{tx.version}" for tx in types],
        ticket=ticket.number if ticket is not None else None,
    )
    return bundle


def open_at_counter(
    session: Session,
    teller: Clerk,
    codes: Sequence[str],
    values: dict[str, Any],
    now: dt.datetime,
    *,
    customer_flags: Collection[str] = (),
) -> CounterBundle:
    """For a customer who did not pre-fill: the teller fills the merged form at the counter
    (checked like a pre-fill, stored with channel "counter") and opens its bundle."""
    teller.need(Permission.COUNTER_OPERATE)
    if not teller.at_outlet:
        raise Forbidden("only a teller at an outlet serves bundles", "bundle")
    outlet = session.get_one(Unit, teller.unit_id)
    made = submit_prefill(
        session, outlet.code, codes, values, now, channel="counter", actor=teller.actor
    )
    return open_bundle(session, teller, now, code=made.code, customer_flags=customer_flags)


# --- correcting and confirming ----------------------------------------------------------


def correct(
    session: Session, teller: Clerk, reference: str, key: str, value: Any, now: dt.datetime
) -> CounterBundle:
    """Change one value of the merged form (key as on the form: "mobile", "item2.amount").

    The bundle goes back to draft: the customer confirms again and the card is read again.
    """
    bundle = own_bundle(session, teller, reference)
    next_state(bundle.state, Action.CORRECT)
    items = items_of(session, bundle)
    form = merge(types_of(session, items))
    try:
        form.field(key)
    except KeyError:
        raise InvalidInput("the form has no field {name}", key, name=key) from None
    old = bundle.form_values.get(key)
    wanted = dict(bundle.form_values)
    if value in (None, ""):
        wanted.pop(key, None)
    else:
        wanted[key] = value
    clean = clean_values(form, wanted, local_today(session, bundle, now))
    if clean.get(key) == old:
        return bundle
    bundle.form_values = clean
    for item, item_values in zip(items, form.split(clean), strict=True):
        item.item_values = item_values
    session.add(
        CounterCorrection(
            bundle_id=bundle.id,
            field=key,
            old_value=old,
            new_value=clean.get(key),
            staff_id=teller.staff_id,
            at=now,
        )
    )
    move(bundle, Action.CORRECT)
    bundle.confirmed_at = None
    bundle.id_checked_at = None
    session.flush()
    needs_identity(session, bundle, now)  # an amount may have crossed a threshold
    record(session, teller, bundle, "correct", now, field=key)
    return bundle


def confirm_by_customer(
    session: Session, teller: Clerk, reference: str, now: dt.datetime
) -> CounterBundle:
    """The customer confirms every value on the counter's customer screen.

    The values are checked again against the items' own type versions (a date may have
    passed since the pre-fill), so a bundle made on v1 is still checked with v1.
    """
    bundle = own_bundle(session, teller, reference)
    next_state(bundle.state, Action.CONFIRM)
    form = form_of(session, bundle)
    bundle.form_values = clean_values(form, bundle.form_values, local_today(session, bundle, now))
    move(bundle, Action.CONFIRM)
    bundle.confirmed_at = now
    pending = select(CounterCorrection).where(
        CounterCorrection.bundle_id == bundle.id, CounterCorrection.confirmed_at.is_(None)
    )
    for correction in session.scalars(pending):
        correction.confirmed_at = now
    record(session, teller, bundle, "confirm", now)
    return bundle


# --- identity -----------------------------------------------------------------------------


def check_identity(
    session: Session, teller: Clerk, reference: str, reader: IdCardReader, now: dt.datetime
) -> CounterBundle:
    """Read the customer's ID card: its number must be the bundle's and it must be valid.

    A form without an ID number (a cash deposit asks none) is checked by the name on the
    card instead. A customer of 65 or more is flagged "elderly" from the card
    (authorisation and identity rules use it).
    """
    bundle = own_bundle(session, teller, reference)
    next_state(bundle.state, Action.CHECK_IDENTITY)
    number = bundle.form_values.get("id_number")
    name = str(bundle.form_values.get("customer_name") or "")
    if not number and not name.strip():
        raise Conflict(
            "the form has no ID number to check the card against",
            "id_number",
            error_code="no_id_number",
        )
    card = reader.read()
    today = local_today(session, bundle, now)
    matches = (
        card.id_number == compact(str(number))
        if number
        else "".join(card.name.split()) == "".join(name.split())
    )
    if not matches:
        raise Conflict(
            "the ID card does not match the form's ID number",
            "id_number",
            error_code="identity_mismatch",
        )
    if not card.valid_on(today):
        raise Conflict("the ID card is not valid today", "id_card", error_code="id_card_expired")
    if card.age_on(today) >= ELDERLY_AGE and "elderly" not in bundle.customer_flags:
        bundle.customer_flags = sorted({*bundle.customer_flags, "elderly"})
    move(bundle, Action.CHECK_IDENTITY)
    bundle.id_checked_at = now
    needs_identity(session, bundle, now)
    record(session, teller, bundle, "check_identity", now, id_number=mask_id(card.id_number))
    return bundle


# --- authorisation level -------------------------------------------------------------------


def required_authorisation(
    session: Session, clerk: Clerk, reference: str, now: dt.datetime
) -> AuthorisationRequest | None:
    """What the bundle needs: the max level over its items, or None when nothing."""
    clerk.need_any(Permission.COUNTER_OPERATE, Permission.COUNTER_VIEW)
    return assess(session, bundle_for(session, clerk, reference), now)


# --- cancelling ------------------------------------------------------------------


def cancel(
    session: Session, teller: Clerk, reference: str, now: dt.datetime, reason: str = ""
) -> CounterBundle:
    """Give a bundle up before anything ran; a pending authorisation request is withdrawn."""
    bundle = own_bundle(session, teller, reference)
    move(bundle, Action.CANCEL)
    request = session.scalar(
        select(CounterAuthorisation).where(CounterAuthorisation.bundle_id == bundle.id)
    )
    if request is not None and request.state in ("pending", "claimed"):
        request.state = "withdrawn"
    record(session, teller, bundle, "cancel", now, reason=reason.strip()[:200])
    return bundle
