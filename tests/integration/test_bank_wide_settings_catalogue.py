"""Maker-checker on the catalogue's authorisation rules (issue 16 #6), through the pages, on
both engines: a head-office administrator's new authorisation threshold is only proposed and
is published as a new version when a *different* head-office administrator approves it; a
rejected proposal publishes nothing, and one made on a version since replaced is refused as
stale. Every step is on the audit chain."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from manyi.counter import catalogue_store
from manyi.counter.tables import CounterTransactionType
from manyi.db import Database
from tests.maker_checker_helpers import (  # noqa: F401 (fixture)
    Person,
    actions,
    catalogue_schema,
    changes,
    people_fixture,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


def raised_threshold(db: Database) -> str:
    schema = catalogue_schema(db, "withdraw")
    schema["x-manyi"]["authorisation"][0]["when"]["amount_at_least"] = "100000"
    return json.dumps(schema)


def withdraw_versions(db: Database) -> list[int]:
    with db.session() as session:
        return sorted(
            session.scalars(
                select(CounterTransactionType.version).where(
                    CounterTransactionType.code == "withdraw"
                )
            )
        )


def test_a_new_authorisation_threshold_waits_for_a_second_head_office_admin(
    db: Database, people: dict[str, Person]
) -> None:
    maker, checker = people["admin"], people["admin.hq2"]
    proposed = maker.post(
        "/counter/catalogue/withdraw", document=raised_threshold(db), reason="授权起点调整"
    )
    assert proposed.status_code == 303 and "proposed=" in proposed.headers["location"]
    [(change, kind, _)] = changes(db)
    assert kind == "counter_catalogue.edit" and withdraw_versions(db) == [1]
    own = maker.post(f"/counter/catalogue/changes/{change}", decision="approve")
    assert own.status_code == 403 and withdraw_versions(db) == [1]

    listing = checker.get("/counter/catalogue").text
    waiting = listing.split('data-testid="pending-changes"')[1].split("</section>")[0]
    assert "金额 ≥ 50000 → 主管授权" in waiting and "金额 ≥ 100000 → 主管授权" in waiting
    assert "授权起点调整" in waiting
    approved = checker.post(f"/counter/catalogue/changes/{change}", decision="approve")
    assert approved.headers["location"] == "/counter/catalogue?decided=approve"
    assert withdraw_versions(db) == [1, 2]
    with db.session() as session:
        tx = catalogue_store.get_type(session, "withdraw")
        row = session.scalar(
            select(CounterTransactionType).where(CounterTransactionType.version == 2)
        )
    assert str(tx.rules[0].when.amount_at_least) == "100000"
    assert row is not None and row.created_by == "管理员甲" and row.reason == "授权起点调整"
    assert actions(db, "counter.catalogue.") == [
        "counter.catalogue.seed",
        "counter.catalogue.propose",
        "counter.catalogue.approve",
        "counter.catalogue.edit",
    ]


def test_a_rejected_or_stale_threshold_publishes_nothing(
    db: Database, people: dict[str, Person]
) -> None:
    maker, checker = people["admin"], people["admin.hq2"]
    maker.post("/counter/catalogue/withdraw", document=raised_threshold(db), reason="第一次")
    maker.post("/counter/catalogue/withdraw", document=raised_threshold(db), reason="第二次")
    (first, _, _), (second, _, _) = changes(db)
    rejected = checker.post(
        f"/counter/catalogue/changes/{first}", decision="reject", reason="门槛过高"
    )
    assert rejected.status_code == 303 and withdraw_versions(db) == [1]
    # Meanwhile a label edit publishes v2 at once: the second proposal was made on v1.
    relabelled = catalogue_schema(db, "withdraw") | {"title": "Cash withdrawal (revised)"}
    published = maker.post(
        "/counter/catalogue/withdraw", document=json.dumps(relabelled), reason="改名"
    )
    assert published.headers["location"] == "/counter/catalogue/withdraw?saved=2"
    stale = checker.post(f"/counter/catalogue/changes/{second}", decision="approve")
    assert stale.status_code == 409 and withdraw_versions(db) == [1, 2]
    assert [state for _, _, state in changes(db)] == ["rejected", "pending"]
    assert re.search(r"counter\.catalogue\.reject", " ".join(actions(db, "counter.")))
