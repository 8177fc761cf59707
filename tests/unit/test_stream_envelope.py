"""The event envelope: ids, subjects, times and the lobby's enrichment."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.stream.domain.envelope import Envelope, Ticket, build, iso_z, tier1_of

QUEUED = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
CALLED = QUEUED + dt.timedelta(minutes=12, seconds=30)
STARTED = CALLED + dt.timedelta(seconds=30)
TICKET = Ticket("A", "vip", QUEUED, CALLED, STARTED)


def lobby(kind: str, at: dt.datetime, **data: object) -> Envelope:
    return build(
        outbox_id=9,
        source="lobby",
        source_id=12345,
        kind=kind,
        at=at,
        outlet_id=9,
        outlet_path="/1/4/6/9/",
        ticket_id=77,
        counter_id=3,
        staff_id=5,
        data=dict(data),
        ticket=TICKET,
    )


def test_the_first_call_carries_the_wait_and_a_recall_does_not() -> None:
    called = lobby("called", CALLED)
    assert (called.id, called.tier1_id, called.at) == ("lobby:12345", 4, "2026-11-30T01:12:30Z")
    assert called.data == {"service_code": "A", "klass": "vip", "wait_s": 750.0}
    assert "wait_s" not in lobby("called", CALLED + dt.timedelta(minutes=1)).data  # a later call


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [("completed", "served"), ("no_show", "no_show"), ("cancelled", "cancelled")],
)
def test_a_finish_carries_its_outcome(kind: str, outcome: str) -> None:
    finished = lobby(kind, STARTED + dt.timedelta(minutes=7))
    assert finished.data["outcome"] == outcome
    assert ("service_s" in finished.data) == (kind == "completed")


def test_the_service_time_the_lobby_gave_is_kept() -> None:
    assert lobby("completed", STARTED, service_s=421).data["service_s"] == 421


def test_an_event_without_a_source_row_is_named_by_its_outbox_row() -> None:
    e = build(
        outbox_id=88,
        source="counter",
        source_id=None,
        kind="confirmed",
        at=QUEUED,
        outlet_id=None,
        outlet_path=None,
        ticket_id=None,
        counter_id=None,
        staff_id=None,
        data={},
    )
    assert (e.id, e.tier1_id, e.subject()) == ("counter:88", None, "manyi.events.counter.0.0")


def test_times_are_utc_with_a_z_and_microseconds_only_when_there_are_some() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    assert iso_z(dt.datetime(2026, 11, 30, 10, 0, tzinfo=beijing)) == "2026-11-30T02:00:00Z"
    assert iso_z(QUEUED.replace(microsecond=5)) == "2026-11-30T01:00:00.000005Z"


def test_the_tier1_branch_is_the_second_unit_of_the_path() -> None:
    paths = ("/1/4/6/9/", "/1/4/", "/1/", "", None)
    assert [tier1_of(p) for p in paths] == [4, 4, None, None, None]


def test_an_envelope_survives_the_wire_and_garbage_is_refused() -> None:
    e = lobby("issued", QUEUED)
    assert Envelope.decode(e.encode()) == e
    assert e.subject() == "manyi.events.lobby.4.9"
    with pytest.raises(ValueError, match="not an event envelope"):
        Envelope.decode(b'{"id": "x"}')
    with pytest.raises(ValueError):
        Envelope.decode(b"not json")
