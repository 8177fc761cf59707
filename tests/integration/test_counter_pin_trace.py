"""THE PIN TRACE TEST: after bundles run with a PIN, nothing of it is anywhere.

A customer types the PIN once for a bundle of three PIN items (and, in a second bundle, a
wrong PIN). The core verifies the PIN: the right one posts, the wrong one is refused. Then
the whole database (every table and column as text, and the raw bytes: the SQLite file and
its WAL, or on PostgreSQL every row as text and `pg_dump`'s output), the files under var/
(the e-voucher) and every log record captured at DEBUG for all loggers (SQL statements with
their parameters included) are searched for the PIN digits, the encrypted PIN block (raw,
hex, base64) and its clear ISO 9564 format-0 form. None may appear.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from manyi.counter import authorisations, bundles, running, voucher
from manyi.counter.adapters.peripherals import PinBlock, SessionKey, SimulatedPinPad
from manyi.db import Base, Database
from manyi.personal import id_check_char
from tests.conftest import Bank
from tests.counter_helpers import (
    MINUTE,
    Sim,
    act,
    make_sim,
    open_bundle,
    png,
    setup_counter,
    submit,
)
from tests.lobby_helpers import T0

PIN = "90817263"
WRONG_PIN = "46203917"
ID_NUMBER = "11010819870512543" + id_check_char("11010819870512543")


class SpyPad:
    """The simulated pad, keeping copies of what it hands out so the test can look for them."""

    def __init__(self, key: SessionKey) -> None:
        self.pad = SimulatedPinPad(key)
        self.key = key
        self.blocks: list[PinBlock] = []
        self.ciphertexts: list[bytes] = []
        self.clear_blocks: list[bytes] = []

    def enter_pin(self, card_or_account: str, prompt: str) -> PinBlock:
        block = self.pad.enter_pin(card_or_account, prompt)
        view = block.ciphertext_view()
        self.ciphertexts.append(view.tobytes())
        view.release()
        self.clear_blocks.append(bytes(self.key.open(block)))
        self.blocks.append(block)
        return block


def needles(pad: SpyPad) -> dict[str, bytes]:
    """Every form of the secrets to look for, by name."""
    found: dict[str, bytes] = {"pin": PIN.encode(), "wrong pin": WRONG_PIN.encode()}
    for kind, values in (("ciphertext", pad.ciphertexts), ("clear block", pad.clear_blocks)):
        for n, raw in enumerate(values):
            forms = {
                "raw": raw,
                "hex": raw.hex().encode(),
                "HEX": raw.hex().upper().encode(),
                "base64": base64.b64encode(raw),
                "urlsafe base64": base64.urlsafe_b64encode(raw).rstrip(b"="),
            }
            if kind == "ciphertext":  # the sealed part without its nonce, too
                forms["sealed hex"] = raw[12:].hex().encode()
            for form, value in forms.items():
                found[f"{kind} {n} {form}"] = value
    return found


def database_text(db: Database) -> bytes:
    """Every column of every row, as text (bytes columns as raw, hex and base64 too)."""
    out = bytearray()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        raw = bytes(value)
                        out += raw + raw.hex().encode() + base64.b64encode(raw)
                    else:
                        out += str(value).encode()
                    out += b"\x1f"
    return bytes(out)


def database_raw(db: Database, url: str) -> bytes:
    """The database as its engine keeps or dumps it."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        parts = [path, path.with_name(path.name + "-wal")]
        return b"".join(p.read_bytes() for p in parts if p.exists())
    out = bytearray()
    with db.engine.connect() as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        for table in list(tables):
            for (line,) in conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                out += line.encode() + b"\n"
    if shutil.which("pg_dump"):
        parts = urlsplit(url.replace("+psycopg", ""))
        dump = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port or 5432),
                "-U",
                parts.username or "postgres",
                parts.path.lstrip("/"),
            ],
            capture_output=True,
            check=True,
            timeout=60,
            env={**os.environ, "PGPASSWORD": parts.password or ""},
        )
        assert b"COPY public.counter_bundle_items" in dump.stdout
        out += dump.stdout
    return bytes(out)


