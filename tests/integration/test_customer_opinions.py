"""Opinions and suggestions, the customer's voice beyond complaints (issue 19), below the
browser and through the pages: from new to reviewed to adopted with a reply; a bad opinion is
refused naming the field with nothing stored; the data scope holds and the list filters."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi import audit
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.insight import issues, opinions, voice
from manyi.insight.domain.issues import DEMO_SET
from manyi.insight.tables import OpinionRow
from manyi.org.tables import Staff
from tests.conftest import FIXED_NOW, Bank
from tests.row_helpers import count
from tests.web_helpers import csrf_of, signed_in_client

NOW = FIXED_NOW  # 2026-11-30 10:00 in Shanghai


def actor(db: Database, username: str) -> audit.Actor:
    with db.session() as session:
        person = session.scalars(select(Staff).where(Staff.username == username)).one()
        return audit.Actor(person.id, username, person.unit_id, person.unit.path)


def register_opinion(db: Database, by: str, unit: int | None, **changes: object) -> int:
    values: dict[str, object] = {
        "source_kind": "forum",
        "source_ref": "2026年11月客户座谈会",
        "text": "建议周六开放更多窗口，老年客户排队时间太长。",
        "unit_id": unit,
        "received_at": NOW - dt.timedelta(days=1),
        "codes": {"business_code": "savings", "issue_code": "waiting_time"},
    }
    values.update(changes)
    who = actor(db, by)
    with db.session() as session:
        issues.seed(session, DEMO_SET)
        return opinions.register(session, who, now=NOW, **values).id  # type: ignore[arg-type]


def test_an_opinion_goes_from_new_to_reviewed_to_adopted_with_a_reply(
    db: Database, bank: Bank
) -> None:
    opinion = register_opinion(db, "manager.br.a", bank.unit("OUT-A"))
    who = actor(db, "manager.br.a")
    with db.session() as session, pytest.raises(InvalidInput) as early:
        opinions.take_step(session, who, opinion, "adopt", "好", NOW)  # not reviewed yet
    assert early.value.error_code == "wrong_state"
    with db.session() as session:
        assert opinions.take_step(session, who, opinion, "review", "", NOW).state == "reviewed"
    with db.session() as session, pytest.raises(InvalidInput) as silent:
        opinions.take_step(session, who, opinion, "decline", "  ", NOW)
    assert silent.value.field == "reply"
    with db.session() as session:
        row = opinions.take_step(session, who, opinion, "adopt", "已增开周六窗口", NOW)
        assert (row.state, row.reply, row.decided_by_id) == ("adopted", "已增开周六窗口", who.id)
        assert (row.business_code, row.issue_code, row.cause_code) == (
            "savings",
            "waiting_time",
            None,
        )
    with db.session() as session:  # the audit chain has each step
        from manyi.audit.tables import AuditEvent

        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "insight_opinion")
            .order_by(AuditEvent.seq)
        ).all()
        assert actions == [
            "insight.opinion_registered",
            "insight.opinion_review",
            "insight.opinion_adopt",
        ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_kind": "rumour"}, "source_kind"),
        ({"source_kind": "online_media", "source_ref": ""}, "source_ref"),
        ({"text": ""}, "text"),
        ({"unit": None}, "unit_id"),
        ({"received_at": NOW + dt.timedelta(hours=1)}, "received_at"),
        ({"codes": {"business_code": "nonsense"}}, "business_code"),
        ({"codes": {"appeal_code": "world_peace"}}, "appeal_code"),
        ({"codes": {"issue_code": "not_a_category"}}, "issue_code"),
    ],
)
def test_a_bad_opinion_is_refused_naming_the_field_and_stores_nothing(
    db: Database, bank: Bank, changes: dict[str, object], field: str
) -> None:
    changes = dict(changes)
    unit = changes.pop("unit", bank.unit("OUT-A"))
    with pytest.raises(InvalidInput) as refused:
        register_opinion(db, "manager.br.a", unit, **changes)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert count(db, OpinionRow) == 0


def test_opinions_keep_to_the_scope_and_filter(db: Database, bank: Bank) -> None:
    with pytest.raises(NotFound):  # BR-A's manager cannot register about OUT-B
        register_opinion(db, "manager.br.a", bank.unit("OUT-B"))
    at_a = register_opinion(db, "admin", bank.unit("OUT-A"))
    at_b = register_opinion(
        db,
        "admin",
        bank.unit("OUT-B"),
        source_kind="online_media",
        source_ref="https://weibo.example/123",
        codes={"business_code": "cards.debit"},
    )
    branch = actor(db, "manager.br.a").unit_path
    with db.session() as session:
        mine = opinions.listing(session, branch, opinions.Filters())
        assert [r.id for r in mine.rows] == [at_a]
        everything = opinions.listing(session, "/", opinions.Filters())
        assert everything.total == 2
        cards = opinions.listing(session, "/", opinions.Filters(business_code="cards"))
        assert [r.id for r in cards.rows] == [at_b]  # a top level finds its children
        media = opinions.listing(session, "/", opinions.Filters(source_kind="online_media"))
        assert [r.id for r in media.rows] == [at_b]
        words = opinions.listing(session, "/", opinions.Filters(q="周六"))
        assert words.total == 2
        with pytest.raises(NotFound):
            opinions.get(session, branch, at_b)
        counts = voice.opinion_counts(session, "/", NOW - dt.timedelta(days=7), NOW)
        assert counts == {"new": 2}


@pytest.mark.usefixtures("frozen_clock")
def test_the_opinion_pages_register_list_and_step(db: Database, bank: Bank) -> None:
    manager = signed_in_client(db, "manager_br_a")
    token = csrf_of(manager, "/insight/opinions/new")
    with db.session() as session:
        issues.seed(session, DEMO_SET)
    sent = {
        "csrf_token": token,
        "source_kind": "online_media",
        "source_ref": "",
        "text": "网上有客户建议自助机增加方言语音。",
        "unit_id": str(bank.unit("OUT-A")),
        "received_at": "2026-11-29T15:30",
        "business_code": "",
        "cause_code": "",
        "appeal_code": "improvement",
        "issue_code": "",
    }
    bad = manager.post("/insight/opinions", data=sent)
    assert bad.status_code == 422 and "请填写链接" in bad.text
    assert count(db, OpinionRow) == 0
    done = manager.post("/insight/opinions", data=sent | {"source_ref": "https://x.example/1"})
    assert done.status_code == 303
    detail = manager.get(done.headers["location"])
    assert "不受监管时限约束" in detail.text and "新登记" in detail.text
    listed = manager.get("/insight/opinions?source_kind=online_media")
    assert "自助机增加方言语音" in listed.text and "不计时限" in listed.text
    opinion_url = done.headers["location"].split("?")[0]
    reviewed = manager.post(opinion_url + "/step", data={"csrf_token": token, "step": "review"})
    assert reviewed.status_code == 303
    no_reply = manager.post(opinion_url + "/step", data={"csrf_token": token, "step": "decline"})
    assert no_reply.status_code == 422 and "请填写给客户的答复" in no_reply.text
    declined = manager.post(
        opinion_url + "/step",
        data={"csrf_token": token, "step": "decline", "reply": "方言语音暂无计划，已记录。"},
    )
    assert declined.status_code == 303
    assert "未采纳" in manager.get(opinion_url).text
    other = signed_in_client(db, "head_b")
    assert other.get(opinion_url).status_code == 404  # outside OUT-B's scope
