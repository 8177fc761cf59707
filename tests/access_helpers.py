"""The access tests' world and clients: outlet A's and outlet B's objects (`fixture_ids`, with
the counter set up: `counter_world`), a client per persona (or anonymous), and which personas
run on which engine. The route walks (tests/integration/test_access_*.py, test_form_fuzz.py)
build their worlds from these once per module (tests/world_files.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from manyi.complaints import categories, clock, intake
from manyi.complaints.access import system_caller
from manyi.db import Database
from manyi.lobby import service as lobby_service
from manyi.org import device_tokens as device_service
from manyi.supervision import inspections, rectification
from tests import rect_helpers
from tests.conftest import FIXED_NOW, SYSTEM, Bank, build_bank
from tests.counter_helpers import Sim, customer, make_sim, open_bundle, setup_counter, submit
from tests.lobby_helpers import configure, operator
from tests.web_helpers import make_client, signed_in_client

ANONYMOUS = "anonymous"


def walk(dependant: object) -> Iterator[object]:
    call = getattr(dependant, "call", None)
    if call is not None:
        yield call
    for sub in getattr(dependant, "dependencies", []):
        yield from walk(sub)


def fixture_ids(db: Database, bank: Bank) -> dict[str, dict[str, Any]]:
    """Objects of outlet A and outlet B (a device token, a complaint, a ticket, …) and the ids
    that fill each path parameter of the app's routes, by side ("A", "B")."""
    with db.session() as session:
        token_a, _ = device_service.issue_token(
            session,
            SYSTEM,
            outlet_id=bank.unit("OUT-A"),
            kind="kiosk",
            name="甲取号机",
            valid_days=30,
        )
        token_b, _ = device_service.issue_token(
            session,
            SYSTEM,
            outlet_id=bank.unit("OUT-B"),
            kind="kiosk",
            name="乙取号机",
            valid_days=30,
        )
        token_ids = {"A": token_a.id, "B": token_b.id}
    complaints = {}
    for side in ("A", "B"):
        with db.session() as session:
            form = intake.ComplaintForm(
                intake="counter",
                subject=f"{side}网点投诉",
                description="等候时间过长",
                complainant_name="王五",
                complainant_phone="13812345678",
                responsible_unit_id=bank.unit(f"OUT-{side}"),
            )
            unit = bank.unit(f"OUT-{side}")
            done = intake.register(
                session, system_caller("test"), form, FIXED_NOW, registered_unit_id=unit
            )
            complaints[side] = done.complaint.id
    tickets, public_tokens = {}, {}
    for side in ("A", "B"):
        configure(db, bank.unit(f"OUT-{side}"), opens=dt.time(0), closes=None)
        with db.session() as session:
            issued = lobby_service.issue_ticket(
                session, operator(session, "admin"), f"OUT-{side}", "A", FIXED_NOW
            )
            tickets[side], public_tokens[side] = issued.ticket.id, issued.public_token
    visits = {}
    for side in ("A", "B"):
        with db.session() as session:
            visits[side] = inspections.schedule_visit(
                session,
                SYSTEM,
                outlet_id=bank.unit(f"OUT-{side}"),
                kind="scheduled",
                planned_on=FIXED_NOW.date(),
                now=FIXED_NOW,
            )
    ids: dict[str, dict[str, Any]] = {
        "outlet": {"A": "OUT-A", "B": "OUT-B"},
        "service": {"A": "A", "B": "B"},  # appointments: a service code at the outlet
        "outlet_code": {"A": "OUT-A", "B": "OUT-B"},
        "number": {"A": 1, "B": 1},
        "ticket_id": tickets,
        "token": public_tokens,
        "username": {"A": "teller.a", "B": "teller.b"},
        "unit_id": {"A": bank.unit("OUT-A"), "B": bank.unit("OUT-B")},
        "staff_id": {"A": bank.staff["teller_a"], "B": bank.staff["teller_b"]},
        "token_id": token_ids,
        "code": {"A": "en", "B": "zh-CN"},
        "counter": {"A": 1, "B": 1},
        "alert_id": {"A": 1, "B": 2},
        "message_id": {"A": 1, "B": 2},
        "reference": {"A": "TS202601010000001", "B": "TS202601010000002"},
        "complaint_id": complaints,
        "attachment_id": {"A": 1, "B": 2},
        "consultation_id": {"A": 1, "B": 2},
        "request_id": {"A": 1, "B": 2},
        "tx_code": {"A": "deposit", "B": "withdrawal"},
        "change_id": {"A": 1, "B": 2},
        "version": {"A": 1, "B": 1},
        "trigger": {"A": "ticket", "B": "complaint"},
        "task_id": rectification_tasks(db, bank),
        "evidence_id": {"A": 1, "B": 2},
        "case_id": {"A": 1, "B": 2},  # misconduct cases (none exist: 404 where permitted)
        "visit_id": visits,
        "item_code": {"A": "A1", "B": "A1"},
        "sha256": {"A": "ab" * 32, "B": "cd" * 32},
        "programme_id": {"A": 1, "B": 2},
        "nomination_id": {"A": 1, "B": 2},
        "year": {"A": 2027, "B": 2028},  # holidays (none entered: 404 where permitted)
        "opinion_id": {"A": 1, "B": 2},  # opinions (none exist: 404 where permitted)
        "photo_id": {"A": 1, "B": 2},  # a visit's photos (none exist: 404 where permitted)
        "encounter_id": {"A": 1, "B": 2},  # triage encounters (none: 404 where permitted)
        "machine_id": {"A": 1, "B": 2},  # self-service machines (none: 404 where permitted)
        "module_id": {"A": 1, "B": 2},  # training modules (none: 404 where permitted)
        "round_id": {"A": 1, "B": 2},  # self-check rounds (none: 404 where permitted)
    }
    return ids


