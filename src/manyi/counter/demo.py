"""The counter's part of the demo bank: the catalogue, and the simulated core's customers.

`seed(session)` stores the packaged catalogue (idempotently) and reports the demo customers
with the account and card numbers the simulated core gives them. The core is seeded with a
fixed seed (`registry.DEMO_CORE_SEED`), so the numbers are the same in every process: the
CLI can print them and the web server's core has them.

The demo bank's outlets serve these customers: the 中关村 tellers (zgc.teller1/2) open their
bundles, zgc.supervisor authorises locally, and bj.supervisor, at the Beijing branch, is the
remote authorisation centre for the Beijing outlets. `id_card(short)` is the card a
simulated reader holds for a customer; `form_values(short)` fills the customer section of
a merged form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.orm import Session

from manyi import audit
from manyi.counter import catalogue_store
from manyi.counter.adapters import registry
from manyi.counter.adapters.id_reader import IdCardData
from manyi.counter.adapters.simulated_core import DEMO_CUSTOMERS
from manyi.errors import InvalidInput

__all__ = [
    "DEMO_ACTOR",
    "CounterSeedReport",
    "DemoCustomer",
    "card_of_form",
    "form_values",
    "id_card",
    "seed",
]

DEMO_ACTOR: Final = audit.Actor(id=None, name="demo-seed")
_ADDRESS: Final = "浙江省杭州市西湖区文三路{n}号"


@dataclass(frozen=True)
class DemoCustomer:
    short: str
    name: str
    id_number: str
    account: str
    card: str
    pin: str  # demo only, printed on purpose like the demo password
    mobile: str
    frozen: bool
    mailed_card: str = ""  # a card sent by post, inactive until activated (激活银行卡)


@dataclass
class CounterSeedReport:
    types_added: int = 0
    customers: list[DemoCustomer] = field(default_factory=list)


def customers() -> list[DemoCustomer]:
    runtime = registry.current() if registry.current().demo_accounts else registry.simulated()
    accounts, mailed = runtime.demo_accounts, runtime.demo_mailed_cards
    out = []
    for short, (name, id_number, _balance, pin, options) in DEMO_CUSTOMERS.items():
        account, card = accounts[short]
        out.append(
            DemoCustomer(
                short,
                name,
                id_number,
                account,
                card,
                pin,
                options.get("mobile", ""),
                bool(options.get("frozen")),
                mailed.get(short, ""),
            )
        )
    return out


def seed(session: Session) -> CounterSeedReport:
    """Store the catalogue and name the demo customers; safe to run again."""
    return CounterSeedReport(
        types_added=catalogue_store.seed_catalogue(session, DEMO_ACTOR),
        customers=customers(),
    )


def _card(name: str, number: str, address: str, authority: str) -> IdCardData:
    """A second-generation ID card for `number`, issued in 2016 (valid for life when the
    holder was 46 or more then, else for 20 years)."""
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput("the ID number holds no valid birth date", "id_number") from None
    issued = dt.date(2016, born.month, min(born.day, 28))
    long_term = 2016 - born.year >= 46  # cards issued from 46 on are valid for life (长期)
    return IdCardData(
        name=name,
        id_number=number,
        sex="M" if number[16].isdigit() and int(number[16]) % 2 else "F",
        birth_date=born,
        address=address,
        issuing_authority=authority,
        valid_from=issued,
        valid_until=None if long_term else issued.replace(year=issued.year + 20),
    )


def id_card(short: str) -> IdCardData:
    """The second-generation ID card of a demo customer (for a simulated reader)."""
    name, number = DEMO_CUSTOMERS[short][0], DEMO_CUSTOMERS[short][1]
    address = _ADDRESS.format(n=10 + list(DEMO_CUSTOMERS).index(short))
    return _card(name, number, address, "杭州市公安局西湖分局")


def card_of_form(values: dict[str, Any]) -> IdCardData:
    """A card for whoever the form names: the simulated reader's stand-in for "the customer
    places their own ID card" (the chip's data are made from the form's name and number)."""
    number = str(values.get("id_number") or "").replace(" ", "").upper()
    if len(number) != 18:
        raise InvalidInput("the simulated reader needs an 18-digit resident ID number", "id_number")
    name, address = str(values.get("customer_name") or ""), str(values.get("address") or "")
    return _card(name, number, address, "模拟发证机关")


def form_values(short: str) -> dict[str, Any]:
    """The customer section of a merged form for a demo customer (the card as account)."""
    person = next(c for c in customers() if c.short == short)
    card = id_card(short)
    values: dict[str, Any] = {
        "customer_name": person.name,
        "id_type": "resident_id",
        "id_number": person.id_number,
        "account_number": person.card,
        "card_number": person.card,
        "address": card.address,
    }
    if person.mobile:
        values["mobile"] = person.mobile
    return values
