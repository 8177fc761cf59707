"""Delivering the notification outbox on a real database: due messages only, each worker's own
channels, retries with backoff, leases (expired, lost, fenced), two workers at once sending
each message exactly once, and the simulated SMS gateway's file.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from pathlib import Path

import pytest

from manyi.db import Database
from manyi.notify import delivery, service
from manyi.notify.channels import ChannelAdapter, InAppChannel, SimulatedSmsGateway
from manyi.notify.model import ChannelName, DeliveryError, OutboxMessage
from manyi.notify.tables import NotifyMessage
from tests.conftest import Bank
from tests.notify_helpers import PHONE, T0, FailingChannel, RecordingChannel, add, row, rows

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_deliver_sends_due_messages_only(db: Database, bank: Bank, tmp_path: Path) -> None:
    inbox_a = add(db, bank)
    inbox_b = add(db, bank, to="head_a")
    sms = add(db, bank, channel="sms", address=PHONE)
    later = add(db, bank, now=T0 + dt.timedelta(minutes=5))
    gateway = SimulatedSmsGateway(tmp_path / "sms.jsonl")
    channels: dict[str, ChannelAdapter] = {"in_app": InAppChannel(), "sms": gateway}
    report = service.deliver_due(db, channels, T0, worker="test")
    assert report == service.DeliveryReport(sent=3)
    for message_id in (inbox_a, inbox_b, sms):
        done = row(db, message_id)
        assert (done.state, done.sent_at, done.attempts) == ("sent", T0, 1)
        assert done.claimed_until is None and done.claimed_by is not None
        assert done.claimed_by.startswith("test/")
    assert row(db, later).state == "pending"
    assert service.deliver_due(db, channels, T0) == service.DeliveryReport()
    assert service.deliver_due(db, channels, T0 + dt.timedelta(minutes=5)).sent == 1


def test_worker_only_claims_channels_it_has(db: Database, bank: Bank) -> None:
    sms = add(db, bank, channel="sms", address=PHONE)
    in_app = add(db, bank)
    recorder = RecordingChannel()
    assert service.deliver_due(db, {"in_app": recorder}, T0).sent == 1
    assert recorder.sent == [in_app]
    assert row(db, sms).state == "pending" and row(db, sms).attempts == 0


def test_failing_channel_retries_with_backoff_then_fails(db: Database, bank: Bank) -> None:
    message_id = add(db, bank)
    failing = FailingChannel()
    channels = {"in_app": failing}
    now = T0
    for attempt, wait in enumerate([30, 120, 600], start=1):
        report = service.deliver_due(db, channels, now)
        assert report == service.DeliveryReport(retried=1), attempt
        current = row(db, message_id)
        assert (current.state, current.attempts) == ("pending", attempt)
        assert current.next_attempt_at == now + dt.timedelta(seconds=wait)
        assert current.last_error == "gateway busy"
        # Not due a second before the backoff ends.
        early = current.next_attempt_at - dt.timedelta(seconds=1)
        assert service.deliver_due(db, channels, early) == service.DeliveryReport()
        assert failing.calls == attempt
        now = current.next_attempt_at
    assert service.deliver_due(db, channels, now) == service.DeliveryReport(failed=1)
    final = row(db, message_id)
    assert (final.state, final.attempts, final.sent_at) == ("failed", 4, None)
    assert service.deliver_due(db, channels, now + dt.timedelta(days=1)) == (
        service.DeliveryReport()
    )
    assert failing.calls == 4


def test_permanent_refusal_and_adapter_bugs(db: Database, bank: Bank) -> None:
    refused = add(db, bank)
    channels = {"in_app": FailingChannel(error=DeliveryError("number blocked", permanent=True))}
    assert service.deliver_due(db, channels, T0).failed == 1
    assert row(db, refused).last_error == "number blocked"
    buggy = add(db, bank)
    channels = {"in_app": FailingChannel(error=KeyError("oops"))}
    assert service.deliver_due(db, channels, T0).retried == 1
    assert row(db, buggy).last_error == "KeyError: 'oops'"


def test_expired_lease_is_claimed_again_and_the_old_claim_is_fenced(
    db: Database, bank: Bank
) -> None:
    message_id = add(db, bank)
    lease = dt.timedelta(minutes=2)
    with db.session() as session:  # a worker claims, then stops before sending
        [claimed] = delivery._claim(session, ["in_app"], T0, limit=10, token="dead/1", lease=lease)
    assert claimed.id == message_id and claimed.attempts == 1
    recorder = RecordingChannel()
    assert service.deliver_due(db, {"in_app": recorder}, T0 + lease) == service.DeliveryReport()
    after = T0 + lease + dt.timedelta(seconds=1)
    assert service.deliver_due(db, {"in_app": recorder}, after).sent == 1
    assert row(db, message_id).attempts == 2
    with db.session() as session:  # the stopped worker wakes up: its claim is gone
        assert delivery._mark_sent(session, message_id, "dead/1", after) == 0


def test_lease_lost_on_the_last_attempt_fails_the_message(db: Database, bank: Bank) -> None:
    message_id = add(db, bank)
    with db.session() as session:
        found = session.get(NotifyMessage, message_id)
        assert found is not None
        found.state, found.attempts = "sending", 4
        found.claimed_until, found.claimed_by = T0, "dead/2"
    report = service.deliver_due(db, {"in_app": RecordingChannel()}, T0 + dt.timedelta(seconds=1))
    assert report == service.DeliveryReport(failed=1)
    assert row(db, message_id).state == "failed"
    assert "outcome is unknown" in (row(db, message_id).last_error or "")


def test_a_long_pass_hands_unsent_claims_back(
    db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [add(db, bank) for _ in range(3)]
    monkeypatch.setattr(delivery, "LEASE_BUDGET", 0.0)  # the budget is spent at once
    report = service.deliver_due(db, {"in_app": RecordingChannel()}, T0)
    assert report == service.DeliveryReport(released=3)
    assert {(r.state, r.attempts, r.claimed_until) for r in rows(db)} == {("pending", 0, None)}
    monkeypatch.undo()
    assert service.deliver_due(db, {"in_app": RecordingChannel()}, T0).sent == len(ids)


def test_two_workers_at_once_send_each_message_exactly_once(db: Database, bank: Bank) -> None:
    staff = ["teller_a", "head_a", "teller_b", "head_b"]
    with db.session() as session:
        for n in range(200):
            service.enqueue(
                session,
                channel="in_app",
                recipient_staff_id=bank.staff[staff[n % 4]],
                subject=f"message {n}",
                body="",
                now=T0,
                unit_id=bank.unit("OUT-A"),
            )
    channel = RecordingChannel(delay_s=0.002)
    start = threading.Barrier(2)
    reports: dict[str, list[service.DeliveryReport]] = {"w1": [], "w2": []}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while True:
                report = service.deliver_due(db, {"in_app": channel}, T0, limit=10, worker=name)
                reports[name].append(report)
                if report.handled == 0:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker never ran out of work"
    assert not errors, errors
    assert sorted(Counter(channel.sent).values()) == [1] * 200
    assert all(r.handled <= 10 for done in reports.values() for r in done)  # limit holds
    per_worker = {name: sum(r.sent for r in done) for name, done in reports.items()}
    assert sum(per_worker.values()) == 200
    assert all(count > 0 for count in per_worker.values()), per_worker
    assert {(r.state, r.attempts) for r in rows(db)} == {("sent", 1)}
    workers = Counter((r.claimed_by or "").split("/")[0] for r in rows(db))
    assert workers == Counter(per_worker)


# --- the simulated SMS gateway --------------------------------------------------------------


def test_simulated_sms_file_masks_numbers_and_is_idempotent(
    db: Database, bank: Bank, tmp_path: Path
) -> None:
    path = tmp_path / "var" / "sms-outbox.jsonl"
    first = add(db, bank, channel="sms", address=PHONE)
    add(db, bank, channel="sms", address="+86 139-0000-4321", to="head_a")
    gateway = SimulatedSmsGateway(path)
    assert service.deliver_due(db, {"sms": gateway}, T0).sent == 2
    text = path.read_text(encoding="utf-8")
    assert "13812345678" not in text and "1390000" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["to"] for line in lines] == ["*******5678", "**********4321"]
    assert lines[0]["id"] == first and lines[0]["staff_id"] == bank.staff["teller_a"]
    assert lines[0]["subject"] == "Please come to counter 3"
    # A second send of the same message (a re-claimed lease) writes nothing, even from a
    # fresh gateway that only knows the file.
    message = OutboxMessage(
        id=first,
        channel=ChannelName.SMS,
        unit_id=bank.unit("OUT-A"),
        recipient_staff_id=bank.staff["teller_a"],
        address="13812345678",
        subject="again",
        body="",
        attempts=2,
        created_at=T0,
    )
    gateway.send(message)
    SimulatedSmsGateway(path).send(message)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_simulated_sms_refuses_a_missing_number_for_good(tmp_path: Path) -> None:
    gateway = SimulatedSmsGateway(tmp_path / "sms.jsonl")
    message = OutboxMessage(
        id=1,
        channel=ChannelName.SMS,
        unit_id=1,
        recipient_staff_id=1,
        address=None,
        subject="s",
        body="",
        attempts=1,
        created_at=T0,
    )
    with pytest.raises(DeliveryError) as caught:
        gateway.send(message)
    assert caught.value.permanent
    assert not (tmp_path / "sms.jsonl").exists()
