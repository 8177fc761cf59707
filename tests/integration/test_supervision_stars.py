"""Service stars end to end below the web: a programme saved by head office, candidates scored at
an outlet, a nomination through the branch step and the head-office step, the quota, refusals
that store nothing, the data scope, the audit chain and the badge the lobby shows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from manyi import audit
from manyi.audit.tables import AuditEvent
from manyi.complaints import praise as complaint_praise
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff
from manyi.supervision import lobby_adapters, misconduct, stars, stars_steps
from manyi.supervision.stars_tables import StarNomination, StarProgramme
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, Bank
from tests.stars_helpers import head_office, programme_definition, serve

NOW = FIXED_NOW


def actor(db: Database, username: str) -> tuple[audit.Actor, str]:
    with db.session() as session:
        person = session.scalars(select(Staff).where(Staff.username == username)).one()
        return (
            audit.Actor(person.id, username, person.unit_id, person.unit.path),
            person.unit.level,
        )


@pytest.fixture
def stars_bank(db: Database, bank: Bank) -> Bank:
    """The bank with branch approvers (a branch head at BR-A and at BR-B), a second teller at
    OUT-A, served tickets and the 2026Q4 programme (quota: one star for BR-A)."""
    with db.session() as session:
        for username, unit in (
            ("br.head.a", "BR-A"),
            ("br.head.b", "BR-B"),
            ("teller.a2", "OUT-A"),
        ):
            role = Role.TELLER if username.startswith("teller") else Role.BRANCH_HEAD
            person = staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=username,
                unit_id=bank.unit(unit),
                roles=[role],
                password=PASSWORD,
            )
            bank.staff[username] = person.id
    serve(db, bank.unit("OUT-A"), bank.staff["teller_a"], 40)
    serve(db, bank.unit("OUT-A"), bank.staff["teller.a2"], 30, first_seq=100)
    bank.units["programme"] = head_office(db, quotas={"BR-A": 1})
    return bank


def praise(db: Database, staff_id: int, count: int) -> None:
    """Register `count` praises of the staff member on the test's day (the complaint desk)."""
    with db.session() as session:
        for _ in range(count):
            complaint_praise.register(
                session,
                system_caller("test"),
                staff_id=staff_id,
                channel="phone",
                received_on=NOW.date(),
                text="客户来电表扬",
                now=NOW,
            )


def nominate(db: Database, bank: Bank, teller: str, **changes: int) -> int:
    """Nominate the teller after registering `praise` praises for them (default 2)."""
    who, level = actor(db, "head.a")
    staff_id = bank.staff.get(teller) or bank.staff[teller.replace(".", "_")]
    praise(db, staff_id, changes.get("praise", 2))
    with db.session() as session:
        row = stars_steps.nominate(
            session,
            who,
            level=level,
            programme_id=bank.unit("programme"),
            staff_id=staff_id,
            note="",
            now=NOW,
        )
        return row.id


def approve(db: Database, username: str, nomination_id: int) -> str:
    who, level = actor(db, username)
    with db.session() as session:
        row = stars_steps.approve(session, who, level=level, nomination_id=nomination_id, now=NOW)
        return row.state


