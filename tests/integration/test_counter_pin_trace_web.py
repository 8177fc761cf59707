"""The PIN trace test through the teller's screen: the digits typed on the (simulated) PIN
pad's keypad travel in the run request; afterwards nothing of them, nor of the encrypted
block, is in the database, under var/ or in any log record (the web server's included, and
every record as MANYI_LOG_FORMAT=json writes it, the access lines' fields with it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from manyi.counter.adapters import registry
from manyi.counter.adapters.id_reader import SimulatedIdCardReader
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import SimulatedCore
from manyi.counter.tables import CounterBundle
from manyi.db import Database
from tests.conftest import FIXED_NOW, PASSWORD, Bank
from tests.counter_helpers import setup_counter, submit
from tests.pin_trace_helpers import (
    ID_NUMBER,
    PIN,
    database_raw,
    database_text,
    files_under,
    logs,
    needles,
)
from tests.web_helpers import csrf_of, make_client, sign_in

# The pages read the clock themselves; tests and pages share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


class RecordingPad(SimulatedPinPad):
    """The simulated pad (so the screen hands it the keypad's digits), keeping copies of the
    blocks it makes so the test knows what to look for."""

    def __init__(self, key: SessionKey) -> None:
        super().__init__(key)
        self.key = key
        self.ciphertexts: list[bytes] = []
        self.clear_blocks: list[bytes] = []

    def enter_pin(self, card_or_account: str, prompt: str) -> PinBlock:
        block = super().enter_pin(card_or_account, prompt)
        view = block.ciphertext_view()
        self.ciphertexts.append(view.tobytes())
        view.release()
        self.clear_blocks.append(bytes(self.key.open(block)))
        return block


@pytest.fixture
def pad() -> Iterator[RecordingPad]:
    key = SessionKey.generate()
    core = SimulatedCore(key, seed=11)
    recording = RecordingPad(key)
    registry.use(
        registry.Runtime(
            core=core,
            make_pin_pad=lambda station: recording,
            make_id_reader=lambda station: SimulatedIdCardReader(),
            name="simulated",
        )
    )
    yield recording
    registry.reset()


def test_no_trace_of_the_pin_typed_on_the_screen(
    db: Database,
    bank: Bank,
    database_url: str,
    pad: RecordingPad,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    setup_counter(db, bank)
    core = registry.current().core
    assert isinstance(core, SimulatedCore)
    _account, card = core.open_demo_account("陈晓", ID_NUMBER, "80000.00", PIN)
    values = {
        "customer_name": "陈晓",
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "account_number": card,
        "item1.amount": "500",
        "item1.currency": "CNY",
        "item2.amount": "99.90",
        "item2.currency": "CNY",
        "item2.bill_type": "electricity",
        "item2.bill_account": "E2026113001",
    }
    code = submit(db, ["withdraw", "bill_pay"], values, FIXED_NOW)
    client = make_client(db, var_dir=tmp_path, log_format="json")  # the JSON lines too
    sign_in(client, "teller.a", PASSWORD)
    token = csrf_of(client, "/counter")
    opened = client.post("/counter/open", data={"csrf_token": token, "code": code})
    reference = opened.headers["location"].rsplit("/", 1)[1]
    client.post(f"/counter/bundles/{reference}/confirm", data={"csrf_token": token})
    ran = client.post(f"/counter/bundles/{reference}/run", data={"csrf_token": token, "pin": PIN})
    assert ran.status_code == 303 and ran.headers["location"].endswith("done=ran-done")
    assert pad.entries == 1 and len(pad.ciphertexts) == 1
    with db.session() as session:
        bundle = session.scalar(select(CounterBundle).where(CounterBundle.reference == reference))
        assert bundle is not None and bundle.pin_entries == 1

    haystacks = {
        "database as text": database_text(db),
        "database as stored or dumped": database_raw(db, database_url),
        "files under var/": files_under(tmp_path),
        "logs": logs(caplog),
        "the pages": client.get(f"/counter/bundles/{reference}").content,
    }
    assert b"INSERT INTO counter_bundle_items" in haystacks["logs"]
    assert b'"route": "/counter/bundles/{reference}/run"' in haystacks["logs"]  # the access line
    assert reference.encode() in haystacks["database as stored or dumped"]
    leaks = [
        f"{name} in {where}"
        for name, needle in needles(pad).items()  # type: ignore[arg-type]
        for where, haystack in haystacks.items()
        if needle in haystack
    ]
    assert leaks == []
