"""Triage at the door on a real database (SQLite and PostgreSQL): a ticket of any class issued
through the lobby's rules, a diversion to a machine with teaching and its wait avoided, a
diversion that still ends with a ticket, refusals that store nothing, the machines kept by the
branch head, the day's figures, the cockpit's roll-up and the pages (the phone page, a result,
bad input shown with its message)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.cockpit import rollups
from manyi.cockpit.tables import CockpitDaily
from manyi.counter import catalogue_store
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.guidance import machines, queries, triage
from manyi.guidance.domain.triage import Draft, Outcome
from manyi.guidance.tables import GuidanceEncounter
from manyi.lobby import counters
from manyi.lobby.tables import LobbyTicket
from manyi.org import staff as staff_service
from tests.conftest import FIXED_NOW, SYSTEM, Bank, add_staff
from tests.lobby_helpers import configure, operator
from tests.web_helpers import csrf_of, signed_in_client

NOW = FIXED_NOW  # 10:00 in Beijing, a Monday
MIN = dt.timedelta(minutes=1)


def who(db: Database, username: str) -> triage.Who:
    with db.session() as session:
        staff = staff_service.by_username(session, username)
        assert staff is not None
        return triage.Who(
            staff.id, staff.username, staff.unit_id, staff.unit.path, staff.permissions
        )


@pytest.fixture
def lobby(db: Database, bank: Bank) -> dict[str, int]:
    """OUT-A and OUT-B with the test layout, counter 1 of OUT-A open, the catalogue, two
    machines at OUT-A (a smart teller in service, a cash machine out of service)."""
    add_staff(db, bank, "lobby.a", "lobby.b", "teller.a2")
    configure(db, bank.unit("OUT-A"))
    configure(db, bank.unit("OUT-B"))
    with db.session() as session:
        catalogue_store.seed_catalogue(session, SYSTEM, NOW)
        counters.open_counter(session, operator(session, "teller.a2"), "OUT-A", 1, NOW)
    head = who(db, "head.a")
    with db.session() as session:
        outlet = triage.outlet_of(session, head, "OUT-A")
        stm = machines.add(session, head, outlet, " 智能柜员机  1号 ", "smart_teller", NOW)
        cash = machines.add(session, head, outlet, "存取款一体机 1号", "cash", NOW)
        machines.set_in_service(session, head, outlet, cash.id, False, NOW)
        return {"stm": stm.id, "cash": cash.id}


def record(db: Database, username: str, draft: Draft, at: dt.datetime = NOW, **kw: str):  # type: ignore[no-untyped-def]
    person = who(db, username)
    with db.session() as session:
        outlet = triage.outlet_of(session, person, "OUT-A")
        row, slip = triage.record(session, person, outlet, draft, at, **kw)
        return row.id, slip


def encounter(db: Database, encounter_id: int) -> GuidanceEncounter:
    with db.session() as session:
        row = session.get(GuidanceEncounter, encounter_id)
        assert row is not None
        session.expunge(row)
        return row


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_green_channel_ticket_goes_through_the_lobby(db: Database, lobby: dict[str, int]) -> None:
    encounter_id, slip = record(
        db, "lobby.a", Draft(Outcome.TICKET, need="withdraw"), klass="green"
    )
    assert slip is not None and slip.number.startswith("A")  # withdraw queues for cash (A)
    row = encounter(db, encounter_id)
    assert (row.outcome, row.klass, row.service_code) == ("ticket", "green", "A")
    assert row.ticket_id == slip.ticket_id and row.local_day == dt.date(2026, 11, 30)
    with db.session() as session:
        ticket = session.get(LobbyTicket, slip.ticket_id)
        assert ticket is not None and (ticket.klass, ticket.channel) == ("green", "lobby_manager")
        actions = set(session.scalars(select(AuditEvent.action)))
    assert "guidance.encounter.record" in actions
    assert any(a.startswith("lobby.") and "issue" in a for a in actions)


def test_a_diversion_with_teaching_avoids_the_predicted_wait(
    db: Database, lobby: dict[str, int]
) -> None:
    # People queue for B first, so that the prediction is not zero.
    for _ in range(4):
        record(db, "lobby.a", Draft(Outcome.TICKET, need="transfer"))
    page = queries_page(db)
    transfer = next(n for n in page.needs if n.code == "transfer")
    # The smart teller in service is proposed first; the cash machine is out of service.
    assert [p.outcome for p in transfer.proposals] == [
        Outcome.SELF_SERVICE,
        Outcome.MOBILE,
        Outcome.ONLINE,
    ]
    assert transfer.proposals[0].machine is not None
    assert transfer.proposals[0].machine.label == "智能柜员机 1号"
    waited = next(s for s in page.services if s.code == "B").wait_s
    assert waited and waited > 0

    encounter_id, slip = record(
        db, "lobby.a", Draft(Outcome.SELF_SERVICE, need="transfer", machine_id=lobby["stm"])
    )
    assert slip is None
    with db.session() as session:
        triage.set_result(
            session, who(db, "lobby.a"), encounter_id, NOW + MIN, taught=True, completed=True
        )
    row = encounter(db, encounter_id)
    assert row.taught and row.completed and row.predicted_wait_s == waited
    with db.session() as session:
        figures = queries.day_figures(session, row.outlet_id, row.local_day)
    assert (figures.met, figures.diverted, figures.taught, figures.completed) == (5, 1, 1, 1)
    assert figures.wait_avoided_s == waited
    assert figures.by_outcome == {"ticket": 4, "self_service": 1}


def test_a_diverted_customer_may_still_take_a_ticket(db: Database, lobby: dict[str, int]) -> None:
    encounter_id, _ = record(db, "lobby.a", Draft(Outcome.MOBILE, need="transfer"))
    row = encounter(db, encounter_id)
    assert row.function_zh == "手机银行 › 转账汇款" and row.ticket_id is None
    with db.session() as session:
        slip = triage.take_ticket(session, who(db, "lobby.a"), encounter_id, NOW + MIN)
    with db.session() as session:
        triage.set_result(
            session, who(db, "lobby.a"), encounter_id, NOW + 2 * MIN, taught=False, completed=True
        )
    row = encounter(db, encounter_id)
    assert row.ticket_id == slip.ticket_id and row.service_code == "B"
    with db.session() as session:
        figures = queries.day_figures(session, row.outlet_id, row.local_day)
    assert figures.still_took_ticket == 1 and figures.wait_avoided_s == 0
    with db.session() as session, pytest.raises(Conflict):
        triage.take_ticket(session, who(db, "lobby.a"), encounter_id, NOW + 3 * MIN)


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (Draft(Outcome.SELF_SERVICE, need="transfer", machine_id=None), "machine"),
        (Draft(Outcome.MOBILE, need="close_account"), "outcome"),
        (Draft(Outcome.OTHER_OUTLET, need="transfer", target_outlet="OUT-A"), "target_outlet"),
        (Draft(Outcome.OTHER_OUTLET, need="transfer", target_outlet="NOPE"), "target_outlet"),
        (Draft(Outcome.ANSWERED, need="transfer", taught=True), "taught"),
        (Draft(Outcome.TICKET, need="no_such_need"), "need"),
    ],
)
def test_bad_drafts_are_refused_and_nothing_is_stored(
    db: Database, lobby: dict[str, int], draft: Draft, field: str
) -> None:
    audited = count(db, AuditEvent)
    with pytest.raises(InvalidInput) as refused:
        record(db, "lobby.a", draft)
    assert refused.value.field == field
    assert count(db, GuidanceEncounter) == 0 and count(db, LobbyTicket) == 0
    assert count(db, AuditEvent) == audited


def test_machines_out_of_service_or_unable_are_refused(db: Database, lobby: dict[str, int]) -> None:
    with pytest.raises(InvalidInput, match="out of service"):
        record(db, "lobby.a", Draft(Outcome.SELF_SERVICE, need="deposit", machine_id=lobby["cash"]))
    with pytest.raises(InvalidInput, match="cannot do this"):
        record(
            db, "lobby.a", Draft(Outcome.SELF_SERVICE, need="wealth_buy", machine_id=lobby["stm"])
        )
    assert count(db, GuidanceEncounter) == 0


def test_rights_scope_and_the_day(db: Database, lobby: dict[str, int], bank: Bank) -> None:
    with pytest.raises(Forbidden):
        record(db, "teller.a", Draft(Outcome.ANSWERED))
    other, mine, head = who(db, "lobby.b"), who(db, "lobby.a"), who(db, "head.a")
    with db.session() as session, pytest.raises(NotFound):
        triage.outlet_of(session, other, "OUT-A")
    encounter_id, _ = record(db, "lobby.a", Draft(Outcome.APPOINTMENT, need="wealth_buy"))
    with db.session() as session, pytest.raises(NotFound):
        triage.set_result(session, other, encounter_id, NOW, taught=False, completed=True)
    with db.session() as session, pytest.raises(Conflict, match="own day"):
        triage.set_result(
            session, mine, encounter_id, NOW + dt.timedelta(days=1),
            taught=False, completed=True,
        )  # fmt: skip
    with db.session() as session, pytest.raises(InvalidInput, match="teaching"):
        triage.set_result(session, mine, encounter_id, NOW, taught=True, completed=True)
    # The lobby manager keeps no machines; a second machine of the same label is refused.
    with db.session() as session, pytest.raises(Forbidden):
        outlet = triage.outlet_of(session, mine, "OUT-A")
        machines.add(session, mine, outlet, "X", "cash", NOW)
    with db.session() as session, pytest.raises(Conflict):
        outlet = triage.outlet_of(session, head, "OUT-A")
        machines.add(session, head, outlet, "智能柜员机 1号", "cash", NOW)


def test_the_cockpit_rolls_up_the_days_encounters(db: Database, lobby: dict[str, int]) -> None:
    for _ in range(2):
        record(db, "lobby.a", Draft(Outcome.TICKET, need="transfer"))
    encounter_id, _ = record(db, "lobby.a", Draft(Outcome.ONLINE, need="bill_pay"))
    with db.session() as session:
        triage.set_result(
            session, who(db, "lobby.a"), encounter_id, NOW, taught=True, completed=True
        )
    record(db, "lobby.a", Draft(Outcome.OTHER_OUTLET, need="transfer", target_outlet="OUT-B"))
    # The worker's pass finds the new encounters by id (their watermark).
    rollups.run_pass(db, "Asia/Shanghai", 600, NOW + MIN)
    with db.session() as session:
        day = session.scalars(select(CockpitDaily)).one()
    avoided = encounter(db, encounter_id).predicted_wait_s or 0
    assert (day.guided, day.diverted, day.taught, day.wait_avoided_s) == (4, 2, 1, avoided)
    by_channel = (day.diverted_self_service, day.diverted_mobile, day.diverted_online,
                  day.diverted_other_outlet, day.diverted_appointment)  # fmt: skip
    assert by_channel == (0, 0, 1, 1, 0)


def queries_page(db: Database) -> queries.TriagePage:
    with db.session() as session:
        outlet = triage.outlet_of(session, who(db, "lobby.a"), "OUT-A")
        return queries.triage_page(session, outlet, NOW)


@pytest.mark.usefixtures("frozen_clock")
def test_the_phone_page_diverts_and_records_the_result(db: Database, lobby: dict[str, int]) -> None:
    client = signed_in_client(db, "lobby.a")
    home = client.get("/guidance/triage")
    assert home.status_code == 200 and "转账汇款" in home.text
    step = client.get("/guidance/triage?need=transfer")
    assert "智能柜员机 1号" in step.text and "手机银行 › 转账汇款" in step.text
    token = csrf_of(client, "/guidance/triage?need=transfer")
    sent = client.post(
        "/guidance/triage",
        data={"csrf_token": token, "outlet": "OUT-A", "need": "transfer", "outcome": "self_service",
              "machine": str(lobby["stm"]), "service": "B"},
    )  # fmt: skip
    assert sent.status_code == 303
    encounter_id = int(re.sub(r".*/e/", "", sent.headers["location"]))
    result = client.post(
        f"/guidance/triage/e/{encounter_id}/result",
        data={"csrf_token": token, "taught": "yes", "completed": "yes"},
    )
    assert result.status_code == 303
    row = encounter(db, encounter_id)
    assert row.taught and row.completed
    # Bad input: a machine id that is not a number, an outcome unknown: the message, nothing kept.
    bad = client.post(
        "/guidance/triage",
        data={"csrf_token": token, "outlet": "OUT-A", "need": "transfer", "outcome": "self_service",
              "machine": "abc"},
    )  # fmt: skip
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text
    unknown = client.post(
        "/guidance/triage",
        data={"csrf_token": token, "outlet": "OUT-A", "need": "transfer", "outcome": "teleport"},
    )
    assert unknown.status_code == 422
    assert count(db, GuidanceEncounter) == 1
    # A ticket: the encounter page shows its number and the QR code of its status page.
    ticket = client.post(
        "/guidance/triage",
        data={"csrf_token": token, "outlet": "OUT-A", "need": "deposit", "outcome": "ticket",
              "klass": "green"},
    )  # fmt: skip
    shown = client.get(ticket.headers["location"])
    assert 'data-testid="ticket-number"' in shown.text and "<svg" in shown.text
    # An appointment: the QR code of the outlet's booking page.
    booked = client.post(
        "/guidance/triage",
        data={
            "csrf_token": token,
            "outlet": "OUT-A",
            "need": "wealth_buy",
            "outcome": "appointment",
        },
    )
    assert 'data-testid="qr"' in client.get(booked.headers["location"]).text
    # The dashboard's card counts the day.
    dashboard = client.get("/lobby/dashboard")
    assert 'data-testid="guidance-card"' in dashboard.text


@pytest.mark.usefixtures("frozen_clock")
def test_a_teller_has_no_triage_page_and_head_office_chooses(
    db: Database, lobby: dict[str, int]
) -> None:
    assert signed_in_client(db, "teller.a").get("/guidance/triage").status_code == 403
    admin = signed_in_client(db, "admin")
    chooser = admin.get("/guidance/triage")
    assert chooser.status_code == 200 and "OUT-A" in chooser.text
    assert admin.get("/guidance/triage?outlet=OUT-A&need=nope").status_code == 404
    machines_page = admin.get("/guidance/machines?outlet=OUT-A")
    assert "智能柜员机 1号" in machines_page.text


def test_the_demo_has_a_month_of_triage(db: Database) -> None:
    from manyi import demo
    from manyi.counter import demo as counter_demo
    from manyi.guidance import demo as guidance_demo

    with db.session() as session:
        demo.seed(session, password=demo.DEMO_PASSWORD)
        counter_demo.seed(session)
    with db.session() as session:
        seeded = guidance_demo.seed(session, NOW)
    assert seeded.machines == 2 * 6 + 3 * 3 and seeded.encounters > 2 * 30 * 12
    with db.session() as session:
        again = guidance_demo.seed(session, NOW + dt.timedelta(hours=3))
    assert (again.machines, again.encounters) == (0, 0)
    with db.read() as session:
        rows = session.execute(select(GuidanceEncounter.outcome, GuidanceEncounter.local_day)).all()
        outlet = triage.outlet_of(session, who(db, "admin"), "BJ-HD-ZGC")
        yesterday = max(day for _, day in rows)
        figures = queries.day_figures(session, outlet.id, yesterday)
    assert yesterday == dt.date(2026, 11, 29) and len({d for _, d in rows}) == 30
    assert {o for o, _ in rows} == {o.value for o in Outcome}  # every outcome occurs
    assert figures.met > 0 and 0.15 < (figures.diversion_rate or 0) < 0.6
    assert figures.taught > 0 and figures.wait_avoided_s > 0