def count(db: Database, table: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_candidates_are_scored_and_explained(db: Database, stars_bank: Bank) -> None:
    with db.session() as session:
        row = session.get_one(StarProgramme, stars_bank.unit("programme"))
        outlet = stars.outlet_in_scope(session, "OUT-A", "/")
        found = {c.username: c for c in stars.candidates(session, row, outlet)}
    first = found["teller.a"].assessment
    assert first.eligible
    lines = {line.criterion.value: line for line in first.lines}
    # 40 served of a target of 160: 25 on volume; no complaint; no pad answer yet, so the pad
    # is not counted and complaints and volume share the weight.
    assert lines["volume"].raw == "40" and lines["volume"].score == 25.0
    assert lines["complaints"].score == 100.0 and lines["complaints"].weight == 50.0
    assert not lines["pad"].has_data and lines["pad"].weight == 0.0
    assert first.total == 62.5 and first.level is None  # below the lowest level (70)
    assert found["teller.a2"].assessment.total == pytest.approx(59.4)
    assert "head.a" not in found  # not a teller, served nobody


def test_a_star_goes_through_the_branch_then_head_office(db: Database, stars_bank: Bank) -> None:
    # Praise lifts teller.a to a level (target 5: four praises = 80 points on that criterion).
    head_office_id = stars_bank.unit("programme")
    with db.session() as session:
        row = session.get_one(StarProgramme, head_office_id)
        row.definition = programme_definition(
            quotas={"BR-A": 1},
            criteria=[
                {"criterion": "volume", "weight": 50, "target": 40},
                {"criterion": "praise", "weight": 50, "target": 5},
            ],
        )
    nomination = nominate(db, stars_bank, "teller.a", praise=4)
    # Head office cannot act before the branch.
    with pytest.raises(InvalidInput) as early:
        approve(db, "admin", nomination)
    assert early.value.error_code == "wrong_step"
    # A branch outside the outlet's subtree does not see it.
    with pytest.raises(NotFound):
        approve(db, "br.head.b", nomination)
    # An outlet cannot approve.
    with pytest.raises(Forbidden):
        approve(db, "head.a", nomination)
    assert approve(db, "br.head.a", nomination) == "branch_approved"
    with pytest.raises(InvalidInput):
        approve(db, "br.head.a", nomination)  # the branch step is taken once
    assert approve(db, "admin", nomination) == "awarded"
    with db.session() as session:
        star = session.get_one(StarNomination, nomination)
        assert (star.level_code, star.score, str(star.valid_until)) == ("star5", 90.0, "2027-03-31")
        assert star.explanation["lines"][1] == {
            "criterion": "praise",
            "raw": "4",
            "has_data": True,
            "score": 80.0,
            "weight": 50.0,
            "contribution": 40.0,
        }
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "star_nomination")
            .order_by(AuditEvent.seq)
        ).all()
        assert actions == [
            "supervision.star_nominated",
            "supervision.star_branch_approved",
            "supervision.star_awarded",
        ]
        # The badge the lobby shows: name, staff number, five stars.
        badge = lobby_adapters.TellerBadges().badge(session, stars_bank.staff["teller_a"], NOW)
        assert badge is not None
        assert (badge.name, badge.stars, badge.level_zh) == ("柜员甲", 5, "五星服务明星")
        assert badge.staff_no == ""  # no staff number given: none shown (never the id)
        # A teller without a star still wears name and number.
        session.get_one(Staff, stars_bank.staff["teller.a2"]).staff_number = "BJ01023"
        plain = lobby_adapters.TellerBadges().badge(session, stars_bank.staff["teller.a2"], NOW)
        assert plain is not None and (plain.stars, plain.staff_no) == (0, "BJ01023")
    # The quota of BR-A (one) is used up: the next nomination stops at the branch step.
    second = nominate(db, stars_bank, "teller.a2", praise=5)
    with pytest.raises(InvalidInput) as full:
        approve(db, "br.head.a", second)
    assert full.value.error_code == "quota_used"


