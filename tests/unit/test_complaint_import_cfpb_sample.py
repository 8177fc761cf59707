"""Reading complaint files: the real CFPB sample imports in full, and the CFPB value tables
(products, issues, causes, dates, clipped subjects) map every code on purpose."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io

import pytest

from manyi.complaints.domain.taxonomy import Axis, Flag, Intake, by_code
from manyi.complaints.imports import cfpb as import_cfpb
from manyi.complaints.imports.base import clip
from manyi.complaints.imports.cfpb import CAUSE_FOR_ISSUE, parse_date
from manyi.complaints.imports.formats import ParseResult, parse_file
from tests.complaint_import_helpers import DATA, small

# The real sample from the shared data folder, kept compressed with the tests.
SAMPLE = DATA / "cfpb_payday_loan_complaints.csv.gz"


@functools.cache
def sample_bytes() -> bytes:
    return gzip.decompress(SAMPLE.read_bytes())


def sample_rows() -> csv.DictReader[str]:
    return csv.DictReader(io.StringIO(sample_bytes().decode("utf-8"), newline=""))


# --- The real CFPB sample ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> ParseResult:
    return parse_file(sample_bytes(), "cfpb")


def test_the_real_sample_imports_in_full(sample: ParseResult) -> None:
    assert sample.errors == []
    assert sample.read == len(sample.records) == 2827
    assert len({r.external_id for r in sample.records}) == 2827
    assert all(r.business_code == "loans.consumer" for r in sample.records)
    assert all(r.decided_on is None for r in sample.records)  # the export has no decision date
    # "Untimely response" is the one company response that is not a closure.
    assert sum(not r.closed for r in sample.records) == 18
    assert {r.decision for r in sample.records if not r.closed} == {"Untimely response"}
    assert sum(r.timely is False for r in sample.records) == 108
    assert sum(Flag.VULNERABLE in r.flags for r in sample.records) == 192 + 77  # Older American
    assert all(r.intake is Intake.WEB for r in sample.records)
    assert all(len(r.subject) <= 200 for r in sample.records)


def test_every_record_starts_on_the_line_it_names(sample: ParseResult) -> None:
    # Narratives run over several lines; each record's line must still hold its first field.
    lines = sample_bytes().decode("utf-8").split("\n")
    assert len(lines) - 1 == 9765
    assert sample.records[0].line == 2
    for record in sample.records:
        assert lines[record.line - 1].startswith(f"{record.received_on:%m/%d/%y},"), record.line
    numbers = [r.line for r in sample.records]
    assert numbers == sorted(set(numbers))


def test_each_issue_of_the_sample_is_mapped_on_purpose() -> None:
    issues = {row["Issue"] for row in sample_rows()}
    assert len(issues) == 24
    for issue in issues:
        assert issue in CAUSE_FOR_ISSUE, issue
        assert by_code(Axis.CAUSE, CAUSE_FOR_ISSUE[issue]) is not None
        assert CAUSE_FOR_ISSUE[issue] != "other", issue


def test_the_sample_spreads_over_the_causes(sample: ParseResult) -> None:
    causes = {r.cause_code for r in sample.records}
    assert {"pricing", "rules", "disclosure", "info_security", "collection"} <= causes
    assert "other" not in causes
    first = sample.records[0]
    assert first.external_id == "6731964"
    assert first.product == "Payday loan, title loan, or personal loan / Installment loan"
    assert first.subject == "Charged fees or interest you didn't expect"
    assert first.description.startswith("This company 's offer was not clear. \n\nThis account")
    assert first.region == "GA 30040"
    assert first.decision == "Closed with monetary relief"


# --- The value tables -------------------------------------------------------------------------


def test_the_crafted_file_has_the_export_header() -> None:
    assert tuple(small().split(b"\r\n")[0].decode().split(",")) == import_cfpb.COLUMNS
    assert tuple(sample_rows().fieldnames or ()) == import_cfpb.COLUMNS


def test_every_code_in_the_cfpb_tables_exists() -> None:
    for code in import_cfpb.BUSINESS_FOR_PRODUCT.values():
        assert by_code(Axis.BUSINESS, code) is not None, code
    for code in [*CAUSE_FOR_ISSUE.values(), *import_cfpb.CAUSE_FOR_PRODUCT.values()]:
        assert by_code(Axis.CAUSE, code) is not None, code


@pytest.mark.parametrize(
    ("product", "sub_product", "business"),
    [
        ("Payday loan, title loan, or personal loan", "Title loan", "loans.consumer"),
        ("Payday loan, title loan, personal loan, or advance loan", "", "loans.consumer"),
        (
            "Credit card or prepaid card",
            "General-purpose credit card or charge card",
            "cards.credit",
        ),
        ("Credit card or prepaid card", "Gift card", "payments.prepaid"),
        ("Checking or savings account", "Checking account", "savings.demand"),
        ("Checking or savings account", "Other banking product or service", "savings"),
        ("Money transfer, virtual currency, or money service", "", "payments"),
        ("Mortgage", "FHA mortgage", "loans.mortgage"),
        ("Debt collection", "Medical debt", "loans"),
        ("debt  COLLECTION", "credit card debt", "cards.credit"),  # case and spacing
        ("Something new", "", None),
    ],
)
def test_products_map_to_business_types(
    product: str, sub_product: str, business: str | None
) -> None:
    assert import_cfpb.business_for(product, sub_product) == business


def test_causes_follow_the_issue_and_debt_collection_is_always_collection() -> None:
    assert import_cfpb.cause_for("Charged fees or interest you didn\u2019t expect") == "pricing"
    assert import_cfpb.cause_for("Fraud or scam") == "fund_safety"
    assert import_cfpb.cause_for("Improper use of your report") == "info_security"
    assert import_cfpb.cause_for("A label the CFPB adds next year") == "other"
    assert import_cfpb.cause_for("Written notification about debt", "Debt collection") == (
        "collection"
    )
    assert import_cfpb.cause_for("Fees or interest", "Debt collection") == "collection"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/22/23", dt.date(2023, 3, 22)),
        ("3/2/23", dt.date(2023, 3, 2)),
        ("03/22/2023", dt.date(2023, 3, 22)),
        ("2023-03-22", dt.date(2023, 3, 22)),
        ("12/31/99", dt.date(1999, 12, 31)),
        ("01/01/68", dt.date(2068, 1, 1)),
        ("13/45/23", None),
        ("02/30/23", None),
        ("2023-02-30", None),
        ("22.03.2023", None),
        ("2023-3-22", dt.date(2023, 3, 22)),  # as a spreadsheet re-saves it
        ("2023/3/22", dt.date(2023, 3, 22)),
        ("", None),
    ],
)
def test_cfpb_dates(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


def test_subjects_are_clipped_at_a_word() -> None:
    words = "word " * 80
    clipped = clip(words)
    assert len(clipped) <= 200 and clipped.endswith("word…")
    assert clip("短" * 300) == "短" * 199 + "…"
    assert clip("  two\nlines  ") == "two lines"
    assert clip("x" * 200) == "x" * 200
