"""Survey invitations on both engines: the scan invites once per visit (a transferred visit is
one visit), sampled by the outlet's rule, sparing a customer invited within the quiet period;
closed complaints and finished bundles are invited too; a visit invited by two units of work at
once, and the default survey stored by two first completions at once, are stored once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from manyi.db import Database
from manyi.lobby.tables import LobbyService, LobbyTicket
from manyi.org.tables import Unit
from manyi.quality import survey_rules, surveys
from manyi.quality.survey_scan import scan, ticket_visit_key
from manyi.quality.survey_tables import SurveyDefinitionRow, SurveyInvitation
from tests.conftest import FIXED_NOW, SYSTEM, Bank
from tests.lobby_helpers import configure
from tests.survey_helpers import make_invitation, visit

pytestmark = pytest.mark.usefixtures("frozen_clock")
DAY = FIXED_NOW.date()


def finish_ticket(
    db: Database,
    bank: Bank,
    number: str,
    *,
    outlet: str = "OUT-A",
    finished: dt.datetime = FIXED_NOW - dt.timedelta(minutes=5),
    outcome: str = "served",
    previous_id: int | None = None,
) -> int:
    with db.session() as session:
        outlet_id = bank.unit(outlet)
        service = session.scalars(
            select(LobbyService).where(
                LobbyService.outlet_id == outlet_id, LobbyService.code == "A"
            )
        ).one()
        ticket = LobbyTicket(
            outlet_id=outlet_id,
            local_day=DAY,
            prefix=number[0],
            seq=int(number[1:]),
            number=number,
            service_id=service.id,
            service_code="A",
            klass="normal",
            channel="kiosk",
            state="finished",
            outcome=outcome,
            issued_at=finished - dt.timedelta(minutes=30),
            queued_at=finished - dt.timedelta(minutes=30),
            started_at=finished - dt.timedelta(minutes=10),
            finished_at=finished,
            teller_id=bank.staff["teller_a"],
            public_token=f"tok{number}{previous_id or ''}",
            previous_id=previous_id,
        )
        session.add(ticket)
        session.flush()
        return ticket.id


@pytest.fixture
def lobby(db: Database, bank: Bank) -> Bank:
    configure(db, bank.unit("OUT-A"))
    configure(db, bank.unit("OUT-B"))
    return bank


def run_scan(db: Database, now: dt.datetime = FIXED_NOW) -> dict[str, int]:
    with db.session() as session:
        return scan(session, now, expiry_days=7)


def invitations(db: Database) -> list[SurveyInvitation]:
    with db.read() as session:
        rows = list(session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)))
        session.expunge_all()
        return rows


def test_a_served_visit_gets_one_invitation_however_often_it_is_scanned(
    db: Database, lobby: Bank
) -> None:
    first = finish_ticket(db, lobby, "A001", outcome="transferred")
    finish_ticket(db, lobby, "A001", previous_id=first)  # the second leg of the same visit
    finish_ticket(db, lobby, "A002", outcome="no_show")
    finish_ticket(db, lobby, "A003")
    assert run_scan(db)["ticket"] == 2
    assert run_scan(db, FIXED_NOW + dt.timedelta(seconds=30))["ticket"] == 0
    made = invitations(db)
    assert sorted(i.visit_key for i in made) == [
        ticket_visit_key(lobby.unit("OUT-A"), DAY, "A001"),
        ticket_visit_key(lobby.unit("OUT-A"), DAY, "A003"),
    ]
    invitation = made[0]
    assert invitation.teller_staff_id == lobby.staff["teller_a"]
    assert invitation.service == "A"
    assert invitation.expires_at == FIXED_NOW + dt.timedelta(days=7)
    assert len(invitation.token) >= 32 and invitation.token_hash != invitation.token
    with db.read() as session:  # the token is sealed at rest, only its hash is plain
        stored = session.execute(
            text("SELECT token FROM survey_invitations WHERE id = :id"), {"id": invitation.id}
        ).scalar_one()
    assert invitation.token not in str(stored)


def test_sampling_at_zero_for_an_outlet_invites_nobody_there(db: Database, lobby: Bank) -> None:
    with db.session() as session:
        survey_rules.set_rule(
            session,
            SYSTEM,
            "ticket",
            lobby.unit("SUB-B"),
            rate_percent=0,
            quiet_days=0,
            level="head_office",
        )
    finish_ticket(db, lobby, "A001", outlet="OUT-A")
    finish_ticket(db, lobby, "A001", outlet="OUT-B")
    assert run_scan(db)["ticket"] == 1
    assert [i.outlet_id for i in invitations(db)] == [lobby.unit("OUT-A")]
    with db.read() as session:
        outlet_b_path = f"/{lobby.unit('HQ')}/{lobby.unit('BR-B')}/{lobby.unit('SUB-B')}/"
        assert survey_rules.rule_for(session, "ticket", outlet_b_path) == (0, 0)
        assert survey_rules.rule_for(session, "ticket", f"/{lobby.unit('HQ')}/") == (100, 30)


def test_the_quiet_period_spares_a_customer_invited_lately(db: Database, bank: Bank) -> None:
    with db.session() as session:
        survey_rules.set_rule(
            session, SYSTEM, "complaint", None, rate_percent=100, quiet_days=30, level="head_office"
        )
        assert surveys.invite(session, visit(bank, "c:1", "person-1"), FIXED_NOW, 7)
        # Ten days later: the same customer is not asked again; another customer is.
        later = FIXED_NOW + dt.timedelta(days=10)
        assert surveys.invite(session, visit(bank, "c:2", "person-1"), later, 7) is None
        assert surveys.invite(session, visit(bank, "c:3", "person-2"), later, 7)
        # No customer key (tickets): no quiet period.
        assert surveys.invite(session, visit(bank, "c:4", None), later, 7)
        assert surveys.invite(session, visit(bank, "c:5", None), later, 7)
        # After the quiet period, asked again.
        after = FIXED_NOW + dt.timedelta(days=31)
        assert surveys.invite(session, visit(bank, "c:6", "person-1"), after, 7)


def test_the_scan_invites_closed_complaints_and_finished_bundles(db: Database, lobby: Bank) -> None:
    from manyi import personal, sealed
    from manyi.complaints.tables import Complaint
    from manyi.counter.tables import CounterBundle

    finished = FIXED_NOW - dt.timedelta(minutes=1)  # still within the next pass's slack
    ticket = finish_ticket(db, lobby, "A007")
    with db.session() as session:
        outlet = session.get_one(Unit, lobby.unit("OUT-A"))
        key = personal.person_key("11010519491231002X", None, keys=sealed.keyring())
        assert key is not None
        for n, state in enumerate(("closed", "decided")):
            session.add(
                Complaint(
                    reference=f"TS-SURVEY-{n}",
                    intake="counter",
                    department="retail",
                    subject="排队太久",
                    person_key=key,
                    registered_unit_id=outlet.id,
                    responsible_unit_id=outlet.id,
                    responsible_unit_path=outlet.path,
                    handler_id=lobby.staff["head_a"],
                    received_at=finished - dt.timedelta(days=3),
                    policy_code="standard",
                    clock_started_at=finished - dt.timedelta(days=3),
                    state=state,
                    closed_at=finished if state == "closed" else None,
                )
            )
        for n, (state, ticket_id) in enumerate(
            (("done", ticket), ("failed", None), ("done", None))
        ):
            session.add(
                CounterBundle(
                    reference=f"B-SURVEY-{n}",
                    outlet_id=outlet.id,
                    outlet_path=outlet.path,
                    teller_id=lobby.staff["teller_a"],
                    ticket_id=ticket_id,
                    state=state,
                    form_values={"id_number": "11010519491231002X"},
                    identity_required=False,
                    opened_at=finished - dt.timedelta(minutes=10),
                    finished_at=finished,
                )
            )
    made = run_scan(db)
    # The bundle done for ticket A007 asks for that visit; the ticket is then not asked again.
    # The complaint and the other bundle share one customer: the quiet period keeps it to one.
    assert made == {"bundle": 1, "ticket": 0, "complaint": 0}
    rows = invitations(db)
    assert [(i.trigger, i.visit_key, i.customer_key) for i in rows] == [
        ("bundle", ticket_visit_key(lobby.unit("OUT-A"), DAY, "A007"), key)
    ]
    with db.session() as session:  # without the quiet period, the complaint is asked too
        survey_rules.set_rule(session, SYSTEM, "complaint", None, 100, 0, level="head_office")
        survey_rules.set_rule(session, SYSTEM, "bundle", None, 100, 0, level="head_office")
    made = run_scan(db, FIXED_NOW + dt.timedelta(seconds=30))
    assert made == {"bundle": 1, "ticket": 0, "complaint": 1}
    complaint = [i for i in invitations(db) if i.trigger == "complaint"]
    assert (
        complaint[0].customer_key == key and complaint[0].teller_staff_id == lobby.staff["head_a"]
    )


def test_a_visit_invited_twice_at_once_does_not_fail_the_second_unit_of_work(
    db: Database, bank: Bank
) -> None:
    make_invitation(db, bank, "t:race")
    # The second invitation does not look first: its INSERT finds the visit's key taken (as
    # one racing the first would, once that committed) and invites nobody.
    with db.session() as session:
        again = surveys.invite(
            session,
            surveys.Visit("ticket", "t:race", bank.unit("OUT-A"), f"/{bank.unit('OUT-A')}/"),
            FIXED_NOW,
            7,
        )
        assert again is None
        # The unit of work goes on (a completion, a voucher) and commits.
        survey_rules.set_rule(session, SYSTEM, "ticket", None, 50, 0, level="head_office")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 1
        assert survey_rules.rule_for(session, "ticket", "/1/") == (50, 0)


@pytest.mark.postgres
def test_two_first_completions_store_the_default_survey_once(db: Database) -> None:
    """Found by the chaos test: the first two completions of the day at a new bank both stored
    the default survey; the second failed its completion with a unique violation (500)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the two cannot overlap there")
    import threading

    first = db.sessionmaker()
    stored = surveys.current_definition(first, "ticket")  # inserted, not committed yet
    timer = threading.Timer(0.5, first.commit)  # the second waits on the unique index till then
    timer.start()
    try:
        with db.session() as second:
            found = surveys.current_definition(second, "ticket")
            assert found.version == 1 and found.id == stored.id
    finally:
        timer.join()
        first.close()
    with db.read() as session:
        count = session.scalar(
            select(func.count())
            .select_from(SurveyDefinitionRow)
            .where(SurveyDefinitionRow.trigger == "ticket")
        )
    assert count == 1