def files_under(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def logs(caplog: pytest.LogCaptureFixture) -> bytes:
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr(record.__dict__))
    return "\n".join(parts).encode("utf-8", "backslashreplace")


def test_no_trace_of_the_pin_anywhere(
    db: Database, bank: Bank, database_url: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, SQLAlchemy's statements and parameters too
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    setup_counter(db, bank)
    sim: Sim = make_sim()
    pad = SpyPad(sim.key)
    account, card = sim.core.open_demo_account("陈晓", ID_NUMBER, "80000.00", PIN)
    values = {
        "customer_name": "陈晓",
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "account_number": card,
        "item1.amount": "60000",
        "item1.currency": "CNY",
        "item2.amount": "1500",
        "item2.currency": "CNY",
        "item2.payee_name": "张伟",
        "item2.payee_account": sim.account("zhang_wei"),
        "item2.payee_bank": "满意银行",
        "item3.amount": "99.90",
        "item3.currency": "CNY",
        "item3.bill_type": "electricity",
        "item3.bill_account": "E2026113001",
    }
    codes = ["withdraw", "transfer", "bill_pay"]

    # The bundle: a correction, the customer's confirmation, one authorisation, one PIN.
    reference = open_bundle(db, "teller.a", submit(db, codes, values))
    act(db, "teller.a", bundles.correct, reference, "item3.amount", "100", T0)
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    request = act(db, "teller.a", authorisations.request_authorisation, reference, T0)
    act(db, "sup.a", authorisations.approve, request.id, T0 + MINUTE)
    pad.pad.customer_types(PIN)
    outcome = act(
        db, "teller.a", running.run, reference, T0 + 2 * MINUTE, pin_pad=pad, core=sim.core
    )
    assert outcome.bundle.state == "done" and outcome.pin_entered
    assert [item.status for item in outcome.items] == ["posted"] * 3
    assert str(sim.core.balance(account).balance) == "18400.00"  # 80,000 − 60,000 − 1,500 − 100
    act(db, "teller.a", voucher.sign, reference, png(), T0 + 3 * MINUTE)
    act(db, "teller.a", voucher.issue_voucher, reference, T0 + 4 * MINUTE, var_dir=tmp_path)

    # The core really checks the PIN: a wrong one is refused for every PIN item.
    wrong = open_bundle(db, "teller.a", submit(db, codes, values | {"item1.amount": "100"}))
    act(db, "teller.a", bundles.confirm_by_customer, wrong, T0)
    pad.pad.customer_types(WRONG_PIN)
    refused = act(db, "teller.a", running.run, wrong, T0 + 5 * MINUTE, pin_pad=pad, core=sim.core)
    assert [item.error_code for item in refused.items] == ["pin_invalid"] * 3

    assert pad.pad.entries == 2 and len(pad.ciphertexts) == 2
    assert all(block.wiped for block in pad.blocks)  # wiped when each run ended

    haystacks = {
        "database as text": database_text(db),
        "database as stored or dumped": database_raw(db, database_url),
        "files under var/": files_under(tmp_path),
        "logs": logs(caplog),
    }
    # The haystacks are real: the logs hold the SQL and its parameters, the dump the bundle.
    assert b"INSERT INTO counter_bundle_items" in haystacks["logs"]
    assert card.encode() in haystacks["logs"]
    assert reference.encode() in haystacks["database as stored or dumped"]
    assert haystacks["files under var/"].startswith(b"%PDF-")
    leaks = [
        f"{name} in {where}"
        for name, needle in needles(pad).items()
        for where, haystack in haystacks.items()
        if needle in haystack
    ]
    assert leaks == []
