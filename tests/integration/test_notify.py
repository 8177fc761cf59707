"""The notification outbox on a real database: enqueue, delivery, paging, the inbox, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from manyi import audit
from manyi.audit.tables import AuditEvent
from manyi.cli import app as cli_app
from manyi.config import get_settings
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.notify import cli as notify_cli
from manyi.notify import delivery, service
from manyi.notify.channels import ChannelAdapter, InAppChannel, SimulatedSmsGateway
from manyi.notify.model import ChannelName, DeliveryError, OutboxMessage
from manyi.notify.tables import NotifyMessage
from manyi.org import staff as staff_service
from manyi.org.tables import Unit
from tests.conftest import SYSTEM, Bank, add_staff

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
PHONE = "138 1234 5678"


# --- helpers ---------------------------------------------------------------------------


@dataclass
class RecordingChannel:
    """A fake channel that remembers what it was asked to send."""

    name: str = "in_app"
    delay_s: float = 0.0
    sent: list[int] = field(default_factory=list)

    def send(self, message: OutboxMessage) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.sent.append(message.id)


@dataclass
class FailingChannel:
    name: str = "in_app"
    error: Exception = field(default_factory=lambda: DeliveryError("gateway busy"))
    calls: int = 0

    def send(self, message: OutboxMessage) -> None:
        self.calls += 1
        raise self.error


def add(
    db: Database,
    bank: Bank,
    *,
    to: str = "teller_a",
    channel: str = "in_app",
    now: dt.datetime = T0,
    subject: str = "Please come to counter 3",
    **extra: object,
) -> int:
    with db.session() as session:
        return service.enqueue(
            session,
            channel=channel,
            recipient_staff_id=bank.staff[to],
            subject=subject,
            body="A customer needs help with a corporate account.",
            now=now,
            unit_id=bank.unit("OUT-A"),
            **extra,  # type: ignore[arg-type]
        )


def rows(db: Database) -> list[NotifyMessage]:
    with db.session() as session:
        return list(session.scalars(select(NotifyMessage).order_by(NotifyMessage.id)))


def row(db: Database, message_id: int) -> NotifyMessage:
    with db.session() as session:
        found = session.get(NotifyMessage, message_id)
        assert found is not None
        return found


def page_events(db: Database) -> int:
    with db.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "notify.page_staff")
        )
        return int(count or 0)


@pytest.fixture
def people(db: Database, bank: Bank) -> dict[str, int]:
    """A lobby manager at outlet A, and back-office staff at the sub-branch above it."""
    added = add_staff(db, bank, "lobby.a", "support.a", "lobby.b")
    return {
        "lobby_a": added["lobby.a"],
        "support_a": added["support.a"],
        "lobby_b": added["lobby.b"],
    }


def actor(db: Database, staff_id: int) -> audit.Actor:
    with db.session() as session:
        return staff_service.actor_of(staff_service.get_staff(session, staff_id))


def page(
    db: Database,
    bank: Bank,
    who: audit.Actor,
    recipients: list[int],
    *,
    outlet: str = "OUT-A",
    message: str = "窗口排队较长，请到 3 号窗口支援",
    channels: tuple[str, ...] = ("in_app",),
) -> list[int]:
    with db.session() as session:
        unit = session.get(Unit, bank.unit(outlet))
        assert unit is not None
        return service.page_staff(
            session,
            who,
            unit=unit,
            recipient_ids=recipients,
            message=message,
            now=T0,
            channels=channels,
        )


def deactivate(db: Database, staff_id: int) -> None:
    with db.session() as session:
        staff_service.update_staff(session, SYSTEM, staff_id, active=False)


# --- enqueue --------------------------------------------------------------------------------


def test_enqueue_commits_and_rolls_back_with_the_business_change(db: Database, bank: Bank) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        service.enqueue(
            session,
            channel="in_app",
            recipient_staff_id=bank.staff["teller_a"],
            subject="lost",
            body="",
            now=T0,
            unit_id=bank.unit("OUT-A"),
        )
        raise RuntimeError("the business change failed")
    assert rows(db) == []
    kept = add(db, bank)
    [only] = rows(db)
    assert only.id == kept
    assert (only.state, only.attempts, only.next_attempt_at) == ("pending", 0, T0)
    assert only.address is None and only.data == {}


@pytest.mark.parametrize(
    ("changes", "field_name", "text"),
    [
        ({"channel": "fax"}, "channel", "unknown notification channel fax"),
        ({"subject": "   "}, "subject", "a notification needs a subject"),
        ({"subject": "x" * 201}, "subject", "longer than 200"),
        ({"body": "x" * 2001}, "body", "longer than 2000"),
        ({"channel": "sms"}, "recipient_staff_id", "柜员甲 has no mobile number for SMS"),
        ({"channel": "sms", "address": "call me"}, "address", "call me is not a mobile number"),
        ({"recipient_staff_id": 999_999}, "recipient_staff_id", "no staff member 999999"),
        ({"dedupe_key": " "}, "dedupe_key", "dedupe key"),
    ],
)
def test_enqueue_refuses_bad_input(
    db: Database, bank: Bank, changes: dict[str, object], field_name: str, text: str
) -> None:
    arguments: dict[str, object] = {
        "channel": "in_app",
        "recipient_staff_id": bank.staff["teller_a"],
        "subject": "Please come to counter 3",
        "body": "",
        "now": T0,
        "unit_id": bank.unit("OUT-A"),
        **changes,
    }
    with pytest.raises(InvalidInput) as caught, db.session() as session:
        service.enqueue(session, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field_name
    assert text in caught.value.text()
    assert rows(db) == []


def test_enqueue_refuses_inactive_recipient(db: Database, bank: Bank) -> None:
    deactivate(db, bank.staff["teller_a"])
    with pytest.raises(InvalidInput, match="inactive"):
        add(db, bank)


def test_sms_keeps_the_normalised_number(db: Database, bank: Bank) -> None:
    message_id = add(db, bank, channel="sms", address=PHONE)
    assert row(db, message_id).address == "13812345678"


def test_dedupe_key_notifies_once(db: Database, bank: Bank) -> None:
    first = add(db, bank, dedupe_key="complaint:7:due-soon")
    again = add(db, bank, dedupe_key="complaint:7:due-soon", subject="second try")
    other = add(db, bank, dedupe_key="complaint:8:due-soon")
    assert first == again != other
    assert [r.subject for r in rows(db)] == ["Please come to counter 3"] * 2


# --- delivery -----------------------------------------------------------------------------


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


# --- paging second-line staff ---------------------------------------------------------------


def test_lobby_manager_pages_outlet_and_branch_staff(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    manager = actor(db, people["lobby_a"])
    recipients = [bank.staff["teller_a"], people["support_a"], bank.staff["teller_a"]]
    ids = page(db, bank, manager, recipients)
    assert len(ids) == 2  # one per recipient and channel; duplicates dropped
    stored = rows(db)
    assert {r.recipient_staff_id for r in stored} == {bank.staff["teller_a"], people["support_a"]}
    for message in stored:
        assert message.unit_id == bank.unit("OUT-A")
        assert message.created_by_id == people["lobby_a"]
        assert message.channel == "in_app" and message.body.startswith("窗口排队较长")
        assert message.data["kind"] == "lobby.page"
    assert page_events(db) == 1
    with db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "notify.page_staff"))
        assert event is not None and event.unit_id == bank.unit("OUT-A")
        assert json.loads(event.summary)["messages"] == ids


def test_paging_outside_the_branch_stores_nothing(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    manager = actor(db, people["lobby_a"])
    for outsider in (bank.staff["teller_b"], bank.staff["manager_br_a"], 999_999):
        with pytest.raises(InvalidInput) as caught:
            page(db, bank, manager, [bank.staff["teller_a"], outsider])
        assert caught.value.field == "recipients"
        assert caught.value.text() == (
            f"staff member {outsider} is not in the branch of 甲网点 and cannot be paged for it"
        )
    assert rows(db) == [] and page_events(db) == 0


def test_paging_inactive_staff_stores_nothing(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    deactivate(db, people["support_a"])
    with pytest.raises(InvalidInput) as caught:
        page(db, bank, actor(db, people["lobby_a"]), [bank.staff["teller_a"], people["support_a"]])
    assert caught.value.text() == "二线甲 is inactive and cannot be paged"
    assert rows(db) == [] and page_events(db) == 0


def test_paging_checks_the_request(db: Database, bank: Bank, people: dict[str, int]) -> None:
    manager = actor(db, people["lobby_a"])
    teller = [bank.staff["teller_a"]]
    with pytest.raises(NotFound):  # the outlet is outside the manager's scope
        page(db, bank, actor(db, people["lobby_b"]), teller)
    with pytest.raises(InvalidInput, match="write what support"):
        page(db, bank, manager, teller, message="  ")
    with pytest.raises(InvalidInput, match="at least one staff"):
        page(db, bank, manager, [])
    with pytest.raises(InvalidInput, match="unknown notification channel"):
        page(db, bank, manager, teller, channels=("pager",))
    with pytest.raises(InvalidInput, match="no mobile number") as caught:  # no phones yet
        page(db, bank, manager, teller, channels=("in_app", "sms"))
    assert caught.value.field == "recipients"
    assert rows(db) == [] and page_events(db) == 0


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


# --- the inbox --------------------------------------------------------------------------------


def test_inbox_shows_delivered_in_app_messages_newest_first(db: Database, bank: Bank) -> None:
    me = bank.staff["teller_a"]
    older = add(db, bank, subject="older")
    newer = add(db, bank, subject="newer")
    add(db, bank, channel="sms", address=PHONE)
    add(db, bank, to="head_a")
    with db.session() as session:
        assert service.inbox(session, me) == []  # not delivered yet
    service.deliver_due(db, {"in_app": InAppChannel(), "sms": RecordingChannel("sms")}, T0)
    with db.session() as session:
        items = service.inbox(session, me)
        assert [i.id for i in items] == [newer, older]
        assert all(i.unread and i.sent_at == T0 for i in items)
        assert service.unread_count(session, me) == 2
        assert [i.id for i in service.inbox(session, me, limit=1)] == [newer]


def test_only_the_recipient_marks_a_message_read(db: Database, bank: Bank) -> None:
    me, other = bank.staff["teller_a"], bank.staff["head_a"]
    message_id = add(db, bank)
    sms = add(db, bank, channel="sms", address=PHONE)
    with db.session() as session, pytest.raises(NotFound):
        service.mark_read(session, me, message_id, T0)  # not delivered yet
    service.deliver_due(db, {"in_app": InAppChannel(), "sms": RecordingChannel("sms")}, T0)
    for who, which in ((other, message_id), (me, sms), (me, 999_999)):
        with db.session() as session, pytest.raises(NotFound) as caught:
            service.mark_read(session, who, which, T0)
        assert caught.value.text() == f"no message {which}"
    read_at = T0 + dt.timedelta(minutes=1)
    with db.session() as session:
        service.mark_read(session, me, message_id, read_at)
    with db.session() as session:
        service.mark_read(session, me, message_id, read_at + dt.timedelta(hours=1))
    with db.session() as session:
        assert row(db, message_id).read_at == read_at
        assert service.inbox(session, me, unread_only=True) == []
        assert service.unread_count(session, me) == 0
        assert [i.id for i in service.inbox(session, me)] == [message_id]


def test_paged_message_reads_in_the_inbox(db: Database, bank: Bank, people: dict[str, int]) -> None:
    page(db, bank, actor(db, people["lobby_a"]), [people["support_a"]])
    service.deliver_due(db, {"in_app": InAppChannel()}, T0)
    with db.session() as session:
        [item] = service.inbox(session, people["support_a"])
    assert item.subject_text() == "Second-line support needed at 甲网点"
    zh = {service.PAGE_SUBJECT: "{unit}需要二线人员支援"}
    assert item.subject_text(lambda s: zh.get(s, s)) == "甲网点需要二线人员支援"
    assert item.created_by_id == people["lobby_a"]


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli_env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_deliver_prints_counts(
    db: Database, bank: Bank, cli_env: CliRunner, tmp_path: Path, frozen_clock: dt.datetime
) -> None:
    now = frozen_clock - dt.timedelta(minutes=1)  # the command delivers what is due at its now
    add(db, bank, now=now)
    add(db, bank, channel="sms", address=PHONE, now=now)
    result = cli_env.invoke(cli_app, ["notify", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 2, retried 0, failed 0"
    sms_file = tmp_path / "var" / "sms-outbox.jsonl"
    assert json.loads(sms_file.read_text(encoding="utf-8"))["to"] == "*******5678"
    result = cli_env.invoke(cli_app, ["notify", "deliver"])
    assert result.output.strip() == "sent 0, retried 0, failed 0"


def test_cli_deliver_loop_stops_on_interrupt(
    db: Database,
    bank: Bank,
    cli_env: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: dt.datetime,
) -> None:
    add(db, bank, now=frozen_clock - dt.timedelta(minutes=1))

    def interrupt(seconds: float) -> None:
        assert seconds == 0.5
        raise KeyboardInterrupt

    monkeypatch.setattr("manyi.notify.cli.time.sleep", interrupt)
    result = cli_env.invoke(cli_app, ["notify", "deliver", "--loop", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "delivering every 0.5 s; Ctrl-C stops",
        "sent 1, retried 0, failed 0",
        "stopped; in total sent 1, retried 0, failed 0",
    ]
    result = cli_env.invoke(cli_app, ["notify", "deliver", "--interval", "0"])
    assert result.exit_code == 2


def test_run_once_uses_the_configured_channels(
    db: Database, bank: Bank, cli_env: CliRunner, tmp_path: Path
) -> None:
    add(db, bank, channel="sms", address=PHONE)
    report = notify_cli.run_once(db, get_settings(), T0)
    assert report == service.DeliveryReport(sent=1)
    assert (tmp_path / "var" / "sms-outbox.jsonl").exists()
