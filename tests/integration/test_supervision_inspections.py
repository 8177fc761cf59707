"""Standards and inspections on a real database: scheduling in scope, recording answers,
photos with the upload safeguards, submitting (score, critical flag), and bad input refused
with nothing stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.supervision import inspection_photos, inspections, rectification, standards
from manyi.supervision.domain.rectification import Recheck, Source
from manyi.supervision.domain.standards import DEFAULT_ITEMS
from manyi.supervision.inspection_tables import InspectionResult, InspectionVisit, ServiceStandard
from tests.conftest import FIXED_NOW, Bank
from tests.rect_helpers import actor, task_count, to_submitted
from tests.supervision_helpers import add_inspectors

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
DAY = dt.date(2026, 11, 30)
ALL_PASS = {i.code: ("passed", "") for i in DEFAULT_ITEMS}


@pytest.fixture
def people(db: Database, bank: Bank) -> dict[str, int]:
    return add_inspectors(db, bank)


def visit_at(db: Database, bank: Bank, username: str, outlet: str = "OUT-A", **kw: object) -> int:
    who = actor(db, username)
    with db.session() as session:
        return inspections.schedule_visit(
            session,
            who,
            outlet_id=bank.unit(outlet),
            kind=str(kw.pop("kind", "scheduled")),
            planned_on=DAY,
            now=FIXED_NOW,
            **kw,  # type: ignore[arg-type]
        )


def count(db: Database, table: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_visit_scored_and_submitted(
    db: Database, bank: Bank, people: dict[str, int], tmp_path: Path
) -> None:
    visit_id = visit_at(db, bank, "insp.a")
    me = actor(db, "insp.a")
    answers = dict(ALL_PASS) | {"A2": ("failed", "未佩戴工号牌"), "E1": ("failed", "")}
    answers["E3"] = ("na", "")
    with db.session() as session:
        partial = inspections.record_results(session, me, visit_id, answers, FIXED_NOW)
    assert partial.critical_failures == ("A2",)
    with db.session() as session, pytest.raises(InvalidInput, match="E1 failed"):
        inspections.submit_visit(session, me, visit_id, FIXED_NOW)
    with db.session() as session:
        inspection_photos.attach_photo(
            session,
            me,
            visit_id,
            "E1",
            filename="hall.png",
            data=PNG,
            var_dir=tmp_path,
            now=FIXED_NOW,
        )
        result = inspections.submit_visit(session, me, visit_id, FIXED_NOW, notes="午间检查")
    weights = {i.code: i.weight for i in DEFAULT_ITEMS}
    applicable = sum(weights.values()) - weights["E3"]
    assert result.value == round(100 * (applicable - weights["A2"] - weights["E1"]) / applicable, 1)
    with db.session() as session:
        visit = session.get(InspectionVisit, visit_id)
        assert visit is not None
        assert (visit.state, visit.critical_failed, visit.inspector_id) == (
            "submitted",
            True,
            people["insp.a"],
        )
        assert visit.score == result.value
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "inspection_visit")
        ).all()
        assert actions == ["schedule", "record", "photo", "submit"]
    with db.session() as session, pytest.raises(Conflict, match="submitted"):
        inspections.record_results(session, me, visit_id, {"A1": ("failed", "")}, FIXED_NOW)


def test_outlets_outside_the_scope_are_not_found(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    with pytest.raises(NotFound):
        visit_at(db, bank, "insp.a", "OUT-B")
    visit_b = visit_at(db, bank, "insp.hq", "OUT-B")
    branch_a = actor(db, "insp.a")
    with db.session() as session, pytest.raises(NotFound):
        inspections.record_results(session, branch_a, visit_b, ALL_PASS, FIXED_NOW)
    with pytest.raises(InvalidInput, match="not an open outlet"):
        visit_at(db, bank, "insp.hq", "SUB-A")
    with pytest.raises(InvalidInput, match="kind of visit"):
        visit_at(db, bank, "insp.hq", kind="weekly")
    assert count(db, InspectionVisit) == 1


def test_another_inspectors_visit_is_refused(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    visit_id = visit_at(db, bank, "insp.a")
    me = actor(db, "insp.a")
    with db.session() as session:
        inspections.record_results(session, me, visit_id, {"A1": ("passed", "")}, FIXED_NOW)
    other = actor(db, "insp.hq")
    with db.session() as session, pytest.raises(Forbidden, match="another inspector"):
        inspections.record_results(session, other, visit_id, {"A1": ("failed", "")}, FIXED_NOW)


def test_bad_answers_store_nothing(
    db: Database, bank: Bank, people: dict[str, int], tmp_path: Path
) -> None:
    visit_id = visit_at(db, bank, "insp.a")
    me = actor(db, "insp.a")
    bad = [
        {"A1": ("passed", ""), "ZZ9": ("passed", "")},  # an unknown item code
        {"A1": ("passed", ""), "A2": ("maybe", "")},  # an unknown outcome
        {"A1": ("passed", "x" * 1001)},  # a note too long
    ]
    for results in bad:
        with db.session() as session, pytest.raises(InvalidInput):
            inspections.record_results(session, me, visit_id, results, FIXED_NOW)
    with db.session() as session, pytest.raises(InvalidInput, match="not answered"):
        inspections.submit_visit(session, me, visit_id, FIXED_NOW)  # a score without all items
    for data in (b"", b"GIF89a....", b"%PDF-1.4 not a photo"):
        with db.session() as session, pytest.raises(InvalidInput):
            inspection_photos.attach_photo(
                session,
                me,
                visit_id,
                "E1",
                filename="x",
                data=data,
                var_dir=tmp_path,
                now=FIXED_NOW,
            )
    assert count(db, InspectionResult) == 0
    with db.session() as session:
        visit = session.get(InspectionVisit, visit_id)
        assert visit is not None and visit.state == "planned"


def test_head_office_publishes_a_new_checklist(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    items = [i.to_json() for i in DEFAULT_ITEMS]
    items[0]["weight"] = 9
    head_office = actor(db, "svc.hq")
    with db.session() as session:
        assert standards.current_standard(session).id is None  # the built-in default
        assert (
            standards.publish_standard(session, head_office, items, FIXED_NOW, note="着装权重提高")
            == 2
        )
    with db.session() as session:
        current = standards.current_standard(session)
        assert (current.version, current.items[0].weight) == (2, 9)
        assert [v.version for v in standards.versions(session)] == [2, 1]
    # The visit keeps the version it was planned with.
    visit_id = visit_at(db, bank, "insp.a")
    with db.session() as session:
        visit = session.get(InspectionVisit, visit_id)
        assert visit is not None and inspections.standard_of(session, visit).version == 2


def test_only_head_office_publishes_and_bad_items_store_nothing(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    items = [i.to_json() for i in DEFAULT_ITEMS]
    items[0]["weight"] = 9
    branch, head_office = actor(db, "insp.a"), actor(db, "svc.hq")
    with db.session() as session, pytest.raises(Forbidden):
        standards.publish_standard(session, branch, items, FIXED_NOW)
    with db.session() as session, pytest.raises(InvalidInput, match="weight"):
        standards.publish_standard(session, head_office, [items[0] | {"weight": 11}], FIXED_NOW)
    with db.session() as session, pytest.raises(Conflict, match="unchanged"):
        standards.publish_standard(
            session, head_office, [i.to_json() for i in DEFAULT_ITEMS], FIXED_NOW
        )
    assert count(db, ServiceStandard) == 0


def submitted_with_failures(db: Database, bank: Bank, tmp_path: Path) -> int:
    visit_id = visit_at(db, bank, "insp.a")
    me = actor(db, "insp.a")
    answers = dict(ALL_PASS) | {"A2": ("failed", "未佩戴工号牌"), "G1": ("failed", "")}
    with db.session() as session:
        inspections.record_results(session, me, visit_id, answers, FIXED_NOW)
        inspections.submit_visit(session, me, visit_id, FIXED_NOW)
    return visit_id


def test_a_failed_item_becomes_a_task_once_and_its_recheck_links_back(
    db: Database, bank: Bank, people: dict[str, int], tmp_path: Path
) -> None:
    visit_id = submitted_with_failures(db, bank, tmp_path)
    me = actor(db, "insp.a")
    with db.session() as session:
        task_id = inspections.failed_item_to_task(session, me, visit_id, "A2", FIXED_NOW)
    with db.session() as session:  # a second click returns the same task
        assert inspections.failed_item_to_task(session, me, visit_id, "A2", FIXED_NOW) == task_id
        [summary] = rectification.tasks_for_source(session, Source.INSPECTION, "inspection:")
        assert (summary.id, summary.source_ref, summary.unit_code) == (
            task_id,
            f"inspection:{visit_id}:A2",
            "OUT-A",
        )
    with db.session() as session, pytest.raises(Conflict, match="did not fail"):
        inspections.failed_item_to_task(session, me, visit_id, "A1", FIXED_NOW)
    with db.session() as session, pytest.raises(InvalidInput, match="no item Q7"):
        inspections.failed_item_to_task(session, me, visit_id, "Q7", FIXED_NOW)
    # The outlet rectifies, the inspector verifies and asks for a re-check of the badge.
    to_submitted(db, task_id, tmp_path, who="head.a")
    with db.session() as session:
        rectification.verify(session, me, task_id, now=FIXED_NOW)
        rectification.request_recheck(session, me, task_id, now=FIXED_NOW)
    recheck = visit_at(db, bank, "insp.a", kind="spot", recheck_of_task_id=task_id)
    answers = dict(ALL_PASS) | {"G1": ("failed", "")}  # the badge (A2) passes now
    with db.session() as session:
        inspections.record_results(session, me, recheck, answers, FIXED_NOW)
        inspections.submit_visit(session, me, recheck, FIXED_NOW)
    with db.session() as session:
        [summary] = rectification.tasks_for_source(session, Source.INSPECTION, "inspection:")
        assert summary.recheck == Recheck.PASSED


def test_a_task_waits_for_the_submitted_visit(
    db: Database, bank: Bank, people: dict[str, int]
) -> None:
    visit_id = visit_at(db, bank, "insp.a")
    me = actor(db, "insp.a")
    with db.session() as session:
        inspections.record_results(session, me, visit_id, {"A2": ("failed", "")}, FIXED_NOW)
    with db.session() as session, pytest.raises(Conflict, match="not submitted"):
        inspections.failed_item_to_task(session, me, visit_id, "A2", FIXED_NOW)
    assert task_count(db) == 0
