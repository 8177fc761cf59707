"""Inspectors for the supervision tests: one at head office, one at branch A, a head-office
service manager (test bank of tests/bank.py), also as the fixture `people`; their actors:
`tests.rect_helpers.actor`."""

from __future__ import annotations

import pytest

from manyi.db import Database
from manyi.org import staff as staff_service
from manyi.org.model import Role
from tests.conftest import PASSWORD, SYSTEM, Bank

INSPECTORS = {
    "insp.hq": ("HQ", Role.INSPECTOR, "总行检查员"),
    "insp.a": ("BR-A", Role.INSPECTOR, "甲分行检查员"),
    "svc.hq": ("HQ", Role.HO_SERVICE_MANAGER, "总行服务经理"),
}


def add_inspectors(db: Database, bank: Bank) -> dict[str, int]:
    ids = {}
    with db.session() as session:
        for username, (unit, role, name) in INSPECTORS.items():
            person = staff_service.create_staff(
                session,
                SYSTEM,
                username=username,
                display_name=name,
                unit_id=bank.unit(unit),
                roles=[role],
                password=PASSWORD,
            )
            ids[username] = person.id
    return ids


@pytest.fixture(name="people")
def people_fixture(db: Database, bank: Bank) -> dict[str, int]:
    return add_inspectors(db, bank)
