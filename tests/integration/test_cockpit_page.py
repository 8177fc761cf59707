"""The cockpit page (`/cockpit`) and its Excel export: head office's view and its drill-down,
an outlet head's own outlet only, the refusals (role, scope, bad parameters), zh-CN first with
English on the language link."""

from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook

from manyi.db import Database
from tests.cockpit_helpers import roll_two_outlets
from tests.conftest import Bank, sqlite_only
from tests.integration.test_cockpit_queries import DAYS
from tests.web_helpers import signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
PERIOD = f"from={DAYS[0].isoformat()}&to={DAYS[-1].isoformat()}"


@pytest.fixture
def rolled(db: Database, bank: Bank) -> Bank:
    return roll_two_outlets(db, bank, DAYS)


def embedded(text: str) -> dict[str, object]:
    found = re.search(
        r'<script type="application/json" id="cockpit-data">(.*?)</script>', text, re.S
    )
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_head_office_sees_the_bank_and_drills_down(db: Database, rolled: Bank) -> None:
    client = signed_in_client(db, "admin")
    page = client.get(f"/cockpit?{PERIOD}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "驾驶舱" in text and "测试总行" in text and 'data-testid="trend-chart"' in text
    league = text[text.index('data-testid="league"') :]
    assert league.index("乙分行") < league.index("甲分行")  # slowest first
    assert "18.8" in text  # the bank's mean wait: (4 + 6 + 25 + 40) / 4 minutes
    alerts = text[text.index('data-testid="alerts"') :]
    assert "乙网点" in alerts and "连续 3 天未达标" in alerts
    chart = embedded(text)
    assert chart["days"] == [d.isoformat() for d in DAYS] and chart["wait"] == [18.8] * 4
    ascending = client.get(f"/cockpit?{PERIOD}&sort=wait_mean_s&order=asc").text
    assert ascending.index("甲分行", ascending.index('data-testid="league"')) < ascending.index(
        "乙分行", ascending.index('data-testid="league"')
    )
    branch = client.get(f"/cockpit?unit=BR-A&{PERIOD}").text
    assert 'data-testid="league-SUB-A"' in branch and "乙网点" not in branch
    outlet = client.get(f"/cockpit?unit=OUT-A&{PERIOD}").text
    crumbs = outlet[outlet.index('data-testid="crumbs"') :]
    assert crumbs.index("测试总行") < crumbs.index("甲分行") < crumbs.index("甲支行")
    tellers = outlet[outlet.index('data-testid="tellers"') :]
    assert "柜员甲" in tellers and ">8<" in tellers  # served, the level below the roll-ups
    client.get("/lang/en")
    english = client.get(f"/cockpit?{PERIOD}").text
    assert "Cockpit" in english and "Furthest from target" in english and "驾驶舱" not in english


def test_the_export_is_the_view(db: Database, rolled: Bank) -> None:
    client = signed_in_client(db, "admin")
    response = client.get(f"/cockpit/export.xlsx?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert [s.title for s in book.worksheets] == ["机构排名", "趋势", "离目标最远的网点"]
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert rows[0][:4] == ["所属机构", "取号数", "已办结", "平均等候（分钟）"]
    assert [r[0] for r in rows[1:]] == ["乙分行 (BR-B)", "甲分行 (BR-A)", "合计"]
    assert rows[1][3] == 32.5 and rows[3][1] == 16
    far = [[c.value for c in row] for row in book.worksheets[2].iter_rows()]
    assert far[1][0] == "乙网点 (OUT-B)"


def test_an_outlet_head_sees_their_outlet_only(db: Database, rolled: Bank) -> None:
    client = signed_in_client(db, "head_a")
    page = client.get(f"/cockpit?{PERIOD}")
    assert page.status_code == 200 and "甲网点" in page.text
    assert "乙网点" not in page.text and "测试总行" not in page.text
    assert 'data-testid="league"' not in page.text  # an outlet's children are its tellers
    for unit in ("OUT-B", "HQ", "BR-A"):
        assert client.get(f"/cockpit?unit={unit}").status_code == 404
        assert client.get(f"/cockpit/export.xlsx?unit={unit}").status_code == 404
    teller = signed_in_client(db, "teller_a")
    assert teller.get("/cockpit").status_code == 403
    assert teller.get("/cockpit/export.xlsx").status_code == 403


@sqlite_only  # parameters are checked before any query: the engine cannot matter
@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("from=2026-13-01", "from"),
        ("from=2026-11-05&to=2026-11-01", "结束日"),
        ("sort=issued;drop", "sort"),
        ("order=sideways", "order"),
        ("from=2020-01-01&to=2026-11-01", "期间最长"),
    ],
)
def test_bad_parameters_are_named(db: Database, rolled: Bank, query: str, words: str) -> None:
    client = signed_in_client(db, "admin")
    response = client.get(f"/cockpit?{query}")
    assert response.status_code == 422 and words in response.text
    assert client.get(f"/cockpit/export.xlsx?{query}").status_code == 422
