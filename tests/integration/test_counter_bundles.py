"""Bundles at the counter: opened from the called ticket or the code, corrected and confirmed
again, the ID card checked, each step in its place."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from manyi.counter import bundles, queries, running, store
from manyi.counter.access import bundle_for
from manyi.counter.adapters.id_reader import NoCardOnReader
from manyi.counter.demo import id_card
from manyi.counter.prefill import FormInvalid
from manyi.counter.tables import (
    CounterBundle,
    CounterBundleItem,
    CounterBundleMeasure,
    CounterCorrection,
    CounterPrefill,
)
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.counter_helpers import (
    MINUTE,
    Sim,
    act,
    call_ticket,
    clerk,
    customer,
    open_bundle,
    submit,
)
from tests.lobby_helpers import T0


def withdraw_and_transfer(sim: Sim) -> dict[str, object]:
    return customer(sim, "zhang_wei") | {
        "item1.amount": "5000",
        "item1.currency": "CNY",
        "item2.amount": "800",
        "item2.currency": "CNY",
        "item2.payee_name": "刘洋",
        "item2.payee_account": sim.account("liu_yang"),
        "item2.payee_bank": "满意银行",
    }


def load(db: Database, reference: str) -> tuple[CounterBundle, list[CounterBundleItem]]:
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None
        return bundle, store.items_of(session, bundle)


def test_the_called_tickets_prefill_becomes_a_bundle(db: Database, sim: Sim) -> None:
    ticket_id, token = call_ticket(db, "teller.a", "A", T0)
    code = submit(db, ["withdraw", "transfer"], withdraw_and_transfer(sim), ticket_token=token)
    reference = open_bundle(db, "teller.a", None, T0 + 2 * MINUTE)
    bundle, items = load(db, reference)
    assert reference.startswith("BD20261130")
    assert bundle.ticket_id == ticket_id and bundle.called_at == T0 + MINUTE
    assert bundle.state == "draft" and bundle.teller_id is not None
    assert [(i.number, i.code, i.version, i.needs_pin) for i in items] == [
        (1, "withdraw", 1, True),
        (2, "transfer", 1, True),
    ]
    assert items[0].item_values["account_number"] == sim.card("zhang_wei")
    assert items[1].item_values["amount"] == "800"
    assert items[1].idempotency_key == f"{reference}:2"
    with db.session() as session:
        measure = session.get_one(CounterBundleMeasure, bundle.id)
        assert measure.items == 2 and measure.pin_entries_saved == 1
    # Opening again with the code gives the same bundle to the same teller…
    assert open_bundle(db, "teller.a", code, T0 + 3 * MINUTE) == reference
    # …and a conflict to another teller of the outlet; elsewhere the code does not exist.
    with pytest.raises(Conflict):
        open_bundle(db, "teller.a2", code, T0 + 3 * MINUTE)
    with pytest.raises(NotFound):
        open_bundle(db, "teller.b", code, T0 + 3 * MINUTE)


def test_without_a_code_or_a_called_ticket_there_is_nothing_to_open(db: Database, sim: Sim) -> None:
    with pytest.raises(NotFound):
        open_bundle(db, "teller.a", None)
    call_ticket(db, "teller.a", "A", T0)  # called, but the customer did not pre-fill
    with pytest.raises(NotFound):
        open_bundle(db, "teller.a", None, T0 + 2 * MINUTE)
    code = submit(db, ["withdraw", "transfer"], withdraw_and_transfer(sim))
    with pytest.raises(Forbidden):  # a supervisor does not serve bundles
        open_bundle(db, "sup.a", code)


def test_only_the_bundles_teller_works_on_it(db: Database, sim: Sim) -> None:
    reference = open_bundle(
        db,
        "teller.a",
        submit(
            db,
            ["withdraw"],
            customer(sim, "zhang_wei") | {"item1.amount": "100", "item1.currency": "CNY"},
        ),
    )
    with pytest.raises(Forbidden):
        act(db, "teller.a2", bundles.confirm_by_customer, reference, T0)
    with pytest.raises(NotFound):
        act(db, "teller.b", bundles.confirm_by_customer, reference, T0)
    with pytest.raises(NotFound):
        act(db, "teller.a", bundles.confirm_by_customer, "BD-nope", T0)


def test_a_correction_needs_the_customers_confirmation_again(db: Database, sim: Sim) -> None:
    code = submit(db, ["withdraw", "transfer"], withdraw_and_transfer(sim))
    reference = open_bundle(db, "teller.a", code)
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    sim.reader.place(id_card("zhang_wei"))
    act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    act(db, "teller.a", bundles.correct, reference, "item2.amount", "1,200", T0 + MINUTE)
    bundle, items = load(db, reference)
    assert bundle.state == "draft"
    assert bundle.confirmed_at is None and bundle.id_checked_at is None
    assert bundle.form_values["item2.amount"] == "1200" and items[1].item_values["amount"] == "1200"
    with db.session() as session:
        [row] = session.scalars(select(CounterCorrection))
        assert (row.field, row.old_value, row.new_value, row.confirmed_at) == (
            "item2.amount",
            "800",
            "1200",
            None,
        )
    # Not runnable until the customer confirms again; then it runs with the new amount.
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert refused.value.error_code == "bundle_state"
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0 + 2 * MINUTE)
    with db.session() as session:
        [row] = session.scalars(select(CounterCorrection))
        assert row.confirmed_at == T0 + 2 * MINUTE
    payee = sim.balance(sim.account("liu_yang"))
    sim.pad.customer_types("123456")
    act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert float(sim.balance(sim.account("liu_yang"))) == float(payee) + 1200


def test_a_bad_correction_changes_nothing(db: Database, sim: Sim) -> None:
    reference = open_bundle(
        db, "teller.a", submit(db, ["withdraw", "transfer"], withdraw_and_transfer(sim))
    )
    with pytest.raises(FormInvalid) as refused:
        act(db, "teller.a", bundles.correct, reference, "id_number", "330106198503120318", T0)
    assert refused.value.field == "id_number"
    with pytest.raises(InvalidInput):
        act(db, "teller.a", bundles.correct, reference, "item3.amount", "1", T0)
    with pytest.raises(FormInvalid):  # a required value cannot be removed
        act(db, "teller.a", bundles.correct, reference, "item1.amount", "", T0)
    bundle, _ = load(db, reference)
    assert bundle.form_values["id_number"] == "330106198503120319"
    assert bundle.form_values["item1.amount"] == "5000"
    # The same value again is no correction.
    act(db, "teller.a", bundles.correct, reference, "item1.amount", "5,000", T0)
    with db.session() as session:
        assert session.scalars(select(CounterCorrection)).all() == []


def test_the_id_card_must_be_the_bundles(db: Database, sim: Sim) -> None:
    reference = open_bundle(
        db,
        "teller.a",
        submit(
            db,
            ["card_loss"],
            customer(sim, "zhang_wei")
            | {
                "mobile": "13812345678",
                "card_number": sim.card("zhang_wei"),
                "item1.loss_reason": "lost",
            }
            | {"account_number": None},
        ),
    )
    with pytest.raises(Conflict):  # the customer has not confirmed yet
        act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    with pytest.raises(NoCardOnReader):
        act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    sim.reader.place(id_card("wang_fang"))
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    assert refused.value.error_code == "identity_mismatch"
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert refused.value.error_code == "identity_required"
    sim.reader.place(id_card("zhang_wei"))
    act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    bundle, _ = load(db, reference)
    assert bundle.state == "identity_checked" and bundle.id_checked_at == T0
    outcome = act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert outcome.bundle.state == "done" and not outcome.pin_entered
    assert sim.core.card(sim.card("zhang_wei")).status == "lost"


def test_an_elderly_customer_is_flagged_from_the_card(db: Database, sim: Sim) -> None:
    # 李秀英 was born in 1948: a withdrawal of any amount needs a supervisor.
    values = customer(sim, "li_xiuying") | {"item1.amount": "100", "item1.currency": "CNY"}
    reference = open_bundle(db, "teller.a", submit(db, ["withdraw"], values))
    with db.session() as session:
        request = bundles.required_authorisation(session, clerk(session, "teller.a"), reference, T0)
    assert request is not None and request.level.code == "supervisor"
    assert "customer elderly → supervisor" in request.lines[0].reasons
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    sim.reader.place(id_card("li_xiuying"))
    act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
    bundle, _ = load(db, reference)
    assert bundle.customer_flags == ["elderly"]


def test_a_cancelled_bundle_is_final(db: Database, sim: Sim) -> None:
    reference = open_bundle(
        db, "teller.a", submit(db, ["withdraw", "transfer"], withdraw_and_transfer(sim))
    )
    act(db, "teller.a", bundles.cancel, reference, T0, "customer changed their mind")
    with pytest.raises(Conflict):
        act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    with pytest.raises(Conflict):
        act(db, "teller.a", bundles.cancel, reference, T0)
    with db.session() as session:
        shown = queries.view(session, clerk(session, "head.a"), reference)
        assert shown.bundle.state == "cancelled" and shown.actions == frozenset()
        with pytest.raises(NotFound):
            bundle_for(session, clerk(session, "head.b"), reference)


def test_customer_flags_given_by_the_teller_must_be_known(db: Database, sim: Sim) -> None:
    code = submit(db, ["withdraw", "transfer"], withdraw_and_transfer(sim))
    with db.session() as session, pytest.raises(InvalidInput):
        bundles.open_bundle(
            session, clerk(session, "teller.a"), T0, code=code, customer_flags=["eldery"]
        )
    with db.session() as session:
        bundle = bundles.open_bundle(
            session, clerk(session, "teller.a"), T0, code=code, customer_flags=["high_risk"]
        )
        assert bundle.customer_flags == ["high_risk"]


def test_a_teller_fills_the_form_for_a_customer_who_did_not_prefill(db: Database, sim: Sim) -> None:
    values = customer(sim, "zhang_wei") | {"item1.amount": "300", "item1.currency": "CNY"}
    with db.session() as session:
        bundle = bundles.open_at_counter(
            session, clerk(session, "teller.a"), ["withdraw"], values, T0
        )
        reference = bundle.reference
        assert bundle.state == "draft" and bundle.prefill_id is not None
    with db.session() as session:
        prefilled = session.get_one(CounterPrefill, bundle.prefill_id)
        assert prefilled.channel == "counter"
    with db.session() as session, pytest.raises(Forbidden):
        bundles.open_at_counter(session, clerk(session, "sup.a"), ["withdraw"], values, T0)
    act(db, "teller.a", bundles.cancel, reference, T0)
    code = submit(db, ["withdraw"], values)
    cancelled = open_bundle(db, "teller.a", code)
    act(db, "teller.a", bundles.cancel, cancelled, T0)
    with pytest.raises(Conflict) as refused:  # a pre-fill opens one bundle
        open_bundle(db, "teller.a", code)
    assert refused.value.error_code == "prefill_used"


def test_reading_a_bundle_needs_a_counter_permission(db: Database, sim: Sim) -> None:
    reference = open_bundle(
        db, "teller.a", submit(db, ["withdraw", "transfer"], withdraw_and_transfer(sim))
    )
    with db.session() as session:
        assert queries.view(session, clerk(session, "sup.a"), reference).bundle.state == "draft"
        for who in ("manager.br.a",):
            with pytest.raises(Forbidden):
                bundles.required_authorisation(session, clerk(session, who), reference, T0)
            with pytest.raises(Forbidden):
                queries.view(session, clerk(session, who), reference)
