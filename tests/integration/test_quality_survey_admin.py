"""Head office edits the surveys and their sampling (`/quality/surveys`); a branch reads them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from manyi.db import Database
from manyi.quality.domain.surveys import DEFAULTS
from manyi.quality.survey_tables import SurveyDefinitionRow, SurveyRule
from tests.conftest import Bank, add_staff
from tests.web_helpers import csrf_of, signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


def versions(db: Database) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(SurveyDefinitionRow)
                .where(SurveyDefinitionRow.trigger == "ticket")
            )
            or 0
        )


def test_head_office_saves_a_new_version_and_bad_input_stores_nothing(
    db: Database, bank: Bank
) -> None:
    admin = signed_in_client(db, "admin")
    page = admin.get("/quality/surveys")
    assert page.status_code == 200 and "请评价本次服务" in page.text
    csrf = csrf_of(admin, "/quality/surveys")
    assert versions(db) == 0  # the default is shown; stored on first use or first edit
    bad = admin.post("/quality/surveys/ticket", data={"body": "{not json", "csrf_token": csrf})
    assert bad.status_code == 422 and "JSON" in bad.text
    assert "{not json" in bad.text  # the draft is kept for correction
    edited = dict(DEFAULTS["ticket"], questions=[])
    refused = admin.post(
        "/quality/surveys/ticket", data={"body": json.dumps(edited), "csrf_token": csrf}
    )
    assert refused.status_code == 422 and "questions" in refused.text
    wrong = admin.post(
        "/quality/surveys/ticket",
        data={"body": json.dumps(DEFAULTS["bundle"]), "csrf_token": csrf},
    )
    assert wrong.status_code == 422
    assert versions(db) == 0
    good = dict(DEFAULTS["ticket"], title_zh="请为我们打分")
    saved = admin.post(
        "/quality/surveys/ticket", data={"body": json.dumps(good), "csrf_token": csrf}
    )
    assert saved.status_code == 303
    assert versions(db) == 2
    assert "请为我们打分" in admin.get("/quality/surveys").text

    ruled = admin.post(
        "/quality/survey-rules",
        data={
            "trigger": "ticket",
            "unit": "OUT-A",
            "rate_percent": "25",
            "quiet_days": "0",
            "csrf_token": csrf,
        },
    )
    assert ruled.status_code == 303
    unknown = admin.post(
        "/quality/survey-rules",
        data={
            "trigger": "ticket",
            "unit": "NOPE",
            "rate_percent": "25",
            "quiet_days": "0",
            "csrf_token": csrf,
        },
    )
    assert unknown.status_code == 404
    over = admin.post(
        "/quality/survey-rules",
        data={
            "trigger": "ticket",
            "unit": "",
            "rate_percent": "101",
            "quiet_days": "0",
            "csrf_token": csrf,
        },
    )
    assert over.status_code == 422
    with db.read() as session:
        rules = session.scalars(select(SurveyRule)).all()
        assert [(r.unit_id, r.rate_percent) for r in rules] == [(bank.unit("OUT-A"), 25)]


def test_a_branch_administrator_reads_but_does_not_change(db: Database, bank: Bank) -> None:
    add_staff(db, bank, "admin.br.a")
    branch = signed_in_client(db, "admin.br.a")
    page = branch.get("/quality/surveys")
    assert page.status_code == 200 and 'data-testid="head-office-only"' in page.text
    csrf = csrf_of(branch, "/quality/surveys")
    refused = branch.post(
        "/quality/surveys/ticket",
        data={"body": json.dumps(DEFAULTS["ticket"]), "csrf_token": csrf},
    )
    assert refused.status_code == 403
    assert versions(db) == 0
    teller = signed_in_client(db, "teller.a")
    assert teller.get("/quality/surveys").status_code == 403
