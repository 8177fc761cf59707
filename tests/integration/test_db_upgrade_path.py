"""A database of an earlier release, with data in it, upgraded to this one; and the schema check
that `manyi db check`, `manyi db upgrade` and the web server make (docs/operations.md, section 10).

The earlier database is built by the migrations up to OLD, and its rows are written in plain
SQL as that release's code wrote them (the columns of that schema, sealed values as sealed
envelopes): units, a teller and a complaint handler, a lobby with tickets and their events, and a
complaint. Then `alembic upgrade head`, and the rows are read back by this code and its pages.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text

from manyi import sealed
from manyi.complaints.tables import Complaint
from manyi.db import Database, upgrade
from manyi.lobby.tables import LobbyEventRow, LobbyTicket
from manyi.org import passwords
from manyi.org import staff as staff_service
from manyi.org.model import Role
from manyi.web import main as web_main
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM
from tests.dbops_helpers import manyi
from tests.web_helpers import make_client, sign_in

pytestmark = pytest.mark.usefixtures("frozen_clock")

OLD = "0040"  # the schema of an earlier release (special visits, issue 19)
T = FIXED_NOW - dt.timedelta(days=3)
NEWER = "9999"  # a revision only a newer manyi would know
COMPLAINT = 1  # the earlier release's complaint's id


@pytest.fixture
def old_url(fresh_url: str) -> str:
    """An empty database of its own (never the shared test database), migrated up to OLD."""
    upgrade(fresh_url, OLD)
    return fresh_url


def _rows_of_the_old_release(url: str) -> None:
    """What the earlier release stored, written as its code did (plain SQL, OLD's columns)."""
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"

    def at(minutes: int) -> object:  # a UTC time as each engine's column stores it
        moment = T + dt.timedelta(minutes=minutes)
        return moment.replace(tzinfo=None).isoformat(" ") if sqlite else moment

    keys = sealed.keyring()
    with engine.begin() as conn:

        def insert(table: str, **values: object) -> None:
            names = ", ".join(values)
            marks = ", ".join(f":{k}" for k in values)
            conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)

        for uid, code, parent, level, path, name in (
            (1, "HO", None, "head_office", "/1/", "满意银行总行"),
            (2, "OLD-OUT", 1, "outlet", "/1/2/", "老网点"),
        ):
            insert(
                "units", id=uid, code=code, parent_id=parent, level=level, path=path,
                name_zh=name, name_en=code, timezone="Asia/Shanghai", address="",
                customers_served=800, active=True, created_at=at(0), updated_at=at(0),
            )  # fmt: skip
        for sid, username, role in ((1, "old.teller", "teller"), (2, "old.handler", None)):
            insert(
                "staff", id=sid, username=username, display_name=f"{username}姓名", unit_id=2,
                password_hash=passwords.hash_password(PASSWORD), active=True, failed_attempts=0,
                session_epoch=0, created_at=at(0), updated_at=at(0), staff_number=f"OLD0{sid}",
            )  # fmt: skip
            insert("staff_roles", staff_id=sid, role=role or "complaint_handler")
        insert(
            "lobby_services", id=1, outlet_id=2, code="A", name_zh="个人现金业务",
            name_en="Cash", prefix="A", expected_service_s=300, fast_lane=False,
            sort_order=1, active=True,
        )  # fmt: skip
        insert(
            "lobby_counters", id=1, outlet_id=2, number=1, kind="regular", services='["A"]',
            state="open", teller_id=1, credits="{}", updated_at=at(5),
        )  # fmt: skip
        for tid, seq, state, outcome, called, finished in (
            (1, 1, "finished", "served", at(3), at(8)),
            (2, 2, "waiting", None, None, None),
        ):
            insert(
                "lobby_tickets", id=tid, outlet_id=2, local_day=(T + dt.timedelta(hours=8)).date(),
                prefix="A", seq=seq, number=f"A{seq:03d}", service_id=1, service_code="A",
                klass="normal", channel="kiosk", state=state, outcome=outcome, issued_at=at(tid),
                queued_at=at(tid), first_called_at=called, last_called_at=called,
                started_at=called, finished_at=finished, call_count=1 if called else 0,
                counter_id=1 if called else None, teller_id=1 if called else None,
                public_token=f"oldtoken{tid}", predicted_wait_s=120,
            )  # fmt: skip
        for eid, kind, minute in ((1, "issued", 1), (2, "called", 3), (3, "completed", 8)):
            insert(
                "lobby_events", id=eid, outlet_id=2, at=at(minute), kind=kind, ticket_id=1,
                counter_id=None if kind == "issued" else 1, data=json.dumps({"number": "A001"}),
            )  # fmt: skip
        insert(
            "complaints", id=COMPLAINT, reference="TS20261127-0001", source="manyi",
            intake="hotline", intake_ref="", department="retail", flags="[]",
            subject="老版本登记的投诉", description="客户反映等候时间过长。",
            request="", product="",
            complainant_name=keys.seal("赵六", "complaints.complainant_name"),
            complainant_phone=keys.seal("13912345678", "complaints.complainant_phone"),
            complainant_id_number="", complainant_email="", complainant_address="",
            registered_unit_id=2, responsible_unit_id=2, responsible_unit_path="/1/2/",
            handler_id=2, registered_by_id=2, received_at=at(0), registered_at=at(0),
            regulator_ref="", state="assigned", policy_code="cbirc-2020",
            timezone="Asia/Shanghai", deadline_stage=0, clock_started_at=at(0),
            due_at=at(15 * 24 * 60), risk_notified=0, escalation_level=0, breached=False,
            reopen_count=0, decision="", root_cause="", rectification_ref="", updated_at=at(0),
        )  # fmt: skip
        if not sqlite:  # ids were given: the sequences go on after them, as they would have
            for table in ("units", "staff", "lobby_tickets", "lobby_events", "complaints"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10)"))
    engine.dispose()


