"""The test bank plus complaint staff: handlers, managers and an expert at several levels.

The `cb` fixture builds it on the test bank; a test module imports it by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from manyi.complaints import intake
from manyi.complaints.access import Caller
from manyi.db import Database
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.org.tables import Staff
from tests.conftest import PASSWORD, SYSTEM, Bank

# persona -> (unit, roles, display name)
COMPLAINT_STAFF: dict[str, tuple[str, tuple[Role, ...], str]] = {
    "handler_a": ("OUT-A", (Role.COMPLAINT_HANDLER,), "处理岗甲一"),
    "handler_a2": ("OUT-A", (Role.COMPLAINT_HANDLER,), "处理岗甲二"),
    "handler_sub_a": ("SUB-A", (Role.COMPLAINT_HANDLER,), "支行处理岗"),
    "manager_sub_a": ("SUB-A", (Role.COMPLAINT_MANAGER,), "支行督办"),
    "handler_b": ("OUT-B", (Role.COMPLAINT_HANDLER,), "处理岗乙"),
    "manager_hq": ("HQ", (Role.COMPLAINT_MANAGER,), "总行督办"),
    "expert": ("BR-B", (Role.EXPERT,), "专家甲"),
    "expert2": ("BR-B", (Role.EXPERT,), "专家乙"),
    "hotline": ("HQ", (Role.COMPLAINT_HANDLER,), "热线坐席"),
}


@dataclass
class ComplaintBank:
    bank: Bank
    staff: dict[str, int]

    def unit(self, code: str) -> int:
        return self.bank.unit(code)

    def hotline_form(self, **overrides: object) -> intake.ComplaintForm:
        """A complaint phoned in about a long wait at OUT-A; `overrides` change any field."""
        values: dict[str, object] = {
            "intake": "hotline",
            "subject": "柜面办理业务等候时间过长",
            "description": "客户反映在网点排队一个多小时，无人解释。",
            "complainant_name": "王五",
            "complainant_phone": "13812345678",
            "business_code": "savings.demand",
            "cause_code": "service_quality.waiting",
            "responsible_unit_id": self.unit("OUT-A"),
        }
        return intake.ComplaintForm(**(values | overrides))  # type: ignore[arg-type]

    def caller(self, db: Database, persona: str) -> Caller:
        with db.session() as session:
            person = session.get(Staff, self.staff[persona])
            assert person is not None
            return Caller.of(person)


def build_complaint_bank(db: Database, bank: Bank) -> ComplaintBank:
    staff = dict(bank.staff)
    with db.session() as session:
        for username, (unit_code, roles, display) in COMPLAINT_STAFF.items():
            person = staff_service.create_staff(
                session,
                SYSTEM,
                username=username.replace("_", "."),
                display_name=display,
                unit_id=bank.unit(unit_code),
                roles=list(roles),
                password=PASSWORD,
            )
            staff[username] = person.id
    return ComplaintBank(bank=bank, staff=staff)


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    """The test bank with the complaint staff."""
    return build_complaint_bank(db, bank)
