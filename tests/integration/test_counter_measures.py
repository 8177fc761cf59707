"""What bundles save, per bundle and per outlet and day."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.counter import bundles, measures, running
from manyi.counter.access import bundle_for
from manyi.counter.tables import CounterBundleMeasure
from manyi.db import Database
from manyi.errors import Forbidden, NotFound
from tests.conftest import Bank
from tests.counter_helpers import (
    MINUTE,
    TODAY,
    Sim,
    act,
    call_ticket,
    clerk,
    customer,
    open_bundle,
    ready,
    submit,
)
from tests.lobby_helpers import T0


def three(sim: Sim) -> dict[str, object]:
    """Withdrawal, transfer and bill payment for 张伟: three PIN items, one shared account."""
    return customer(sim, "zhang_wei") | {
        "item1.amount": "1000",
        "item1.currency": "CNY",
        "item2.amount": "500",
        "item2.currency": "CNY",
        "item2.payee_name": "刘洋",
        "item2.payee_account": sim.account("liu_yang"),
        "item2.payee_bank": "满意银行",
        "item3.amount": "60",
        "item3.currency": "CNY",
        "item3.bill_type": "gas",
        "item3.bill_account": "G123456",
    }


def outlet_figures(db: Database, bank: Bank, who: str = "head.a") -> measures.OutletMeasures:
    with db.session() as session:
        return measures.outlet_measures(session, clerk(session, who), bank.unit("OUT-A"), TODAY)


def test_a_bundle_records_what_it_saved_and_how_long_it_took(
    db: Database, sim: Sim, bank: Bank
) -> None:
    _, token = call_ticket(db, "teller.a", "A", T0)  # called at T0 + 1 minute
    submit(db, ["withdraw", "transfer", "bill_pay"], three(sim), ticket_token=token)
    reference = open_bundle(db, "teller.a", None, T0 + 2 * MINUTE)
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0 + 3 * MINUTE)
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, reference, T0 + 7 * MINUTE, pin_pad=sim.pad, core=sim.core)
    with db.session() as session:
        bundle = bundle_for(session, clerk(session, "teller.a"), reference)
        row = session.get_one(CounterBundleMeasure, bundle.id)
    # Separate forms: withdraw 7 + transfer 11 + bill_pay 6 fields = 24.
    assert (row.items, row.fields_separately) == (3, 24)
    assert row.fields_merged < row.fields_separately
    # Written once on the merged form: name, ID type and number, account (4) + 11 item values;
    # on separate forms the shared ones again on each form that asks them: the withdrawal 4 + 2,
    # the transfer 4 + 5, the bill 2 (name, account) + 4.
    assert row.values_filled == 15
    assert row.values_separately == 6 + 9 + 6
    assert (row.pin_entries_saved, row.pin_entries) == (2, 1)
    assert (row.authorisations_saved, row.authorisations, row.level) == (0, 0, "none")
    assert row.called_at == T0 + MINUTE and row.finished_at == T0 + 7 * MINUTE
    assert row.duration_s == 6 * 60


def test_the_outlet_card_adds_up_the_days_bundles(db: Database, sim: Sim, bank: Bank) -> None:
    first = ready(db, sim, "zhang_wei", ["withdraw", "transfer", "bill_pay"], three(sim))
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, first, T0 + 10 * MINUTE, pin_pad=sim.pad, core=sim.core)
    values = customer(sim, "zhang_wei") | {"item1.amount": "20", "item1.currency": "CNY"}
    second = ready(db, sim, "zhang_wei", ["withdraw"], values, T0 + 20 * MINUTE)
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, second, T0 + 24 * MINUTE, pin_pad=sim.pad, core=sim.core)
    cancelled = ready(db, sim, "zhang_wei", ["withdraw"], values, T0 + 30 * MINUTE)
    act(db, "teller.a", bundles.cancel, cancelled, T0 + 31 * MINUTE)
    card = outlet_figures(db, bank)
    assert (card.bundles, card.finished, card.items) == (2, 2, 4)
    assert card.fields_separately == 24 + 7
    assert card.fields_saved_percent > 0 and card.values_saved_percent > 0
    assert (card.pin_entries_saved, card.pin_entries_taken) == (2, 2)
    assert card.median_duration_s == (10 * 60 + 4 * 60) // 2
    assert card.mean_duration_s == 7 * 60
    assert outlet_figures(db, bank, "teller.a").bundles == 2
    with pytest.raises(NotFound):  # outside the persona's scope
        outlet_figures(db, bank, "head.b")
    with pytest.raises(Forbidden):
        outlet_figures(db, bank, "manager.br.a")
    with db.session() as session:
        other_day = measures.outlet_measures(
            session, clerk(session, "head.a"), bank.unit("OUT-A"), TODAY + dt.timedelta(days=1)
        )
    assert other_day.bundles == 0 and other_day.median_duration_s is None
