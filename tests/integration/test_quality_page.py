"""The satisfaction page on both engines: figures within the viewer's scope, the roll-up from
head office down to a teller, change flags, small samples, masked themes, bad parameters, the
Excel export, and the demo history (idempotent, the rating pad joined)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from manyi import demo as bank_demo
from manyi.db import Database
from manyi.quality import demo, demo_pad, surveys
from manyi.quality.domain.periods import Period
from manyi.quality.overview import Query, overview
from manyi.quality.store import NewResponse, insert_responses, outlet_ref
from tests.conftest import FIXED_NOW, Bank
from tests.web_helpers import signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock")
NOVEMBER = "from=2026-11-01&to=2026-11-30"


def _answers(session: Any, bank: Bank) -> None:
    a_id, a_path = outlet_ref(session, "OUT-A")
    b_id, b_path = outlet_ref(session, "OUT-B")
    teller = bank.staff["teller_a"]
    rows = []
    for i in range(30):  # October at OUT-A: unhappy
        at = dt.datetime(2026, 10, 10, 2, i, tzinfo=dt.UTC)
        rows.append(
            NewResponse(
                "import",
                f"a-oct-{i}",
                a_id,
                a_path,
                "counter",
                at,
                csat=2,
                nps=3,
                teller_staff_id=teller,
            )
        )
    for i in range(40):  # November at OUT-A: happy
        at = dt.datetime(2026, 11, 10, 2, i, tzinfo=dt.UTC)
        comment = "排队很久，电话13812345678" if i == 0 else None
        rows.append(
            NewResponse(
                "import",
                f"a-nov-{i}",
                a_id,
                a_path,
                "counter",
                at,
                csat=5,
                nps=10,
                ces=2,
                teller_staff_id=teller if i % 2 else None,
                service="A01",
                comment=comment,
            )
        )
    for i in range(5):  # November at OUT-B: a small sample
        at = dt.datetime(2026, 11, 12, 2, i, tzinfo=dt.UTC)
        rows.append(NewResponse("import", f"b-nov-{i}", b_id, b_path, "lobby", at, csat=4))
    insert_responses(session, rows)


@pytest.fixture
def answered(db: Database, bank: Bank) -> Bank:
    with db.session() as session:
        _answers(session, bank)
    return bank


def data(client: TestClient, query: str) -> dict[str, Any]:
    response = client.get(f"/quality/data.json?{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_head_office_rolls_up_and_drills_down_to_a_teller(db: Database, answered: Bank) -> None:
    client = signed_in_client(db, "admin")
    top = data(client, NOVEMBER)
    assert top["unit"]["code"] == "HQ" and top["by"] == "unit"
    assert top["compared_with"] == ["2026-10-02", "2026-10-31"]
    rows = {r["key"]: r for r in top["rows"]}
    assert [r["key"] for r in top["rows"]] == ["BR-A", "BR-B"]  # key order, not by score
    assert rows["BR-A"]["responses"] == 40 and not rows["BR-A"]["small"]
    assert rows["BR-B"]["responses"] == 5 and rows["BR-B"]["small"]
    assert rows["BR-B"]["csat"]["small"] and rows["BR-B"]["csat"]["ci95"][0] < 0.6
    assert top["total"]["responses"] == 45
    # 2 of 5 → 5 of 5 at OUT-A between the two ranges: a real movement, flagged.
    change = rows["BR-A"]["csat_change"]
    assert change["difference"] == 1.0 and change["significant"]
    assert rows["BR-A"]["response_rate"] is None  # no invitations recorded yet
    assert rows["BR-A"]["url"].startswith("/quality?") and "unit=BR-A" in rows["BR-A"]["url"]
    flat = data(client, f"by=outlet&{NOVEMBER}")
    assert [(r["key"], r["responses"]) for r in flat["rows"]] == [("OUT-A", 40), ("OUT-B", 5)]
    assert flat["rows"][0]["drill"] == {"unit": "OUT-A"}
    # Head office → BR-A → SUB-A → OUT-A, as the rows' links lead.
    assert [r["key"] for r in data(client, f"unit=BR-A&{NOVEMBER}")["rows"]] == ["SUB-A"]
    assert [r["key"] for r in data(client, f"unit=SUB-A&{NOVEMBER}")["rows"]] == ["OUT-A"]
    outlet = data(client, f"unit=OUT-A&{NOVEMBER}")
    assert outlet["by"] == "teller"
    tellers = {r["key"]: r for r in outlet["rows"]}
    assert tellers["teller.a"]["responses"] == 20 and tellers[None]["responses"] == 20
    assert tellers["teller.a"]["drill"] == {"unit": "OUT-A", "teller": "teller.a"}
    one = data(client, f"unit=OUT-A&teller=teller.a&period=week&{NOVEMBER}")
    assert one["teller"] == "teller.a" and one["by"] == "period"
    assert sum(r["responses"] for r in one["rows"]) == 20
    assert one["rows"][0]["key"] == "2026-W44"  # the week holding 1 November


def test_a_branch_head_sees_only_their_subtree(db: Database, answered: Bank) -> None:
    client = signed_in_client(db, "head_b")
    own = data(client, NOVEMBER)
    assert own["unit"]["code"] == "OUT-B" and own["total"]["responses"] == 5
    assert [c["code"] for c in own["crumbs"]] == ["OUT-B"]  # no link above their scope
    assert own["themes"] == []  # OUT-A's comment is not theirs
    for other in ("OUT-A", "HQ", "BR-A"):
        assert client.get(f"/quality/data.json?unit={other}").status_code == 404
        assert client.get(f"/quality?unit={other}").status_code == 404
    assert client.get("/quality/export.xlsx?unit=OUT-A").status_code == 404
    # A teller of another outlet is "not found" too: not even their name is shown.
    response = client.get("/quality/data.json?teller=teller.a")
    assert response.status_code == 404 and "柜员甲" not in response.text
    teller = signed_in_client(db, "teller_a")
    assert teller.get("/quality").status_code == 403


def test_the_page_shows_small_samples_flags_and_masked_themes(db: Database, answered: Bank) -> None:
    client = signed_in_client(db, "admin")
    page = client.get(f"/quality?{NOVEMBER}")
    assert page.status_code == 200
    assert "样本量小" in page.text and 'data-testid="significant"' in page.text
    assert 'data-href="/quality?' in page.text and "echarts.min.js" in page.text
    assert "<script>" not in page.text  # CSP: script-src 'self', no inline script
    themes = {t["theme"]: t for t in data(client, NOVEMBER)["themes"]}
    (example,) = themes["等候时间"]["examples"]
    assert "138****5678" in example and "13812345678" not in example


@pytest.mark.parametrize(
    "query",
    [
        "by=score",
        "period=year",
        "from=2026-13-01",
        "from=2026-11-30&to=2026-11-01",
        "period=day&from=2024-01-01&to=2026-11-30",
    ],
)
def test_bad_parameters_are_a_clear_422(db: Database, answered: Bank, query: str) -> None:
    client = signed_in_client(db, "admin")
    response = client.get(f"/quality/data.json?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["message"]
    assert client.get(f"/quality?{query}").status_code == 422


def test_the_export_opens_with_the_rows_of_the_view(db: Database, answered: Bank) -> None:
    client = signed_in_client(db, "admin")
    response = client.get(f"/quality/export.xlsx?{NOVEMBER}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["所属机构", "回答数", "满意率（4–5分）"]
    assert [v[1] for v in values[1:]] == [40, 5, 45]
    assert values[1][0].startswith("甲分行") and values[3][0] == "合计"
    assert values[1][9] == "是" and values[2][13] == "是"  # significant; small sample
    assert len(book.worksheets) == 4  # the rating pad, the trend, the themes
    trend = [[c.value for c in row] for row in book.worksheets[2].iter_rows()]
    assert trend[1][:2] == ["2026-11", 45]
    themes = [[c.value for c in row] for row in book.worksheets[3].iter_rows()]
    assert themes[1][:2] == ["等候时间", 1] and "138****5678" in themes[1][2]


def test_the_demo_history_is_idempotent_and_joins_the_rating_pad(db: Database) -> None:
    with db.session() as session:
        bank_demo.seed(session, password="Demo-pass-2026")
    with db.session() as session:
        answers = demo.seed(session, FIXED_NOW)
        ratings = demo_pad.seed(session, FIXED_NOW)
    assert answers > 5000 and ratings > 4000
    with db.session() as session:
        assert demo.seed(session, FIXED_NOW) == 0 and demo_pad.seed(session, FIXED_NOW) == 0
        root = session.scalar(bank_demo_root())
        figures = overview(
            session,
            root,
            Query(period=Period.MONTH),
            tz="Asia/Shanghai",
            today=dt.date(2026, 11, 30),
        )
    assert len(figures.trend) == 12 and all(r.aggregate.responses for r in figures.trend)
    assert len(figures.pad_trend) == 12 and all(r.aggregate.csat_n for r in figures.pad_trend)
    assert figures.pad_total.response_rate() is not None
    assert 0.6 < (figures.pad_total.response_rate() or 0) < 0.9
    assert {r.key for r in figures.rows} == {"BJ", "SH"}
    assert {r.key for r in figures.pad_rows} == {"BJ", "SH"}
    assert figures.themes and figures.themes[0].count > 0


def bank_demo_root() -> Any:
    from sqlalchemy import select

    from manyi.org.tables import Unit

    return select(Unit.path).where(Unit.code == "HO")


def test_a_survey_response_rate_is_invitations_answered_over_sent(
    db: Database, answered: Bank
) -> None:
    """Issue 17: response rates. Imported answers had no invitation: 40 of them at OUT-A must
    not make 4 invitations (one answered) look like a 100 % rate."""
    with db.session() as session:
        a_id, a_path = outlet_ref(session, "OUT-A")
        sent_at = dt.datetime(2026, 11, 5, 2, 0, tzinfo=dt.UTC)
        invitations = [
            surveys.invite(
                session,
                surveys.Visit("ticket", f"t:{a_id}:2026-11-05:{n}", a_id, a_path, service="A01"),
                sent_at,
                expiry_days=7,
            )
            for n in range(4)
        ]
        assert all(invitations)
        invitations[0].answered_at = sent_at + dt.timedelta(minutes=5)  # type: ignore[union-attr]
    client = signed_in_client(db, "admin")
    rows = {r["key"]: r for r in data(client, NOVEMBER)["rows"]}
    assert rows["BR-A"]["invitations"] == 4 and rows["BR-A"]["response_rate"] == 0.25
    assert rows["BR-B"]["invitations"] is None and rows["BR-B"]["response_rate"] is None
    by_service = {r["key"]: r for r in data(client, f"by=service&{NOVEMBER}")["rows"]}
    assert by_service["A01"]["response_rate"] == 0.25
    assert data(client, NOVEMBER)["total"]["response_rate"] == 0.25
    october = {r["key"]: r for r in data(client, "from=2026-10-01&to=2026-10-31")["rows"]}
    assert october["BR-A"]["invitations"] is None  # sent in November, counted there
