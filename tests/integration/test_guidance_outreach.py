"""Outreach events (普及金融知识) on both engines: planned, held and cancelled through the use
cases and the pages, audited, within the actor's scope; bad input refused naming the field with
nothing stored; photos checked by type and size; the figures rolled up the organisation add up
at every level."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from manyi import demo
from manyi.audit.tables import AuditEvent
from manyi.complaints.domain.files import MAX_BYTES
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.guidance import outreach, outreach_demo, outreach_queries
from manyi.guidance.domain.outreach_figures import Period
from manyi.guidance.outreach_tables import OutreachEvent, OutreachPhoto, OutreachStaff
from manyi.org.tables import Staff
from tests.conftest import FIXED_NOW, Bank, add_staff
from tests.counter_helpers import png
from tests.web_helpers import csrf_of, signed_in_client

TODAY = dt.date(2026, 11, 30)  # FIXED_NOW in Beijing
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
EARLIER = FIXED_NOW - dt.timedelta(days=20)  # when the events were planned


def who(db: Database, username: str) -> outreach.Who:
    with db.session() as session:
        staff = session.scalars(select(Staff).where(Staff.username == username)).one()
        return outreach.Who(
            staff.id, staff.display_name, staff.unit_id, staff.unit.path, staff.permissions
        )


def plan(db: Database, actor: outreach.Who, outlet: str, day: dt.date, **extra: str) -> str:
    fields = {
        "outlet_code": outlet,
        "title": "走进社区防范电信诈骗",
        "venue_kind": "community",
        "venue": "幸福社区活动中心",
        "topic": "fraud",
        "planned_on": day.isoformat(),
    } | extra
    with db.session() as session:
        return outreach.plan(session, actor, outreach.PlanFields(**fields), EARLIER).reference


def hold(
    db: Database, actor: outreach.Who, reference: str, people: int, staff: tuple[int, ...]
) -> None:
    with db.session() as session:
        day = session.scalars(
            select(OutreachEvent.planned_on).where(OutreachEvent.reference == reference)
        ).one()
        fields = outreach.HeldFields(
            held_on=day.isoformat(), participants=str(people), materials="50", staff=staff
        )
        outreach.record_held(session, actor, reference, fields, FIXED_NOW)


def count(db: Database, table: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_events_roll_up_the_organisation_and_every_step_is_audited(
    db: Database, bank: Bank
) -> None:
    ids = add_staff(db, bank, "lobby.a", "lobby.b", "admin.br.a")
    lobby_a, lobby_b = who(db, "lobby.a"), who(db, "lobby.b")
    a1 = plan(db, lobby_a, "OUT-A", dt.date(2026, 11, 12))
    a2 = plan(db, lobby_a, "OUT-A", dt.date(2026, 11, 20), topic="rmb", venue_kind="school")
    a3 = plan(db, lobby_a, "OUT-A", dt.date(2026, 11, 25))
    b1 = plan(db, lobby_b, "OUT-B", dt.date(2026, 11, 18), venue_kind="care_home")
    later = plan(db, lobby_a, "OUT-A", dt.date(2026, 12, 10))  # next month: not counted
    hold(db, lobby_a, a1, 40, (ids["lobby.a"], bank.staff["teller_a"]))
    hold(db, lobby_a, a2, 120, (ids["lobby.a"],))
    hold(db, lobby_b, b1, 25, (ids["lobby.b"],))
    with db.session() as session:
        outreach.cancel(session, lobby_a, a3, "暴雨预警，社区活动暂停", FIXED_NOW)
    with db.session() as session, pytest.raises(Conflict):  # cancelled is final
        outreach.record_held(
            session,
            lobby_a,
            a3,
            outreach.HeldFields(TODAY.isoformat(), "10", "0", "", (ids["lobby.a"],)),
            FIXED_NOW,
        )

    admin, admin_br_a, head_a = who(db, "admin"), who(db, "admin.br.a"), who(db, "head.a")
    with db.session() as session:
        head_office = outreach_queries.rollup(session, admin, NOVEMBER)
        branch = outreach_queries.rollup(session, admin_br_a, NOVEMBER)
        outlet = outreach_queries.rollup(session, head_a, NOVEMBER)
        staff_rows = session.scalar(select(func.count()).select_from(OutreachStaff))
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "outreach_event")
        ).all()
    # Head office sees its tier-1 branches, a branch its sub-branch, an outlet itself.
    assert [r.code for r in head_office.rows] == ["BR-A", "BR-B"]
    assert [r.code for r in branch.rows] == ["SUB-A"]
    assert [r.code for r in outlet.rows] == ["OUT-A"]
    by_code = {r.code: r.tally for r in head_office.rows}
    assert (by_code["BR-A"].held, by_code["BR-A"].participants) == (2, 160)
    assert (by_code["BR-A"].cancelled, by_code["BR-A"].materials) == (1, 100)
    assert (by_code["BR-B"].held, by_code["BR-B"].participants) == (1, 25)
    total = head_office.total
    assert (total.held, total.participants, total.planned) == (3, 185, 0)
    assert total.held_by_topic == {"fraud": 2, "rmb": 1}
    assert total.participants_by_topic == {"fraud": 65, "rmb": 120}
    assert total.held_by_venue == {"community": 1, "school": 1, "care_home": 1}
    # The same events add up alike at every level.
    assert branch.total == outlet.total == by_code["BR-A"]
    with db.session() as session:
        december = outreach_queries.rollup(
            session, admin, Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
        )
    assert december.total.planned == 1 and later.startswith("HD20261210")
    assert staff_rows == 4
    assert sorted(actions) == sorted(
        ["guidance.outreach.plan"] * 5
        + ["guidance.outreach.held"] * 3
        + ["guidance.outreach.cancel"]
    )


def test_scope_and_permission_refusals(db: Database, bank: Bank) -> None:
    ids = add_staff(db, bank, "lobby.a", "lobby.b")
    lobby_a, head_b = who(db, "lobby.a"), who(db, "head.b")
    reference = plan(db, lobby_a, "OUT-A", TODAY)
    with db.session() as session, pytest.raises(NotFound):
        outreach.load(session, head_b, reference)
    with db.session() as session, pytest.raises(NotFound):
        outreach.cancel(session, head_b, reference, "不办了", FIXED_NOW)
    with pytest.raises(InvalidInput) as outside:
        plan(db, head_b, "OUT-A", TODAY)  # another branch's outlet
    assert outside.value.field == "outlet"
    with pytest.raises(InvalidInput):
        plan(db, lobby_a, "SUB-A", TODAY)  # not an outlet
    teller_a = who(db, "teller.a")
    with pytest.raises(Forbidden):
        plan(db, teller_a, "OUT-A", TODAY)
    with db.session() as session, pytest.raises(InvalidInput) as wrong_staff:
        outreach.record_held(
            session,
            lobby_a,
            reference,
            outreach.HeldFields(TODAY.isoformat(), "30", "0", "", (ids["lobby.b"],)),
            FIXED_NOW,
        )
    assert wrong_staff.value.field == "staff"
    with db.session() as session:
        assert outreach_queries.rollup(session, head_b, NOVEMBER).total.events == 0
        rows = outreach_queries.events(session, head_b, outreach_queries.Filters(NOVEMBER))
        assert rows == []
        state = session.scalars(select(OutreachEvent.state)).one()
    assert state == "planned"


def test_a_bad_form_is_refused_next_to_its_field_and_nothing_is_stored(
    db: Database, bank: Bank, frozen_clock: dt.datetime
) -> None:
    add_staff(db, bank, "lobby.a")
    client = signed_in_client(db, "lobby.a")
    token = csrf_of(client, "/guidance/outreach/new")
    form = {
        "csrf_token": token,
        "outlet_code": "OUT-A",
        "title": "养老院反诈宣传",
        "venue_kind": "care_home",
        "venue": "夕阳红养老院",
        "topic": "fraud",
        "planned_on": "2026-11-30",
    }
    phone = client.post(
        "/guidance/outreach/new", data=form | {"description": "联系人电话 138 0013 8000"}
    )
    assert phone.status_code == 422
    assert "请删除手机号码" in phone.text and 'data-testid="field-error"' in phone.text
    assert "has-error" in phone.text and "夕阳红养老院" in phone.text  # the form kept
    past = client.post("/guidance/outreach/new", data=form | {"planned_on": "2026-11-29"})
    assert past.status_code == 422 and "计划日期不能早于今天" in past.text
    assert count(db, OutreachEvent) == 0

    done = client.post("/guidance/outreach/new", data=form)
    assert done.status_code == 303
    page_url = done.headers["location"]
    reference = page_url.rsplit("/", 1)[-1]
    held_url = f"{page_url}/held"
    me = str(who(db, "lobby.a").staff_id)
    nobody = client.post(
        held_url,
        data={"csrf_token": token, "held_on": "2026-11-30", "participants": "0", "staff": me},
    )
    assert nobody.status_code == 422 and "请填写 1 到 100000 之间的数字" in nobody.text
    future = client.post(
        held_url,
        data={"csrf_token": token, "held_on": "2026-12-01", "participants": "30", "staff": me},
    )
    assert future.status_code == 422 and "开展日期不能晚于今天" in future.text
    alone = client.post(
        held_url, data={"csrf_token": token, "held_on": "2026-11-30", "participants": "30"}
    )
    assert alone.status_code == 422 and "请至少选择一名参与活动的员工" in alone.text
    odd = client.post(
        held_url,
        data={"csrf_token": token, "held_on": "2026-11-30", "participants": "30", "staff": "²"},
    )
    assert odd.status_code == 422 and "请选择本活动所属网点的员工" in odd.text
    with db.session() as session:
        assert session.scalars(select(OutreachEvent.state)).one() == "planned"
    assert count(db, OutreachStaff) == 0

    held = client.post(
        held_url,
        data={
            "csrf_token": token,
            "held_on": "2026-11-30",
            "participants": "36",
            "materials": "80",
            "staff": me,
            "summary": "老人们踊跃提问",
        },
    )
    assert held.status_code == 303
    page = client.get(page_url)
    assert "已开展" in page.text and "老人们踊跃提问" in page.text
    listing = client.get("/guidance/outreach")
    assert reference in listing.text and 'data-testid="participants">36<' in listing.text

    # Outside the scope the event is not found, and its figures are not counted.
    other = signed_in_client(db, "head_b")
    assert other.get(page_url).status_code == 404
    assert reference not in other.get("/guidance/outreach").text
    assert signed_in_client(db, "teller_a").get("/guidance/outreach").status_code == 403
    head = signed_in_client(db, "admin")
    export = head.get("/guidance/outreach/export.xlsx?from=2026-11-01&to=2026-11-30")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content))
    events = list(book.worksheets[0].iter_rows(values_only=True))
    assert events[0][0] == "活动编号" and events[1][0] == reference and events[1][9] == 36
    units = list(book.worksheets[1].iter_rows(values_only=True))
    assert units[1][:5] == ("甲分行", 1, 0, 0, 36) and units[-1][0] == "合计"
    bad_period = head.get("/guidance/outreach?from=2026-11-30&to=2026-11-01")
    assert bad_period.status_code == 422 and "截止日期早于起始日期" in bad_period.text


def test_photos_are_checked_by_type_and_size_and_stay_in_scope(
    db: Database, bank: Bank, frozen_clock: dt.datetime
) -> None:
    add_staff(db, bank, "lobby.a")
    lobby_a = who(db, "lobby.a")
    reference = plan(db, lobby_a, "OUT-A", TODAY)
    client = signed_in_client(db, "lobby.a")
    page_url = f"/guidance/outreach/{reference}"
    token = csrf_of(client, page_url)
    text = client.post(
        f"{page_url}/photos",
        data={"csrf_token": token},
        files={"photo": ("notes.png", b"not a picture at all", "image/png")},
    )
    assert text.status_code == 422 and "只接受 JPEG、PNG 和 WebP 格式的照片" in text.text
    with db.session() as session, pytest.raises(InvalidInput) as big:
        outreach.add_photo(session, lobby_a, reference, png() + b"\0" * MAX_BYTES, FIXED_NOW)
    assert big.value.field == "photo" and "10" in big.value.text()
    assert count(db, OutreachPhoto) == 0

    picture = png(64, 48)
    sent = client.post(
        f"{page_url}/photos",
        data={"csrf_token": token},
        files={"photo": ("event.png", picture, "image/png")},
    )
    assert sent.status_code == 303
    again = client.post(
        f"{page_url}/photos",
        data={"csrf_token": token},
        files={"photo": ("same.png", picture, "image/png")},
    )
    assert again.status_code == 303 and count(db, OutreachPhoto) == 1  # kept once
    with db.session() as session:
        photo_id = session.scalars(select(OutreachPhoto.id)).one()
    shown = client.get(f"{page_url}/photos/{photo_id}")
    assert shown.status_code == 200 and shown.content == picture
    assert shown.headers["content-type"] == "image/png"
    other = signed_in_client(db, "head_b")
    assert other.get(f"{page_url}/photos/{photo_id}").status_code == 404
    assert client.get(f"{page_url}/photos/{photo_id + 1}").status_code == 404


def test_the_demo_bank_has_a_month_of_outreach_and_seeding_twice_adds_none(db: Database) -> None:
    with db.session() as session:
        demo.seed(session, password=demo.DEMO_PASSWORD)
    with db.session() as session:
        added = outreach_demo.seed_outreach(session, FIXED_NOW)
    with db.session() as session:
        again = outreach_demo.seed_outreach(session, FIXED_NOW)
    admin = who(db, "admin")
    with db.session() as session:
        month = Period(TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=14))
        figures = outreach_queries.rollup(session, admin, month)
    assert (added, again) == (45, 0)
    assert [r.code for r in figures.rows] == ["BJ", "SH"]
    assert (figures.total.held, figures.total.cancelled, figures.total.planned) == (34, 1, 10)
    assert figures.total.participants > 34 * 15
    assert len(figures.total.held_by_topic) >= 6 and len(figures.total.held_by_venue) == 4
