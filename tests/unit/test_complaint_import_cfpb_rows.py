"""Reading complaint files: CFPB export rows and their errors (empty values, encodings, bad
quotes, header problems, a file that is not an export) and a large generated export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from manyi.complaints.domain.taxonomy import Flag, Intake
from manyi.complaints.imports import cfpb as import_cfpb
from manyi.complaints.imports.cfpb import CAUSE_FOR_ISSUE
from manyi.complaints.imports.formats import ImportFormatError, LineError, parse_file
from tests.complaint_import_helpers import DATA, by_id, small

# --- CFPB rows and their errors -----------------------------------------------------------


def test_the_small_cfpb_file() -> None:
    result = parse_file(small(), "cfpb")
    assert result.read == 8
    assert [r.line for r in result.records] == [2, 5, 11, 12]
    assert result.errors == [
        LineError(
            6,
            "Date received",
            "Date received '13/45/23' is not a date (there is no month 13)",
        ),
        LineError(7, "Complaint ID", "Complaint ID is empty"),
        LineError(
            8, "Complaint ID", "duplicate Complaint ID '1001' (first on line 2)", duplicate=True
        ),
        LineError(10, "", "the row has 17 fields but the header has 18"),
    ]
    found = by_id(result)
    first = found["1001"]
    assert first.description == (
        'The fee was never explained.\n\nI was told the rate was 34 %, not a "leasing fee".'
    )
    assert (first.intake, first.cause_code, first.closed, first.timely) == (
        Intake.WEB,
        "pricing",
        True,
        True,
    )


def test_empty_values_and_none_texts() -> None:
    record = by_id(parse_file(small(), "cfpb"))["1002"]
    assert record.description == ""  # no narrative is normal, not an error
    assert record.subject == "Can't contact lender or servicer"  # Sub-issue "None" left out
    assert record.region == ""  # State "None" and a fully masked ZIP
    assert record.intake is Intake.HOTLINE
    assert (record.closed, record.decision, record.timely) == (False, "In progress", False)
    assert record.flags == frozenset({Flag.VULNERABLE})  # "Older American"; not Servicemember


def test_other_products_dates_and_channels() -> None:
    found = by_id(parse_file(small(), "cfpb"))
    mortgage = found["1004"]
    assert mortgage.received_on == dt.date(2023, 4, 5)  # ISO
    assert (mortgage.business_code, mortgage.cause_code) == ("loans.mortgage", "other")
    assert mortgage.intake is Intake.REGULATOR  # Referral
    assert mortgage.region == "CA 945XX"
    collection = found["1005"]
    assert collection.received_on == dt.date(2023, 4, 5)  # MM/DD/YYYY
    assert collection.subject == "Communication tactics — Frequent or repeated calls"
    assert (collection.business_code, collection.cause_code) == ("cards.credit", "collection")
    assert collection.intake is Intake.LETTER


def test_a_duplicate_of_a_rejected_row_is_imported() -> None:
    # The first 1001 is rejected for its date, so the second is the only one and is kept.
    data = small().replace(b"03/22/23,", b"03/99/23,", 1)
    result = parse_file(data, "cfpb")
    assert by_id(result)["1001"].line == 8
    assert [e.line for e in result.errors] == [2, 6, 7, 10]


def test_a_byte_order_mark_is_ignored() -> None:
    plain = parse_file(small(), "cfpb")
    marked = parse_file(b"\xef\xbb\xbf" + small(), "cfpb")
    assert (marked.records, marked.errors) == (plain.records, plain.errors)
    assert (plain.read_as, marked.read_as) == ("UTF-8", "UTF-8 with BOM")


def test_bytes_that_are_not_utf8_spoil_only_their_row() -> None:
    data = small().replace(b"Same complaint again.", b"Same compl\xe4int again.")
    data = data.replace(b"Example Collector", b"Example \xff\xfeCollector")
    result = parse_file(data, "cfpb")
    assert [r.line for r in result.records] == [2, 5, 11]
    assert result.errors[2:] == [
        LineError(
            8,
            "Consumer complaint narrative",
            "contains bytes that are not valid UTF-8 (e4); row skipped",
        ),
        LineError(10, "", "the row has 17 fields but the header has 18"),
        LineError(12, "Company", "contains bytes that are not valid UTF-8 (ff fe); row skipped"),
    ]


def test_a_nul_character_is_refused() -> None:
    result = parse_file(small().replace(b"Example Bank", b"Example\x00Bank"), "cfpb")
    assert LineError(11, "Company", "contains a NUL character; row skipped") in result.errors
    assert "1004" not in by_id(result)


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers() -> None:
    header, rest = small().split(b"\r\n", 1)
    result = parse_file(header + b"\r\n\r\n" + rest + b"\r\n,,,\r\n", "cfpb")
    assert [r.line for r in result.records] == [3, 6, 12, 13]
    assert result.read == 8


def test_an_unclosed_quote_is_reported_where_its_record_starts() -> None:
    data = (
        small()
        + b'01/01/23,X,,Y,,"never closed,None,C,GA,1,None,N/A,Web,01/01/23,Closed,Yes,N/A,9\r\n'
    )
    result = parse_file(data, "cfpb")
    assert result.errors[-1] == LineError(
        13, "", "a quoted field is never closed (the rest of the file was read into it)"
    )
    assert len(result.records) == 4


def test_a_file_that_is_not_a_cfpb_export_stops_the_import() -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_file((DATA / "own_format.csv").read_bytes(), "cfpb")
    assert caught.value.line == 1
    message = str(caught.value)
    assert message.startswith("line 1: missing required column(s) 'Date received', 'Product'")
    assert "'Issue', 'Complaint ID'" in message


def test_header_problems() -> None:
    with pytest.raises(ImportFormatError, match="the file is empty"):
        parse_file(b"", "cfpb")
    with pytest.raises(ImportFormatError, match="the file is empty"):
        parse_file(b"\xef\xbb\xbf\r\n\r\n", "cfpb")
    with pytest.raises(ImportFormatError, match="not valid UTF-8"):
        parse_file(small().replace(b"Product", b"Pr\xf6duct", 1), "cfpb")
    with pytest.raises(ImportFormatError, match="'Issue' appears twice"):
        parse_file(small().replace(b"Sub-issue", b"Issue", 1), "cfpb")
    header_only = parse_file(small().split(b"\r\n")[0], "cfpb")
    assert (header_only.records, header_only.errors, header_only.read) == ([], [], 0)


def test_only_the_required_cfpb_columns_are_needed() -> None:
    data = "Complaint ID,Issue,Product,Date received\n77,Fraud or scam,Mortgage,01/02/23\n"
    (record,) = parse_file(data.encode(), "cfpb").records
    assert (record.external_id, record.cause_code, record.business_code) == (
        "77",
        "fund_safety",
        "loans.mortgage",
    )
    assert (record.intake, record.closed, record.timely, record.region) == (
        Intake.WEB,
        False,
        None,
        "",
    )


def test_format_misuse() -> None:
    with pytest.raises(ImportFormatError, match="unknown format 'xlsx'"):
        parse_file(small(), "xlsx")
    with pytest.raises(ImportFormatError, match="applies to --format csv only"):
        parse_file(small(), "cfpb", {"columns": {}})


ROWS = 5_000


def test_a_large_generated_export_parses_without_errors() -> None:
    # Mostly short rows, every tenth with a narrative, like the public database.
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    write(import_cfpb.COLUMNS)
    story = "I was charged a fee nobody told me about.\n\nThen they kept calling. " * 12
    issues = list(CAUSE_FOR_ISSUE)
    for i in range(ROWS):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=i % 365)
        write(
            [
                f"{day:%m/%d/%y}",
                "Payday loan, title loan, or personal loan",
                "Installment loan",
                issues[i % len(issues)],
                "None",
                story if i % 10 == 0 else "",
                "None",
                "Example Lending Inc.",
                "TX",
                "75001",
                "Older American" if i % 7 == 0 else "None",
                "Consent provided",
                "Web",
                f"{day:%m/%d/%y}",
                "Closed with explanation",
                "Yes",
                "N/A",
                str(5_000_000 + i),
            ]
        )
    data = out.getvalue().encode()
    result = parse_file(data, "cfpb")  # speed is measured by bench/complaint_import.py
    assert len(result.records) == ROWS and not result.errors
