"""The counter away from the counter: a bundle opened on a home or hospital visit (特事特办).

The one entry point other features use (`counter.PUBLIC`): `open_away` opens a bundle for the
visiting teller with the transactions the catalogue allows away from the counter
(`domain.catalogue.check_away`), filled from the visit's request; the rest of the flow (ID check,
the customer's confirmation and signature, one authorisation, the e-voucher) is the counter's
own pages. `allowed_away` lists what may be offered on the tablet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.counter import bundles, catalogue_store, prefill
from manyi.counter.access import Clerk
from manyi.counter.domain.catalogue import check_away
from manyi.counter.tables import CounterBundle
from manyi.errors import InvalidInput
from manyi.org.tables import Staff

__all__ = ["AwayField", "allowed_away", "form_fields", "open_away", "signed"]


@dataclass(frozen=True)
class AwayField:
    """One field of the merged form, as a tablet page shows it."""

    key: str
    zh: str
    en: str
    required: bool
    options: tuple[tuple[str, str, str], ...]  # (value, zh, en) for a choice


def allowed_away(session: Session) -> list[tuple[str, str, str]]:
    """(code, zh name, en name) of the current types allowed away from the counter."""
    return [
        (tx.code, tx.names.zh, tx.names.en)
        for tx in catalogue_store.catalogue(session).latest()
        if tx.away_from_counter
    ]


def open_away(
    session: Session,
    staff_id: int,
    codes: Sequence[str],
    values: dict[str, Any],
    now: dt.datetime,
) -> str:
    """Open a bundle of `codes` for the visiting teller; returns its reference. A type the
    catalogue keeps at the counter is refused naming it, and nothing is stored."""
    if not codes:
        raise InvalidInput("choose at least one transaction", "codes")
    check_away(catalogue_store.latest_types(session, list(codes)))
    teller = Clerk.of(session.get_one(Staff, staff_id))
    return bundles.open_at_counter(session, teller, list(codes), values, now).reference


def form_fields(session: Session, codes: Sequence[str]) -> list[AwayField]:
    """The merged form's fields for these transactions (allowed away, else refused)."""
    check_away(catalogue_store.latest_types(session, list(codes)))
    form = prefill.merged_form(session, codes)
    return [
        AwayField(
            f.key,
            f.label.zh,
            f.label.en,
            f.required,
            tuple((str(o.value), o.names.zh, o.names.en) for o in f.options),
        )
        for f in form.fields
    ]


def signed(session: Session, reference: str) -> bool:
    """Whether the bundle was finished and signed by the customer (its e-voucher exists)."""
    bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
    return bundle is not None and bundle.signed_at is not None