def test_refusals_store_nothing(db: Database, stars_bank: Bank) -> None:
    before = count(db, StarNomination)
    with pytest.raises(NotFound):  # a teller of another outlet
        nominate(db, stars_bank, "teller.b")
    with pytest.raises(InvalidInput) as low:  # eligible but below the lowest level
        nominate(db, stars_bank, "teller.a")
    assert low.value.error_code == "below_levels"
    who, level = actor(db, "br.head.a")
    with db.session() as session, pytest.raises(Forbidden):  # a branch does not nominate
        stars_steps.nominate(
            session,
            who,
            level=level,
            programme_id=stars_bank.unit("programme"),
            staff_id=stars_bank.staff["teller_a"],
            note="",
            now=NOW,
        )
    assert count(db, StarNomination) == before
    # Programmes: bank-wide, head office only; a duplicate code or bad data is refused.
    who, level = actor(db, "br.head.a")
    with db.session() as session, pytest.raises(Forbidden):
        stars.save_programme(session, who, programme_definition(code="X"), NOW, level=level)
    admin, ho = actor(db, "admin")
    with db.session() as session, pytest.raises(Conflict):
        stars.save_programme(session, admin, programme_definition(), NOW, level=ho)
    with db.session() as session, pytest.raises(InvalidInput):
        stars.save_programme(
            session, admin, programme_definition(code="", period="x"), NOW, level=ho
        )
    assert count(db, StarProgramme) == 1


def test_a_rejection_needs_a_reason_and_is_final(db: Database, stars_bank: Bank) -> None:
    with db.session() as session:
        row = session.get_one(StarProgramme, stars_bank.unit("programme"))
        row.definition = programme_definition(
            levels=[
                {
                    "code": "star3",
                    "name_zh": "三星服务明星",
                    "name_en": "Three-star",
                    "stars": 3,
                    "min_score": 50,
                }
            ]
        )
    nomination = nominate(db, stars_bank, "teller.a2")
    who, level = actor(db, "br.head.a")
    with db.session() as session, pytest.raises(InvalidInput):
        stars_steps.reject(session, who, level=level, nomination_id=nomination, reason=" ", now=NOW)
    with db.session() as session:
        stars_steps.reject(
            session, who, level=level, nomination_id=nomination, reason="投诉核实中", now=NOW
        )
    with db.session() as session:
        star = session.get_one(StarNomination, nomination)
        assert (star.state, star.rejected_step, star.rejection_reason) == (
            "rejected",
            "branch",
            "投诉核实中",
        )
    with pytest.raises(Conflict):  # once per teller and period
        nominate(db, stars_bank, "teller.a2")
    with pytest.raises(InvalidInput):
        approve(db, "admin", nomination)
    # A programme with nominations can no longer change.
    admin, ho = actor(db, "admin")
    with db.session() as session, pytest.raises(Conflict):
        stars.save_programme(
            session, admin, programme_definition(), NOW, level=ho, programme_id=star.programme_id
        )


def finalised_case(db: Database, bank: Bank, teller: str, sanctions: list[str]) -> int:
    """A misconduct case on the teller taken to its end by the misconduct part's services:
    opened, investigated, findings, sanctions decided, finalised (they take effect today)."""
    admin, _level = actor(db, "admin")
    with db.session() as session:
        case_id = misconduct.open_case(
            session,
            admin,
            misconduct.NewCase(
                origin="report",  # a complaint origin must exist: test_misconduct_links.py
                origin_ref="客户来电反映",
                severity="malignant",
                staff_id=bank.staff[teller],
                happened_on=NOW.date(),
                summary="与客户发生争吵",
            ),
            now=NOW,
        )
        misconduct.start_investigation(session, admin, case_id, now=NOW)
        misconduct.record_findings(session, admin, case_id, findings="情况属实", now=NOW)
        misconduct.decide_sanctions(session, admin, case_id, sanctions, now=NOW)
    with db.session() as session:
        misconduct.finalise(session, admin, case_id, now=NOW)
    return case_id


