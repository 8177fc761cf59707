"""The staffing plan's capacity per slot (forecasting's `CapacityPort`) from an outlet's history,
and the places a busy slot and a quiet one get."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from zoneinfo import ZoneInfo

import pytest

from manyi.db import Database
from manyi.forecast import appointment_capacity, demand
from manyi.forecast.appointment_capacity import servable_arrivals
from manyi.lobby import layouts, store
from manyi.org.tables import Unit
from manyi.reach.appointment_slots import place, slots_for_day
from tests.appointment_helpers import configure
from tests.conftest import FIXED_NOW, Bank

SH = ZoneInfo("Asia/Shanghai")
TUESDAY = dt.date(2026, 12, 1)


def _history(db: Database, outlet_id: int, per_day: int) -> None:
    """`per_day` served visits of A between 10:00 and 10:30 on each of the last 8 Tuesdays."""
    with db.session() as session:
        outlet = session.get_one(Unit, outlet_id)
        service_id = layouts.layout(session, outlet).service_ids["A"]
        for week in range(1, 9):
            day = TUESDAY - dt.timedelta(weeks=week)
            for n in range(per_day):
                issued = dt.datetime.combine(day, dt.time(10, 0), SH) + dt.timedelta(seconds=50 * n)
                called = issued + dt.timedelta(minutes=5)
                store.insert_ticket(
                    session,
                    outlet_id=outlet_id,
                    local_day=day,
                    prefix="A",
                    seq=n + 1,
                    number=f"A{n + 1:03d}",
                    service_id=service_id,
                    service_code="A",
                    klass="normal",
                    channel="kiosk",
                    state="finished",
                    outcome="served",
                    issued_at=issued,
                    queued_at=issued,
                    first_called_at=called,
                    started_at=called,
                    finished_at=called + dt.timedelta(seconds=300),
                    call_count=1,
                    public_token=secrets.token_hex(8),
                )


def _places(servable: float, walk_ins: float) -> int:
    """A service's places alone at its counters, half kept for walk-ins."""
    return math.floor(max(0.0, servable - walk_ins) * 0.5 + 1e-9)


@pytest.fixture(autouse=True)
def _fresh_plans() -> None:
    appointment_capacity.forget()


def test_a_busy_slot_keeps_room_for_its_walk_ins(db: Database, bank: Bank) -> None:
    outlet = bank.unit("OUT-A")
    configure(db, outlet)
    _history(db, outlet, per_day=30)
    with db.session() as session:
        view = slots_for_day(session, place(session, "OUT-A", "A"), TUESDAY, FIXED_NOW)
    by_time = {s.start.astimezone(SH).time(): s for s in view.slots}
    # 10:00: 30 walk-ins of 300 s; the plan for them at a 600 s target needs more counters than
    # the four that serve A, and appointments get half of what those serve beyond the 30.
    needed = demand.staff_for(60.0, 300.0, 600.0, 0.8).servers
    counters = max(4, needed)
    # (A shares its four counters with B and K, which have no walk-ins.)
    assert by_time[dt.time(10)].capacity == _places(servable_arrivals(counters, 300, 600), 30)
    # 14:00: no walk-ins in the history, the four counters decide (A, B and K at their mean,
    # (300 + 480 + 120) / 3 = 300 s).
    assert by_time[dt.time(14)].capacity == _places(servable_arrivals(4, 300, 600), 0)
    assert by_time[dt.time(10)].capacity < by_time[dt.time(14)].capacity


def test_a_slot_the_walk_ins_fill_takes_no_appointment(db: Database, bank: Bank) -> None:
    outlet = bank.unit("OUT-A")
    configure(db, outlet)
    _history(db, outlet, per_day=30)
    with db.session() as session:
        answers = appointment_capacity.PlannedCapacity().pool_capacity(
            session,
            session.get_one(Unit, outlet),
            frozenset({"A"}),
            4,
            [dt.datetime.combine(TUESDAY, dt.time(10), SH).astimezone(dt.UTC)],
            600,
            FIXED_NOW,
        )
    (slot,) = answers
    assert slot.walk_in_s == pytest.approx(30 * 300.0)
    assert slot.service_s == {"A": pytest.approx(300.0)}
    assert slot.capacity_s >= slot.walk_in_s  # the plan serves its own forecast at the target
