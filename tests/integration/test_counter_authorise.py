"""One authorisation per bundle: the level over every item, one request, who may decide,
and the remote centre's queue claimed atomically."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from manyi.counter import authorisations, bundles, running
from manyi.counter.tables import CounterAuthorisation, CounterBundle
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.org import staff as staff_service
from manyi.org.model import Role
from tests.conftest import PASSWORD, SYSTEM, Bank
from tests.counter_helpers import (
    MINUTE,
    Sim,
    act,
    clerk,
    customer,
    ready,
)
from tests.lobby_helpers import T0


def withdrawal(sim: Sim, amount: str, short: str = "zhang_wei") -> dict[str, object]:
    return customer(sim, short) | {"item1.amount": amount, "item1.currency": "CNY"}


def three_items(sim: Sim, transfer: str) -> dict[str, object]:
    return customer(sim, "li_xiuying") | {
        "item1.amount": "1000",
        "item1.currency": "CNY",
        "item2.amount": "60000",
        "item2.currency": "CNY",
        "item3.amount": transfer,
        "item3.currency": "CNY",
        "item3.payee_name": "张伟",
        "item3.payee_account": sim.account("zhang_wei"),
        "item3.payee_bank": "满意银行",
    }


def level(db: Database, reference: str) -> str:
    with db.session() as session:
        request = bundles.required_authorisation(session, clerk(session, "teller.a"), reference, T0)
    return "none" if request is None else request.level.code


def request(db: Database, reference: str, teller: str = "teller.a") -> int:
    row = act(db, teller, authorisations.request_authorisation, reference, T0 + MINUTE)
    return int(row.id)


def state(db: Database, reference: str) -> str:
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None
        return bundle.state


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("49999.99", "none"),
        ("50000", "supervisor"),
        ("199999.99", "supervisor"),
        ("200000", "remote"),
    ],
)
def test_the_level_follows_the_amount_at_the_boundaries(
    db: Database, sim: Sim, amount: str, expected: str
) -> None:
    reference = ready(db, sim, "zhang_wei", ["withdraw"], withdrawal(sim, amount))
    assert level(db, reference) == expected


def test_a_bundle_asks_once_at_the_highest_level_listing_every_item(db: Database, sim: Sim) -> None:
    values = three_items(sim, "250000")
    # 李秀英 is elderly: every item of hers needs a supervisor, the large transfer the centre.
    reference = ready(db, sim, "li_xiuying", ["deposit", "withdraw", "transfer"], values)
    request_id = request(db, reference)
    with db.session() as session:
        row = session.get_one(CounterAuthorisation, request_id)
        assert row.level == "remote" and row.state == "pending"
        assert [line["level"] for line in row.lines] == ["none", "supervisor", "remote"]
        assert row.lines[2]["label"].startswith("3. 转账汇款 / Transfer CNY 250,000.00")
    assert state(db, reference) == "awaiting_authorisation"
    with pytest.raises(Conflict) as again:
        request(db, reference)
    assert again.value.error_code == "bundle_state"
    # The database keeps the rule too: a second row for the bundle is refused.
    with db.session() as session:
        row = session.get_one(CounterAuthorisation, request_id)
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(
                CounterAuthorisation(
                    bundle_id=row.bundle_id,
                    level="supervisor",
                    outlet_id=row.outlet_id,
                    outlet_path=row.outlet_path,
                    lines=[],
                    state="pending",
                    requested_by_id=row.requested_by_id,
                    requested_at=T0,
                )
            )


def test_no_request_when_nothing_needs_one(db: Database, sim: Sim) -> None:
    reference = ready(db, sim, "zhang_wei", ["withdraw"], withdrawal(sim, "100"))
    with pytest.raises(Conflict) as refused:
        request(db, reference)
    assert refused.value.error_code == "no_authorisation_needed"


def test_a_run_waits_for_the_authorisation(db: Database, sim: Sim) -> None:
    reference = ready(db, sim, "zhang_wei", ["withdraw"], withdrawal(sim, "60000"))
    with pytest.raises(Conflict) as refused:
        act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert refused.value.error_code == "authorisation_required"
    request_id = request(db, reference)
    with pytest.raises(Conflict):  # nor while it is pending
        act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    with pytest.raises(Conflict):  # nor can it be corrected any more
        act(db, "teller.a", bundles.correct, reference, "item1.amount", "10", T0)
    act(db, "sup.a", authorisations.approve, request_id, T0 + 2 * MINUTE)
    assert state(db, reference) == "authorised"
    sim.pad.customer_types("123456")
    outcome = act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    assert outcome.bundle.state == "done"


def test_a_teller_never_authorises_their_own_bundle(db: Database, sim: Sim) -> None:
    reference = ready(db, sim, "zhang_wei", ["withdraw"], withdrawal(sim, "60000"), teller="dual.a")
    request_id = request(db, reference, teller="dual.a")
    with pytest.raises(Forbidden) as refused:
        act(db, "dual.a", authorisations.approve, request_id, T0)
    assert refused.value.error_code == "own_bundle"
    with pytest.raises(Forbidden):  # a teller has no right to authorise at all
        act(db, "teller.a", authorisations.approve, request_id, T0)
    with pytest.raises(NotFound):  # another outlet's supervisor does not even see it
        act(db, "sup.b", authorisations.approve, request_id, T0)
    with pytest.raises(Forbidden):  # the centre decides remote requests, not local ones
        act(db, "centre.1", authorisations.approve, request_id, T0)
    act(db, "sup.a", authorisations.approve, request_id, T0)
    with pytest.raises(Conflict):  # decided once
        act(db, "sup.a", authorisations.reject, request_id, T0, "too late")


def test_a_rejection_says_why_and_ends_the_bundle(db: Database, sim: Sim) -> None:
    reference = ready(db, sim, "zhang_wei", ["withdraw"], withdrawal(sim, "60000"))
    request_id = request(db, reference)
    with pytest.raises(InvalidInput):
        act(db, "sup.a", authorisations.reject, request_id, T0, "  ")
    row = act(
        db, "sup.a", authorisations.reject, request_id, T0, "suspected fraud: call the customer"
    )
    assert row.state == "rejected" and row.decided_by == "sup.a"
    assert state(db, reference) == "rejected"
    with pytest.raises(Conflict):
        act(db, "teller.a", running.run, reference, T0, pin_pad=sim.pad, core=sim.core)
    with pytest.raises(Conflict):
        request(db, reference)
    with pytest.raises(Conflict):  # final
        act(db, "teller.a", bundles.cancel, reference, T0)


def test_the_remote_centre_claims_then_decides(db: Database, sim: Sim) -> None:
    reference = ready(db, sim, "li_xiuying", ["withdraw"], withdrawal(sim, "250000", "li_xiuying"))
    request_id = request(db, reference)
    with pytest.raises(Forbidden):  # the outlet's supervisor cannot decide a remote request
        act(db, "sup.a", authorisations.approve, request_id, T0)
    with pytest.raises(Forbidden):  # nor work the centre's queue
        act(db, "sup.a", authorisations.claim_next, T0)
    with pytest.raises(Conflict):  # claim first
        act(db, "centre.1", authorisations.approve, request_id, T0)
    assert act(db, "centre.b", authorisations.claim_next, T0) is None  # not below BR-B
    claimed = act(db, "centre.1", authorisations.claim_next, T0 + MINUTE)
    assert claimed.id == request_id and claimed.state == "claimed"
    assert act(db, "centre.1", authorisations.claim_next, T0 + MINUTE).id == request_id  # held
    assert act(db, "centre.2", authorisations.claim_next, T0 + MINUTE) is None
    with pytest.raises(Conflict):  # held by centre.1
        act(db, "centre.2", authorisations.approve, request_id, T0)
    act(db, "centre.1", authorisations.release, request_id, T0 + 2 * MINUTE)
    assert act(db, "centre.2", authorisations.claim_next, T0 + 3 * MINUTE).id == request_id
    with db.session() as session:
        queue = authorisations.remote_queue(session, clerk(session, "centre.1"))
        assert [(r.id, r.state) for r in queue] == [(request_id, "claimed")]
        assert authorisations.remote_queue(session, clerk(session, "centre.b")) == []
        with pytest.raises(Forbidden):
            authorisations.remote_queue(session, clerk(session, "sup.a"))
    decided = act(db, "centre.2", authorisations.approve, request_id, T0 + 4 * MINUTE, "ok")
    assert decided.state == "approved" and decided.decided_by == "centre.2"
    assert state(db, reference) == "authorised"


def remote_requests(db: Database, sim: Sim, count: int) -> list[int]:
    return [
        request(db, ready(db, sim, "zhang_wei", ["withdraw"], withdrawal(sim, f"{200000 + n}")))
        for n in range(count)
    ]


def test_two_claims_in_a_row_get_different_requests(db: Database, sim: Sim) -> None:
    ids = remote_requests(db, sim, 2)
    first = act(db, "centre.1", authorisations.claim_next, T0)
    second = act(db, "centre.2", authorisations.claim_next, T0)
    assert {first.id, second.id} == set(ids)


def on_postgres(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: claims cannot overlap there")


@pytest.mark.postgres
def test_concurrent_claims_never_get_the_same_request(db: Database, sim: Sim, bank: Bank) -> None:
    on_postgres(db)
    claimers = [f"centre.{n}" for n in range(3, 9)]
    with db.session() as session:
        for username in claimers:
            staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=username,
                unit_id=bank.unit("BR-A"),
                roles=[Role.SUPERVISOR],
                password=PASSWORD,
            )
    claimers += ["centre.1", "centre.2"]
    ids = remote_requests(db, sim, len(claimers) - 1)  # one claimer must go without
    start = threading.Barrier(len(claimers), timeout=20)
    got: dict[str, int | None] = {}
    errors: list[BaseException] = []

    def claim(who: str) -> None:
        try:
            with db.session() as session:
                me = clerk(session, who)
                start.wait()  # every claim starts at once
                row = authorisations.claim_next(session, me, T0)
                got[who] = None if row is None else row.id
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(who,)) for who in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    claimed = [request_id for request_id in got.values() if request_id is not None]
    assert sorted(claimed) == sorted(ids)  # each request once, nobody got the same
    assert list(got.values()).count(None) == 1
    with db.session() as session:
        rows = session.scalars(select(CounterAuthorisation)).all()
        assert {row.state for row in rows} == {"claimed"}
        assert len({row.claimed_by_id for row in rows}) == len(rows)


@pytest.mark.postgres
def test_a_claim_skips_a_request_another_claimer_has_locked(db: Database, sim: Sim) -> None:
    on_postgres(db)
    first, second = remote_requests(db, sim, 2)
    with db.engine.connect() as other:
        # Another claimer is between its pick and its commit: the oldest request is locked.
        locked = other.execute(
            text("SELECT id FROM counter_authorisations WHERE id = :id FOR UPDATE"), {"id": first}
        ).scalar_one()
        assert locked == first
        with db.session() as session:
            session.execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting would fail the test
            row = authorisations.claim_next(session, clerk(session, "centre.1"), T0)
            assert row is not None and row.id == second
        other.rollback()
    assert act(db, "centre.2", authorisations.claim_next, T0).id == first
