"""Teller workload from what the lobby and the counter recorded: per teller and day figures,
fairness, the overload card with break advice checked by the simulator, and the pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from manyi.cli import app as cli_app
from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.config import get_settings
from manyi.counter import bundles
from manyi.db import Database
from manyi.forecast.break_check import SimulatedBreaks
from manyi.lobby import counters, service
from manyi.org.tables import Unit
from manyi.workload import figures, live, ports
from manyi.workload.domain.advice import Limits
from manyi.workload.tables import ServiceWeight
from tests.conftest import Bank, add_staff
from tests.counter_helpers import TODAY, Sim, act, customer, open_bundle, submit
from tests.lobby_helpers import operator
from tests.web_helpers import signed_in_client

ZONE = dt.timezone(dt.timedelta(hours=8))  # Beijing: no summer time


def local(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(TODAY, dt.time(hour, minute), ZONE).astimezone(dt.UTC)


def lobby(db: Database, who: str, action: str, number: int, at: dt.datetime) -> None:
    with db.session() as session:
        getattr(counters, action)(session, operator(session, who), "OUT-A", number, at)


def serve(
    db: Database, who: str, number: int, code: str, start: dt.datetime, end: dt.datetime
) -> int:
    """Issue a ticket of `code`, call it at `number`, serve it from `start` to `end`."""
    with db.session() as session:
        issued = service.issue_ticket(session, service.Operator.public(), "OUT-A", code, start)
        ticket_id = issued.ticket.id
    lobby(db, who, "call_next", number, start)
    lobby(db, who, "start", number, start)
    lobby(db, who, "complete", number, end)
    return ticket_id


def a_day(db: Database) -> None:
    """teller.a at counter 1 09:00–17:20 with a 20-minute pause at 10:00 and a 5-minute one at
    14:00; teller.a2 at counter 3 09:00–12:00."""
    lobby(db, "teller.a", "open_counter", 1, local(9))
    lobby(db, "teller.a2", "open_counter", 3, local(9))
    serve(db, "teller.a", 1, "A", local(9, 5), local(9, 15))
    serve(db, "teller.a2", 3, "A", local(9, 10), local(9, 20))
    lobby(db, "teller.a", "pause_counter", 1, local(10))
    lobby(db, "teller.a", "resume_counter", 1, local(10, 20))
    serve(db, "teller.a", 1, "B", local(10, 30), local(10, 50))
    lobby(db, "teller.a2", "close_counter", 3, local(12))
    lobby(db, "teller.a", "pause_counter", 1, local(14))
    lobby(db, "teller.a", "resume_counter", 1, local(14, 5))
    lobby(db, "teller.a", "close_counter", 1, local(17, 20))


def outlet(db: Database, bank: Bank) -> Unit:
    with db.read() as session:
        found = session.get_one(Unit, bank.unit("OUT-A"))
        session.expunge(found)
        return found


def test_each_tellers_day_from_the_lobby(db: Database, sim: Sim, bank: Bank) -> None:
    with db.session() as session:  # the outlet weighs a non-cash customer double
        session.add(ServiceWeight(outlet_id=bank.unit("OUT-A"), service_code="B", weight=2.0))
    a_day(db)
    with db.session() as session:  # a customer complains about teller.a that afternoon
        form = intake.ComplaintForm(
            intake="hotline",
            subject="办理太慢",
            description="柜员态度不好",
            complainant_phone="13812345678",
            received_at=local(16),
            responsible_unit_id=bank.unit("OUT-A"),
            named_staff_ids=[bank.staff["teller_a"]],
        )
        intake.register(
            session,
            system_caller("test"),
            form,
            local(16, 5),
            registered_unit_id=bank.unit("OUT-A"),
        )
    with db.read() as session:
        unit = session.get_one(Unit, bank.unit("OUT-A"))
        day = figures.outlet_day(session, unit, TODAY, now=local(20), break_min=10)
    by_name = {t.name: t.figures for t in day.tellers}
    assert set(by_name) == {"柜员甲", "柜员甲二"}
    a, a2 = by_name["柜员甲"], by_name["柜员甲二"]
    assert a.on_duty_s == (8 * 60 + 20 - 20 - 5) * 60
    assert (a.busy_s, a.served, a.weighted) == (30 * 60, 2, 3.0)
    # The 20-minute pause is a break; the 5-minute one is not: 10:20–17:20 is one stretch.
    assert (a.breaks, a.longest_stretch_s) == (1, 7 * 3600)
    assert a.overtime_s == 20 * 60  # closing time 17:00
    assert (a.difficult, a.difficult_share, a2.difficult) == (1, 0.5, 0)  # the complaint
    assert (a2.on_duty_s, a2.served, a2.weighted, a2.breaks, a2.overtime_s) == (
        3 * 3600,
        1,
        1.0,
        0,
        0,
    )
    # Weighted per hour on duty: 3.0 / 7.917 h and 1.0 / 3 h: close, so a small Gini.
    assert day.gini is not None and 0 < day.gini < 0.1


def test_counter_work_weighs_the_ticket_and_marks_a_loss_report_difficult(
    db: Database, sim: Sim, bank: Bank
) -> None:
    lobby(db, "teller.a", "open_counter", 1, local(9))
    with db.session() as session:
        issued = service.issue_ticket(session, service.Operator.public(), "OUT-A", "A", local(9))
    lobby(db, "teller.a", "call_next", 1, local(9, 1))
    lobby(db, "teller.a", "start", 1, local(9, 1))
    values = (
        customer(sim, "zhang_wei")
        | {
            "mobile": "13812345678",
            "card_number": sim.card("zhang_wei"),
            "item1.loss_reason": "lost",
        }
        | {"account_number": None}
    )
    reference = open_bundle(
        db, "teller.a", submit(db, ["card_loss"], values, local(9)), local(9, 2)
    )
    act(db, "teller.a", bundles.confirm_by_customer, reference, local(9, 3))
    lobby(db, "teller.a", "complete", 1, local(9, 10))
    with db.read() as session:
        unit = session.get_one(Unit, bank.unit("OUT-A"))
        days = figures.teller_days(session, unit, TODAY, TODAY, now=local(12), break_min=10)
    assert issued.ticket.id
    [teller] = days
    assert (teller.figures.served, teller.figures.weighted, teller.figures.difficult) == (1, 1.5, 1)
    assert teller.figures.difficult_share == 1.0


class FixedLevels:
    """A break check answering from a table, to see the card use what it says."""

    def __init__(self, levels: dict[frozenset[int], float]) -> None:
        self.levels_by_closed = levels

    def levels(self, session, outlet, now, break_min):  # type: ignore[no-untyped-def]
        return lambda closed: self.levels_by_closed.get(closed)


@pytest.fixture
def break_check():  # type: ignore[no-untyped-def]
    yield
    ports.register_break_check(SimulatedBreaks())


def test_the_overload_card_advises_breaks_the_level_allows(
    db: Database, sim: Sim, bank: Bank, break_check: None
) -> None:
    lobby(db, "teller.a", "open_counter", 1, local(9))
    lobby(db, "teller.a2", "open_counter", 3, local(10, 30))
    serve(db, "teller.a", 1, "A", local(11), local(11, 20))
    rules = live.Rules(Limits(max_stretch_min=120, max_busy_share=0.9, target_level=0.8), 10)
    ports.register_break_check(FixedLevels({frozenset({1}): 0.85}))
    with db.read() as session:
        card = live.overload_card(session, outlet(db, bank), local(11, 30), rules)
    assert card.on_duty == 2
    [alert] = card.alerts
    assert (alert.teller.counter, alert.long_stretch, alert.break_now, alert.level) == (
        1,
        True,
        True,
        0.85,
    )
    assert alert.teller.stretch_s == 150 * 60
    ports.register_break_check(FixedLevels({frozenset({1}): 0.7}))
    with db.read() as session:
        card = live.overload_card(session, outlet(db, bank), local(11, 30), rules)
    assert [a.break_now for a in card.alerts] == [False]


def test_the_simulator_checks_break_advice_on_the_live_lobby(
    db: Database, sim: Sim, bank: Bank
) -> None:
    lobby(db, "teller.a", "open_counter", 1, local(9))
    lobby(db, "teller.a2", "open_counter", 3, local(9))
    with db.read() as session:
        check = SimulatedBreaks().levels(session, outlet(db, bank), local(11), 15)
        quiet = check(frozenset({1}))
    assert quiet == 1.0  # nobody came in the last hour and nobody waits: nobody would wait
    with db.session() as session:  # twenty customers arrive in the hour before and still wait
        for i in range(20):
            at = local(10) + dt.timedelta(minutes=3 * i)
            service.issue_ticket(session, service.Operator.public(), "OUT-A", "A", at)
    with db.read() as session:
        check = SimulatedBreaks().levels(session, outlet(db, bank), local(11), 15)
        both_open, one_closed, both_closed = (
            check(frozenset()),
            check(frozenset({1})),
            check(frozenset({1, 3})),
        )
    assert both_open is not None and one_closed is not None and both_closed is not None
    assert both_open >= one_closed >= both_closed
    assert both_closed < both_open


def test_the_lobby_dashboard_shows_the_card_to_those_who_manage_the_lobby(
    db: Database, sim: Sim, bank: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    add_staff(db, bank, "lobby.a")
    lobby(db, "teller.a", "open_counter", 1, local(8))
    time_machine.move_to(local(10, 30), tick=False)
    page = signed_in_client(db, "lobby.a").get("/lobby/dashboard?outlet=OUT-A")
    assert page.status_code == 200
    assert 'data-testid="workload-card"' in page.text and 'data-testid="overload-1"' in page.text
    assert "柜员甲" in page.text
    teller = signed_in_client(db, "teller.a").get("/lobby/dashboard?outlet=OUT-A")
    assert 'data-testid="workload-card"' not in teller.text


def test_the_workload_page_in_scope_and_a_tellers_own(
    db: Database, sim: Sim, bank: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    a_day(db)
    time_machine.move_to(local(20), tick=False)
    head = signed_in_client(db, "head.a")
    page = head.get(f"/workload?outlet=OUT-A&day={TODAY.isoformat()}")
    assert page.status_code == 200
    assert "柜员甲二" in page.text and 'data-testid="gini"' in page.text
    assert 'id="wl-data"' in page.text
    assert head.get("/workload?outlet=OUT-B").status_code == 404  # outside the scope
    assert head.get("/workload?day=30-11-2026").status_code == 422
    assert signed_in_client(db, "head.b").get("/workload?outlet=OUT-A").status_code == 404
    teller = signed_in_client(db, "teller.a")
    assert teller.get("/workload").status_code == 403
    mine = teller.get("/workload/me")
    assert mine.status_code == 200
    assert f'data-testid="day-{TODAY.isoformat()}"' in mine.text
    assert "柜员甲二" not in mine.text  # only their own figures
    with db.read() as session:
        assert session.scalars(select(ServiceWeight)).all() == []


def test_a_services_default_weight_is_set_from_the_command_line(
    db: Database, sim: Sim, bank: Bank, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    runner = CliRunner()
    done = runner.invoke(cli_app, ["workload", "weight", "OUT-A", "B", "2.5"])
    assert done.exit_code == 0, done.output
    assert "OUT-A B: weight 1.0 → 2.5" in done.output
    for bad, field in ((["OUT-A", "B", "0"], "weight"), (["OUT-A", "Z", "2"], "Z")):
        refused = runner.invoke(cli_app, ["workload", "weight", *bad])
        assert refused.exit_code == 1 and field in refused.output
    with db.read() as session:
        rows = session.scalars(select(ServiceWeight)).all()
        assert [(r.service_code, r.weight) for r in rows] == [("B", 2.5)]  # nothing lost
    lobby(db, "teller.a", "open_counter", 1, local(9))
    serve(db, "teller.a", 1, "B", local(9, 5), local(9, 15))
    with db.read() as session:
        [day] = figures.teller_days(
            session, outlet(db, bank), TODAY, TODAY, now=local(12), break_min=10
        )
    assert day.figures.weighted == 2.5
    cleared = runner.invoke(cli_app, ["workload", "weight", "OUT-A", "B", "1"])
    assert cleared.exit_code == 0
    with db.read() as session:
        assert session.scalars(select(ServiceWeight)).all() == []
