"""Rectification tasks through the service: open, start, submit with evidence, verify or send
back, close; re-checks; refusals that store nothing; every step audited and told."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.notify.tables import NotifyMessage
from manyi.supervision import rectification
from manyi.supervision.domain.rectification import Source, TaskState
from manyi.supervision.rectification_tables import (
    RectificationEvidence,
    RectificationSubmission,
    RectificationTask,
)
from tests.conftest import Bank
from tests.rect_helpers import NOW, actor, evidence, open_one, task_count, to_submitted


def state_of(db: Database, task_id: int) -> TaskState:
    with db.read() as session:
        return TaskState(session.get_one(RectificationTask, task_id).state)


def subjects_for(db: Database, staff_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(NotifyMessage.subject)
                .where(NotifyMessage.recipient_staff_id == staff_id)
                .order_by(NotifyMessage.id)
            )
        )


def test_a_task_from_open_to_closed(db: Database, bank: Bank, tmp_path: Path) -> None:
    task_id = open_one(db, bank)
    with db.read() as session:
        task = session.get_one(RectificationTask, task_id)
        assert task.owner_id == bank.staff["head_a"]  # no owner named: the outlet's head
        assert task.due_on == dt.date(2026, 12, 7)  # five working days after Monday 30 Nov
    assert subjects_for(db, bank.staff["head_a"]) == [
        "Rectification task #{id} for you: {title}, due {due}"
    ]
    to_submitted(db, task_id, tmp_path)
    with db.session() as session:
        rectification.verify(session, actor(db, "manager.br.a"), task_id, now=NOW)
    with db.session() as session:
        rectification.close(session, actor(db, "manager.br.a"), task_id, now=NOW)
    with db.read() as session:
        task = session.get_one(RectificationTask, task_id)
        assert task.state == TaskState.CLOSED and task.closed_on_time is True
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity_type == "rectification_task")
                .order_by(AuditEvent.seq)
            )
        )
        files = session.scalar(select(func.count()).select_from(RectificationEvidence))
    assert actions == [
        "rectification.open",
        "rectification.start",
        "rectification.submit",
        "rectification.verify",
        "rectification.close",
    ]
    assert files == 2
    assert "Rectification task #{id} submitted for verification: {title}" in subjects_for(
        db, bank.staff["manager_br_a"]
    )


def test_bad_input_and_a_unit_outside_scope_store_nothing(db: Database, bank: Bank) -> None:
    with pytest.raises(InvalidInput, match="title"):
        open_one(db, bank, title="  ")
    with pytest.raises(InvalidInput, match="due date"):
        open_one(db, bank, due_days=None, due_on=dt.date(2026, 11, 1))
    with pytest.raises(InvalidInput, match="owner"):
        open_one(db, bank, owner_id=bank.staff["head_b"])
    with pytest.raises(NotFound):
        open_one(db, bank, unit="OUT-B")
    assert task_count(db) == 0
    with db.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.entity_type == "rectification_task")
            )
            == 0
        )


def test_submit_without_evidence_or_by_the_wrong_side_is_refused(
    db: Database, bank: Bank, tmp_path: Path
) -> None:
    task_id = open_one(db, bank)
    with db.session() as session, pytest.raises(Forbidden):
        rectification.start(session, actor(db, "manager.br.a"), task_id, now=NOW)
    with db.session() as session:
        rectification.start(session, actor(db, "head.a"), task_id, now=NOW)
    for note, files, field in [
        ("已整改", [], "photo or PDF"),
        ("", evidence(), "what was done"),
        ("已整改", [rectification.Upload("x.txt", b"hello")], "JPEG"),
    ]:
        with db.session() as session, pytest.raises(InvalidInput, match=field):
            rectification.submit(
                session,
                actor(db, "head.a"),
                task_id,
                note=note,
                files=files,
                var_dir=tmp_path,
                now=NOW,
            )
    assert state_of(db, task_id) is TaskState.IN_PROGRESS
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(RectificationSubmission)) == 0
    with db.session() as session, pytest.raises(NotFound):
        rectification.start(session, actor(db, "head.b"), task_id, now=NOW)


def test_sent_back_with_a_reason_then_resubmitted(db: Database, bank: Bank, tmp_path: Path) -> None:
    task_id = open_one(db, bank)
    to_submitted(db, task_id, tmp_path)
    with db.session() as session, pytest.raises(InvalidInput, match="why"):
        rectification.send_back(session, actor(db, "manager.br.a"), task_id, reason=" ", now=NOW)
    with db.session() as session:
        rectification.send_back(
            session, actor(db, "manager.br.a"), task_id, reason="照片不清晰", now=NOW
        )
    assert state_of(db, task_id) is TaskState.SENT_BACK
    to_submitted(db, task_id, tmp_path)
    with db.read() as session:
        assert session.get_one(RectificationTask, task_id).rounds == 2


def test_nobody_verifies_their_own_evidence(db: Database, bank: Bank, tmp_path: Path) -> None:
    task_id = open_one(db, bank, issuer="head.a")  # the outlet's head issues to their outlet
    to_submitted(db, task_id, tmp_path)
    with db.session() as session, pytest.raises(Forbidden, match="someone else"):
        rectification.verify(session, actor(db, "head.a"), task_id, now=NOW)
    with db.session() as session:  # the head above the issuer's unit may
        rectification.verify(session, actor(db, "admin"), task_id, now=NOW)
    assert state_of(db, task_id) is TaskState.VERIFIED


def test_a_recheck_blocks_closing_and_a_failed_one_sends_back(
    db: Database, bank: Bank, tmp_path: Path
) -> None:
    task_id = open_one(db, bank, source=Source.INSPECTION, source_ref="inspection:7:B3")
    to_submitted(db, task_id, tmp_path)
    manager = actor(db, "manager.br.a")
    with db.session() as session:
        rectification.verify(session, manager, task_id, now=NOW)
        rectification.request_recheck(session, manager, task_id, now=NOW)
    with db.read() as session:
        pending = rectification.pending_rechecks(session, "/")
        assert [p.id for p in pending] == [task_id]
        found = rectification.tasks_for_source(session, Source.INSPECTION, "inspection:7:")
        assert [(t.id, t.state) for t in found] == [(task_id, TaskState.VERIFIED)]
    with db.session() as session, pytest.raises(Conflict, match="re-check"):
        rectification.close(session, manager, task_id, now=NOW)
    with db.session() as session:
        rectification.link_recheck(
            session, manager, task_id, result_ref="inspection:9:B3", passed=False, now=NOW
        )
    assert state_of(db, task_id) is TaskState.SENT_BACK