def test_a_sanction_removing_the_star_bars_the_teller_and_takes_the_badge(
    db: Database, stars_bank: Bank
) -> None:
    """A real misconduct case, finalised with 取消服务明星资格, read through
    `misconduct_queries.sanctions_removing_star`."""
    with db.session() as session:
        row = session.get_one(StarProgramme, stars_bank.unit("programme"))
        row.definition = programme_definition(
            criteria=[{"criterion": "volume", "weight": 1, "target": 20}]
        )
    nomination = nominate(db, stars_bank, "teller.a")
    approve(db, "br.head.a", nomination)
    approve(db, "admin", nomination)
    teller = stars_bank.staff["teller_a"]
    badges = lobby_adapters.TellerBadges()
    with db.session() as session:
        assert badges.badge(session, teller, NOW).stars == 5  # type: ignore[union-attr]
    # A lesser sanction (a warning) leaves the star alone.
    finalised_case(db, stars_bank, "teller_a", ["warning"])
    with db.session() as session:
        assert badges.badge(session, teller, NOW).stars == 5  # type: ignore[union-attr]
    finalised_case(db, stars_bank, "teller_a", ["demerit", "star_removal"])
    with db.session() as session:
        badge = badges.badge(session, teller, NOW)
        assert badge is not None and badge.stars == 0 and badge.name == "柜员甲"
        outlet = stars.outlet_in_scope(session, "OUT-A", "/")
        found = {
            c.username: c
            for c in stars.candidates(session, session.get_one(StarProgramme, row.id), outlet)
        }
    assert found["teller.a"].assessment.reasons == ("severe_misconduct",)
    assert found["teller.a2"].assessment.eligible  # the other teller is not concerned


@pytest.mark.usefixtures("frozen_clock")
def test_the_pages_refuse_bad_input_and_store_nothing(db: Database, stars_bank: Bank) -> None:
    import json

    from tests.web_helpers import csrf_of, signed_in_client

    admin = signed_in_client(db, "admin")
    token = csrf_of(admin, "/supervision/stars/programmes")
    bad_json = admin.post(
        "/supervision/stars/programmes", data={"csrf_token": token, "body": "{not json"}
    )
    assert bad_json.status_code == 422 and "不是有效的 JSON" in bad_json.text
    unknown = programme_definition(code="2026Y", criteria=[{"criterion": "smiles", "weight": 1}])
    refused = admin.post(
        "/supervision/stars/programmes",
        data={"csrf_token": token, "body": json.dumps(unknown)},
    )
    assert refused.status_code == 422 and "未知指标 smiles" in refused.text
    assert count(db, StarProgramme) == 1
    page = admin.get("/supervision/stars?outlet=OUT-A")
    assert page.status_code == 200 and "柜员甲" in page.text and "data-criterion" in page.text
    # The outlet's head nominates through the form; a bad teller id is refused.
    head = signed_in_client(db, "head.a")
    token = csrf_of(head, "/supervision/stars")
    url = f"/supervision/stars/programmes/{stars_bank.unit('programme')}/nominations"
    bad = head.post(url, data={"csrf_token": token, "staff_id": "x1", "praise": "0"})
    assert bad.status_code == 422
    other = head.post(
        url, data={"csrf_token": token, "staff_id": str(stars_bank.staff["teller_b"])}
    )
    assert other.status_code == 404  # a teller of another outlet: not found
    assert count(db, StarNomination) == 0


@pytest.mark.usefixtures("frozen_clock")
def test_the_nominations_export_to_excel_within_scope(db: Database, stars_bank: Bank) -> None:
    import io

    from openpyxl import load_workbook

    from tests.web_helpers import signed_in_client

    with db.session() as session:
        row = session.get_one(StarProgramme, stars_bank.unit("programme"))
        row.definition = programme_definition(
            criteria=[{"criterion": "volume", "weight": 1, "target": 20}]
        )
    nominate(db, stars_bank, "teller.a")
    url = f"/supervision/stars/export.xlsx?programme={stars_bank.unit('programme')}"
    answer = signed_in_client(db, "head.a").get(url)
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("柜员", "网点", "星级", "得分", "状态")
    assert rows[1][0] == "柜员甲" and rows[1][4] == "待分行审批" and rows[1][6] == 100
    other = signed_in_client(db, "head.b").get(url)  # another outlet's head sees none of it
    assert len(list(load_workbook(io.BytesIO(other.content)).active.iter_rows())) == 1  # type: ignore[union-attr]
