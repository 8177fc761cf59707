"""Chaos on PostgreSQL for the background work: the worker's deadline scan (督办: escalating
overdue complaints) and a counter bundle run, each killed with SIGKILL part-way and run again.

Afterwards: every overdue case is under supervision exactly once, every supervision notice
exists exactly once for each of its recipients (none lost, none doubled), no bundle item is
posted twice, and the audit chain verifies.

Each pass runs in a child process (a fresh interpreter, as `manyi worker` or the web server
runs it) and is killed once it has visibly made progress but before it has finished.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from multiprocessing.connection import Connection, Listener

import pytest
from sqlalchemy import func, select

from manyi import audit
from manyi.complaints import intake
from manyi.complaints.escalation import scan
from manyi.complaints.tables import Complaint, ComplaintSupervision
from manyi.counter import running
from manyi.counter.adapters.core import CoreQueryError
from manyi.counter.adapters.id_reader import SimulatedIdCardReader
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import SimulatedCore
from manyi.db import Database
from manyi.notify.tables import NotifyMessage
from tests.chaos import ROOT
from tests.complaint_bank import build_complaint_bank
from tests.conftest import _empty_postgres, build_bank
from tests.counter_helpers import (
    FOUR,
    MINUTE,
    TODAY,
    Sim,
    clerk,
    four_items,
    ready,
    setup_counter,
)
from tests.lobby_helpers import T0

pytestmark = pytest.mark.postgres
RECEIVED = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)  # 14:00 Shanghai, 10 March
OVERDUE = RECEIVED + dt.timedelta(days=16)  # past the 15 days
CASES = 30

# A bundle run in a child: its core adapter sends each posting (and the PIN block's ciphertext,
# as a real adapter sends it on the wire) to the core, which lives in the test's process and
# so outlives the kill, as a bank's core outlives a crashed counter server.
RUN = """
import datetime as dt, sys
import manyi.models  # every table mapped, as the CLI and the app load them
from multiprocessing.connection import Client
from manyi.counter import running
from manyi.counter.access import Clerk
from manyi.counter.adapters.core import CoreQueryError, PostingResult
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.db import Database
from manyi.org.staff import by_username

url, address, key_hex, key_id, reference, at = sys.argv[1:7]
wire = Client(("127.0.0.1", int(address)), authkey=b"chaos")


class WireCore:
    def post(self, posting, pin_block, idempotency_key):
        cipher = bytes(pin_block.ciphertext_view()) if pin_block is not None else None
        wire.send(("post", posting, cipher, idempotency_key))
        fields = wire.recv()
        return PostingResult(**fields)

    def balance(self, account):
        wire.send(("balance", account))
        answer = wire.recv()
        if isinstance(answer, tuple):
            raise CoreQueryError(*answer)
        return answer


pad = SimulatedPinPad(SessionKey(bytes.fromhex(key_hex), key_id))
pad.customer_types("123456")
db = Database(url)
with db.session() as session:
    teller = Clerk.of(by_username(session, "teller.a"))
    running.run(session, teller, reference, dt.datetime.fromisoformat(at), pin_pad=pad,
                core=WireCore())
