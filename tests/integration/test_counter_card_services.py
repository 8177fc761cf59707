"""The two card services a visit asks for (issue 20): activating a card sent by post and
resetting a card's PIN, run through the counter (pre-fill, open, confirmation, ID card,
authorisation, one PIN entry on the pad, the simulated core)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from manyi.counter import authorisations, demo, running, store, voucher
from manyi.counter.adapters import registry
from manyi.counter.adapters.core import Posting, PostingKind
from manyi.counter.adapters.simulated_core import SimulatedCore
from manyi.counter.prefill import FormInvalid
from manyi.counter.tables import CounterBundle, CounterBundleItem
from manyi.db import Database
from manyi.errors import Conflict
from tests.counter_helpers import MINUTE, Sim, act, customer, ready, submit
from tests.lobby_helpers import T0


def items(db: Database, reference: str) -> list[CounterBundleItem]:
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None
        return store.items_of(session, bundle)


def run(db: Database, sim: Sim, reference: str) -> running.RunOutcome:
    outcome: running.RunOutcome = act(
        db, "teller.a", running.run, reference, T0 + 5 * MINUTE, pin_pad=sim.pad, core=sim.core
    )
    return outcome


def card_values(sim: Sim, short: str, card: str, **items: str) -> dict[str, object]:
    values = customer(sim, short) | {"card_number": card}
    del values["account_number"]
    return values | items


def test_a_card_sent_by_post_is_activated_with_the_pin_chosen_on_the_pad(
    db: Database, sim: Sim
) -> None:
    new = sim.core.mail_card(sim.account("zhang_wei"))
    reference = ready(db, sim, "zhang_wei", ["card_activate"], card_values(sim, "zhang_wei", new))
    with pytest.raises(Conflict):  # no authorisation is needed, so none can be asked
        act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    sim.pad.customer_types("975310")  # the PIN the customer chooses for the new card
    outcome = run(db, sim, reference)
    assert outcome.bundle.state == "done" and sim.pad.entries == 1
    (item,) = items(db, reference)
    assert (item.status, item.outputs) == ("posted", {"card_status": "active"})
    assert sim.core.card(new).status == "active"
    with db.session() as session:
        bundle = session.scalars(
            select(CounterBundle).where(CounterBundle.reference == reference)
        ).one()
        assert "卡片状态：正常使用" in voucher._details(store.items_of(session, bundle)[0], "zh-CN")
    # The card now works with that PIN.
    sim.pad.customer_types("975310")
    block = sim.pad.enter_pin(new, "PIN")
    withdraw = Posting(PostingKind.WITHDRAW, card=new, amount=Decimal("10"))
    assert sim.core.post(withdraw, block, "after-activation").posted


def test_a_forgotten_pin_is_reset_with_the_supervisors_authorisation(
    db: Database, sim: Sim
) -> None:
    card = sim.card("li_xiuying")
    values = card_values(sim, "li_xiuying", card, **{"item1.reset_reason": "forgotten"})
    reference = ready(db, sim, "li_xiuying", ["password_reset"], values)
    sim.pad.customer_types("864200")
    with pytest.raises(Conflict):  # not without the supervisor
        run(db, sim, reference)
    assert sim.core.journal == ()
    request = act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    act(db, "sup.a", authorisations.approve, request.id, T0 + MINUTE)
    outcome = run(db, sim, reference)
    assert outcome.bundle.state == "done"
    (item,) = items(db, reference)
    assert item.status == "posted" and item.outputs == {"card_status": "active"}
    # The old PIN no longer opens the card; the new one does.
    assert sim.core.card(card).pin_digest
    sim.pad.customer_types("246810")
    old = sim.pad.enter_pin(card, "PIN")
    probe = Posting(PostingKind.CHANGE_MOBILE, card=card, mobile="13957112345")
    assert sim.core.post(probe, old, "old-pin").code == "pin_invalid"
    sim.pad.customer_types("864200")
    assert sim.core.post(probe, sim.pad.enter_pin(card, "PIN"), "new-pin").posted


def test_a_reset_refuses_a_bad_reason_and_another_customers_card(db: Database, sim: Sim) -> None:
    card = sim.card("li_xiuying")
    with pytest.raises(FormInvalid) as refused:
        submit(
            db,
            ["password_reset"],
            card_values(sim, "li_xiuying", card, **{"item1.reset_reason": "guessed"}),
        )
    assert "item1.reset_reason" in {p.field for p in refused.value.problems}
    # Zhang Wei's ID card with Li Xiuying's card number: the core refuses, nothing changes.
    values = card_values(sim, "zhang_wei", card, **{"item1.reset_reason": "locked"})
    reference = ready(db, sim, "zhang_wei", ["password_reset"], values)
    request = act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    act(db, "sup.a", authorisations.approve, request.id, T0 + MINUTE)
    sim.pad.customer_types("864200")
    run(db, sim, reference)
    (item,) = items(db, reference)
    assert (item.status, item.error_code) == ("failed", "rejected")
    assert sim.core.journal == ()


def test_the_demo_has_a_card_sent_by_post_to_activate() -> None:
    registry.reset()
    try:
        li = next(c for c in demo.customers() if c.short == "li_xiuying")
        core = registry.current().core
        assert li.mailed_card and li.mailed_card != li.card
        assert isinstance(core, SimulatedCore) and core.card(li.mailed_card).status == "inactive"
        # The other numbers did not move: another process derives the same ones.
        again = registry.simulated()
        assert again.demo_accounts == registry.current().demo_accounts
        assert again.demo_mailed_cards == {"li_xiuying": li.mailed_card}
    finally:
        registry.reset()
