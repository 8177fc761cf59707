"""Personal data is sealed at rest and found through keyed blind indexes (issue 16 #4).

Read back with plain SQL, as someone holding a copy of the database would: no complainant's
name, phone or ID number, and no pre-fill or bundle value, is there in clear; the indexes are
HMACs that a plain SHA-256 of the number does not match. What used the plaintext still works:
repeat complaints are spotted, the complainant finds the case with the query code, staff find
it by phone, ID number or name, the counter opens the bundle from the pre-fill code. After a
key rotation, `manyi db reseal` moves every value to the new key.
"""

from __future__ import annotations

import hashlib
import zoneinfo

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from manyi import sealed
from manyi.cli import app as cli_app
from manyi.complaints import intake, public_status, queries
from manyi.complaints.tables import Complaint
from manyi.config import get_settings
from manyi.counter import bundles, prefill
from manyi.counter.tables import CounterBundle, CounterBundleItem, CounterCorrection, CounterPrefill
from manyi.db import Database
from manyi.sealed import (
    DEVELOPMENT_BLIND_INDEX_PEPPER,
    DEVELOPMENT_DATA_KEYS,
    DataKeys,
    SealError,
)
from tests.complaint_bank import ComplaintBank, build_complaint_bank
from tests.conftest import FIXED_NOW, Bank
from tests.counter_helpers import OPENING, Sim, act, open_bundle, opening_values, submit
from tests.lobby_helpers import T0

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"
NAME = "王五"
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cb(db: Database, bank: Bank) -> ComplaintBank:
    return build_complaint_bank(db, bank)


def file(db: Database, cb: ComplaintBank, **overrides: object) -> intake.Registered:
    form = cb.hotline_form(**({"complainant_id_number": ID_NUMBER} | overrides))
    with db.session() as session:
        return intake.register(session, cb.caller(db, "hotline"), form, FIXED_NOW)


def raw(db: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def in_clear(values: object, *secrets: str) -> list[str]:
    return [s for s in secrets if s in str(values)]


def test_a_complaint_stores_no_name_phone_or_id_number_in_clear(
    db: Database, cb: ComplaintBank
) -> None:
    made = file(db, cb, complainant_email="wangwu@example.cn", complainant_address="北京市某路1号")
    [row] = raw(
        db,
        "SELECT complainant_name, complainant_phone, complainant_id_number, complainant_email,"
        " complainant_address, person_key, complainant_phone_index, complainant_name_index,"
        " query_code_hash FROM complaints WHERE id = :id",
        id=made.complaint.id,
    )
    assert in_clear(row, NAME, PHONE, ID_NUMBER, "wangwu", "北京", made.query_code) == []
    assert all(str(value).startswith("v1.dev.") for value in row[:5])
    person_key = row[5]
    assert person_key not in (
        hashlib.sha256(ID_NUMBER.encode()).hexdigest(),  # what manyi stored before
        hashlib.sha256(PHONE.encode()).hexdigest(),
    )
    old_code_hash = hashlib.sha256(f"{made.complaint.reference}:{made.query_code}".encode())
    assert row[8] != old_code_hash.hexdigest()
    with db.session() as session:  # the application reads them back
        case = session.get(Complaint, made.complaint.id)
        assert case is not None
        assert (case.complainant_name, case.complainant_phone) == (NAME, PHONE)
        assert case.complainant_id_number == ID_NUMBER
        assert case.complainant_address == "北京市某路1号"


def test_repeat_complaints_public_look_up_and_staff_search_still_work(
    db: Database, cb: ComplaintBank
) -> None:
    first = file(db, cb)
    again = file(db, cb, complainant_phone="13900001111", complainant_name="王 五")
    assert "repeat" not in first.complaint.flags and "repeat" in again.complaint.flags
    by_phone_only = file(db, cb, complainant_id_number="", complainant_phone="13900001111")
    assert "repeat" not in by_phone_only.complaint.flags  # the earlier one had an ID number
    with db.session() as session:
        found = public_status.find(session, first.complaint.reference, first.query_code.lower())
        assert found is not None and found.id == first.complaint.id
        assert public_status.find(session, first.complaint.reference, "ABCDEFGH") is None
        assert public_status.find(session, first.complaint.reference, again.query_code) is None
    manager = cb.caller(db, "manager_hq")

    def found_by(q: str) -> set[int]:
        filters = queries.Filters(tab=queries.Tab.SCOPE, q=q)
        with db.session() as session:
            page = queries.search(session, manager, filters, FIXED_NOW, ZONE)
        return {row.complaint.id for row in page.rows}

    ids = first.complaint.id, again.complaint.id, by_phone_only.complaint.id
    assert found_by("+86 138-1234-5678") == {ids[0]}  # exact phone, normalised
    assert found_by("139 0000 1111") == {ids[1], ids[2]}
    assert found_by(ID_NUMBER.lower()) == {ids[0], ids[1]}  # exact ID number: the person key
    assert found_by("王五") == {ids[0], ids[1], ids[2]}  # exact name ("王 五" is the same)
    assert found_by("1381234") == set()  # no part of a sealed value can be searched


def test_a_sealed_value_moved_to_another_column_does_not_open(
    db: Database, cb: ComplaintBank
) -> None:
    """Someone who can write to the database cannot show one person's number as another
    field: the envelope is bound to its column."""
    made = file(db, cb)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE complaints SET complainant_name = complainant_phone WHERE id = :id"),
            {"id": made.complaint.id},
        )
    with db.session() as session, pytest.raises(SealError, match="complainant_name"):
        session.scalar(select(Complaint.complainant_name).where(Complaint.id == made.complaint.id))


