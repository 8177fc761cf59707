"""The counter's housekeeping in `manyi worker`: expired pre-fills lose the customer's data,
forgotten remote claims go back to the queue."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.config import load_settings
from manyi.counter import authorisations, housekeeping
from manyi.counter import jobs as counter_jobs
from manyi.counter.tables import CounterAuthorisation, CounterBundle, CounterPrefill
from manyi.db import Database
from tests.counter_helpers import (
    MINUTE,
    Sim,
    act,
    customer,
    open_bundle,
    ready,
    submit,
)
from tests.lobby_helpers import T0

DEPOSIT = ["deposit"]
DAY = dt.timedelta(days=1)


def deposit(sim: Sim) -> dict[str, object]:
    return customer(sim, "zhang_wei") | {"item1.amount": "100", "item1.currency": "CNY"}


def prefills(db: Database) -> dict[int, CounterPrefill]:
    with db.session() as session:
        rows = session.scalars(select(CounterPrefill)).all()
        session.expunge_all()
        return {row.id: row for row in rows}


def test_expired_prefills_are_deleted_or_blanked_when_a_bundle_refers_to_them(
    db: Database, sim: Sim
) -> None:
    submit(db, DEPOSIT, deposit(sim))  # never used
    used_code = submit(db, DEPOSIT, deposit(sim))
    reference = open_bundle(db, "teller.a", used_code)
    [unused_id, used_id] = sorted(prefills(db))
    expires_at = prefills(db)[used_id].expires_at

    # Before the end of the outlet's day, and within the grace after it: nothing changes.
    with db.session() as session:
        assert housekeeping.purge_expired_prefills(session, T0) == (0, 0)
    with db.session() as session:
        just_after = expires_at + housekeeping.GRACE - MINUTE
        assert housekeeping.purge_expired_prefills(session, just_after) == (0, 0)
    assert set(prefills(db)) == {unused_id, used_id}

    later = expires_at + housekeeping.GRACE
    with db.session() as session:
        assert housekeeping.purge_expired_prefills(session, later) == (1, 1)
    left = prefills(db)
    assert set(left) == {used_id}
    assert left[used_id].form_values == {} and left[used_id].ticket_token is None
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None and bundle.prefill_id == used_id
        assert bundle.form_values["id_number"]  # the bundle keeps its own copy
    # Done once: the next pass finds nothing.
    with db.session() as session:
        assert housekeeping.purge_expired_prefills(session, later + DAY) == (0, 0)


def test_todays_prefills_stay(db: Database, sim: Sim) -> None:
    submit(db, DEPOSIT, deposit(sim), T0 - DAY)
    submit(db, DEPOSIT, deposit(sim), T0)
    report = housekeeping.run(db, T0 + MINUTE)
    assert (report.deleted, report.blanked) == (1, 0)
    [row] = prefills(db).values()
    assert row.form_values["item1.amount"] == "100"


def claimed_request(db: Database, sim: Sim) -> int:
    values = customer(sim, "li_xiuying") | {"item1.amount": "250000", "item1.currency": "CNY"}
    reference = ready(db, sim, "li_xiuying", ["withdraw"], values)
    request = act(db, "teller.a", authorisations.request_authorisation, reference, T0 + MINUTE)
    claimed = act(db, "centre.1", authorisations.claim_next, T0 + 2 * MINUTE)
    assert claimed.id == request.id
    return int(request.id)


def request_row(db: Database, request_id: int) -> CounterAuthorisation:
    with db.session() as session:
        row = session.get_one(CounterAuthorisation, request_id)
        session.expunge(row)
        return row


def test_a_claim_held_too_long_goes_back_to_the_queue_with_an_audit_event(
    db: Database, sim: Sim
) -> None:
    request_id = claimed_request(db, sim)
    claimed_at = T0 + 2 * MINUTE
    with db.session() as session:
        early = claimed_at + 10 * MINUTE - dt.timedelta(seconds=1)
        assert housekeeping.release_stale_claims(session, early, 10) == []
    assert request_row(db, request_id).state == "claimed"

    report = housekeeping.run(db, claimed_at + 10 * MINUTE, claim_minutes=10)
    assert report.released == 1
    row = request_row(db, request_id)
    assert (row.state, row.claimed_by_id, row.claimed_at) == ("pending", None, None)
    with db.session() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "counter.authorisation.release_stale")
        )
        assert event is not None and event.entity_id == str(request_id)
        assert event.actor == "worker" and "li_xiuying" not in event.summary
    # Another supervisor of the centre can take it now.
    assert act(db, "centre.2", authorisations.claim_next, claimed_at + 11 * MINUTE).id == request_id


def test_a_decided_request_is_left_alone(db: Database, sim: Sim) -> None:
    request_id = claimed_request(db, sim)
    act(db, "centre.1", authorisations.approve, request_id, T0 + 3 * MINUTE, "ok")
    assert housekeeping.run(db, T0 + 60 * MINUTE).released == 0
    assert request_row(db, request_id).state == "approved"


def test_the_worker_runs_it_about_once_a_minute(
    db: Database, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = claimed_request(db, sim)  # claimed at T0 + 2 min
    monkeypatch.setattr(housekeeping, "_next_at", {})
    settings = load_settings(database_url=db.url, counter_claim_minutes=5)
    [job] = counter_jobs.JOBS
    second = dt.timedelta(seconds=1)
    assert job.run(db, settings, T0 + 7 * MINUTE - second).done == 0  # held 4:59
    # Stale now (held 5:30), but the job looked less than a minute ago: it waits.
    assert job.run(db, settings, T0 + 7 * MINUTE + 30 * second).done == 0
    assert request_row(db, request_id).state == "claimed"
    looked = job.run(db, settings, T0 + 8 * MINUTE - second)
    assert looked.done == 1 and "1 forgotten claims released" in looked.summary
    assert request_row(db, request_id).state == "pending"
    with db.session() as session:
        events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "counter.authorisation.release_stale")
        )
    assert events == 1
