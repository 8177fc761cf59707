"""The cockpit's counter level (`cockpit.counter_queries`) on both engines: per counter of an
outlet over a small known day, legs served, mean service time, hours open, utilisation and the
tellers who worked it, adding up to the outlet's roll-up; the data scope; the page's table and
the export's sheet."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from manyi.cockpit import counter_queries, overview, rollups
from manyi.cockpit.domain.figures import Period
from manyi.cockpit.domain.targets import Targets
from manyi.cockpit.tables import CockpitDaily
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.lobby.tables import LobbyCounter, LobbyTicket
from manyi.org.tables import Unit
from tests.bank import add_staff
from tests.cockpit_helpers import TZ, bj, event, ticket
from tests.conftest import FIXED_NOW, Bank
from tests.lobby_helpers import configure
from tests.web_helpers import signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
DAY = dt.date(2026, 11, 25)
PERIOD = Period(DAY - dt.timedelta(days=1), DAY)  # a day without counters, then the day


def counter_ids(db: Database, bank: Bank, outlet: str) -> dict[int, int]:
    with db.session() as session:
        rows = session.execute(
            select(LobbyCounter.number, LobbyCounter.id).where(
                LobbyCounter.outlet_id == bank.unit(outlet)
            )
        ).all()
    return {int(number): int(counter_id) for number, counter_id in rows}


def at_counter(db: Database, ticket_id: int, counter_id: int) -> None:
    with db.session() as session:
        session.execute(
            update(LobbyTicket).where(LobbyTicket.id == ticket_id).values(counter_id=counter_id)
        )


@pytest.fixture
def day(db: Database, bank: Bank) -> Bank:
    """OUT-A on DAY (Beijing): counter 1 open 09:00–12:00 by 柜员甲, two legs of 5 minutes;
    counter 2 opened 09:30 by 柜员甲二 and never closed, a leg transferred on after 10 minutes
    and one served in 20, the last activity at 13:30. OUT-B: counter 1 open 09:00–17:00."""
    second = add_staff(db, bank, "teller.a2")["teller.a2"]
    first = bank.staff["teller_a"]
    for outlet in ("OUT-A", "OUT-B"):
        configure(db, bank.unit(outlet))
    a, b = counter_ids(db, bank, "OUT-A"), counter_ids(db, bank, "OUT-B")
    out_a, out_b = bank.unit("OUT-A"), bank.unit("OUT-B")
    event(db, out_a, "counter_opened", bj(DAY, 9), counter_id=a[1], staff_id=first)
    event(db, out_a, "counter_opened", bj(DAY, 9, 30), counter_id=a[2], staff_id=second)
    event(db, out_a, "counter_closed", bj(DAY, 12), counter_id=a[1], staff_id=first)
    for hour, wait in ((10, 4), (11, 6)):
        leg = ticket(db, bank, "OUT-A", bj(DAY, hour), wait_min=wait, serve_min=5, teller=first)
        at_counter(db, leg, a[1])
    moved = ticket(
        db, bank, "OUT-A", bj(DAY, 12), wait_min=5, serve_min=10, outcome="transferred",
        teller=second,
    )  # fmt: skip
    at_counter(db, moved, a[2])
    served = ticket(db, bank, "OUT-A", bj(DAY, 13), wait_min=10, serve_min=20, teller=second)
    at_counter(db, served, a[2])
    event(db, out_b, "counter_opened", bj(DAY, 9), counter_id=b[1], staff_id=bank.staff["teller_b"])
    event(db, out_b, "counter_closed", bj(DAY, 17), counter_id=b[1])
    leg = ticket(
        db, bank, "OUT-B", bj(DAY, 10), wait_min=3, serve_min=8, teller=bank.staff["teller_b"]
    )
    at_counter(db, leg, b[1])
    rollups.run_pass(db, TZ, 900, FIXED_NOW)
    return bank


def path(db: Database, bank: Bank, code: str) -> str:
    with db.session() as session:
        return session.get_one(Unit, bank.unit(code)).path


def test_each_counter_of_a_known_day(db: Database, day: Bank) -> None:
    with db.read() as session:
        lines = counter_queries.counters(
            session, path(db, day, "BR-A"), day.unit("OUT-A"), PERIOD, TZ
        )
        rolled = session.scalars(
            select(CockpitDaily).where(
                CockpitDaily.outlet_id == day.unit("OUT-A"), CockpitDaily.day == DAY
            )
        ).one()
    one, two = lines
    assert (one.number, one.served, one.service_mean_s, one.busy_s) == (1, 2, 300, 600)
    assert one.open_s == 3 * 3600 and one.utilisation == pytest.approx(600 / 10800)
    assert one.tellers == ("柜员甲",)
    # Counter 2: a transferred leg is served there but not counted as served; left open, it
    # counts from 09:30 to the day's last activity (13:30, the last leg finished).
    assert (two.number, two.served, two.service_mean_s, two.busy_s) == (2, 1, 900, 1800)
    assert two.open_s == 4 * 3600 and two.utilisation == pytest.approx(1800 / 14400)
    assert two.tellers == ("柜员甲二",)
    # The counters add up to the outlet's roll-up of the day.
    assert rolled.counter_open_s == one.open_s + two.open_s
    assert rolled.busy_s == one.busy_s + two.busy_s


def test_the_counters_stay_in_the_data_scope(db: Database, day: Bank) -> None:
    with db.read() as session:
        hq = path(db, day, "HQ")
        theirs = counter_queries.counters(session, hq, day.unit("OUT-B"), PERIOD, TZ)
        assert [(c.number, c.served, c.open_s, c.tellers) for c in theirs] == [
            (1, 1, 8 * 3600, ("柜员乙",))
        ]
        for scope, unit in (("OUT-B", "OUT-A"), ("BR-A", "OUT-B"), ("OUT-A", "HQ")):
            with pytest.raises(NotFound):
                counter_queries.counters(session, path(db, day, scope), day.unit(unit), PERIOD, TZ)
        with pytest.raises(InvalidInput):
            counter_queries.counters(session, hq, day.unit("SUB-A"), PERIOD, TZ)
        page = overview.overview(
            session, path(db, day, "OUT-A"), day.unit("OUT-A"), PERIOD, Targets(), tz=TZ
        )
        assert [c.number for c in page.counters] == [1, 2]
        above = overview.overview(session, hq, day.unit("SUB-A"), PERIOD, Targets(), tz=TZ)
        assert above.counters == [] and above.tellers == []


def test_the_page_and_the_export_show_the_counters(db: Database, day: Bank) -> None:
    query = f"unit=OUT-A&from={PERIOD.first.isoformat()}&to={PERIOD.last.isoformat()}"
    client = signed_in_client(db, "head_a")
    page = client.get(f"/cockpit?{query}").text
    table = page[page.index('data-testid="counters"') :]
    assert "1号窗口" in table and "柜员甲二" in table and "开放时长（小时）" in table
    assert ">3.0<" in table and ">5.6 %<" in table  # counter 1: 3 h open, 600 s of 10,800
    book = load_workbook(io.BytesIO(client.get(f"/cockpit/export.xlsx?{query}").content))
    assert [s.title for s in book.worksheets][-2:] == ["柜员", "窗口"]
    rows = [[c.value for c in row] for row in book.worksheets[-1].iter_rows()]
    assert rows[0] == ["窗口", "当班柜员", "已办结", "平均办理时长（分钟）", "开放时长（小时）",
                       "利用率（%）"]  # fmt: skip
    assert rows[1] == ["1号窗口", "柜员甲", 2, 5.0, 3.0, 5.6]
    assert rows[2] == ["2号窗口", "柜员甲二", 1, 15.0, 4.0, 12.5]
    client.get("/lang/en")
    english = client.get(f"/cockpit?{query}").text
    assert "Counter 2" in english and "Hours open" in english and "Tellers who worked it" in english
    assert signed_in_client(db, "head_b").get(f"/cockpit?{query}").status_code == 404
