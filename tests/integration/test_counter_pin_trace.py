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

import logging
from pathlib import Path

import pytest

from manyi.counter import authorisations, bundles, running, voucher
from manyi.counter.demo import card_of_form
from manyi.db import Database
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
from tests.pin_trace_helpers import (
    ID_NUMBER,
    PIN,
    WRONG_PIN,
    SpyPad,
    database_raw,
    database_text,
    files_under,
    logs,
    needles,
)


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

    # The bundle: a correction, the customer's confirmation, the ID card, one authorisation,
    # one PIN.
    reference = open_bundle(db, "teller.a", submit(db, codes, values))
    act(db, "teller.a", bundles.correct, reference, "item3.amount", "100", T0)
    act(db, "teller.a", bundles.confirm_by_customer, reference, T0)
    sim.reader.place(card_of_form(values))  # 60,000 in cash: the ID card is read
    act(db, "teller.a", bundles.check_identity, reference, sim.reader, T0)
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

    # The core really checks the PIN: a wrong one is refused and the run stops there, for
    # the customer to type it again (the items after it wait).
    wrong = open_bundle(db, "teller.a", submit(db, codes, values | {"item1.amount": "100"}))
    act(db, "teller.a", bundles.confirm_by_customer, wrong, T0)
    pad.pad.customer_types(WRONG_PIN)
    refused = act(db, "teller.a", running.run, wrong, T0 + 5 * MINUTE, pin_pad=pad, core=sim.core)
    assert [item.error_code for item in refused.items] == ["pin_invalid", None, None]
    assert [item.status for item in refused.items] == ["pin_wrong", "pending", "pending"]

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