"""

SCAN = """
import datetime as dt, sys
import manyi.models  # every table mapped, as the CLI and the app load them
from manyi.complaints.escalation import scan
from manyi.db import Database
scan(Database(sys.argv[1]), dt.datetime.fromisoformat(sys.argv[2]), batch=1)
"""


@pytest.fixture
def pg_url(pg_migrated: str) -> str:
    _empty_postgres(pg_migrated)
    return pg_migrated


def child(code: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.Popen(  # our own interpreter and code
        [sys.executable, "-c", code, *args], env=env, stderr=subprocess.PIPE
    )


def kill_when(
    process: subprocess.Popen[bytes], progress: Callable[[], int], low: int, within: float = 0.2
) -> int:
    """SIGKILL `process` at a random moment (up to `within` s) once `progress()` has passed
    `low`; returns the progress seen just before the kill (or at the end, when the pass
    finished first)."""
    hung_after = time.monotonic() + 60  # a guard against a pass that hangs, not a speed check
    try:
        while progress() <= low:
            if process.poll() is not None:
                break
            if time.monotonic() > hung_after:
                pytest.fail("the pass made no progress in a minute: it hangs")
            time.sleep(0.02)
        else:
            time.sleep(random.uniform(0, within))
        return progress()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        if process.returncode not in (0, -signal.SIGKILL):
            _, err = process.communicate()
            raise AssertionError(f"the pass failed: {err.decode()[-2000:]}")


class CoreOnTheWire:
    """The simulated core behind a socket: answers each posting a moment after applying it,
    the window in which a crash leaves a posting applied and its answer unrecorded."""

    def __init__(self, sim: Sim, answer_after: float = 0.25) -> None:
        self.sim = sim
        self.answer_after = answer_after
        self.listener = Listener(("127.0.0.1", 0), authkey=b"chaos")
        self.port = self.listener.address[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: Connection) -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                request = connection.recv()
                if request[0] == "balance":
                    try:
                        connection.send(self.sim.core.balance(request[1]))
                    except CoreQueryError as exc:
                        connection.send((exc.code, str(exc)))
                    continue
                _, posting, cipher, key = request
                block = PinBlock(cipher, self.sim.key.key_id) if cipher is not None else None
                result = self.sim.core.post(posting, block, key)
                time.sleep(self.answer_after)
                connection.send(vars(result) | {"outputs": dict(result.outputs)})

    def close(self) -> None:
        self.listener.close()


def test_bundle_run_killed_mid_way_posts_no_item_twice(pg_url: str) -> None:
    db = Database(pg_url)
    wire: CoreOnTheWire | None = None
    try:
        setup_counter(db, build_bank(db))
        key = SessionKey(secrets.token_bytes(32), "chaos")
        core = SimulatedCore(key, seed=7, today=lambda: TODAY)
        sim = Sim(key, core, SimulatedPinPad(key), SimulatedIdCardReader(), core.seed_demo())
        account = sim.account("zhang_wei")
        reference = ready(db, sim, "zhang_wei", FOUR, four_items(sim, "zhang_wei"))
        wire = CoreOnTheWire(sim)
        at = (T0 + 5 * MINUTE).isoformat()
        key_hex = key_bytes(key).hex()
        run = child(RUN, pg_url, str(wire.port), key_hex, key.key_id, reference, at)
        # Each answer comes 0.25 s after its posting: killed within 0.6 s of the first one.
        seen = kill_when(run, lambda: len(core.journal), 0, within=0.6)
        assert 0 < seen < len(FOUR)  # killed with some items posted, some not

        # The teller runs it again on a server that started afresh; the customer types the
        # PIN again. Items the core had applied are answered from its record (same keys).
        sim.pad.customer_types("123456")
        with db.session() as session:
            teller = clerk(session, "teller.a")
            outcome = running.run(
                session, teller, reference, T0 + 6 * MINUTE, pin_pad=sim.pad, core=core
            )
        assert outcome.bundle.state == "done"
        assert [item.status for item in outcome.items] == ["posted"] * len(FOUR)
        keys = Counter(key for key, _, _ in core.journal)
        assert keys == Counter(f"{reference}:{n}" for n in range(1, len(FOUR) + 1))
        assert sum(item.replayed for item in outcome.items) >= seen
        # 2,000 in, 500 out, 30,000 transferred, 88.50 paid: once each.
        assert core.balance(account).balance == Decimal("57411.50")
        with db.session() as session:
            chain = audit.verify(session)
        assert chain.ok, chain.problem
    finally:
        if wire is not None:
            wire.close()
        db.dispose()


def key_bytes(key: SessionKey) -> bytes:
    """The session key's bytes, for the child's simulated pad (a test's shortcut: a real pad
    and core share the key through the bank's key management)."""
    return bytes(key._key)


def test_deadline_scan_killed_mid_pass_loses_and_doubles_nothing(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        cb = build_complaint_bank(db, build_bank(db))
        caller = cb.caller(db, "hotline")
        with db.session() as session:
            ids = [
                intake.register(session, caller, cb.hotline_form(), RECEIVED).complaint.id
                for _ in range(CASES)
            ]

        def supervised() -> int:
            with db.session() as session:
                count = session.scalar(select(func.count()).select_from(ComplaintSupervision))
            return int(count or 0)

        # Two passes killed part-way (one transaction per case: batch=1), then one to the end.
        cut_at = []
        for _ in range(2):
            before = supervised()
            cut_at.append(kill_when(child(SCAN, pg_url, OVERDUE.isoformat()), supervised, before))
        assert any(0 < seen < CASES for seen in cut_at), cut_at  # killed in the middle
        scan(db, OVERDUE, batch=1)

        with db.session() as session:
            rows = session.execute(
                select(ComplaintSupervision.complaint_id, ComplaintSupervision.level)
            ).all()
            cases = {c.id: c for c in session.scalars(select(Complaint))}
            notices = session.execute(
                select(NotifyMessage.recipient_staff_id, NotifyMessage.dedupe_key).where(
                    NotifyMessage.subject.like("%under supervision%")
                )
            ).all()
            chain = audit.verify(session)
        # Every case escalated once, to level 1.
        assert Counter(c for c, _ in rows) == Counter(ids)
        assert {level for _, level in rows} == {1}
        assert all(cases[i].escalation_level == 1 for i in ids)
        # Every supervision notice once per recipient: the manager above OUT-A and the case's
        # handler; none lost, none doubled.
        per_case: dict[int, list[int]] = defaultdict(list)
        for staff_id, key in notices:
            per_case[int(key.split(":")[1])].append(staff_id)
        for i in ids:
            expected = sorted({cb.staff["manager_sub_a"], cases[i].handler_id or 0} - {0})
            assert sorted(per_case[i]) == expected, (i, per_case[i], expected)
        assert chain.ok, chain.problem
    finally:
        db.dispose()
