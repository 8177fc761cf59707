"""The complaint analysis page, its Excel report and the regulator's export, by persona, on both
engines: the data scope, the drill-down to the workbench, bad parameters refused."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from manyi.db import Database
from tests.analysis_helpers import Case, add_cases
from tests.conftest import Bank
from tests.integration.test_insight_analysis import cases  # noqa: F401 (the fixture)
from tests.web_helpers import signed_in_client

pytestmark = pytest.mark.usefixtures("frozen_clock", "cases")

PAGE = "/insight/complaints"


def test_head_office_sees_the_tier1_branches_with_their_measures(db: Database) -> None:
    client = signed_in_client(db, "admin")
    page = client.get(PAGE, params={"from": "2026-01-01", "to": "2026-03-31"})
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-testid="unit-BR-A"' in html and 'data-testid="unit-BR-B"' in html
    assert 'data-testid="total">8<' in html
    assert 'id="ia-data"' in html and "/static/js/insight_complaints.js" in html
    unit_link = re.search(r'href="(/complaints\?tab=scope[^"]*unit_id=\d+)"', html)
    assert unit_link is not None


def test_a_branch_manager_sees_their_branch_only(db: Database, cases: Bank) -> None:  # noqa: F811
    client = signed_in_client(db, "manager_br_a")
    html = client.get(PAGE, params={"from": "2026-01-01", "to": "2026-03-31"}).text
    assert 'data-testid="unit-SUB-A"' in html  # the level below a tier-1 branch by default
    assert "乙分行" not in html and "BR-B" not in html and "乙网点" not in html
    assert 'data-testid="total">6<' in html


def test_a_bar_links_to_the_workbench_listing_those_cases(db: Database) -> None:
    client = signed_in_client(db, "admin")
    html = client.get(
        PAGE, params={"from": "2026-01-01", "to": "2026-01-31", "by": "category"}
    ).text
    link = re.search(r'<tr data-testid="by-waiting_time"><td><a href="([^"]+)"', html)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert "issue=waiting_time" in url and "received_from=2026-01-01" in url
    listed = client.get(url).text
    assert len(set(re.findall(r'href="/complaints/\d+"', listed))) == 2


def test_people_without_the_permission_and_bad_parameters_are_refused(db: Database) -> None:
    assert signed_in_client(db, "teller_a").get(PAGE).status_code == 403
    client = signed_in_client(db, "admin")
    bad = client.get(PAGE, params={"kind": "fortnight"})
    assert bad.status_code == 422 and "kind" in bad.text
    assert client.get(PAGE, params={"from": "2026-03-01", "to": "2026-01-01"}).status_code == 422
    assert client.get(f"{PAGE}/regulator.csv", params={"quarter": "2026-Q5"}).status_code == 422


def test_the_excel_report_has_the_trend_the_breakdown_and_the_league(db: Database) -> None:
    client = signed_in_client(db, "admin")
    response = client.get(
        f"{PAGE}/export.xlsx", params={"from": "2026-01-01", "to": "2026-03-31", "level": "outlet"}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    trend, _by, league = book.worksheets
    assert [row[1] for row in trend.iter_rows(min_row=2, values_only=True)] == [5, 0, 3]
    units = {row[0]: row[2] for row in league.iter_rows(min_row=2, values_only=True)}
    assert units == {"OUT-A": 6, "OUT-B": 1, "SUB-B": 1, "total": 8}


def test_the_regulator_export_counts_by_region_business_and_cause(db: Database) -> None:
    add_cases(db, [Case("HQ", __import__("datetime").date(2026, 2, 2), business="loans")])
    client = signed_in_client(db, "admin")
    response = client.get(f"{PAGE}/regulator.csv", params={"quarter": "2026-Q1"})
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    lines = {(r[0], r[2], r[4]): int(r[6]) for r in rows[1:]}
    assert lines == {
        ("BR-A", "savings", "fees"): 1,
        ("BR-A", "savings", "service_quality"): 4,
        ("BR-A", "unclassified", "unclassified"): 1,
        ("BR-B", "cards", "service_quality"): 1,
        ("BR-B", "savings", "service_quality"): 1,
        ("HQ", "loans", "service_quality"): 1,
    }
    mine = signed_in_client(db, "manager_br_a").get(
        f"{PAGE}/regulator.xlsx", params={"quarter": "2026-Q1"}
    )
    book = openpyxl.load_workbook(io.BytesIO(mine.content))
    regions = {row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert regions == {"BR-A"}
    cross = list(book.worksheets[1].iter_rows(values_only=True))
    assert cross[-1][-1] == 6  # the grand total
