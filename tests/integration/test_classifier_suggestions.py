"""The classifier in the product, on both engines: training from confirmed cases, suggestions on
every new complaint (staff form and public form), accept, correct, auto-apply, and the refusals
(too few cases, a model whose labels left the taxonomy, a damaged blob)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from manyi import audit
from manyi.complaints import classification, handling, intake, public_filing
from manyi.complaints.tables import Complaint, ComplaintCategory, ComplaintEvent
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput
from manyi.insight import auto_apply, complaints_adapters, model_store, training
from manyi.insight.classifier_tables import ClassifierModel, ClassifierSuggestion
from manyi.insight.domain.suggesting import TARGETS
from manyi.org.model import Permission, UnitLevel
from tests.classifier_cases import NEW_TEXT, fitted, seed_confirmed, store_fitted

__all__ = ["fitted"]  # the session's fitted models, a fixture
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import Bank

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
TRAINER = audit.Actor(id=None, name="test")
HEAD_OFFICE = audit.Actor(id=None, name="admin")
CONFIGURE = frozenset({Permission.COMPLAINTS_CONFIGURE})


@pytest.fixture(autouse=True)
def _plugged() -> Iterator[None]:
    complaints_adapters.register()
    model_store.clear_cache()
    yield
    model_store.clear_cache()


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


@pytest.fixture
def trained(
    db: Database, cb: ComplaintBank, fitted: dict[str, training.Fitted]
) -> list[training.Trained]:
    """The seed's cases and their models, stored (fitted once for the session: the same cases
    give the same models; the first test trains for real)."""
    seed_confirmed(db, cb, NOW)
    return store_fitted(db, fitted, NOW)


def register_hotline(db: Database, cb: ComplaintBank, kind: str, **overrides: object) -> int:
    subject, description = NEW_TEXT[kind]
    values: dict[str, object] = {
        "subject": subject,
        "description": description,
        "business_code": "",
        "cause_code": "",
        "complainant_phone": "13700001111",
    }
    with db.session() as session:
        registered = intake.register(
            session, cb.caller(db, "hotline"), cb.hotline_form(**(values | overrides)), LATER
        )
        return registered.complaint.id


def suggestions_of(db: Database, complaint_id: int) -> dict[str, ClassifierSuggestion]:
    with db.session() as session:
        rows = session.scalars(
            select(ClassifierSuggestion).where(ClassifierSuggestion.complaint_id == complaint_id)
        )
        found = {r.target: r for r in rows}
        for r in found.values():
            session.expunge(r)
        return found


def complaint_of(db: Database, complaint_id: int) -> Complaint:
    with db.session() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        session.expunge(complaint)
        return complaint


def test_training_makes_a_version_per_target_with_its_evaluation(
    db: Database, cb: ComplaintBank
) -> None:
    seed_confirmed(db, cb, NOW)
    with db.session() as session:
        trained = training.train_all(session, TRAINER, NOW, min_per_class=5)
    assert [t.target for t in trained] == list(TARGETS)
    assert not [t.refused for t in trained if t.refused]
    business = trained[0]
    assert business.version == 1 and business.training_size == 27 and business.classes == 3
    assert business.evaluation is not None
    assert business.evaluation["folds"] == 5 and business.evaluation["n"] == 27
    assert set(business.evaluation) == {"folds", "n", "classes", "accuracy", "macro_f1"}
    with db.session() as session:
        again = training.train_all(session, TRAINER, NOW, targets=("business",), min_per_class=5)
        rows = model_store.versions(session, "business")
        assert again[0].version == 2
        assert [(r.version, r.active) for r in rows] == [(2, True), (1, False)]
        assert rows[1].evaluation is not None  # each version keeps its own evaluation
        assert sorted(rows[0].labels) == ["cards", "loans", "savings"]
        stored = session.scalar(
            select(ClassifierModel.blob).where(ClassifierModel.id == rows[0].id)
        )
        assert stored is not None and stored[:2] == b"PK"  # an .npz archive: arrays and JSON


def test_training_is_refused_with_too_few_confirmed_cases(db: Database, cb: ComplaintBank) -> None:
    seed_confirmed(db, cb, NOW, per_kind=3)
    with db.session() as session:
        results = training.train_all(session, TRAINER, NOW, min_per_class=5)
        assert all(r.refused for r in results)
        assert "0 of them with at least 5 cases" in results[0].refused
        assert "a model needs at least 2 such classes" in results[0].refused
        assert session.scalar(select(ClassifierModel.id)) is None


def test_staff_registration_gets_suggestions_decided_where_staff_chose(
    db: Database, cb: ComplaintBank, trained: list[training.Trained]
) -> None:
    complaint_id = register_hotline(db, cb, "cards", cause_code="fund_safety")
    found = suggestions_of(db, complaint_id)
    assert set(found) == set(TARGETS)
    assert found["business"].value == "cards" and found["business"].outcome == "pending"
    assert 0 < found["business"].confidence <= 1 and found["business"].model_version == 1
    assert found["issue"].value == "self_service"
    # The hotline chose the cause itself: the suggestion is decided at once.
    assert found["cause"].outcome in ("accepted", "corrected")
    assert found["cause"].final_value == "fund_safety"
    complaint = complaint_of(db, complaint_id)
    assert complaint.business_code is None  # a suggestion only, nothing applied


def test_an_opinion_is_classified_like_a_complaint_but_nothing_is_applied(
    db: Database, cb: ComplaintBank, trained: list[training.Trained]
) -> None:
    from manyi.insight import opinions
    from manyi.insight.tables import OpinionRow

    subject, description = NEW_TEXT["cards"]
    row = OpinionRow(text=f"{subject}，{description}")  # not stored: suggestions read the text
    with db.session() as session:
        found = opinions.suggestions(session, row)
    assert found["business_code"][0] == "cards" and 0 < found["business_code"][1] <= 1
    assert found["issue_code"][0] == "self_service"
    assert set(found) == {"business_code", "cause_code", "appeal_code", "issue_code"}
    row.business_code = "cards"  # a field already classified gets no suggestion
    with db.session() as session:
        assert "business_code" not in opinions.suggestions(session, row)


def test_public_form_gets_suggestions(
    db: Database, cb: ComplaintBank, trained: list[training.Trained], tmp_path: Path
) -> None:
    subject, description = NEW_TEXT["loans"]
    with db.session() as session:
        registered = public_filing.submit(
            session,
            public_filing.PublicForm(
                subject=subject, description=description, name="赵六", phone="13600002222"
            ),
            [],
            LATER,
            var_dir=tmp_path,
        )
        complaint_id = registered.complaint.id
    found = suggestions_of(db, complaint_id)
    assert found["business"].value == "loans" and found["business"].outcome == "pending"
    assert found["product"].value == "住房贷款"


def test_accept_one_then_all_and_the_timeline_says_who(
    db: Database, cb: ComplaintBank, trained: list[training.Trained]
) -> None:
    complaint_id = register_hotline(db, cb, "savings")
    manager = cb.caller(db, "manager_sub_a")
    with db.session() as session:
        assert classification.accept(session, manager, complaint_id, LATER, ["business"]) == [
            "business"
        ]
    complaint = complaint_of(db, complaint_id)
    assert complaint.business_code == "savings" and complaint.department
    with db.session() as session:
        accepted = classification.accept(session, manager, complaint_id, LATER)
        assert set(accepted) == {"cause", "appeal", "product", "issue"}
        with pytest.raises(Conflict):
            classification.accept(session, manager, complaint_id, LATER)
    complaint = complaint_of(db, complaint_id)
    assert (complaint.cause_code, complaint.appeal_code, complaint.product) == (
        "service_quality",
        "apology",
        "活期存款",
    )
    assert complaint.issue_code == "waiting_time"
    found = suggestions_of(db, complaint_id)
    assert {s.outcome for s in found.values()} == {"accepted"}
    assert {s.decided_by_id for s in found.values()} == {cb.staff["manager_sub_a"]}
    with db.session() as session:
        events = session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.action == "classify"
            )
        ).all()
        assert [e.actor_name for e in events] == ["manager.sub.a", "manager.sub.a"]


def test_correcting_with_the_classify_form_marks_the_suggestion_corrected(
    db: Database, cb: ComplaintBank, trained: list[training.Trained]
) -> None:
    complaint_id = register_hotline(db, cb, "savings")
    manager = cb.caller(db, "manager_sub_a")
    with db.session() as session:
        handling.classify(
            session,
            manager,
            complaint_id,
            LATER,
            channel_code="onsite",
            business_code="cards",
            cause_code="service_quality",
            appeal_code="apology",
            issue_code="attitude",
            flags=[],
        )
        with pytest.raises(InvalidInput) as refused:
            handling.classify(
                session,
                manager,
                complaint_id,
                LATER,
                channel_code="",
                business_code="",
                cause_code="",
                issue_code="no_such_issue",
                flags=[],
            )
        assert refused.value.field == "issue_code"
    found = suggestions_of(db, complaint_id)
    assert found["business"].outcome == "corrected" and found["business"].final_value == "cards"
    assert found["cause"].outcome == "accepted"
    assert found["product"].outcome == "pending"  # not on the form: nobody decided
    complaint = complaint_of(db, complaint_id)
    assert (complaint.business_code, complaint.issue_code) == ("cards", "attitude")


def test_auto_apply_marks_values_machine_made_until_confirmed(
    db: Database, cb: ComplaintBank, trained: list[training.Trained]
) -> None:
    with db.session() as session:
        assert not auto_apply.settings(session)["business"].enabled  # off by default
        with pytest.raises(Forbidden):
            auto_apply.change(
                session,
                HEAD_OFFICE,
                CONFIGURE,
                UnitLevel.TIER1_BRANCH,
                "business",
                enabled=True,
                threshold=0.5,
                now=NOW,
            )
        with pytest.raises(InvalidInput):
            auto_apply.change(
                session,
                HEAD_OFFICE,
                CONFIGURE,
                UnitLevel.HEAD_OFFICE,
                "business",
                enabled=True,
                threshold=0.2,
                now=NOW,
            )
        auto_apply.change(
            session,
            HEAD_OFFICE,
            CONFIGURE,
            UnitLevel.HEAD_OFFICE,
            "business",
            enabled=True,
            threshold=0.5,
            now=NOW,
        )
    complaint_id = register_hotline(db, cb, "cards")
    found = suggestions_of(db, complaint_id)
    assert found["business"].outcome == "auto_applied"
    assert found["cause"].outcome == "pending"  # not enabled for the cause
    assert complaint_of(db, complaint_id).business_code == "cards"
    with db.session() as session:
        case = complaints_adapters.Classification().for_case(session, complaint_id)
        assert case.machine_made == {"business"}
        event = session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.action == "classify"
            )
        ).one()
        assert event.actor_id is None and event.actor_name == "classifier"
        assert event.data["machine"]["business"][0] == "cards"
        # Machine-made: not a training label.
        texts = [t for t, _ in training.confirmed_cases(session, "business")]
        assert not any("吞了" in t for t in texts)
    manager = cb.caller(db, "manager_sub_a")
    with db.session() as session:
        classification.accept(session, manager, complaint_id, LATER, ["business"])
    with db.session() as session:
        case = complaints_adapters.Classification().for_case(session, complaint_id)
        assert case.machine_made == frozenset()
        texts = [t for t, _ in training.confirmed_cases(session, "business")]
        assert any("吞了" in t for t in texts)  # confirmed by staff: a training label now


def test_a_model_whose_label_was_retired_is_refused(
    db: Database,
    cb: ComplaintBank,
    trained: list[training.Trained],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with db.session() as session:
        session.execute(
            update(ComplaintCategory)
            .where(ComplaintCategory.axis == "business", ComplaintCategory.code == "loans")
            .values(active=False)
        )
    complaint_id = register_hotline(db, cb, "savings")
    found = suggestions_of(db, complaint_id)
    assert "business" not in found and "cause" in found
    with db.session() as session:
        refused = model_store.load(session, "business")
        assert isinstance(refused, model_store.Refused)
        assert refused.reason == (
            "model for business: labels no longer match the taxonomy: loans retired"
        )
        case = complaints_adapters.Classification().for_case(session, complaint_id)
        assert case.problems == (refused.reason,)
    assert "labels no longer match the taxonomy: loans retired" in caplog.text
    # Trained again, the business model leaves the retired category's cases out and is used.
    with db.session() as session:
        [again] = training.train_all(
            session, TRAINER, LATER, targets=("business",), min_per_class=5
        )
        assert again.version == 2 and again.left_out == {"loans": 9} and again.classes == 2
        assert isinstance(model_store.load(session, "business"), model_store.Loaded)


def test_a_damaged_or_replaced_blob_is_refused(
    db: Database, cb: ComplaintBank, trained: list[training.Trained]
) -> None:
    with db.session() as session:
        row = model_store.active_row(session, "cause")
        assert row is not None
        blob = bytearray(row.blob)
        blob[len(blob) // 2] ^= 0xFF
        row.blob = bytes(blob)
        issue = model_store.active_row(session, "issue")
        assert issue is not None
        issue.blob = b"\x80\x04not a model"  # a pickle would start so: never unpickled
        issue.blob_sha256 = __import__("hashlib").sha256(issue.blob).hexdigest()
    model_store.clear_cache()  # a new process
    with db.session() as session:
        cause = model_store.load(session, "cause")
        assert isinstance(cause, model_store.Refused)
        assert "does not match its checksum" in cause.reason
        issue_model = model_store.load(session, "issue")
        assert isinstance(issue_model, model_store.Refused)
        assert "cannot be read" in issue_model.reason
    complaint_id = register_hotline(db, cb, "cards")
    assert set(suggestions_of(db, complaint_id)) == {"business", "appeal", "product"}


def test_a_failing_suggestion_never_loses_the_complaint(
    db: Database,
    cb: ComplaintBank,
    trained: list[training.Trained],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(model_store, "load_all", broken)
    complaint_id = register_hotline(db, cb, "cards")
    assert complaint_of(db, complaint_id).reference.startswith("TS")
    assert suggestions_of(db, complaint_id) == {}
