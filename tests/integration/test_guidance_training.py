"""The typical-case library and scenario training on a real database (SQLite and PostgreSQL): a
case written from an inspection finding, refused while it holds personal data, approved by head
office; a module of it with questions; an inspection failing the item it trains assigns it to
the outlet; a teller fails, then passes; the results by outlet; refusals storing nothing; the
pages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from manyi.complaints import intake
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.errors import Forbidden, InvalidInput, NotFound
from manyi.guidance import cases, training, training_queries
from manyi.guidance.access import Who
from manyi.guidance.domain.cases import SourceKind, check_text
from manyi.guidance.domain.training import Question, check_module
from manyi.guidance.training_tables import GuidanceAssignment, GuidanceCase
from manyi.org import staff as staff_service
from manyi.supervision import findings, inspections
from manyi.supervision.domain.standards import DEFAULT_ITEMS
from tests.complaint_bank import build_complaint_bank
from tests.conftest import FIXED_NOW, Bank
from tests.rect_helpers import actor
from tests.supervision_helpers import add_inspectors
from tests.web_helpers import csrf_of, signed_in_client

NOW = FIXED_NOW
STORY = "一位老年客户到网点办理取款，窗口柜员未起身迎接，也未使用服务用语，客户当场表示不满。"
LESSONS = "客户到窗口时起身相迎、主动问候，办理完毕后道别。"
QUESTIONS = [
    Question("老年客户走近窗口时，柜员首先应当：", ("继续操作", "起身相迎并问候", "示意排队"), 1),
    Question("办理完毕后应当：", ("道别并提醒带好物品", "直接叫下一号"), 0),
]


def who(db: Database, username: str) -> Who:
    with db.read() as session:
        s = staff_service.by_username(session, username)
        assert s is not None
        return Who(s.id, s.username, s.unit_id, s.unit.path, s.permissions, s.unit.level)


@pytest.fixture(autouse=True)
def listening() -> None:
    findings.on_submitted(training.assign_after_finding)  # as manyi.web.wiring does


def inspect(db: Database, bank: Bank, failed: str) -> int:
    """A visit of insp.a at OUT-A, submitted with `failed` failed."""
    me = actor(db, "insp.a")
    answers = {i.code: ("passed", "") for i in DEFAULT_ITEMS} | {failed: ("failed", "未起身迎接")}
    with db.session() as session:
        visit_id = inspections.schedule_visit(
            session, me, outlet_id=bank.unit("OUT-A"), kind="scheduled",
            planned_on=dt.date(2026, 11, 30), now=NOW,
        )  # fmt: skip
        inspections.record_results(session, me, visit_id, answers, NOW)
        inspections.submit_visit(session, me, visit_id, NOW)
    return visit_id


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_from_a_finding_to_a_published_module_to_a_tellers_completed_training(
    db: Database, bank: Bank
) -> None:
    add_inspectors(db, bank)
    visit = inspect(db, bank, "G1")
    source = f"{visit}/G1"
    writer, head_office = who(db, "insp.a"), who(db, "svc.hq")

    # Personal data is refused and nothing is stored: a mobile number, a name of the source.
    for story, words in (
        (STORY + "客户电话13812345678。", "13"),
        (STORY + "甲分行检查员在场。", "甲分***员"),
    ):
        with db.session() as session, pytest.raises(InvalidInput) as refused:
            text = check_text("起身迎接", story, LESSONS, ["attitude", "elderly"])
            cases.draft(session, writer, SourceKind.INSPECTION, source, text, NOW)
        assert words in str(refused.value.params) and refused.value.field == "story"
    assert count(db, GuidanceCase) == 0

    with db.session() as session:
        text = check_text("起身迎接老年客户", STORY, LESSONS, ["attitude", "elderly"])
        case_id = cases.draft(session, writer, SourceKind.INSPECTION, source, text, NOW).id
        cases.submit(session, writer, case_id, NOW)
    with db.session() as session, pytest.raises(Forbidden):
        cases.approve(session, writer, case_id, NOW)  # not head office
    with db.session() as session:
        cases.approve(session, head_office, case_id, NOW)
        module = training.create_module(
            session, head_office, check_module("起身迎接", "100", "G1, G2"), [case_id],
            QUESTIONS, NOW,
        )  # fmt: skip
        training.publish_module(session, head_office, module.id, NOW)
        module_id = module.id

    # An inspection failing G1 assigns the module to the outlet, due in 14 days.
    inspect(db, bank, "G1")
    with db.read() as session:
        assigned = session.scalars(select(GuidanceAssignment)).one()
    assert (assigned.module_id, assigned.unit_id) == (module_id, bank.unit("OUT-A"))
    assert assigned.due_on == dt.date(2026, 12, 14) and assigned.finding.endswith("G1")

    teller = who(db, "teller.a")
    with db.read() as session:
        mine = training_queries.my_modules(session, teller)
    assert [m.module.id for m in mine] == [module_id] and mine[0].assigned is not None
    with db.session() as session:
        first = training.take(session, teller, module_id, {1: "1", 2: "1"}, NOW)
        second = training.take(session, teller, module_id, {1: "2", 2: "1"}, NOW)
    assert (first.right, first.passed, second.right, second.passed) == (1, False, 2, True)
    with db.session() as session, pytest.raises(InvalidInput) as missing:
        training.take(session, teller, module_id, {1: "2"}, NOW)
    assert missing.value.field == "q2"
    with db.read() as session:
        outlets, staff = training_queries.report(session, head_office.unit_path)
    out_a = next(o for o in outlets if o.code == "OUT-A")
    assert out_a.completed == 1 and out_a.assigned == out_a.staff and out_a.staff >= 2
    line = next(s for s in staff if s.name == "柜员甲")
    assert (line.completed, line.best_mean) == (1, 1.0)


def test_sources_scope_and_the_head_offices_decisions(db: Database, bank: Bank) -> None:
    add_inspectors(db, bank)
    cb = build_complaint_bank(db, bank)
    with db.session() as session:
        form = cb.hotline_form(responsible_unit_id=cb.unit("OUT-A"))
        reference = intake.register(
            session, system_caller("test"), form, NOW, registered_unit_id=cb.unit("OUT-A")
        ).complaint.reference
    head_a, head_b, head_office = who(db, "head.a"), who(db, "head.b"), who(db, "svc.hq")
    text = check_text("标题", STORY, LESSONS, ["attitude"])
    with db.session() as session, pytest.raises(InvalidInput, match="upheld"):
        cases.draft(session, head_a, SourceKind.COMPLAINT, reference, text, NOW)  # not decided
    with db.session() as session, pytest.raises(NotFound):
        cases.draft(session, head_b, SourceKind.COMPLAINT, reference, text, NOW)  # elsewhere
    with db.session() as session, pytest.raises(Forbidden):
        cases.draft(session, who(db, "teller.a"), SourceKind.COMPLAINT, reference, text, NOW)
    visit = inspect(db, bank, "G2")
    with db.session() as session, pytest.raises(InvalidInput, match="upheld"):
        cases.draft(session, head_a, SourceKind.INSPECTION, f"{visit}/G1", text, NOW)  # passed
    with db.session() as session:
        case_id = cases.draft(session, head_a, SourceKind.INSPECTION, f"{visit}/G2", text, NOW).id
        cases.submit(session, head_a, case_id, NOW)
        with pytest.raises(InvalidInput):
            cases.send_back(session, head_office, case_id, "  ", NOW)
        cases.send_back(session, head_office, case_id, "请补充正确做法", NOW)
    with db.read() as session:
        row = session.get(GuidanceCase, case_id)
        assert row is not None and (row.state, row.return_reason) == ("returned", "请补充正确做法")
        # A returned case is not for the teller to read; a published one is for everyone.
        with pytest.raises(NotFound):
            cases.load(session, who(db, "teller.a"), case_id)
    with db.session() as session:
        module_text = check_module("模块", "80", "")
        with pytest.raises(InvalidInput, match="not a published case"):
            training.create_module(session, head_office, module_text, [case_id], QUESTIONS, NOW)


@pytest.mark.usefixtures("frozen_clock")
def test_the_pages_from_draft_to_a_taken_module(db: Database, bank: Bank) -> None:
    add_inspectors(db, bank)
    visit = inspect(db, bank, "G1")
    writer = signed_in_client(db, "insp.a")
    token = csrf_of(writer, "/guidance/cases")
    page = writer.get(f"/guidance/cases/new?source_kind=inspection&source_ref={visit}/G1")
    assert 'data-testid="source-text"' in page.text and "未起身迎接" in page.text
    form = {"csrf_token": token, "source_kind": "inspection", "source_ref": f"{visit}/G1",
            "title": "起身迎接", "story": STORY + " 13812345678", "lessons": LESSONS,
            "topics": ["attitude"]}  # fmt: skip
    refused = writer.post("/guidance/cases/new", data=form)
    assert refused.status_code == 422 and 'data-testid="error"' in refused.text
    saved = writer.post("/guidance/cases/new", data=form | {"story": STORY})
    assert saved.status_code == 303
    case_id = int(saved.headers["location"].rsplit("/", 1)[1])
    assert (
        writer.post(f"/guidance/cases/{case_id}/submit", data={"csrf_token": token}).status_code
        == 303
    )
    admin = signed_in_client(db, "svc.hq")
    admin_token = csrf_of(admin, "/guidance/cases")
    assert (
        admin.post(
            f"/guidance/cases/{case_id}/approve", data={"csrf_token": admin_token}
        ).status_code
        == 303
    )
    created = admin.post(
        "/guidance/training/modules",
        data={"csrf_token": admin_token, "title": "起身迎接", "pass_mark": "80", "items": "G1",
              "cases": [str(case_id)], "questions": "老年客户走近窗口时应当：|继续操作|*起身相迎"},
    )  # fmt: skip
    assert created.status_code == 303
    with db.read() as session:
        module_id = training_queries.modules(session)[0].id
    admin.post(f"/guidance/training/modules/{module_id}/publish", data={"csrf_token": admin_token})
    assigned = admin.post(
        f"/guidance/training/modules/{module_id}/assign",
        data={"csrf_token": admin_token, "outlet": "OUT-A", "due_on": "2026-12-20"},
    )
    assert assigned.status_code == 303
    teller = signed_in_client(db, "teller.a")
    mine = teller.get("/guidance/training")
    assert f'data-testid="module-{module_id}"' in mine.text
    teller_token = csrf_of(teller, "/guidance/training")
    done = teller.post(
        f"/guidance/training/{module_id}", data={"csrf_token": teller_token, "q1": "2"}
    )
    assert done.status_code == 200 and 'data-testid="outcome"' in done.text
    report = admin.get("/guidance/training/report")
    assert 'data-testid="outlet-OUT-A"' in report.text
    export = admin.get("/guidance/training/report.xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_the_demo_library_passes_its_own_check(db: Database, tmp_path: object) -> None:
    """`manyi demo seed`'s cases hold no personal data by the library's own check (the names of
    their sources' people and units), its modules are published and some staff completed them."""
    from pathlib import Path

    from manyi import demo
    from manyi.complaints import demo as complaints_demo
    from manyi.complaints import demo_praise
    from manyi.guidance import training_demo
    from manyi.guidance.domain.cases import SourceKind, personal_data
    from manyi.supervision import demo as supervision_demo

    with db.session() as session:
        demo.seed(session, password=demo.DEMO_PASSWORD)
    with db.session() as session:
        complaints_demo.seed(session, NOW)
        demo_praise.seed(session, NOW)
    supervision_demo.seed(db, NOW, Path(str(tmp_path)))
    with db.session() as session:
        line = training_demo.seed(session, NOW)
    assert "6 cases, 2 modules, 4 assignments" in line
    with db.session() as session:
        assert "already" in training_demo.seed(session, NOW)
    head_office = who(db, "ho.service")
    with db.read() as session:
        rows = list(session.scalars(select(GuidanceCase)))
        assert {r.source_kind for r in rows} == {k.value for k in SourceKind}
        for row in rows:
            source = cases.source_of(
                session, head_office, SourceKind(row.source_kind), row.source_ref
            )
            text = "\n".join((row.title, row.story, row.lessons))
            assert personal_data(text, source.names, row.not_names) == [], row.title
        outlets, _staff = training_queries.report(session, head_office.unit_path)
    assert {o.code for o in outlets} == {"BJ-HD-ZGC", "SH-PD-LJZ", "BJ-CY-WJ"}
    assert sum(o.completed for o in outlets) > 0


def test_a_topic_finds_its_older_cases_behind_the_newest_five_hundred(
    db: Database, bank: Bank
) -> None:
    """The topic is filtered in the database, before the list's limit (it was filtered after)."""
    teller = who(db, "teller.a")
    base = {
        "story": STORY, "lessons": LESSONS, "not_names": [], "source_kind": "praise",
        "unit_id": bank.unit("OUT-A"), "unit_path": teller.unit_path, "state": "published",
        "author_id": teller.staff_id, "created_at": NOW, "changed_at": NOW,
    }  # fmt: skip
    older = [{**base, "title": "反诈旧案", "source_ref": "1", "topics": ["fraud", "elderly"]}]
    newer = [
        {**base, "title": f"态度 {k}", "source_ref": str(k + 2), "topics": ["attitude"]}
        for k in range(training_queries.CASES_SHOWN)
    ]
    with db.session() as session:
        session.execute(insert(GuidanceCase), older)
        session.execute(insert(GuidanceCase), newer)
    with db.read() as session:
        found = training_queries.cases(session, teller, topic="fraud")
        assert [c.title for c in found] == ["反诈旧案"]
        assert [c.title for c in training_queries.cases(session, teller, topic="elderly")] == [
            "反诈旧案"
        ]
        attitude = training_queries.cases(session, teller, topic="attitude")
        assert len(attitude) == training_queries.CASES_SHOWN
        assert attitude[0].title == f"态度 {training_queries.CASES_SHOWN - 1}"  # newest first
        assert training_queries.cases(session, teller, topic="process") == []
        assert training_queries.cases(session, teller, topic='fraud"') == []  # not a topic
        everything = training_queries.cases(session, teller)
        assert len(everything) == training_queries.CASES_SHOWN
        assert "反诈旧案" not in {c.title for c in everything}  # the limit still holds