@pytest.fixture(autouse=True)
def _var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_VAR_DIR", str(tmp_path / "var"))


def test_a_database_of_the_earlier_release_upgrades_with_its_data(
    old_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _rows_of_the_old_release(old_url)
    old_backup = tmp_path / "before-upgrade.sqlite3"
    if old_url.startswith("sqlite"):  # kept to be restored by this manyi afterwards
        assert manyi(monkeypatch, old_url, "db", "backup", "--to", str(old_backup)).exit_code == 0

    # Pending migrations: the check says so, and no server starts on the old schema.
    checked = manyi(monkeypatch, old_url, "db", "check")
    assert checked.exit_code == 3, checked.output
    assert f"at revision {OLD}" in checked.stderr and "`manyi db upgrade`" in checked.stderr
    with pytest.raises(SystemExit) as stopped:
        web_main.create()
    assert stopped.value.code == 3

    upgraded = manyi(monkeypatch, old_url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert manyi(monkeypatch, old_url, "db", "check").exit_code == 0

    db = Database(old_url)
    try:
        with db.read() as session:
            teller = staff_service.by_username(session, "old.teller")
            assert teller is not None and teller.unit.code == "OLD-OUT"
            assert teller.staff_number == "OLD01"
            tickets = session.scalars(select(LobbyTicket).order_by(LobbyTicket.id)).all()
            assert [(t.id, t.number, t.state, t.outcome) for t in tickets] == [
                (1, "A001", "finished", "served"),
                (2, "A002", "waiting", None),
            ]
            assert tickets[0].finished_at == T + dt.timedelta(minutes=8)
            kinds = session.scalars(select(LobbyEventRow.kind).order_by(LobbyEventRow.id)).all()
            assert kinds == ["issued", "called", "completed"]  # moved into partitions on PG
            complaint = session.get_one(Complaint, COMPLAINT)
            assert complaint.complainant_name == "赵六"  # the old envelope opens
            assert complaint.due_at == T + dt.timedelta(days=15)
        # The pages read it: the handler signs in with the old password hash and opens the case.
        client = make_client(db)
        sign_in(client, "old.handler", PASSWORD)
        page = client.get(f"/complaints/{COMPLAINT}")
        assert page.status_code == 200, page.text
        assert "TS20261127-0001" in page.text and "老版本登记的投诉" in page.text
        # New rows go on after the old ones (on PostgreSQL, the ids' sequences were kept).
        with db.session() as session:
            added = staff_service.create_staff(
                session, SYSTEM, username="new.teller", display_name="新柜员", unit_id=2,
                roles=[Role.TELLER], password=PASSWORD,
            )  # fmt: skip
            assert added.id > 2
    finally:
        db.dispose()
    if not old_backup.exists():
        return
    # A backup of the earlier release restored by this one is upgraded on the way in.
    fresh = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    restored = manyi(monkeypatch, fresh, "db", "restore", str(old_backup))
    assert restored.exit_code == 0, restored.output
    assert f"(upgraded from {OLD})" in restored.stdout
    assert manyi(monkeypatch, fresh, "db", "check").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if "restor" in p.name) == [
        "restored.sqlite3"
    ]  # the staged copy and its files are gone


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_schema_newer_than_the_code_is_refused_everywhere(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": NEWER})
    engine.dispose()
    before = Path(make_url(database_url).database or "").read_bytes()

    checked = manyi(monkeypatch, database_url, "db", "check")
    assert checked.exit_code == 4, checked.output
    assert f"revision {NEWER}, newer than this manyi knows" in checked.stderr
    refused = manyi(monkeypatch, database_url, "db", "upgrade")
    assert refused.exit_code == 1 and "cannot take it back" in refused.stderr
    served = manyi(monkeypatch, database_url, "serve", "--port", "1")
    assert served.exit_code == 1 and "refusing to start" in served.stderr
    worked = manyi(monkeypatch, database_url, "worker", "--once")
    assert worked.exit_code == 1 and "refusing to start" in worked.stderr
    with pytest.raises(SystemExit):
        web_main.create()
    assert Path(make_url(database_url).database or "").read_bytes() == before  # nothing changed

    # No database at all: the check says how to make one, and creates nothing by looking.
    missing = tmp_path / "none" / "manyi.sqlite3"
    absent = manyi(monkeypatch, f"sqlite:///{missing}", "db", "check")
    assert absent.exit_code == 3 and "does not exist" in absent.stderr
    assert not missing.parent.exists()
    unreachable = manyi(monkeypatch, "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "check")
    assert unreachable.exit_code == 1 and "cannot read the schema version" in unreachable.stderr