def test_pre_fills_bundles_and_corrections_store_no_value_in_clear(db: Database, sim: Sim) -> None:
    values = opening_values()
    code = submit(db, OPENING, values)
    secrets = ("王淑芬", "11010519491231002X", "13812345678", "中关村")
    [(form_values, code_hash)] = raw(db, "SELECT form_values, code_hash FROM counter_prefills")
    assert in_clear(form_values, *secrets) == [] and str(form_values).startswith("v1.dev.")
    assert code_hash != hashlib.sha256(f"manyi-prefill:{code}".encode()).hexdigest()
    reference = open_bundle(db, "teller.a", code)  # found by the keyed code hash
    act(db, "teller.a", bundles.correct, reference, "mobile", "13900001111", T0)
    stored = [
        *raw(db, "SELECT form_values FROM counter_bundles"),
        *raw(db, "SELECT item_values FROM counter_bundle_items"),
        *raw(db, "SELECT old_value, new_value FROM counter_corrections"),
    ]
    assert len(stored) == 1 + len(OPENING) + 1
    assert in_clear(stored, *secrets, "13900001111") == []
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle))
        assert bundle is not None and bundle.form_values["customer_name"] == "王淑芬"
        assert bundle.form_values["mobile"] == "13900001111"
        items = session.scalars(select(CounterBundleItem).order_by(CounterBundleItem.number))
        assert items.first() is not None
        correction = session.scalar(select(CounterCorrection))
        assert correction is not None
        assert (correction.old_value, correction.new_value) == ("13812345678", "13900001111")
        row = session.scalar(select(CounterPrefill))
        assert row is not None and row.form_values["id_number"] == "11010519491231002X"
        assert prefill.find_prefill(session, code, T0).id == row.id


OLD_KEY = "old:" + "3c9a51e07bd2f4681a2e5c7d9f0b3e6a8c1d4f7a2b5e8c0d3f6a9b1e4c7d0a2f"
NEW_KEY = "new:" + "a17f3e9c05b8d2614e7a9c3f0b6d8e2a5c1f4b7e9d0a3c6f8b2e5d1a4c7f0b3e"


def test_after_a_rotation_reseal_moves_every_value_to_the_new_key(
    db: Database, cb: ComplaintBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key rotation procedure (docs/security.md): new key current, old key retired,
    `manyi db reseal`, then the old key can go."""
    sealed.install(DataKeys.of(OLD_KEY, pepper=DEVELOPMENT_BLIND_INDEX_PEPPER))
    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    monkeypatch.setenv("MANYI_DATA_KEY", NEW_KEY)
    monkeypatch.setenv("MANYI_DATA_RETIRED_KEYS", OLD_KEY)
    get_settings.cache_clear()
    try:
        made = file(db, cb)
        columns = "complainant_name, complainant_phone, complainant_id_number"
        [before] = raw(db, f"SELECT {columns} FROM complaints")
        assert all(str(value).startswith("v1.old.") for value in before)
        runner = CliRunner()
        dry = runner.invoke(cli_app, ["db", "reseal", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "3 values would be sealed again under data key new" in dry.output
        assert raw(db, f"SELECT {columns} FROM complaints") == [before]
        done = runner.invoke(cli_app, ["db", "reseal"])
        assert done.exit_code == 0 and "3 values sealed again" in done.output
        assert "complaints.complainant_phone: 1" in done.output
        [after] = raw(db, f"SELECT {columns} FROM complaints")
        assert all(str(value).startswith("v1.new.") for value in after)
        again = runner.invoke(cli_app, ["db", "reseal"])
        assert "0 values sealed again" in again.output
        recorded = raw(
            db, "SELECT summary FROM audit_events WHERE action = 'personal_data.resealed'"
        )
        assert len(recorded) == 1 and '"from":["old"]' in str(recorded[0][0])
        # The old key leaves the settings: everything still opens.
        sealed.install(DataKeys.of(NEW_KEY, pepper=DEVELOPMENT_BLIND_INDEX_PEPPER))
        with db.session() as session:
            case = public_status.find(session, made.complaint.reference, made.query_code)
            assert case is not None and case.complainant_id_number == ID_NUMBER
    finally:
        sealed.install(DEVELOPMENT_DATA_KEYS)
        get_settings.cache_clear()
