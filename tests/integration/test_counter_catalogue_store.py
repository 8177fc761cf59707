"""The catalogue as rows: seeded once, edits as new versions, stored versions never change."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select, update

from manyi.audit.tables import AuditEvent
from manyi.counter import catalogue_store
from manyi.counter.domain.catalogue import Catalogue, CatalogueError
from manyi.counter.tables import CounterTransactionType
from manyi.db import Database
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.conftest import SYSTEM, Bank
from tests.counter_helpers import clerk
from tests.lobby_helpers import T0


@pytest.fixture
def seeded(db: Database, bank: Bank) -> Database:
    with db.session() as session:
        assert catalogue_store.seed_catalogue(session, SYSTEM, T0) == len(Catalogue.load())
    return db


def count(db: Database, *where: object) -> int:
    with db.session() as session:
        statement = select(func.count()).select_from(CounterTransactionType)
        return int(session.scalar(statement.where(*where)) or 0)  # type: ignore[arg-type]


def test_seeding_again_adds_nothing(seeded: Database) -> None:
    with seeded.session() as session:
        assert catalogue_store.seed_catalogue(session, SYSTEM, T0) == 0
        seeds = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "counter.catalogue.seed")
        ).all()
        assert len(seeds) == 1
        stored = catalogue_store.catalogue(session)
        assert [tx.code for tx in stored.latest()] == [tx.code for tx in Catalogue.load().latest()]
        row = session.scalar(
            select(CounterTransactionType).where(CounterTransactionType.code == "withdraw")
        )
        assert row is not None
        assert (row.version, row.name_zh, row.created_by) == (1, "取款", "catalogue seed")
        assert row.digest == Catalogue.load().get("withdraw").digest
    assert count(seeded) >= 12


def edited_withdraw(db: Database) -> dict[str, object]:
    with db.session() as session:
        schema = copy.deepcopy(dict(catalogue_store.get_type(session, "withdraw").schema))
    schema["required"] = [*schema["required"], "purpose"]  # type: ignore[list-item]
    return schema


def test_an_edit_publishes_the_next_version_and_keeps_the_old(seeded: Database) -> None:
    schema = edited_withdraw(seeded)
    with seeded.session() as session:
        tx = catalogue_store.edit(
            session, clerk(session, "admin"), "withdraw", schema, T0, reason="  用途  必填 "
        )
    assert (tx.code, tx.version) == ("withdraw", 2) and "purpose" in tx.required
    with seeded.session() as session:
        assert catalogue_store.get_type(session, "withdraw").version == 2
        assert "purpose" not in catalogue_store.get_type(session, "withdraw", 1).required
        rows = catalogue_store.latest_rows(session)
        assert [r.version for r in rows if r.code == "withdraw"] == [2]
        assert [r.code for r in rows][:2] == ["open_account", "card_issue"]  # order kept
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "counter.catalogue.edit")
        )
        assert event is not None and event.entity_id == "withdraw:2"
        assert event.summary is not None and "用途 必填" in event.summary
        stored = session.scalar(
            select(CounterTransactionType).where(
                CounterTransactionType.code == "withdraw", CounterTransactionType.version == 2
            )
        )
        assert stored is not None and (stored.created_by, stored.reason) == (
            "管理员甲",
            "用途 必填",
        )
        with pytest.raises(InvalidInput, match="longer than"):
            catalogue_store.edit(
                session, clerk(session, "admin"), "withdraw", schema, T0, reason="长" * 501
            )
    # Editing v2 into the same document again changes nothing: refused.
    with seeded.session() as session, pytest.raises(CatalogueError):
        current = catalogue_store.get_type(session, "withdraw")
        catalogue_store.edit(session, clerk(session, "admin"), "withdraw", current.schema, T0)


def test_only_the_catalogue_configurers_edit(seeded: Database) -> None:
    schema = edited_withdraw(seeded)
    for who in ("teller.a", "head.a"):
        with seeded.session() as session, pytest.raises(Forbidden):
            catalogue_store.edit(session, clerk(session, who), "withdraw", schema, T0)
    with seeded.session() as session, pytest.raises(NotFound):
        catalogue_store.edit(session, clerk(session, "admin"), "teleport", schema, T0)
    assert count(seeded, CounterTransactionType.code == "withdraw") == 1


def test_a_stored_version_altered_behind_our_back_is_refused(seeded: Database) -> None:
    with seeded.session() as session:
        row = session.scalar(
            select(CounterTransactionType).where(CounterTransactionType.code == "deposit")
        )
        assert row is not None
        document = copy.deepcopy(row.document)
        document["required"] = document["required"][:-1]
        session.execute(
            update(CounterTransactionType)
            .where(CounterTransactionType.id == row.id)
            .values(document=document)
        )
    catalogue_store._built.clear()  # a process that has not loaded it yet
    with seeded.session() as session, pytest.raises(Conflict):
        catalogue_store.get_type(session, "deposit")


def test_a_database_seeded_before_the_card_services_gets_them_by_seeding_again(
    db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packaged types added in a release reach an existing database the way every packaged
    addition does: `manyi demo seed` (seed_catalogue) stores what is missing, as version 1,
    and never touches a stored version."""
    packaged = Catalogue.load()
    older = Catalogue(tx for tx in packaged if tx.code not in ("card_activate", "password_reset"))
    monkeypatch.setattr(Catalogue, "load", classmethod(lambda cls: older))
    with db.session() as session:
        assert catalogue_store.seed_catalogue(session, SYSTEM, T0) == len(packaged) - 2
        before = {row.code: row.digest for row in catalogue_store.latest_rows(session)}
    monkeypatch.undo()
    with db.session() as session:
        assert catalogue_store.seed_catalogue(session, SYSTEM, T0) == 2
        rows = catalogue_store.latest_rows(session)
        assert [r.code for r in rows][-2:] == ["card_activate", "password_reset"]
        assert {r.code: r.digest for r in rows if r.code in before} == before
        allowed = {tx.code for tx in catalogue_store.catalogue(session) if tx.away_from_counter}
        assert {"card_activate", "password_reset"} <= allowed
        seeds = session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "counter.catalogue.seed")
        ).all()
        assert "card_activate v1" in seeds[-1] and "password_reset v1" in seeds[-1]
