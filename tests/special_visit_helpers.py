"""Home and hospital visits in tests: the visit adapters plugged in (the fixture `_plugged`,
autouse), the head of SUB-A (the fixture `heads`), a relative's request for 张伟 at OUT-A
with any field changed, a visit approved, staffed and scheduled, and a staff member's action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from manyi import visit_adapters
from manyi.counter.demo import id_card
from manyi.db import Database
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff
from manyi.special import intake, ports, visits
from manyi.special.access import Who
from manyi.special.tables import SpecialVisit
from tests.conftest import PASSWORD, SYSTEM, Bank
from tests.counter_helpers import MINUTE, Sim
from tests.lobby_helpers import T0

ZHANG = id_card("zhang_wei")
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True, name="_plugged")
def plugged_fixture() -> Any:
    visit_adapters.register(ZoneInfo("Asia/Shanghai"), 7)
    yield
    ports.register_messages(ports._NoMessages())
    ports.register_surveys(ports._NoSurveys())


@pytest.fixture(name="heads")
def heads_fixture(db: Database, bank: Bank, sim: Sim) -> dict[str, int]:
    """The head of SUB-A (the branch above OUT-A) approves visits above the threshold."""
    with db.session() as session:
        person = staff_service.create_staff(
            session,
            SYSTEM,
            username="head.sub.a",
            display_name="支行负责人甲",
            unit_id=bank.unit("SUB-A"),
            roles=[Role.BRANCH_HEAD],
            password=PASSWORD,
        )
        return {"head.sub.a": person.id}


def run(db: Database, username: str, action: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    with db.session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        assert staff is not None
        return action(session, Who.of(staff), *args, **kw)


def fields(**overrides: str) -> intake.RequestFields:
    values = {
        "source": "phone",
        "outlet_code": "OUT-A",
        "customer_name": ZHANG.name,
        "id_number": ZHANG.id_number,
        "place_kind": "hospital",
        "place_text": "市第一人民医院 住院部 5 楼 12 床",
        "need": "withdraw_medical",
        "reason": "in_hospital",
        "evidence": "住院证明已核对",
        "amount": "60000",
        "relative_name": "张小明",
        "relation": "儿子",
        "phone": "13812345678",
    }
    values.update(overrides)
    return intake.RequestFields(**values)


def request(db: Database, **overrides: str) -> str:
    visit = run(db, "teller.a", intake.create_request, fields(**overrides), T0)
    return str(visit.reference)


def state(db: Database, reference: str) -> SpecialVisit:
    with db.session() as session:
        visit = session.scalar(select(SpecialVisit).where(SpecialVisit.reference == reference))
        assert visit is not None
        session.expunge(visit)
        return visit


def scheduled(db: Database, **overrides: str) -> str:
    reference = request(db, **overrides)
    run(db, "head.a", intake.approve_request, reference, T0 + MINUTE)
    if state(db, reference).needs_branch:
        run(db, "head.sub.a", intake.approve_request, reference, T0 + 2 * MINUTE)
    ids = staff_ids(db, "teller.a", "teller.a2")
    run(db, "head.a", visits.assign_staff, reference, ids, T0 + 3 * MINUTE)
    run(db, "head.a", visits.schedule, reference, T0 + DAY, T0 + 4 * MINUTE)
    return reference


def staff_ids(db: Database, *usernames: str) -> list[int]:
    with db.session() as session:
        return [
            session.scalars(select(Staff.id).where(Staff.username == u)).one() for u in usernames
        ]
