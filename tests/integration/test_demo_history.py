"""The demo bank's two years of complaint history (issue 19): seeded once, every case finished
and classified with valid, consistent codes, the year-on-year fall, the story's rectification
tasks with their category falling after them, the emerging issue the detector finds, and a
month-by-month count with no gap. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from manyi import demo
from manyi.cli import app
from manyi.complaints.tables import Complaint, ComplaintCategory, ComplaintEvent
from manyi.db import Database
from manyi.insight import demo as insight_demo
from manyi.insight import detection, tracker
from manyi.insight.demo_history import SOURCE
from manyi.insight.domain.demo_story import EMERGING, STORY_TASKS
from manyi.insight.tables import IssueCategoryRow
from manyi.org.tables import Unit
from manyi.supervision import rectification
from tests.conftest import FIXED_NOW

NOW = FIXED_NOW
YEAR = dt.timedelta(days=365)


@pytest.fixture
def seeded(db: Database, tmp_path: Path) -> Database:
    with db.session() as session:
        demo.seed(session)
    lines = insight_demo.seed(db, NOW, tmp_path)
    assert any("complaint history" in line for line in lines)
    return db


def _history(db: Database) -> list[Complaint]:
    with db.session() as session:
        rows = list(session.scalars(select(Complaint).where(Complaint.source == SOURCE)))
        session.expunge_all()
    return rows


def test_seeding_twice_adds_nothing(seeded: Database, tmp_path: Path) -> None:
    with seeded.session() as session:
        cases = session.scalar(select(func.count()).where(Complaint.source == SOURCE))
        events = session.scalar(select(func.count()).select_from(ComplaintEvent))
    assert cases is not None and 3000 <= cases <= 5000
    lines = insight_demo.seed(seeded, NOW + dt.timedelta(days=3), tmp_path)
    (line,) = [line for line in lines if line.startswith("complaint history:")]
    assert "complaint history: 0 closed complaints" in line
    assert "0 closed rectification tasks" in line
    with seeded.session() as session:
        assert session.scalar(select(func.count()).where(Complaint.source == SOURCE)) == cases
        assert session.scalar(select(func.count()).select_from(ComplaintEvent)) == events
        assert len(rectification.tasks_mentioning(session, SOURCE)) == len(STORY_TASKS)


def _every_case_is_finished_classified_and_consistent(seeded: Database) -> None:
    rows = _history(seeded)
    with seeded.session() as session:
        active = {
            (axis, code)
            for axis, code in session.execute(
                select(ComplaintCategory.axis, ComplaintCategory.code).where(
                    ComplaintCategory.active.is_(True)
                )
            )
        }
        issues = set(
            session.scalars(select(IssueCategoryRow.code).where(IssueCategoryRow.active.is_(True)))
        )
        outlets = {u.id: u.code for u in session.scalars(select(Unit))}
    for c in rows:
        assert ("channel", c.channel_code) in active, c.channel_code
        assert ("business", c.business_code) in active, c.business_code
        assert ("cause", c.cause_code) in active, c.cause_code
        assert ("appeal", c.appeal_code) in active, c.appeal_code
        assert c.issue_code in issues
        assert c.state == "closed" and c.external_id and c.reference.startswith("TS")
        assert c.decided_at is not None and c.closed_at is not None
        assert c.received_at < c.decided_at <= c.closed_at <= NOW
        assert c.breached == (c.decided_at > c.due_at), c.reference
        assert c.subject and len(c.description) > len(c.subject) // 2
        assert c.verdict in ("upheld", "partly", "not_upheld")
    assert len(rows) >= 3000
    # The category and the axes agree.
    for c in rows:
        if c.issue_code == "waiting_time":
            assert c.cause_code.startswith("service_quality.") and c.channel_code == "onsite"
        if c.issue_code == "self_service":
            assert c.channel_code.startswith("self_service")
        if c.issue_code == "credit_report":
            assert c.appeal_code in ("correction.credit_report", "explanation")
    assert Counter(c.cause_code for c in rows if c.issue_code == "waiting_time").most_common(1)[0][
        0
    ] == ("service_quality.waiting")
    # Every intake, verdict and root cause occurs; most are on time, some late, some reopened.
    assert {"hotline", "counter", "letter", "web", "social_media", "regulator"} <= {
        c.intake for c in rows
    }
    assert {c.verdict for c in rows} == {"upheld", "partly", "not_upheld"}
    assert {c.root_cause_kind for c in rows} == {"person", "process", "product", "system", "policy"}
    late = sum(c.breached for c in rows)
    assert 0 < late < len(rows) * 0.1
    assert sum(c.reopen_count > 0 for c in rows) > 0
    # Busy outlets see more: 陆家嘴 (the most customers) more than 五道口 (the fewest).
    per_outlet = Counter(outlets[c.responsible_unit_id] for c in rows)
    assert per_outlet["SH-PD-LJZ"] > per_outlet["BJ-HD-WDK"] * 1.4
    # Texts vary: hundreds of distinct subjects, and English terms among them.
    assert len({c.subject for c in rows}) >= 200
    assert any("ATM" in c.description or "APP" in c.description for c in rows)


def _complaints_fall_year_on_year(seeded: Database) -> None:
    rows = _history(seeded)
    this_year = Counter(c.issue_code for c in rows if c.received_at >= NOW - YEAR)
    last_year = Counter(c.issue_code for c in rows if NOW - 2 * YEAR <= c.received_at < NOW - YEAR)
    overall = 1 - sum(this_year.values()) / sum(last_year.values())
    attitude = 1 - this_year["attitude"] / last_year["attitude"]
    assert 0.4 <= overall <= 0.7, overall
    assert 0.55 <= attitude <= 0.85, attitude
    assert attitude > overall


def _the_story_tasks_are_closed_and_their_category_fell_after(seeded: Database) -> None:
    with seeded.session() as session:
        for story in STORY_TASKS:
            tasks = rectification.tasks_mentioning(session, tracker.token(story.issue), now=NOW)
            ours = [t for t in tasks if SOURCE in t.source_ref]
            assert len(ours) == 1, story.issue
            assert ours[0].state == "closed" and ours[0].source == "issue"
            tracked = tracker.detail(session, "/", story.issue, NOW)
            effects = [e.effect for e in tracked.tasks if e.task.id == ours[0].id]
            assert effects and effects[0] is not None
            assert effects[0].after < effects[0].before, (story.issue, effects[0])
            assert effects[0].fell is True


def _the_detector_finds_the_emerging_issue(seeded: Database) -> None:
    outlet, issue, _weekly = EMERGING
    with seeded.session() as session:
        tier2 = session.scalar(select(Unit).where(Unit.code == outlet))
        assert tier2 is not None
        parent = tier2.parent_id
        _series, alerts = detection.judge(session, detection.last_complete_week(NOW))
    found = {(a.category, a.unit_id) for a in alerts}
    assert (issue, parent) in found
    assert len(found) <= 3  # the story's jump stands out; the rest is quiet


def _the_monthly_counts_run_24_months_without_a_gap(seeded: Database) -> None:
    url = seeded.engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(
        app, ["complaints", "stats", "--by", "month", "--json"], env={"MANYI_DATABASE_URL": url}
    )
    assert done.exit_code == 0, done.output
    months = [row["key"] for row in json.loads(done.output)]
    assert len(months) >= 24
    first = dt.date.fromisoformat(months[0] + "-01")
    for i, key in enumerate(months):
        year, month = divmod(first.month - 1 + i, 12)
        assert key == f"{first.year + year}-{month + 1:02d}"  # consecutive: no empty month


# Two tests, each seeding once (a seed writes some 4,000 cases).
def test_the_history_is_finished_classified_and_falls_year_on_year(seeded: Database) -> None:
    _every_case_is_finished_classified_and_consistent(seeded)
    _complaints_fall_year_on_year(seeded)


def test_the_story_reads_in_the_tracker_the_detector_and_the_monthly_counts(
    seeded: Database,
) -> None:
    _the_story_tasks_are_closed_and_their_category_fell_after(seeded)
    _the_detector_finds_the_emerging_issue(seeded)
    _the_monthly_counts_run_24_months_without_a_gap(seeded)