def rectification_tasks(db: Database, bank: Bank) -> dict[str, int]:
    """A rectification task at each outlet, issued by the branch above it (owner: its head)."""
    tasks = {}
    for side, issuer in (("A", "manager.br.a"), ("B", "admin")):
        with db.session() as session:
            new = rect_helpers.new_task(bank, f"OUT-{side}")
            actor = rect_helpers.actor(db, issuer)
            tasks[side] = rectification.open_task(session, actor, new, now=FIXED_NOW)
    return tasks


def counter_world(db: Database, bank: Bank, sim: Sim) -> dict[str, dict[str, Any]]:
    """`fixture_ids` on a bank whose counter is set up (the `sim` fixture), with a withdrawal
    open at outlet A, and what the first request would seed already seeded."""
    with db.session() as session:
        categories.ensure_seed(session)
        clock.ensure_policies(session)
    values = customer(sim, "zhang_wei") | {"item1.amount": "100", "item1.currency": "CNY"}
    reference = open_bundle(db, "teller.a", submit(db, ["withdraw"], values))
    ids = fixture_ids(db, bank)
    ids["reference"] = {"A": reference, "B": "TS202601010000002"}
    ids["tx_code"] = {"A": "withdraw", "B": "transfer"}
    return ids


def routes_world(db: Database) -> tuple[Bank, dict[str, dict[str, Any]]]:
    """The test bank and `fixture_ids` on it (the route walk's world)."""
    bank = build_bank(db)
    return bank, fixture_ids(db, bank)


def counter_bank_world(db: Database) -> tuple[Bank, dict[str, dict[str, Any]]]:
    """The test bank with its counter set up (the `sim` fixture) and `counter_world` on it."""
    bank = build_bank(db)
    setup_counter(db, bank)
    return bank, counter_world(db, bank, make_sim())


def client_for(db: Database, persona: str) -> TestClient:
    return make_client(db) if persona == ANONYMOUS else signed_in_client(db, persona)


# Every persona on SQLite; on PostgreSQL the personas whose answers depend most on the data
# (scope queries: head office, an outlet's head, a branch's manager). Who may open what is
# decided in Python on either engine; the walk on both for all personas did not fit the suite's
# time budget.
PG_PERSONAS = ("admin", "head_a", "manager_br_a")


def by_engine(personas: Iterable[str]) -> list[Any]:
    """(database_url, persona) pairs: every persona on SQLite, PG_PERSONAS on PostgreSQL."""
    personas = list(personas)
    return [
        *(("sqlite", p) for p in personas),
        *(
            pytest.param("postgresql", p, marks=pytest.mark.postgres)
            for p in personas
            if p in PG_PERSONAS
        ),
    ]
