"""Inspection plans on a real database: a scheduled plan's visits, a spot-check draw from the
complaints and satisfaction it reads, mystery shopping through the single-use link (used twice),
a remote check of a sampled interval; bad input and other scopes refused with nothing stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.errors import Conflict, InvalidInput, NotFound
from manyi.lobby import service as lobby_service
from manyi.supervision import mystery, plans, remote_checks, spot_checks
from manyi.supervision.inspection_tables import InspectionResult, InspectionVisit
from manyi.supervision.plan_tables import InspectionPlan, MysteryAssignment, RemoteCheck
from tests.conftest import FIXED_NOW, Bank
from tests.lobby_helpers import configure, operator
from tests.rect_helpers import actor
from tests.supervision_helpers import add_inspectors
from tests.web_helpers import csrf_of, make_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TODAY = dt.date(2026, 11, 30)  # FIXED_NOW in Beijing


@pytest.fixture
def people(db: Database, bank: Bank) -> dict[str, int]:
    return add_inspectors(db, bank)


def count(db: Database, table: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_scheduled_plan_spreads_its_visits_and_refuses_bad_input(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    hq = actor(db, "insp.hq")
    with db.session() as session:
        plan_id = plans.create_scheduled_plan(
            session,
            hq,
            unit_id=bank.unit("HQ"),
            name="2027年一季度巡查",
            period="2027-q1",
            visits=2,
            now=FIXED_NOW,
        )
    with db.read() as session:
        plan, visits = plans.plan_visits(session, hq, plan_id)
        assert (plan.period, plan.starts_on, plan.ends_on) == (
            "2027-Q1",
            dt.date(2027, 1, 1),
            dt.date(2027, 3, 31),
        )
        assert sorted(v.outlet_code for v in visits) == ["OUT-A", "OUT-A", "OUT-B", "OUT-B"]
        days = [v.planned_on for v in visits]
        assert days == sorted(days) and len(set(days)) == 4  # spread, not all on one day
        kinds = session.scalars(select(InspectionVisit.kind).distinct()).all()
        assert kinds == ["scheduled"]
        [line] = plans.plan_lines(session, hq.unit_path)
        assert (line.visits, line.submitted) == (4, 0)
    # Branch A's inspector sees the plan of head office? No: it is not in their scope.
    with db.read() as session:
        assert plans.plan_lines(session, actor(db, "insp.a").unit_path) == []
    before = (count(db, InspectionPlan), count(db, InspectionVisit))
    for changes, field in (
        ({"period": "2027-Q5"}, "period"),
        ({"period": "2025-Q1"}, "period"),  # nothing left to inspect in
        ({"visits": 0}, "visits"),
        ({"name": " "}, "name"),
        ({"unit_id": bank.unit("OUT-B")}, "unit_id"),  # outside branch A
    ):
        fields: dict[str, object] = {
            "unit_id": bank.unit("BR-A"),
            "name": "巡查",
            "period": "2027-Q1",
            "visits": 1,
        } | changes
        with pytest.raises((InvalidInput, NotFound)) as caught, db.session() as session:
            plans.create_scheduled_plan(session, actor(db, "insp.a"), now=FIXED_NOW, **fields)
        assert caught.value.field == field
    assert (count(db, InspectionPlan), count(db, InspectionVisit)) == before


def test_a_spot_check_reads_complaints_and_draws_again_from_its_seed(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    with db.session() as session:  # three recent complaints about outlet A, one too old
        for days in (1, 10, 80, 120):
            form = intake.ComplaintForm(
                intake="counter",
                subject="服务态度差",
                description="柜员态度生硬",
                complainant_name="王五",
                complainant_phone="13812345678",
                responsible_unit_id=bank.unit("OUT-A"),
            )
            intake.register(
                session,
                system_caller("test"),
                form,
                FIXED_NOW - dt.timedelta(days=days),
                registered_unit_id=bank.unit("OUT-A"),
            )
    hq = actor(db, "insp.hq")
    with db.read() as session:
        shown = spot_checks.preview(
            session, hq, unit_id=bank.unit("HQ"), seed="Q4-A", n=2, now=FIXED_NOW
        )
        again = spot_checks.preview(
            session, hq, unit_id=bank.unit("HQ"), seed="Q4-A", n=2, now=FIXED_NOW
        )
    assert shown.draw == again.draw
    # Two branches, one outlet each: one per branch; outlet A weighs 1 + 3 × 0.5.
    assert {p.outlet.code: (p.branch.code, p.complaints, p.weight) for p in shown.picks} == {
        "OUT-A": ("BR-A", 3, 2.5),
        "OUT-B": ("BR-B", 0, 1.0),
    }
    with db.session() as session:
        plan_id = spot_checks.schedule_spot_check(
            session,
            hq,
            unit_id=bank.unit("HQ"),
            seed="Q4-A",
            n=1,
            planned_on=TODAY,
            name="十二月抽查",
            now=FIXED_NOW,
        )
    with db.read() as session:
        plan, visits = plans.plan_visits(session, hq, plan_id)
        assert plan.seed == "Q4-A" and plan.draw is not None
        assert [p["outlet"] for p in plan.draw["picks"]] == [v.outlet_code for v in visits]
        assert session.scalars(select(InspectionVisit.kind)).all() == ["spot"]
    before = count(db, InspectionPlan)
    for changes in ({"seed": "bad seed"}, {"n": 0}, {"planned_on": TODAY - dt.timedelta(days=1)}):
        fields: dict[str, object] = {
            "unit_id": bank.unit("HQ"),
            "seed": "x",
            "n": 1,
            "planned_on": TODAY,
            "name": "抽查",
        } | changes
        with pytest.raises(InvalidInput), db.session() as session:
            spot_checks.schedule_spot_check(session, hq, now=FIXED_NOW, **fields)
    with pytest.raises(NotFound), db.session() as session:
        spot_checks.preview(
            session, actor(db, "insp.a"), unit_id=bank.unit("BR-B"), seed="x", n=1, now=FIXED_NOW
        )
    assert count(db, InspectionPlan) == before


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


def test_the_pages_draw_schedule_and_refuse_bad_forms(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    inspector = staff_client(db, "insp.a")  # branch A: outlet B is outside
    page = inspector.get("/supervision/plans")
    assert page.status_code == 200 and "检查计划" in page.text and "乙网点" not in page.text
    drawn = inspector.get(f"/supervision/plans?unit_id={bank.unit('BR-A')}&seed=S-1&n=1")
    assert drawn.status_code == 200 and 'data-outlet="OUT-A"' in drawn.text
    assert "S-1" in drawn.text
    hidden = inspector.get(f"/supervision/plans?unit_id={bank.unit('BR-B')}&seed=S-1&n=1")
    assert hidden.status_code == 200 and 'data-testid="draw-error"' in hidden.text
    assert "乙网点" not in hidden.text
    token = csrf_of(inspector, "/supervision/plans")
    spot = {
        "csrf_token": token,
        "unit_id": str(bank.unit("BR-A")),
        "seed": "S-1",
        "n": "1",
        "name": "抽查",
        "planned_on": "2026-13-01",
    }
    assert inspector.post("/supervision/plans/spot", data=spot).status_code == 422
    plan = {
        "csrf_token": token,
        "unit_id": str(bank.unit("OUT-B")),
        "name": "巡查",
        "period": "2027-Q1",
        "visits": "1",
    }
    assert inspector.post("/supervision/plans", data=plan).status_code == 404
    assert inspector.post("/supervision/plans", data=plan | {"visits": "²"}).status_code == 422
    assert count(db, InspectionPlan) == 0
    made = inspector.post("/supervision/plans", data=plan | {"unit_id": str(bank.unit("BR-A"))})
    assert made.status_code == 303
    shown = inspector.get(made.headers["location"])
    assert 'data-testid="plan-visits"' in shown.text and "甲网点" in shown.text
    done = inspector.post("/supervision/plans/spot", data=spot | {"planned_on": "2026-11-30"})
    assert done.status_code == 303 and count(db, InspectionPlan) == 2

    mystery_page = inspector.get("/supervision/plans/mystery")
    assert mystery_page.status_code == 200 and "乙网点" not in mystery_page.text
    bad = {
        "csrf_token": token,
        "code": "MS-1",
        "title_zh": "取现",
        "steps_zh": "",
        "steps_en": "",
        "title_en": "",
    }
    assert inspector.post("/supervision/plans/mystery/scenarios", data=bad).status_code == 422
    good = bad | {"steps_zh": "取号\n咨询"}
    assert inspector.post("/supervision/plans/mystery/scenarios", data=good).status_code == 303
    with db.read() as session:
        scenario_id = session.scalar(select(func.max(MysteryAssignment.scenario_id)))
        scenarios = mystery.scenarios(session)
    assert scenario_id is None and [s.code for s in scenarios] == ["MS-1"]
    assign = {
        "csrf_token": token,
        "scenario_id": str(scenarios[0].id),
        "outlet_id": str(bank.unit("OUT-A")),
        "planned_on": "2026-11-30",
        "valid_days": "7",
        "shopper_label": "暗访员",
    }
    sent = inspector.post("/supervision/plans/mystery/assignments", data=assign)
    assert sent.status_code == 303
    listed = inspector.get(sent.headers["location"])
    assert 'data-testid="link"' in listed.text and "/m/" in listed.text

    remote = inspector.get(
        f"/supervision/plans/remote?outlet_id={bank.unit('OUT-A')}&day=2026-11-30&seed=R"
    )
    assert remote.status_code == 200 and "那天" not in remote.text
    teller = staff_client(db, "teller.a")
    assert teller.get("/supervision/plans").status_code == 403
