"""The work a lobby ticket brought to the counter, for teller workload (`manyi.workload`).

A ticket served with one or more bundles weighs the sum of the catalogue weights of the
transactions done on it (items skipped are left out; a bundle cancelled, rejected or never
confirmed adds nothing), each with the type version it was made with: an edited catalogue
leaves the weight of past work as it was. A ticket is difficult when one of those
transactions is of a type the catalogue marks difficult (a dispute, a loss report).
Tickets without a bundle are absent: the caller uses the service's default weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.counter import catalogue_store
from manyi.counter.tables import CounterBundle, CounterBundleItem

NOT_DONE = ("draft", "cancelled", "rejected")


@dataclass(frozen=True)
class TicketWork:
    weight: float
    difficult: bool
    transactions: int


def ticket_work(session: Session, ticket_ids: Sequence[int]) -> dict[int, TicketWork]:
    """{ticket id: its counter work} for the tickets served with a bundle."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(CounterBundle.ticket_id, CounterBundleItem.code, CounterBundleItem.version)
        .join(CounterBundleItem, CounterBundleItem.bundle_id == CounterBundle.id)
        .where(
            CounterBundle.ticket_id.in_(list(ticket_ids)),
            CounterBundle.state.not_in(NOT_DONE),
            CounterBundleItem.status != "skipped",
        )
    ).all()
    keys = {(code, version) for _, code, version in rows}
    types = {tx.key: tx for tx in catalogue_store.types_for(session, keys)}
    found: dict[int, TicketWork] = {}
    for ticket, code, version in rows:
        tx, ticket_id = types[(code, version)], int(ticket or 0)  # never None: filtered by id
        before = found.get(ticket_id, TicketWork(0.0, False, 0))
        found[ticket_id] = TicketWork(
            weight=round(before.weight + tx.weight, 3),
            difficult=before.difficult or tx.difficult,
            transactions=before.transactions + 1,
        )
    return found


def current_weights(session: Session) -> dict[str, float]:
    """{transaction code: the weight of its current catalogue version}; empty before the
    catalogue is stored (the demo weighs its lobby services by them)."""
    return {
        row.code: catalogue_store.type_of(row).weight
        for row in catalogue_store.latest_rows(session)
    }
