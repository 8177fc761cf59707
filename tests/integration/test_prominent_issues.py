"""Prominent issues: the categories' management (head office edits, others read, refusals
store nothing, audited), the tracker within the data scope, the emerging-issue job (idempotent,
two workers), the alerts page and its proposed task, and a task counted before/after."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.insight import detection, issues, tracker
from manyi.insight.tables import IssueAlert, IssueCategoryRow
from manyi.supervision.rectification_tables import RectificationTask
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, Bank, add_staff
from tests.insight_helpers import beijing, file_case, seed_categories
from tests.rect_helpers import actor, open_one
from tests.web_helpers import csrf_of, signed_in_client, staff_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
WEEK = dt.date(2026, 11, 23)  # the last complete week at FIXED_NOW (Monday 30 November)


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    built = build_complaint_bank(db, bank)
    seed_categories(db)
    return built


def alert_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(IssueAlert)) or 0


FORM = {
    "code": "queue_app",
    "name_zh": "预约排队",
    "name_en": "Queue app",
    "definition": "线上预约取号后到网点仍需排队。",
    "keywords": "预约 取号",
    "examples": "预约了还要等",
    "owner_department": "operations",
    "target_decline_pct": "40",
    "starts_on": "2026-01-01",
    "due_on": "2026-12-01",
    "active": "on",
    "sort_order": "20",
}


def test_head_office_adds_and_edits_categories_others_read(db: Database, cb: ComplaintBank) -> None:
    admin = signed_in_client(db, "admin")
    token = csrf_of(admin, "/insight/issues/categories/new")
    bad = admin.post(
        "/insight/issues/categories/new",
        data=FORM | {"csrf_token": token, "target_decline_pct": "150"},
    )
    assert bad.status_code == 422 and "0 到 100" in bad.text and 'value="预约排队"' in bad.text
    with db.read() as session:
        assert session.get(IssueCategoryRow, "queue_app") is None  # nothing stored
    done = admin.post("/insight/issues/categories/new", data=FORM | {"csrf_token": token})
    assert done.status_code == 303
    again = admin.post("/insight/issues/categories/new", data=FORM | {"csrf_token": token})
    assert again.status_code == 409
    edit = FORM | {"csrf_token": token, "target_decline_pct": "50", "code": "ignored"}
    assert admin.post("/insight/issues/categories/queue_app/edit", data=edit).status_code == 303
    with db.read() as session:
        row = session.get(IssueCategoryRow, "queue_app")
        assert (
            row is not None and row.target_decline_pct == 50.0 and row.keywords == ["预约", "取号"]
        )
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == issues.ENTITY)
        ).all()
        assert [e.action for e in events] == ["create", "update"]
        assert json.loads(events[1].summary) == {"target_decline_pct": 50.0}
    listing = admin.get("/insight/issues/categories")
    assert 'data-code="queue_app"' in listing.text and "edit-queue_app" in listing.text
    manager = signed_in_client(db, "manager_br_a")
    read = manager.get("/insight/issues/categories")
    assert read.status_code == 200 and "edit-queue_app" not in read.text
    assert manager.get("/insight/issues/categories/new").status_code == 403
    token_m = csrf_of(manager, "/insight/issues")
    assert (
        manager.post(
            "/insight/issues/categories/queue_app/edit", data=FORM | {"csrf_token": token_m}
        ).status_code
        == 403
    )
    assert signed_in_client(db, "teller_a").get("/insight/issues/categories").status_code == 403


def test_a_branch_administrator_may_not_change_bank_wide_categories(
    db: Database, cb: ComplaintBank
) -> None:
    add_staff(db, cb.bank, "admin.br.a")
    branch = staff_client(db, "admin.br.a")
    token = csrf_of(branch, "/insight/issues/categories")
    refused = branch.post("/insight/issues/categories/new", data=FORM | {"csrf_token": token})
    assert refused.status_code == 403 and "总行" in refused.text
    with db.read() as session:
        assert session.get(IssueCategoryRow, "queue_app") is None


def history(db: Database, cb: ComplaintBank) -> None:
    """Waiting-time complaints: OUT-A 2 a month before 2026, 1 a month after (BR-A falls 50 %),
    OUT-B 4 in October 2026 (the head office's total rises)."""
    for month in (10, 11, 12):
        for day in (5, 15):
            file_case(db, cb, "waiting_time", beijing(2025, month, day))
    for month in range(1, 11):
        file_case(db, cb, "waiting_time", beijing(2026, month, 10))
    for day in (3, 6, 9, 12):
        file_case(db, cb, "waiting_time", beijing(2026, 10, day), unit="OUT-B", phone="13900000001")


def test_the_tracker_counts_each_category_within_the_scope(db: Database, cb: ComplaintBank) -> None:
    history(db, cb)
    br_a = actor(db, "manager.br.a").unit_path
    with db.read() as session:
        mine = {t.category.code: t for t in tracker.overview(session, br_a, FIXED_NOW)}
    waiting = mine["waiting_time"].progress
    assert waiting.baseline == 2.0 and waiting.latest is not None
    assert waiting.latest.month == dt.date(2026, 10, 1) and waiting.latest.count == 1
    assert waiting.status.value == "on_track" and waiting.decline_pct == 50.0
    assert mine["fees"].progress.status.value == "no_baseline"
    manager = signed_in_client(db, "manager_br_a")
    page = manager.get("/insight/issues")
    row = re.search(r'<tr data-code="waiting_time".*?</tr>', page.text, re.S)
    assert row is not None and 'data-status="on_track"' in row.group(0)
    admin = signed_in_client(db, "admin")
    row = re.search(
        r'<tr data-code="waiting_time".*?</tr>', admin.get("/insight/issues").text, re.S
    )
    assert row is not None and 'data-status="behind"' in row.group(0)  # 5 in October > 1.6
    detail = manager.get("/insight/issues/waiting_time")
    assert detail.status_code == 200 and 'id="ins-data"' in detail.text
    chart = re.search(r'<script type="application/json" id="ins-data">(.*?)</script>', detail.text)
    assert (
        chart is not None
        and '"counts": [2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]' in chart.group(1)
    )
    assert 'data-testid="new-task"' in detail.text
    assert manager.get("/insight/issues/nowhere").status_code == 404
    assert signed_in_client(db, "teller_a").get("/insight/issues").status_code == 403


def spike(db: Database, cb: ComplaintBank) -> list[int]:
    """Four fee complaints at OUT-A in the last complete week, none in the twelve before."""
    return [
        file_case(db, cb, "fees", beijing(2026, 11, 23 + i), phone=f"1380000000{i}")
        for i in range(4)
    ]


def test_the_job_stores_one_alert_per_category_unit_and_week(
    db: Database, cb: ComplaintBank
) -> None:
    ids = spike(db, cb)
    file_case(db, cb, "fees", beijing(2026, 11, 24), unit="OUT-B", phone="13900000002")
    report = detection.scan(db, FIXED_NOW)
    assert (report.week, report.alerts, report.stored) == (WEEK, 1, 1)
    assert detection.scan(db, FIXED_NOW).stored == 0  # a second pass stores nothing
    with db.read() as session:
        alert = session.scalars(select(IssueAlert)).one()
        assert alert.unit_id == cb.unit("SUB-A") and alert.category_code == "fees"
        assert sorted(alert.case_ids) == sorted(ids) and alert.count == 4
        assert alert.method == "poisson" and alert.p_value < 0.005


@pytest.mark.postgres
def test_two_workers_store_the_alert_once(db: Database, cb: ComplaintBank) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency is shown on PostgreSQL")
    spike(db, cb)
    barrier = threading.Barrier(2)
    stored: list[int] = []

    def work() -> None:
        with db.session() as session:
            _series, alerts = detection.judge(session, WEEK)
            barrier.wait()
            stored.append(detection.store(session, alerts, FIXED_NOW))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(stored) == [0, 1] and alert_count(db) == 1


def test_an_alert_with_its_cases_becomes_a_proposed_task(db: Database, cb: ComplaintBank) -> None:
    ids = spike(db, cb)
    detection.scan(db, FIXED_NOW)
    manager = signed_in_client(db, "manager_br_a")
    page = manager.get("/insight/alerts")
    assert page.status_code == 200 and page.text.count('data-testid="alert"') == 1
    assert page.text.count("/complaints/") >= len(ids) and "甲支行" in page.text
    assert (
        signed_in_client(db, "head_b").get("/insight/alerts").text.count('data-testid="alert"') == 0
    )
    with db.read() as session:
        alert_id = session.scalars(select(IssueAlert.id)).one()
    proposed = manager.get(f"/insight/alerts/{alert_id}/propose", follow_redirects=False)
    assert proposed.status_code == 303
    target = urlsplit(proposed.headers["location"])
    params = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert target.path == "/supervision/rectification/new"
    assert params["source"] == "alert" and params["ref"] == f"alert:{alert_id} issue:fees"
    assert params["unit"] == str(cb.unit("SUB-A")) and "收费问题" in params["title"]
    form = manager.get(proposed.headers["location"])
    assert form.status_code == 200 and f'value="alert:{alert_id} issue:fees"' in form.text
    token = csrf_of(manager, "/insight/alerts")
    opened = manager.post(
        "/supervision/rectification/new",
        data=params | {"csrf_token": token, "owner": ""},
    )
    assert opened.status_code == 303
    again = manager.get("/insight/alerts")
    assert 'data-testid="alert-task"' in again.text and 'data-testid="propose"' not in again.text
    assert manager.get("/insight/alerts/999/propose").status_code == 404
    assert signed_in_client(db, "teller_a").get("/insight/alerts").status_code == 403


def test_complaints_before_and_after_a_task_closed(db: Database, cb: ComplaintBank) -> None:
    for day in (1, 8, 15, 22):  # four in the eight weeks before 1 October
        file_case(db, cb, "attitude", beijing(2026, 8, 20) + dt.timedelta(days=day))
    file_case(db, cb, "attitude", beijing(2026, 10, 20))  # one in the eight weeks after
    task_id = open_one(db, cb.bank, source="issue", source_ref="issue:attitude", unit="SUB-A")
    other = open_one(db, cb.bank, source="issue", source_ref="issue:attitude_x", unit="SUB-A")
    with db.session() as session:
        session.execute(
            update(RectificationTask)
            .where(RectificationTask.id == task_id)
            .values(state="closed", closed_at=beijing(2026, 10, 1))
        )
    br_a = actor(db, "manager.br.a").unit_path
    with db.read() as session:
        tracked = tracker.detail(session, br_a, "attitude", FIXED_NOW)
    assert [e.task.id for e in tracked.tasks] == [task_id]  # issue:attitude_x is not it
    effect = tracked.tasks[0].effect
    assert effect is not None and (effect.before, effect.after, effect.weeks_after) == (4, 1, 8)
    assert effect.fell is True
    page = signed_in_client(db, "manager_br_a").get("/insight/issues/attitude")
    row = re.search(rf'<tr data-task="{task_id}".*?</tr>', page.text, re.S)
    assert row is not None and 'data-testid="fell"' in row.group(0)
    assert f'data-task="{other}"' not in page.text
    br_b = actor(db, "head.b").unit_path
    with db.read() as session:
        assert tracker.detail(session, br_b, "attitude", FIXED_NOW).tasks == ()
