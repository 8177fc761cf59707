"""The rectification ladder through the worker's scan: a warning before the due day, then one
unit further up every few days, each step once, and never twice with two workers."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from manyi.supervision.rectification_escalation import EscalationReport, scan
from manyi.supervision.rectification_tables import RectificationEscalation, RectificationTask
from tests.conftest import Bank
from tests.rect_helpers import NOW, open_one, to_submitted


def at(day: int) -> dt.datetime:
    """10:00 in Beijing on that day of December 2026."""
    return dt.datetime(2026, 12, day, 2, 0, tzinfo=dt.UTC)


def steps(db: Database, task_id: int) -> list[tuple[int, int | None]]:
    with db.read() as session:
        rows = session.execute(
            select(RectificationEscalation.level, RectificationEscalation.unit_id)
            .where(RectificationEscalation.task_id == task_id)
            .order_by(RectificationEscalation.level)
        ).all()
    return [(level, unit) for level, unit in rows]


def told(db: Database, staff_id: int) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(NotifyMessage)
                .where(NotifyMessage.recipient_staff_id == staff_id)
            )
            or 0
        )


def test_warned_then_escalated_level_by_level(db: Database, bank: Bank) -> None:
    task_id = open_one(db, bank)  # due Monday 7 December (five working days)
    assert scan(db, NOW).done == 0
    with db.read() as session:
        look = session.get_one(RectificationTask, task_id).next_check_at
    assert look == dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)  # 5 Dec 00:00 in Beijing
    assert scan(db, at(5)).warned == 1
    assert scan(db, at(6)).done == 0
    assert told(db, bank.staff["head_a"]) == 2  # the new task, the warning
    assert scan(db, at(8)).escalated == 1
    assert scan(db, at(8)).done == 0
    assert steps(db, task_id) == [(0, None), (1, bank.unit("SUB-A"))]
    assert scan(db, at(11)).escalated == 1
    assert told(db, bank.staff["manager_br_a"]) == 1  # BR-A is two levels up
    assert scan(db, at(14)).escalated == 1
    assert [level for level, _unit in steps(db, task_id)] == [0, 1, 2, 3]
    assert scan(db, at(30)).done == 0  # the head office is the top
    with db.read() as session:
        assert session.get_one(RectificationTask, task_id).next_check_at is None


def test_a_submitted_task_is_not_chased(db: Database, bank: Bank, tmp_path: Path) -> None:
    task_id = open_one(db, bank)
    to_submitted(db, task_id, tmp_path)
    assert scan(db, at(20)).done == 0
    assert steps(db, task_id) == []


@pytest.mark.postgres
def test_two_workers_never_escalate_a_task_twice(db: Database, bank: Bank) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    tasks = [open_one(db, bank) for _ in range(20)]
    reports: list[EscalationReport] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        reports.append(scan(db, at(20), batch=7))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    levels = 3  # SUB-A, BR-A, HQ
    assert sum(r.escalated for r in reports) == len(tasks) * levels
    with db.read() as session:
        count = session.scalar(select(func.count()).select_from(RectificationEscalation))
        messages = session.scalar(
            select(func.count(NotifyMessage.id)).where(
                NotifyMessage.recipient_staff_id == bank.staff["manager_br_a"]
            )
        )
    assert count == len(tasks) * levels
    assert messages == len(tasks)  # BR-A's complaint manager heard of each task once
