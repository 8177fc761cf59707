"""Mystery shopping and remote checks on a real database: the shopper's single-use link (used
twice), an assignment refusing bad input and other scopes with nothing stored, and a remote
check reviewing a sampled interval of an outlet's lobby."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi.db import Database
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.lobby import service as lobby_service
from manyi.supervision import mystery, remote_checks
from manyi.supervision.inspection_tables import InspectionResult, InspectionVisit
from manyi.supervision.plan_tables import MysteryAssignment, RemoteCheck
from tests.conftest import FIXED_NOW, Bank
from tests.lobby_helpers import configure, operator
from tests.rect_helpers import actor
from tests.row_helpers import count
from tests.supervision_helpers import people_fixture  # noqa: F401 (fixture)
from tests.web_helpers import csrf_of, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TODAY = dt.date(2026, 11, 30)  # FIXED_NOW in Beijing


def _assignment(db: Database, bank: Bank) -> mystery.Assigned:
    hq = actor(db, "insp.hq")
    with db.session() as session:
        scenario = mystery.create_scenario(
            session,
            hq,
            code="ms-cash-1",
            title_zh="大额取现咨询",
            title_en="Asking about cash",
            steps_zh="取号\n询问大额取现需要预约吗\n观察柜员是否起身问候",
            steps_en="",
            now=FIXED_NOW,
        )
        return mystery.assign(
            session,
            hq,
            scenario_id=scenario,
            outlet_id=bank.unit("OUT-A"),
            planned_on=TODAY,
            shopper_label="暗访员3号",
            valid_days=7,
            now=FIXED_NOW,
        )


def test_the_shoppers_link_is_used_once(db: Database, bank: Bank, people: dict[str, int]) -> None:
    done = _assignment(db, bank)
    shopper = make_client(db)  # not signed in: the shopper need not be staff
    page = shopper.get(f"/m/{done.token}")
    assert page.status_code == 200
    assert "大额取现咨询" in page.text and "询问大额取现需要预约吗" in page.text
    assert 'name="item-A2"' in page.text and 'name="item-E1"' not in page.text  # E1 needs a photo
    with db.read() as session:
        judged = [i.code for i in mystery.open_link(session, done.token, FIXED_NOW).items]
    token = csrf_of(shopper, f"/m/{done.token}")
    half = {"csrf_token": token, "item-A2": "failed", "note-A2": "未佩戴工号牌"}
    refused = shopper.post(f"/m/{done.token}", data=half)
    assert refused.status_code == 422 and "未佩戴工号牌" in refused.text  # kept for a retry
    assert count(db, InspectionResult) == 0
    with db.read() as session:
        assert session.scalar(select(MysteryAssignment.used_at)) is None
    full = {f"item-{code}": "passed" for code in judged} | half | {"item-EL1": "na"}
    sent = shopper.post(f"/m/{done.token}", data=full)
    assert sent.status_code == 200 and 'data-kind="thanks"' in sent.text
    with db.read() as session:
        visit = session.get_one(InspectionVisit, done.visit_id)
        assert (visit.kind, visit.state, visit.critical_failed) == ("mystery", "submitted", True)
        outcomes = dict(
            session.execute(select(InspectionResult.item_code, InspectionResult.outcome)).all()
        )
        assert outcomes["A2"] == "failed" and outcomes["E1"] == "na" and outcomes["G1"] == "passed"
    twice = shopper.post(f"/m/{done.token}", data=full)
    assert twice.status_code == 409 and 'data-kind="mystery_used"' in twice.text
    assert shopper.get(f"/m/{done.token}").status_code == 409
    assert shopper.get("/m/not-a-token").status_code == 404
    # Reports and guesses are counted per address: the 11th in ten minutes waits.
    codes = [shopper.post("/m/guess", data={"csrf_token": token}).status_code for _ in range(9)]
    assert codes == [404] * 7 + [429] * 2  # after the 3 reports above
    # The inspector's page shows the assignment as reported, without its link any more.
    inspector = staff_client(db, "insp.hq")
    listing = inspector.get("/supervision/plans/mystery")
    assert listing.status_code == 200 and done.token not in listing.text


def test_an_assignment_refuses_bad_input_and_other_scopes(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    done = _assignment(db, bank)
    with db.read() as session:
        scenario_id = session.scalar(select(MysteryAssignment.scenario_id))
    before = (count(db, MysteryAssignment), count(db, InspectionVisit))
    good: dict[str, object] = {
        "scenario_id": scenario_id,
        "outlet_id": bank.unit("OUT-A"),
        "planned_on": TODAY,
        "shopper_label": "",
        "valid_days": 7,
    }
    for who, changes in (
        ("insp.a", {"outlet_id": bank.unit("OUT-B")}),  # outside branch A
        ("insp.hq", {"outlet_id": bank.unit("BR-A")}),  # not an outlet
        ("insp.hq", {"valid_days": 0}),
        ("insp.hq", {"planned_on": TODAY + dt.timedelta(days=30)}),  # after the link expires
        ("insp.hq", {"scenario_id": 999}),
    ):
        with pytest.raises((InvalidInput, NotFound)), db.session() as session:
            mystery.assign(session, actor(db, who), now=FIXED_NOW, **(good | changes))
    assert (count(db, MysteryAssignment), count(db, InspectionVisit)) == before
    with pytest.raises(Conflict), db.session() as session:
        mystery.create_scenario(
            session,
            actor(db, "insp.hq"),
            code="MS-CASH-1",
            title_zh="重复",
            title_en="",
            steps_zh="一步",
            steps_en="",
            now=FIXED_NOW,
        )
    assert done.token


def test_a_remote_check_reviews_a_sampled_interval(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    configure(db, bank.unit("OUT-A"), opens=dt.time(0), closes=None)
    with db.session() as session:
        admin = operator(session, "admin")
        for minutes in (95, 90, 86, 84, 40, 5):
            lobby_service.issue_ticket(
                session, admin, "OUT-A", "A", FIXED_NOW - dt.timedelta(minutes=minutes)
            )
    me = actor(db, "insp.a")
    with db.read() as session:
        shown = remote_checks.interval(
            session, me, outlet_id=bank.unit("OUT-A"), day=TODAY, seed="R1", now=FIXED_NOW
        )
    assert shown.window is not None and shown.window.drawn
    assert shown.figures["issued"] >= 3 and shown.figures["start"] in ("08:15", "08:30")
    judged = [i.code for i in shown.items]
    assert "G1" in judged and "D1" not in judged and "A2" not in judged
    sent = {code: ("passed", "") for code in judged} | {"G2": ("failed", "柜员未回应客户")}
    before = count(db, InspectionVisit)
    for notes, day, seed in (
        ("", TODAY, "R1"),
        ("看过", TODAY - dt.timedelta(days=1), "R1"),
        ("看过", TODAY, "坏 种子"),
    ):
        with pytest.raises(InvalidInput), db.session() as session:
            remote_checks.record_remote_check(
                session,
                me,
                outlet_id=bank.unit("OUT-A"),
                day=day,
                seed=seed,
                notes=notes,
                sent=sent,
                now=FIXED_NOW,
            )
    with pytest.raises(NotFound), db.session() as session:
        remote_checks.record_remote_check(
            session,
            me,
            outlet_id=bank.unit("OUT-B"),
            day=TODAY,
            seed="R1",
            notes="看过",
            sent=sent,
            now=FIXED_NOW,
        )
    assert count(db, InspectionVisit) == before
    with db.session() as session:
        visit_id = remote_checks.record_remote_check(
            session,
            me,
            outlet_id=bank.unit("OUT-A"),
            day=TODAY,
            seed="R1",
            notes="08:30 起两人等候，窗口 1 未问候",
            sent=sent,
            now=FIXED_NOW,
        )
    with db.read() as session:
        visit = session.get_one(InspectionVisit, visit_id)
        assert (visit.kind, visit.state, visit.planned_on) == ("remote", "submitted", TODAY)
        assert visit.score is not None and visit.score < 100
        check = session.scalars(select(RemoteCheck)).one()
        assert check.figures == shown.figures and check.seed == "R1"
        [recent] = remote_checks.recent(session, me.unit_path)
        assert recent.visit_id == visit_id
