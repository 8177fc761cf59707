"""The classifier on the pages, on both engines: a case shows the model's suggestions with their
confidence, the handler accepts one or all with one click, corrects with the classify form
(appeal and prominent issue on it), machine-made values are marked, and the CLI trains."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from manyi import audit
from manyi.cli import app as cli_app
from manyi.complaints import intake
from manyi.complaints.tables import Complaint, ComplaintCategory
from manyi.config import get_settings
from manyi.db import Database
from manyi.insight import auto_apply, complaints_adapters, model_store, training
from manyi.org.model import Permission, UnitLevel
from tests.classifier_cases import NEW_TEXT, fitted, seed_confirmed, store_fitted
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, PASSWORD, Bank, add_staff
from tests.web_helpers import csrf_of, make_client, sign_in

__all__ = ["fitted"]  # the session's fitted models, a fixture

pytestmark = pytest.mark.usefixtures("frozen_clock")

SEEDED = FIXED_NOW - dt.timedelta(days=30)


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
    seed_confirmed(db, cb, SEEDED)
    return store_fitted(db, fitted, SEEDED)


class Person:
    def __init__(self, db: Database, username: str, var_dir: Path) -> None:
        self.client: TestClient = make_client(db, var_dir=var_dir)
        sign_in(self.client, username, PASSWORD)
        self.token = csrf_of(self.client, "/account/password")

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, **data: Any) -> httpx.Response:
        return self.client.post(
            path, data={"csrf_token": self.token, **data}, follow_redirects=False
        )


def new_case(db: Database, cb: ComplaintBank, kind: str) -> int:
    subject, description = NEW_TEXT[kind]
    caller = cb.caller(db, "hotline")
    with db.session() as session:
        registered = intake.register(
            session,
            caller,
            cb.hotline_form(
                subject=subject, description=description, business_code="", cause_code=""
            ),
            FIXED_NOW,
        )
        return registered.complaint.id


def complaint_of(db: Database, complaint_id: int) -> Complaint:
    with db.session() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        session.expunge(complaint)
        return complaint


def test_a_manager_accepts_one_suggestion_then_all(
    db: Database, cb: ComplaintBank, trained: list[training.Trained], tmp_path: Path
) -> None:
    case_id = new_case(db, cb, "cards")
    manager = Person(db, "manager.sub.a", tmp_path)
    page = manager.get(f"/complaints/{case_id}").text
    assert 'data-testid="suggestions"' in page
    assert "建议：银行卡 · 置信度" in page
    assert 'data-testid="accept-business"' in page and 'data-testid="accept-all"' in page
    answer = manager.post(f"/complaints/{case_id}/suggestions/accept", target="business")
    assert answer.status_code == 303
    assert complaint_of(db, case_id).business_code == "cards"
    page = manager.get(f"/complaints/{case_id}").text
    assert 'data-testid="accept-business"' not in page and "已采纳" in page
    assert manager.post(f"/complaints/{case_id}/suggestions/accept").status_code == 303
    complaint = complaint_of(db, case_id)
    assert (complaint.cause_code, complaint.issue_code, complaint.product) == (
        "fund_safety",
        "self_service",
        "借记卡",
    )
    page = manager.get(f"/complaints/{case_id}").text
    assert 'data-testid="accept-all"' not in page
    assert "采纳建议" in page  # the timeline says a suggestion was accepted, and by whom


def test_outside_the_scope_nothing_is_accepted(
    db: Database, cb: ComplaintBank, trained: list[training.Trained], tmp_path: Path
) -> None:
    case_id = new_case(db, cb, "cards")
    outsider = Person(db, "head.b", tmp_path)
    assert outsider.post(f"/complaints/{case_id}/suggestions/accept").status_code == 404
    assert complaint_of(db, case_id).business_code is None


def test_the_classify_form_takes_the_appeal_and_the_prominent_issue(
    db: Database, cb: ComplaintBank, trained: list[training.Trained], tmp_path: Path
) -> None:
    case_id = new_case(db, cb, "loans")
    manager = Person(db, "manager.sub.a", tmp_path)
    page = manager.get(f"/complaints/{case_id}").text
    assert 'name="appeal_code"' in page and 'name="issue_code"' in page
    answer = manager.post(
        f"/complaints/{case_id}/classify",
        channel_code="onsite",
        business_code="loans",
        cause_code="pricing",
        appeal_code="monetary.refund",
        issue_code="fees",
        product="消费贷款",
    )
    assert answer.status_code == 303
    complaint = complaint_of(db, case_id)
    assert (complaint.appeal_code, complaint.issue_code, complaint.product) == (
        "monetary.refund",
        "fees",
        "消费贷款",
    )
    refused = manager.post(
        f"/complaints/{case_id}/classify", business_code="loans", issue_code="nope"
    )
    assert refused.status_code == 422 and "nope" in refused.text
    assert complaint_of(db, case_id).issue_code == "fees"


def test_machine_made_values_are_marked_until_confirmed(
    db: Database, cb: ComplaintBank, trained: list[training.Trained], tmp_path: Path
) -> None:
    with db.session() as session:
        auto_apply.change(
            session,
            audit.Actor(id=None, name="admin"),
            frozenset({Permission.COMPLAINTS_CONFIGURE}),
            UnitLevel.HEAD_OFFICE,
            "business",
            enabled=True,
            threshold=0.5,
            now=FIXED_NOW,
        )
    case_id = new_case(db, cb, "savings")
    manager = Person(db, "manager.sub.a", tmp_path)
    page = manager.get(f"/complaints/{case_id}").text
    assert 'data-testid="machine-made"' in page and "由分类模型完成" in page
    manager.post(f"/complaints/{case_id}/suggestions/accept", target="business")
    page = manager.get(f"/complaints/{case_id}").text
    assert 'data-testid="machine-made"' not in page


def test_cli_trains_and_prints_json(
    db: Database, cb: ComplaintBank, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed_confirmed(db, cb, SEEDED)
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    runner = CliRunner()
    result = runner.invoke(
        cli_app,
        [
            "complaints",
            "classifier",
            "train",
            "--target",
            "business",
            "--min-per-class",
            "5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    [business] = json.loads(result.stdout)
    assert business["target"] == "business" and business["version"] == 1
    assert business["classes"] == 3 and business["training_size"] == 27
    assert set(business["evaluation"]) == {"folds", "n", "classes", "accuracy", "macro_f1"}
    refused = runner.invoke(
        cli_app,
        [
            "complaints",
            "classifier",
            "train",
            "--target",
            "cause",
            "--min-per-class",
            "50",
            "--json",
        ],
    )
    assert refused.exit_code == 1
    assert "a model needs at least 2 such classes" in json.loads(refused.stdout)[0]["refused"]
    # The cases registered before the first model get their suggestions once.
    suggest = ["complaints", "classifier", "suggest", "--json"]
    first = runner.invoke(cli_app, suggest)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"cases": 27, "suggestions": 27}  # business only
    assert json.loads(runner.invoke(cli_app, suggest).stdout) == {"cases": 0, "suggestions": 0}
    # --if-missing (make run's background training) leaves a target that has a model alone.
    again = ["complaints", "classifier", "train", "--target", "business", "--if-missing", "--json"]
    skipped = runner.invoke(cli_app, again)
    assert skipped.exit_code == 0, skipped.output
    assert json.loads(skipped.stdout) == []
    bad = runner.invoke(cli_app, ["complaints", "classifier", "train", "--target", "colour"])
    assert bad.exit_code == 2 and "--target must be all or one of" in bad.output
    get_settings.cache_clear()


def test_the_appeal_on_the_registration_form_and_the_workbench_filter(
    db: Database, cb: ComplaintBank, tmp_path: Path
) -> None:
    hotline = Person(db, "hotline", tmp_path)
    assert 'name="appeal_code"' in hotline.get("/complaints/new").text
    answer = hotline.post(
        "/complaints/new",
        intake="hotline",
        subject="要求道歉",
        description="柜员态度恶劣，要求赔礼道歉。",
        complainant_phone="13812345678",
        appeal_code="apology",
        responsible_unit_id=str(cb.unit("OUT-A")),
    )
    assert answer.status_code == 201, answer.text
    refused = hotline.post(
        "/complaints/new",
        intake="hotline",
        subject="x",
        description="y",
        complainant_phone="13812345678",
        appeal_code="no_such_appeal",
    )
    assert refused.status_code == 422 and "no_such_appeal" in refused.text
    manager = Person(db, "manager.sub.a", tmp_path)
    listed = manager.get("/complaints?tab=scope&appeal=apology").text
    assert "要求道歉" in listed
    assert "要求道歉" not in manager.get("/complaints?tab=scope&appeal=monetary").text


def test_the_classifier_page_shows_versions_refusals_and_the_auto_apply_setting(
    db: Database, cb: ComplaintBank, trained: list[training.Trained], tmp_path: Path
) -> None:
    add_staff(db, cb.bank, "admin.br.a")
    admin = Person(db, "admin", tmp_path)
    page = admin.get("/insight/classifier").text
    assert 'data-testid="target-business"' in page and "v1" in page and "5-fold" in page
    assert "使用中" in page and 'data-testid="refused"' not in page
    answer = admin.post(
        "/insight/classifier/auto-apply", target="cause", enabled="on", threshold="85"
    )
    assert answer.status_code == 303
    with db.session() as session:
        setting = auto_apply.settings(session)["cause"]
        assert setting.enabled and setting.threshold == 0.85 and setting.updated_by == "admin"
    refused = admin.post(
        "/insight/classifier/auto-apply", target="cause", enabled="on", threshold="0.3"
    )
    assert refused.status_code == 422 and "阈值须为 0.5 至 1 之间的置信度" in refused.text
    branch = Person(db, "admin.br.a", tmp_path)
    assert 'data-testid="head-office-only"' in branch.get("/insight/classifier").text
    forbidden = branch.post("/insight/classifier/auto-apply", target="business", enabled="on")
    assert forbidden.status_code == 403
    with db.session() as session:
        assert not auto_apply.settings(session)["business"].enabled
        session.execute(
            update(ComplaintCategory)
            .where(ComplaintCategory.axis == "appeal", ComplaintCategory.code == "apology")
            .values(active=False)
        )
    page = admin.get("/insight/classifier").text
    assert "labels no longer match the taxonomy: apology retired" in page
    teller = Person(db, "teller.a", tmp_path)
    assert teller.get("/insight/classifier").status_code == 403
