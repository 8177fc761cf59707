"""Surveys in tests: a visit to invite for, and an invitation made for it at outlet A."""

from __future__ import annotations

from manyi.db import Database
from manyi.org.tables import Unit
from manyi.quality import surveys
from tests.conftest import FIXED_NOW, Bank


def visit(bank: Bank, key: str, customer: str | None) -> surveys.Visit:
    return surveys.Visit(
        "complaint", key, bank.unit("OUT-A"), f"/{bank.unit('OUT-A')}/", None, None, customer
    )


def make_invitation(db: Database, bank: Bank, key: str = "t:test:1") -> str:
    with db.session() as session:
        made = surveys.invite(
            session,
            surveys.Visit(
                "ticket",
                key,
                bank.unit("OUT-A"),
                session.get_one(Unit, bank.unit("OUT-A")).path,
                bank.staff["teller_a"],
                "A",
            ),
            FIXED_NOW,
            7,
        )
        assert made is not None
        return made.token
