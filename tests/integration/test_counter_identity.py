"""The ID card where the money is: a cash withdrawal from the bank's threshold (50,000) and
every transaction of a flagged customer need the card read before authorisation and run."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from manyi.counter import authorisations, bundles, running
from manyi.counter.demo import id_card
from manyi.counter.tables import CounterBundle
from manyi.db import Database
from manyi.errors import Conflict
from tests.counter_helpers import MINUTE, Sim, act, clerk, customer, open_bundle, submit
from tests.lobby_helpers import T0


def withdrawal(sim: Sim, short: str, amount: str) -> dict[str, object]:
    return customer(sim, short) | {"item1.amount": amount, "item1.currency": "CNY"}


def row(db: Database, reference: str) -> CounterBundle:
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None
        session.expunge(bundle)
        return bundle


def test_a_large_cash_withdrawal_needs_the_card_before_authorisation_and_run(
    db: Database, sim: Sim
) -> None:
    code = submit(db, ["withdraw"], withdrawal(sim, "zhang_wei", "60000"))
    reference = open_bundle(db, "teller.a", code)
    assert row(db, reference).identity_required
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    assert refused.value.error_code == "identity_required"
    sim.pad.customer_types("123456")
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert refused.value.error_code == "identity_required"
    assert sim.core.journal == ()
    sim.reader.place(id_card("zhang_wei"))
    act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    request = act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    act(db, "sup.a", authorisations.approve, request.id, T0 + MINUTE)
    sim.pad.customer_types("123456")
    outcome = act(
        db, "teller.a", running.run, reference, T0 + MINUTE, pin_pad=sim.pad, core=sim.core
    )
    assert outcome.bundle.state == "done"


def test_the_threshold_follows_a_corrected_amount(db: Database, sim: Sim) -> None:
    reference = open_bundle(
        db, "teller.a", submit(db, ["withdraw"], withdrawal(sim, "zhang_wei", "49999.99"))
    )
    assert not row(db, reference).identity_required  # below 50,000: no card for a 38-year-old
    act(db, "teller.a", bundles.correct, reference, "item1.amount", "50000", T0)
    assert row(db, reference).identity_required
    act(db, "teller.a", bundles.correct, reference, "item1.amount", "500", T0)
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    sim.pad.customer_types("123456")
    outcome = act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert outcome.bundle.state == "done" and outcome.bundle.id_checked_at is None


def test_an_elderly_customers_small_withdrawal_needs_the_card(db: Database, sim: Sim) -> None:
    code = submit(db, ["withdraw"], withdrawal(sim, "li_xiuying", "100"))  # born 1948
    assert row(db, open_bundle(db, "teller.a", code)).identity_required


def test_a_flagged_customers_deposit_is_checked_by_the_name_on_the_card(
    db: Database, sim: Sim
) -> None:
    values = {
        "customer_name": "张伟",
        "account_number": sim.account("zhang_wei"),
        "item1.amount": "1000",
        "item1.currency": "CNY",
    }
    plain = open_bundle(db, "teller.a", submit(db, ["deposit"], values))
    assert not row(db, plain).identity_required
    code = submit(db, ["deposit"], values)
    with db.session() as session:
        teller = clerk(session, "teller.a")
        flagged = bundles.open_bundle(
            session, teller, T0, code=code, customer_flags=["high_risk"]
        ).reference
    assert row(db, flagged).identity_required
    act(db, "teller.a", bundles.confirm_by_customer, flagged, T0)
    sim.reader.place(id_card("li_xiuying"))  # someone else's card
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", bundles.check_identity, flagged, sim.reader, T0)
    assert refused.value.error_code == "identity_mismatch"
    sim.reader.place(id_card("zhang_wei"))
    act(db, "teller.a", bundles.check_identity, flagged, sim.reader, T0)
    assert row(db, flagged).state == "identity_checked"
