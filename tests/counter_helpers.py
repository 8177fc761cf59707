"""Shared set-up for the counter's tests; the `sim` fixture (tests/integration/conftest.py)
gives a test all of it.

The test bank of tests/bank.py, plus: the catalogue seeded, OUT-A's lobby configured (open
09:00–17:00 Beijing time), supervisors at OUT-A and OUT-B, two supervisors at BR-A (the
remote authorisation centre of OUT-A) and one at BR-B, a staff member at OUT-A who is both
teller and supervisor, and a simulated core with the demo customers, its PIN pad and ID-card
reader sharing one session key.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.counter import bundles, catalogue_store, prefill
from manyi.counter.access import Clerk, bundle_for
from manyi.counter.adapters.id_reader import SimulatedIdCardReader
from manyi.counter.adapters.pin_pad import SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import SimulatedCore
from manyi.counter.demo import id_card
from manyi.db import Database
from manyi.lobby import counters, service
from manyi.org.tables import Staff
from tests.conftest import SYSTEM, Bank, add_staff
from tests.lobby_helpers import T0, configure, operator

TODAY = dt.date(2026, 11, 30)  # T0 is 10:00 in Beijing on this day
MINUTE = dt.timedelta(minutes=1)

# Added to the bank from tests/bank.py's MORE_STAFF.
COUNTER_STAFF = ("sup.a", "sup.b", "centre.1", "centre.2", "centre.b", "dual.a", "teller.a2")


@dataclass
class Sim:
    """The simulated core and the devices of one counter station."""

    key: SessionKey
    core: SimulatedCore
    pad: SimulatedPinPad
    reader: SimulatedIdCardReader
    accounts: dict[str, tuple[str, str]]  # demo customer → (account, card)

    def card(self, short: str) -> str:
        return self.accounts[short][1]

    def account(self, short: str) -> str:
        return self.accounts[short][0]

    def balance(self, account: str) -> str:
        return str(self.core.balance(account).balance)


def make_sim(**faults: str) -> Sim:
    key = SessionKey.generate()
    plan = {int(call.removeprefix("call")): when for call, when in faults.items()}
    core = SimulatedCore(key, seed=7, faults=plan, today=lambda: TODAY)
    return Sim(key, core, SimulatedPinPad(key), SimulatedIdCardReader(), core.seed_demo())


def setup_counter(db: Database, bank: Bank) -> None:
    configure(db, bank.unit("OUT-A"))
    with db.session() as session:
        catalogue_store.seed_catalogue(session, SYSTEM, T0)
    add_staff(db, bank, *COUNTER_STAFF)


def clerk(session: Session, username: str) -> Clerk:
    staff = session.scalar(select(Staff).where(Staff.username == username))
    assert staff is not None, username
    return Clerk.of(staff)


def customer(sim: Sim, short: str, **extra: Any) -> dict[str, Any]:
    """The customer section of a merged form for a demo customer, paying by card."""
    card = id_card(short)
    values: dict[str, Any] = {
        "customer_name": card.name,
        "id_type": "resident_id",
        "id_number": card.id_number,
        "account_number": sim.card(short),
    }
    return values | extra


def four_items(sim: Sim, short: str, third: str = "30000") -> dict[str, object]:
    """Deposit, withdrawal, transfer and a water bill: three of them need the PIN."""
    return customer(sim, short) | {
        "item1.amount": "2000",
        "item1.currency": "CNY",
        "item2.amount": "500",
        "item2.currency": "CNY",
        "item3.amount": third,
        "item3.currency": "CNY",
        "item3.payee_name": "收款人",
        "item3.payee_account": sim.account("liu_yang" if short == "zhang_wei" else "zhang_wei"),
        "item3.payee_bank": "满意银行",
        "item4.amount": "88.50",
        "item4.currency": "CNY",
        "item4.bill_type": "water",
        "item4.bill_account": "W-20261130",
    }


FOUR = ["deposit", "withdraw", "transfer", "bill_pay"]


def submit(
    db: Database,
    codes: Sequence[str],
    values: Mapping[str, Any],
    at: dt.datetime = T0,
    *,
    outlet: str = "OUT-A",
    ticket_token: str | None = None,
) -> str:
    with db.session() as session:
        return prefill.submit_prefill(
            session, outlet, codes, values, at, ticket_token=ticket_token
        ).code


def open_bundle(db: Database, teller: str, code: str | None, at: dt.datetime = T0) -> str:
    with db.session() as session:
        return bundles.open_bundle(session, clerk(session, teller), at, code=code).reference


def act(db: Database, who: str, action: Any, *args: Any, **kw: Any) -> Any:
    """Run one use case as `who` in its own unit of work."""
    with db.session() as session:
        return action(session, clerk(session, who), *args, **kw)


def ready(
    db: Database,
    sim: Sim,
    short: str,
    codes: Sequence[str],
    values: Mapping[str, Any],
    at: dt.datetime = T0,
    teller: str = "teller.a",
) -> str:
    """Pre-fill, open, confirm and (when the card is needed) check the card: ready to run."""
    reference = open_bundle(db, teller, submit(db, codes, values, at), at)
    act(db, teller, bundles.confirm_by_customer, reference, at)
    with db.session() as session:
        bundle = bundle_for(session, clerk(session, teller), reference)
        needed = bundle.identity_required
    if needed:
        sim.reader.place(id_card(short))
        act(db, teller, bundles.check_identity, reference, sim.reader, at)
    return reference


def call_ticket(db: Database, teller: str, service_code: str, at: dt.datetime) -> tuple[int, str]:
    """Issue a ticket at OUT-A, sign the teller on counter 1 and call it: (id, public token)."""
    with db.session() as session:
        issued = service.issue_ticket(session, service.Operator.public(), "OUT-A", service_code, at)
        ticket_id, token = issued.ticket.id, issued.public_token
    with db.session() as session:
        counters.open_counter(session, operator(session, teller), "OUT-A", 1, at)
    with db.session() as session:
        called = counters.call_next(session, operator(session, teller), "OUT-A", 1, at + MINUTE)
        assert called.ticket is not None and called.ticket.id == ticket_id
    return ticket_id, token


def png(width: int = 120, height: int = 40) -> bytes:
    """A small valid PNG: a signature's stand-in (black stroke on white)."""
    rows = b""
    for y in range(height):
        line = bytearray(b"\xff" * width)
        if y == height // 2:
            line[10 : width - 10] = b"\x00" * (width - 20)
        rows += b"\x00" + bytes(line)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# An account opening on one form: account, card, mobile banking and a first deposit.
OPENING = ["open_account", "card_issue", "mobile_banking_signup", "deposit"]


def opening_values(**overrides: str) -> dict[str, str]:
    values = {
        "customer_name": "王淑芬",
        "id_type": "resident_id",
        "id_number": "11010519491231002X",
        "mobile": "138 1234 5678",
        "id_valid_until": "2099-12-31",
        "address": "北京市海淀区中关村大街27号",
        "occupation": "retired",
        "item1.account_type": "class_i",
        "item2.card_product": "standard",
        "item3.daily_limit": "5000",
        "item4.amount": "1,000",
        "item4.currency": "CNY",
    }
    return values | overrides
