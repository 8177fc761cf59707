"""A decision records its verdict and root-cause kind (both required) and opens or links a
rectification task in the same step; a refusal anywhere stores nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import tracker
from manyi.supervision.rectification_tables import RectificationTask
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, Bank
from tests.insight_helpers import beijing, file_case, seed_categories
from tests.rect_helpers import actor, open_one
from tests.web_helpers import csrf_of, signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    built = build_complaint_bank(db, bank)
    seed_categories(db)
    return built


def task_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(RectificationTask)) or 0


def case_for(db: Database, cb: ComplaintBank, handler: str, unit: str, phone: str) -> int:
    case = file_case(db, cb, "waiting_time", beijing(2026, 11, 27), unit=unit, phone=phone)
    with db.session() as session:
        session.execute(
            update(Complaint).where(Complaint.id == case).values(handler_id=cb.staff[handler])
        )
    return case


def stored(db: Database, case: int) -> Complaint:
    with db.read() as session:
        complaint = session.get(Complaint, case)
        assert complaint is not None
        session.expunge(complaint)
        return complaint


DECISION = {
    "decision": "经核实属实，已向客户致歉，并调整高峰时段窗口。",
    "reply_channel": "phone",
    "verdict": "upheld",
    "root_cause_kind": "process",
    "root_cause": "高峰时段弹性窗口未及时开启",
}


def test_a_decision_opens_a_task_for_its_root_cause_in_one_step(
    db: Database, cb: ComplaintBank
) -> None:
    case = case_for(db, cb, "manager_sub_a", "SUB-A", "13800000011")
    manager = signed_in_client(db, "manager_sub_a")
    url = f"/complaints/{case}"
    token = csrf_of(manager, url)
    assert manager.post(f"{url}/start", data={"csrf_token": token}).status_code == 303
    page = manager.get(url)
    assert 'data-testid="task-open"' in page.text and 'name="verdict"' in page.text
    for missing, message in (
        ("verdict", "请选择投诉是否成立"),
        ("root_cause_kind", "请选择根源类型"),
    ):
        refused = manager.post(
            f"{url}/decide", data=DECISION | {missing: "", "task": "open", "csrf_token": token}
        )
        assert refused.status_code == 422 and message in refused.text
        assert 'data-action="decide" open' in refused.text
    bad_link = manager.post(
        f"{url}/decide", data=DECISION | {"task": "link", "task_id": "abc", "csrf_token": token}
    )
    assert bad_link.status_code == 422 and "请填写要关联的任务编号" in bad_link.text
    unseen = open_one(db, cb.bank, unit="OUT-B", issuer="admin")
    hidden = manager.post(
        f"{url}/decide",
        data=DECISION | {"task": "link", "task_id": str(unseen), "csrf_token": token},
    )
    assert hidden.status_code == 404
    assert stored(db, case).state == "investigating" and task_count(db) == 1  # nothing stored
    done = manager.post(f"{url}/decide", data=DECISION | {"task": "open", "csrf_token": token})
    assert done.status_code == 303
    complaint = stored(db, case)
    assert complaint.state == "decided" and complaint.verdict == "upheld"
    assert complaint.root_cause_kind == "process"
    with db.read() as session:
        task = session.scalars(
            select(RectificationTask).where(RectificationTask.id != unseen)
        ).one()
        assert complaint.rectification_ref == f"#{task.id}"
        assert task.source_ref == f"{complaint.reference} issue:waiting_time"
        assert task.unit_id == cb.unit("SUB-A") and "流程" in task.title
        assert task.detail == "高峰时段弹性窗口未及时开启"
    shown = manager.get(url)
    assert re.search(rf'data-task="{task.id}"', shown.text)  # the case's tasks
    assert 'data-testid="verdict">成立<' in shown.text and ">流程<" in shown.text
    with db.read() as session:
        tracked = tracker.detail(
            session, actor(db, "manager.sub.a").unit_path, "waiting_time", FIXED_NOW
        )
    assert [e.task.id for e in tracked.tasks] == [task.id]


def test_a_decision_links_an_existing_task(db: Database, cb: ComplaintBank) -> None:
    existing = open_one(db, cb.bank, unit="OUT-A")
    case = case_for(db, cb, "manager_sub_a", "SUB-A", "13800000012")
    manager = signed_in_client(db, "manager_sub_a")
    url = f"/complaints/{case}"
    token = csrf_of(manager, url)
    manager.post(f"{url}/start", data={"csrf_token": token})
    done = manager.post(
        f"{url}/decide",
        data=DECISION
        | {"verdict": "partly", "task": "link", "task_id": f"#{existing}", "csrf_token": token},
    )
    assert done.status_code == 303
    complaint = stored(db, case)
    assert complaint.verdict == "partly" and complaint.rectification_ref == f"#{existing}"
    assert task_count(db) == 1
    assert f'href="/supervision/rectification/{existing}"' in manager.get(url).text


def test_a_handler_who_may_not_issue_tasks_decides_without_one(
    db: Database, cb: ComplaintBank
) -> None:
    case = case_for(db, cb, "handler_a", "OUT-A", "13800000013")
    handler = signed_in_client(db, "handler_a")
    url = f"/complaints/{case}"
    token = csrf_of(handler, url)
    handler.post(f"{url}/start", data={"csrf_token": token})
    page = handler.get(url)
    assert 'name="verdict"' in page.text and 'data-testid="task-open"' not in page.text
    refused = handler.post(f"{url}/decide", data=DECISION | {"task": "open", "csrf_token": token})
    assert refused.status_code == 403 and "您无权新建整改任务" in refused.text
    assert stored(db, case).state == "investigating" and task_count(db) == 0
    done = handler.post(f"{url}/decide", data=DECISION | {"csrf_token": token})
    assert done.status_code == 303 and stored(db, case).root_cause_kind == "process"
    assert stored(db, case).rectification_ref == "" and task_count(db) == 0
