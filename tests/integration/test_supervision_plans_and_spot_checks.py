"""Inspection plans on a real database: a scheduled plan spreads its visits, a spot-check draw
reads the complaints and satisfaction and draws again from its seed; bad input and other scopes
refused with nothing stored. The plans pages (plans, spot checks, mystery shopping, remote
checks) draw, schedule and refuse bad forms."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.supervision import mystery, plans, spot_checks
from manyi.supervision.inspection_tables import InspectionVisit
from manyi.supervision.plan_tables import InspectionPlan, MysteryAssignment
from tests.conftest import FIXED_NOW, Bank
from tests.rect_helpers import actor
from tests.row_helpers import count
from tests.supervision_helpers import people_fixture  # noqa: F401 (fixture)
from tests.web_helpers import csrf_of, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
TODAY = dt.date(2026, 11, 30)  # FIXED_NOW in Beijing


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
