"""Migration 0016 seals the personal data already stored and keys the old plain hashes, on both
engines; complainants and customers keep the codes they were given (issue 16 #4)."""

from __future__ import annotations

import hashlib

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from manyi.complaints import intake, public_status
from manyi.counter import prefill
from manyi.db import Database, alembic_config, upgrade
from manyi.personal import person_key
from manyi.sealed import DEVELOPMENT_DATA_KEYS
from tests.complaint_bank import build_complaint_bank
from tests.conftest import FIXED_NOW, build_bank
from tests.counter_helpers import OPENING, opening_values, setup_counter, submit
from tests.lobby_helpers import T0

ID_NUMBER = "11010519491231002X"


def test_existing_rows_are_sealed_and_old_codes_still_work(
    fresh_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    # A database with a complaint and a pre-fill, taken back to 0015 as manyi stored them then:
    # plaintext values and plain SHA-256 hashes.
    upgrade(fresh_url)
    db = Database(fresh_url)
    bank = build_bank(db)
    cb = build_complaint_bank(db, bank)
    setup_counter(db, bank)
    with db.session() as session:
        made = intake.register(
            session,
            cb.caller(db, "hotline"),
            cb.hotline_form(complainant_id_number=ID_NUMBER),
            FIXED_NOW,
        )
    reference, query_code = made.complaint.reference, made.query_code
    prefill_code = submit(db, OPENING, opening_values())
    db.dispose()
    command.downgrade(alembic_config(fresh_url), "0015")
    plain = create_engine(fresh_url)
    with plain.begin() as conn:
        row = conn.execute(
            text("SELECT complainant_name, complainant_id_number FROM complaints")
        ).one()
        assert tuple(row) == ("王五", ID_NUMBER)  # the downgrade opened them
        assert "王淑芬" in str(conn.scalar(text("SELECT form_values FROM counter_prefills")))
        conn.execute(
            text("UPDATE complaints SET person_key = :k, query_code_hash = :q"),
            {
                "k": hashlib.sha256(ID_NUMBER.encode()).hexdigest(),
                "q": hashlib.sha256(f"{reference}:{query_code}".encode()).hexdigest(),
            },
        )
        conn.execute(
            text("UPDATE counter_prefills SET code_hash = :h"),
            {"h": hashlib.sha256(f"manyi-prefill:{prefill_code}".encode()).hexdigest()},
        )
    capfd.readouterr()

    upgrade(fresh_url)

    assert "values sealed with AES-256-GCM under data key dev" in capfd.readouterr().err
    with plain.connect() as conn:
        row = conn.execute(
            text(
                "SELECT complainant_name, complainant_phone, complainant_id_number, person_key"
                " FROM complaints"
            )
        ).one()
        prefill_values = conn.scalar(text("SELECT form_values FROM counter_prefills"))
    plain.dispose()
    assert all(str(value).startswith("v1.dev.") for value in row[:3])
    assert row[3] == person_key(ID_NUMBER, None, keys=DEVELOPMENT_DATA_KEYS)
    assert prefill_values.startswith("v1.dev.") and "王淑芬" not in prefill_values
    db = Database(fresh_url)
    try:
        hotline = cb.caller(db, "hotline")
        with db.session() as session:
            found = public_status.find(session, reference, query_code)
            assert found is not None and found.complainant_id_number == ID_NUMBER
            again = intake.register(
                session,
                hotline,
                cb.hotline_form(complainant_id_number=ID_NUMBER),
                FIXED_NOW,
            )
            assert "repeat" in again.complaint.flags  # the recomputed person key matches
            row = prefill.find_prefill(session, prefill_code, T0)
            assert row.form_values["customer_name"] == "王淑芬"
    finally:
        db.dispose()
