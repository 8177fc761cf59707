"""The demo bank's rectification tasks: every state the board shows, overdue ones, seeded once;
and the complaint case page's link that opens a task for the case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from manyi import demo
from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.supervision import demo_rect
from manyi.supervision.domain.rectification import TaskState, is_overdue
from manyi.supervision.rectification_tables import RectificationTask
from tests.conftest import FIXED_NOW, Bank
from tests.web_helpers import signed_in_client


def test_the_demo_has_tasks_in_every_state_some_overdue_and_seeds_once(
    db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        demo.seed(session)
    with db.session() as session:
        assert demo_rect.seed(session, FIXED_NOW, tmp_path) == len(demo_rect.TASKS)
    with db.session() as session:
        assert demo_rect.seed(session, FIXED_NOW, tmp_path) == 0
        rows = session.execute(
            select(RectificationTask.state, RectificationTask.due_on, RectificationTask.source)
        ).all()
    states = {TaskState(state) for state, _due, _source in rows}
    assert {TaskState.OPEN, TaskState.IN_PROGRESS, TaskState.SUBMITTED, TaskState.CLOSED} <= states
    today = FIXED_NOW.date()
    assert sum(is_overdue(TaskState(s), due, today) for s, due, _src in rows) >= 2
    assert len({source for _s, _d, source in rows}) == 5
    assert list(tmp_path.glob("supervision/*/*"))  # the submitted photos are stored


def test_the_complaint_page_links_to_a_new_task_for_the_case(db: Database, bank: Bank) -> None:
    with db.session() as session:
        form = intake.ComplaintForm(
            intake="counter",
            subject="等候时间过长",
            description="午间只开一个窗口",
            complainant_name="王五",
            complainant_phone="13812345678",
            responsible_unit_id=bank.unit("OUT-A"),
        )
        case = intake.register(
            session,
            system_caller("test"),
            form,
            FIXED_NOW - dt.timedelta(hours=1),
            registered_unit_id=bank.unit("OUT-A"),
        ).complaint
        case_id, reference = case.id, case.reference
    page = signed_in_client(db, "manager_br_a").get(f"/complaints/{case_id}")
    assert page.status_code == 200
    assert f"source=complaint&amp;ref={reference}&amp;unit={bank.unit('OUT-A')}" in page.text
