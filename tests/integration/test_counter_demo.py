"""The counter's demo: the catalogue and the simulated core's customers, ready to serve."""

from __future__ import annotations

import pytest

from manyi import demo as bank_demo
from manyi.counter import demo, prefill
from manyi.counter.adapters import registry
from manyi.db import Database
from manyi.personal import resident_id_ok
from tests.lobby_helpers import T0


@pytest.fixture(autouse=True)
def fresh_runtime() -> None:
    registry.reset()


def test_seeding_is_idempotent_and_names_every_customer(db: Database) -> None:
    with db.session() as session:
        bank_demo.seed(session, password="Demo-pass-2026")
        first = demo.seed(session)
    with db.session() as session:
        again = demo.seed(session)
    assert first.types_added >= 12 and again.types_added == 0
    assert [c.short for c in first.customers] == [
        "zhang_wei",
        "li_xiuying",
        "wang_fang",
        "liu_yang",
    ]
    assert first.customers == again.customers  # the same numbers every time
    core = registry.current().core
    for person in first.customers:
        assert core.balance(person.account).account == person.account
        assert resident_id_ok(person.id_number)
        assert demo.id_card(person.short).id_number == person.id_number
    assert [c.frozen for c in first.customers] == [False, False, True, False]
    # Another process derives the same accounts from the same seed.
    assert registry.simulated().demo_accounts == registry.current().demo_accounts


def test_a_demo_customer_can_prefill_at_a_demo_outlet(db: Database) -> None:
    with db.session() as session:
        bank_demo.seed(session, password="Demo-pass-2026")
        demo.seed(session)
    values = {
        k: v
        for k, v in demo.form_values("zhang_wei").items()
        if k in ("customer_name", "id_type", "id_number", "account_number")
    }
    values |= {"item1.amount": "500", "item1.currency": "CNY"}
    with db.session() as session:
        made = prefill.submit_prefill(session, "BJ-HD-ZGC", ["withdraw"], values, T0)
    assert len(made.code) == 8


def test_the_runtime_gives_each_station_its_own_devices() -> None:
    current = registry.current()
    assert current.name == "simulated"
    assert current.pin_pad("ZGC/1") is current.pin_pad("ZGC/1")
    assert current.pin_pad("ZGC/1") is not current.pin_pad("ZGC/2")
    assert current.id_reader("ZGC/1") is not current.id_reader("ZGC/2")
    with pytest.raises(ValueError):
        registry.build("mainframe")
    mine = registry.use(registry.build("simulated"))
    assert registry.current() is mine
    registry.reset()
    assert registry.current() is not mine
