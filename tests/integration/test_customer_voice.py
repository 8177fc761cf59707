"""The customer's voice beyond complaints (issue 19), below the browser and through the pages:
praise registered against a staff member and counted by the service stars, opinions and
suggestions through their states, and the 回访 of a closed complaint from its invitation to
the case page and the share satisfied. Refusals store nothing; the data scope holds."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi import audit
from manyi.complaints import facts, handling, intake, praise, resolution
from manyi.complaints.access import Caller
from manyi.complaints.praise_tables import ComplaintPraise
from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.insight import issues, opinions, voice
from manyi.insight.domain.issues import DEMO_SET
from manyi.insight.tables import OpinionRow
from manyi.org.tables import Staff, Unit
from manyi.quality import followups, surveys
from manyi.quality.survey_scan import scan
from manyi.quality.survey_tables import SurveyInvitation
from manyi.supervision import stars
from manyi.supervision.stars_tables import StarProgramme
from tests.complaint_bank import build_complaint_bank
from tests.conftest import FIXED_NOW, Bank, add_staff
from tests.stars_helpers import head_office, serve
from tests.web_helpers import csrf_of, signed_in_client

NOW = FIXED_NOW  # 2026-11-30 10:00 in Shanghai
TODAY = dt.date(2026, 11, 30)


def caller(db: Database, username: str) -> Caller:
    with db.session() as session:
        person = session.scalars(select(Staff).where(Staff.username == username)).one()
        return Caller.of(person)


def actor(db: Database, username: str) -> audit.Actor:
    with db.session() as session:
        person = session.scalars(select(Staff).where(Staff.username == username)).one()
        return audit.Actor(person.id, username, person.unit_id, person.unit.path)


def count(db: Database, table: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def register_praise(db: Database, by: str, staff: int | None, **changes: object) -> int:
    values: dict[str, object] = {
        "staff_id": staff,
        "channel": "letter",
        "received_on": TODAY - dt.timedelta(days=2),
        "text": "客户来信表扬柜员耐心细致",
    }
    values.update(changes)
    who = caller(db, by)
    with db.session() as session:
        return praise.register(session, who, now=NOW, **values).id  # type: ignore[arg-type]


# --- praise ---------------------------------------------------------------------------------


def test_praise_is_registered_against_the_staff_member_and_their_outlet(
    db: Database, bank: Bank
) -> None:
    add_staff(db, bank, "lobby.a", "lobby.b")
    register_praise(db, "lobby.a", bank.staff["teller_a"])
    register_praise(db, "lobby.a", bank.staff["teller_a"], channel="phone", text="电话表扬")
    register_praise(
        db, "lobby.a", bank.staff["teller_a"], received_on=dt.date(2026, 6, 1), text="去年的"
    )
    who = {name: caller(db, name) for name in ("lobby.a", "lobby.b", "admin")}
    with db.session() as session:
        row = session.scalars(select(ComplaintPraise).order_by(ComplaintPraise.id)).first()
        assert row is not None
        assert (row.unit_id, row.channel) == (bank.unit("OUT-A"), "letter")
        assert row.unit_path.endswith(f"/{bank.unit('OUT-A')}/")
        # The stars' fact: praise received in the period, by the day the customer praised.
        counted = facts.praise_for_staff(
            session,
            [bank.staff["teller_a"], bank.staff["teller_b"]],
            start=dt.date(2026, 10, 1),
            end=dt.date(2026, 12, 31),
        )
        assert counted == {bank.staff["teller_a"]: 2}
        # The list within a scope: OUT-B's lobby manager sees none of OUT-A's praise.
        assert len(praise.listing(session, who["lobby.a"])) == 3
        assert praise.listing(session, who["lobby.b"]) == []
        head = praise.listing(session, who["admin"], start=dt.date(2026, 11, 1))
        assert [(p.staff_name, p.unit_name, p.channel) for p in head] == [
            ("柜员甲", "甲网点", "phone"),
            ("柜员甲", "甲网点", "letter"),
        ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"received_on": None}, "received_on"),
        ({"received_on": TODAY + dt.timedelta(days=1)}, "received_on"),
        ({"received_on": TODAY - dt.timedelta(days=400)}, "received_on"),
        ({"text": "  "}, "text"),
        ({"text": "好" * 1001}, "text"),
    ],
)
def test_bad_praise_is_refused_naming_the_field_and_stores_nothing(
    db: Database, bank: Bank, changes: dict[str, object], field: str
) -> None:
    add_staff(db, bank, "lobby.a")
    with pytest.raises(InvalidInput) as refused:
        register_praise(db, "lobby.a", bank.staff["teller_a"], **changes)
    assert refused.value.field == field
    assert count(db, ComplaintPraise) == 0


def test_praise_outside_ones_scope_is_not_found_and_a_teller_cannot_register(
    db: Database, bank: Bank
) -> None:
    add_staff(db, bank, "lobby.a")
    with pytest.raises(InvalidInput) as nobody:
        register_praise(db, "lobby.a", None)
    assert nobody.value.field == "staff_id"
    with pytest.raises(NotFound):
        register_praise(db, "lobby.a", bank.staff["teller_b"])
    with pytest.raises(Exception, match="may not"):
        register_praise(db, "teller.a", bank.staff["teller_a"])
    assert count(db, ComplaintPraise) == 0


def test_registered_praise_counts_toward_the_stars_candidate_score(
    db: Database, bank: Bank
) -> None:
    add_staff(db, bank, "lobby.a")
    serve(db, bank.unit("OUT-A"), bank.staff["teller_a"], 40)
    programme_id = head_office(
        db,
        quotas={"BR-A": 1},
        criteria=[
            {"criterion": "volume", "weight": 50, "target": 40},
            {"criterion": "praise", "weight": 50, "target": 5},
        ],
    )
    for _ in range(3):
        register_praise(db, "lobby.a", bank.staff["teller_a"])
    register_praise(  # before the programme's quarter: not counted
        db, "lobby.a", bank.staff["teller_a"], received_on=dt.date(2026, 9, 30)
    )
    with db.session() as session:
        row = session.get_one(StarProgramme, programme_id)
        outlet = stars.outlet_in_scope(session, "OUT-A", "/")
        found = {c.username: c for c in stars.candidates(session, row, outlet)}
    lines = {line.criterion.value: line for line in found["teller.a"].assessment.lines}
    assert lines["praise"].raw == "3" and lines["praise"].score == 60.0
    assert found["teller.a"].assessment.total == 80.0  # volume 100 × 50 % + praise 60 × 50 %


@pytest.mark.usefixtures("frozen_clock")
def test_the_praise_page_registers_lists_and_refuses_bad_input(db: Database, bank: Bank) -> None:
    add_staff(db, bank, "lobby.a")
    lobby = signed_in_client(db, "lobby.a")
    token = csrf_of(lobby, "/complaints/praise")
    page = lobby.get("/complaints/praise")
    assert page.status_code == 200 and "登记表扬" in page.text and "柜员甲" in page.text
    assert "柜员乙" not in page.text  # OUT-B's staff are not offered
    sent = {
        "csrf_token": token,
        "staff_id": str(bank.staff["teller_a"]),
        "channel": "online",
        "received_on": "2026-11-29",
        "text": "手机银行留言表扬",
    }
    done = lobby.post("/complaints/praise", data=sent)
    assert done.status_code == 303
    listed = lobby.get(done.headers["location"])
    assert "手机银行留言表扬" in listed.text and "表扬已登记" in listed.text
    bad = lobby.post("/complaints/praise", data=sent | {"received_on": "2026-12-31"})
    assert bad.status_code == 422 and "表扬日期晚于今天" in bad.text
    outside = lobby.post(
        "/complaints/praise", data=sent | {"staff_id": str(bank.staff["teller_b"])}
    )
    assert outside.status_code == 404
    assert count(db, ComplaintPraise) == 1
    teller = signed_in_client(db, "teller_a")
    assert teller.get("/complaints/praise").status_code == 403


# --- opinions and suggestions ------------------------------------------------------------------


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


# --- 回访 ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen_clock")
def test_a_closed_complaint_gets_a_survey_whose_answer_shows_on_the_case_page(
    db: Database, bank: Bank
) -> None:
    cb = build_complaint_bank(db, bank)
    hotline = cb.caller(db, "hotline")
    received = NOW - dt.timedelta(days=3)
    with db.session() as session:
        case = intake.register(session, hotline, cb.hotline_form(), received).complaint.id
    with db.session() as session:  # routing assigned a handler at OUT-A
        assigned = session.get_one(Complaint, case).handler_id
        handler = Caller.of(session.get_one(Staff, assigned))
    later = NOW - dt.timedelta(hours=2)
    with db.session() as session:
        handling.start(session, handler, case, later)
        resolution.decide(
            session,
            handler,
            case,
            later,
            decision="已致歉并增开窗口",
            reply_channel="phone",
            verdict="upheld",
            root_cause_kind="process",
        )
        resolution.close(session, handler, case, later, reason="accepted")
    # The worker's job invites the complainant (the complaint's default survey, 100 %).
    with db.session() as session:
        made = scan(session, NOW, expiry_days=7)
    assert made["complaint"] == 1
    with db.session() as session:
        invitation = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.visit_key == f"c:{case}")
        ).one()
        token = invitation.token
        pending = followups.complaint_follow_up(session, case, NOW)
        assert pending is not None and pending.state == "invited"
    manager = signed_in_client(db, "manager_br_a")
    page = manager.get(f"/complaints/{case}")
    assert 'data-testid="follow-up" data-state="invited"' in page.text
    with db.session() as session:
        surveys.answer(
            session,
            token,
            {"csat": ["5"], "resolved": ["yes"], "comment": ["处理很及时"]},
            NOW,
            "message",
            None,
        )
    page = manager.get(f"/complaints/{case}")
    assert 'data-state="answered"' in page.text
    assert "5/5 · 非常满意" in page.text and "已解决" in page.text and "处理很及时" in page.text
    # The analysis's figure: one answered, satisfied.
    with db.session() as session:
        outlet = session.get_one(Unit, bank.unit("OUT-A"))
        share = voice.handling_satisfaction(
            session, outlet.path, NOW - dt.timedelta(days=1), NOW + dt.timedelta(seconds=1)
        )
        assert (share.answered, share.satisfied, share.invited, share.share) == (1, 1, 1, 1.0)
        other = voice.handling_satisfaction(
            session,
            session.get_one(Unit, bank.unit("OUT-B")).path,
            NOW - dt.timedelta(days=1),
            NOW + dt.timedelta(seconds=1),
        )
        assert other.share is None and other.answered == 0
    # An open complaint has no 回访 section.
    with db.session() as session:
        fresh = intake.register(session, hotline, cb.hotline_form(), NOW).complaint.id
    assert 'data-testid="follow-up"' not in manager.get(f"/complaints/{fresh}").text
