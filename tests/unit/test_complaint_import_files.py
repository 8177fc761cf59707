"""Complaint files as spreadsheets leave them: .xlsx read directly, CSV in UTF-8 or GB18030."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence

import pytest
from openpyxl import Workbook

from manyi.complaints.imports.formats import (
    ImportedComplaint,
    ImportFormatError,
    LineError,
    parse_file,
)
from manyi.complaints.imports.xlsx import cell_text
from tests.spreadsheet_files import (
    cfpb_header,
    cfpb_rows,
    csv_bytes,
    excel_csv_ansi,
    excel_csv_utf8,
    excel_layout,
    resaved,
    us_date,
    wps_csv,
    xlsx_bytes,
)

BY_NAME = {"columns": {"external_id": "工单号", "received_on": "受理日期"}}
ROWS = 40  # real rows of the CFPB sample, narratives with line breaks among them


Seen = dict[str, tuple[dt.date, str, str]]
Writer = Callable[[Sequence[str], Sequence[dict[str, str]]], bytes]


def seen(found: list[ImportedComplaint]) -> Seen:
    return {r.external_id: (r.received_on, r.cause_code or "", r.description) for r in found}


@pytest.fixture(scope="module")
def original() -> Seen:
    """What the untouched export says of each row: day, cause, narrative."""
    result = parse_file(excel_csv_utf8(cfpb_header(), cfpb_rows(ROWS)), "cfpb")
    assert not result.errors and len(result.records) == ROWS
    return seen(result.records)


def same_as_export(found: list[ImportedComplaint], original: Seen) -> None:
    assert seen(found) == original


# --- CSV re-saved by a spreadsheet -----------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "read_as"),
    [
        (excel_csv_utf8, "UTF-8 with BOM"),  # Excel's "CSV UTF-8"
        (excel_csv_ansi, "UTF-8"),  # all ASCII: GBK and UTF-8 are the same bytes
        (wps_csv, "UTF-8"),
    ],
)
def test_the_export_resaved_with_year_first_dates(
    writer: Writer, read_as: str, original: Seen
) -> None:
    data = writer(cfpb_header(), resaved(cfpb_rows(ROWS)))
    assert b"\r\n" in data and b",2023/3/22," in data
    result = parse_file(data, "cfpb")
    assert result.errors == [] and result.read_as == read_as
    same_as_export(result.records, original)


def chinese_rows() -> tuple[list[str], list[dict[str, str]]]:
    header = ["external_id", "received_on", "intake", "subject", "description", "closed"]
    rows = []
    for i, row in enumerate(resaved(cfpb_rows(12)), start=1):
        rows.append(
            {
                "external_id": f"TS-{i:03d}",
                "received_on": row["Date received"],
                "intake": "hotline",
                "subject": f"客户投诉收费问题，第{i}件",
                "description": "客户称：\n" + row["Issue"],
                "closed": "是" if i % 2 else "否",
            }
        )
    return header, rows


@pytest.mark.parametrize(
    ("writer", "read_as"),
    [
        (excel_csv_utf8, "UTF-8 with BOM"),
        (excel_csv_ansi, "GB18030 (guessed)"),
        (wps_csv, "GB18030 (guessed)"),
    ],
)
def test_chinese_csv_in_the_encoding_the_spreadsheet_chose(writer: Writer, read_as: str) -> None:
    header, rows = chinese_rows()
    result = parse_file(writer(header, rows), "csv")
    assert result.errors == [] and result.read_as == read_as and result.clean
    first = result.records[0]
    assert first.subject == "客户投诉收费问题，第1件"
    assert first.description == "客户称：\nCharged fees or interest you didn't expect"
    assert first.received_on == dt.date(2023, 3, 22) and first.closed
    assert [r.line for r in result.records[:3]] == [2, 4, 6]  # two lines per record


def test_utf8_without_a_bom() -> None:
    header, rows = chinese_rows()
    data = excel_csv_utf8(header, rows).removeprefix(codecs.BOM_UTF8)
    result = parse_file(data, "csv")
    assert result.read_as == "UTF-8" and len(result.records) == 12


def test_the_encoding_can_be_named() -> None:
    header, rows = chinese_rows()
    data = wps_csv(header, rows)
    named = parse_file(data, "csv", encoding="gbk")
    assert named.read_as == "gbk" and len(named.records) == 12
    # Named wrongly, the header is not readable and the message says so.
    with pytest.raises(ImportFormatError) as caught:
        parse_file(wps_csv(["工单号", "受理日期"], []), "csv", BY_NAME, encoding="utf-8")
    assert str(caught.value) == "line 1: the header is not valid UTF-8"
    with pytest.raises(ImportFormatError, match="encoding 'klingon' is not known"):
        parse_file(data, "csv", encoding="klingon")


def test_bytes_valid_in_neither_encoding_name_their_line() -> None:
    header, rows = chinese_rows()
    data = wps_csv(header, rows).replace("第3件".encode("gbk"), b"\xff\xff")
    result = parse_file(data, "csv")
    assert result.read_as == "GB18030 (guessed)" and not result.clean
    assert result.errors == [
        LineError(6, "subject", "contains bytes that are not valid GB18030 (ff ff); row skipped")
    ]
    assert len(result.records) == 11


def test_a_stray_latin1_byte_in_an_english_file_is_not_taken_for_chinese() -> None:
    rows = cfpb_rows(5)
    rows[2]["Company"] = "Ren\u00e9e Loans"
    data = excel_csv_utf8(cfpb_header(), rows).removeprefix(codecs.BOM_UTF8)
    data = data.replace("Ren\u00e9e".encode(), b"Ren\xe9e")  # Latin-1, then an ASCII letter
    assert "Ren\xe9e".encode("latin-1").decode("gb18030") == "Ren\u9591"  # valid, but rare
    result = parse_file(data, "cfpb")
    assert result.read_as == "UTF-8"
    assert [(e.field, e.reason) for e in result.errors] == [
        ("Company", "contains bytes that are not valid UTF-8 (e9); row skipped")
    ]


def test_an_english_file_saved_as_gb18030_is_read_as_gb18030() -> None:
    rows = cfpb_rows(5)
    rows[1]["Company"] = "Example\u00a0Lending"  # a no-break space: four bytes in GB18030
    data = csv_bytes(cfpb_header(), rows, encoding="gb18030")
    result = parse_file(data, "cfpb")
    assert (result.read_as, result.errors) == ("GB18030 (guessed)", [])


def test_excels_unicode_text_is_utf16_with_tabs() -> None:
    text = "external_id\treceived_on\r\nU-1\t2019/4/4\r\n"
    result = parse_file(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "csv")
    assert result.read_as == "UTF-16 with BOM"
    assert [(r.external_id, r.received_on) for r in result.records] == [
        ("U-1", dt.date(2019, 4, 4))
    ]


def test_a_semicolon_separated_csv_from_a_european_excel() -> None:
    data = "external_id;received_on;subject\r\nE-1;2019-04-04;fees, and more\r\n"
    (record,) = parse_file(data.encode(), "csv").records
    assert (record.external_id, record.subject) == ("E-1", "fees, and more")


def test_ambiguous_dates_in_a_bank_file_are_refused_by_line_and_field() -> None:
    data = "external_id,received_on\nA,04/05/2019\nB,13/05/2019\nC,2019年5月4日\n"
    result = parse_file(data.encode("gb18030"), "csv")
    assert [r.external_id for r in result.records] == ["B", "C"]
    (error,) = result.errors
    assert (error.line, error.field) == (2, "received_on")
    assert error.reason.startswith(
        "received_on '04/05/2019' is ambiguous: day and month are both 12 or less"
    )


# --- Workbooks -------------------------------------------------------------------------------


@pytest.mark.parametrize("dates", ["cells", "serials", "general", "text"])
def test_the_export_as_a_workbook(dates: str, original: Seen) -> None:
    data = xlsx_bytes(cfpb_header(), cfpb_rows(ROWS), dates=dates)
    result = parse_file(data, "cfpb")
    assert result.errors == []
    assert (result.read_as, result.line_word) == ("Excel workbook, sheet 'Sheet1'", "row")
    same_as_export(result.records, original)
    assert [r.line for r in result.records[:3]] == [2, 3, 4]  # a row per record


def test_a_workbook_laid_out_as_excel_saves_it(original: Seen) -> None:
    data = excel_layout(xlsx_bytes(cfpb_header(), cfpb_rows(ROWS), dates="text"))
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert b"inlineStr" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    result = parse_file(data, "cfpb")
    assert result.errors == []
    same_as_export(result.records, original)


def test_a_workbook_in_the_1904_date_system(original: Seen) -> None:
    for dates in ("cells", "general"):
        data = xlsx_bytes(cfpb_header(), cfpb_rows(ROWS), dates=dates, epoch_1904=True)
        same_as_export(parse_file(data, "cfpb").records, original)


def test_a_named_sheet_and_rows_as_excel_numbers_them() -> None:
    rows = cfpb_rows(5)
    rows[3]["Date received"] = "2023/2/30"  # kept as text: no such day
    data = xlsx_bytes(cfpb_header(), rows, dates="text", title="投诉", first_row=3)
    data_named = xlsx_bytes(cfpb_header(), rows, dates="text", title="投诉", extra_sheets=["说明"])
    result = parse_file(data, "cfpb")
    assert result.read_as == "Excel workbook, sheet '投诉'"
    assert [r.line for r in result.records] == [4, 5, 6, 8]  # the header is on row 3
    assert result.errors == [
        LineError(
            7, "Date received", "Date received '2023/2/30' is not a date (2023-02 has no day 30)"
        )
    ]
    assert len(parse_file(data_named, "cfpb", sheet="投诉").records) == 4
    with pytest.raises(ImportFormatError, match="not a CFPB complaint export"):
        parse_file(data_named, "cfpb")  # the first sheet is the cover
    with pytest.raises(ImportFormatError, match=r"no sheet 'Data' \(its sheets: '说明', '投诉'\)"):
        parse_file(data_named, "cfpb", sheet="Data")


def test_a_workbook_of_manyis_own_columns_with_every_kind_of_cell() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["external_id", "received_on", "decided_on", "closed", "subject"])
    sheet.append([1001, dt.datetime(2019, 4, 4, 10, 5), dt.date(2019, 4, 10), True, "年费"])
    sheet.append(["1002", "2019/4/4", 43569, False, "排队"])  # a serial in a General cell
    sheet.append(["1003", "04/05/2019", None, None, "ambiguous"])
    sheet.append([])
    sheet.append(["1004", 43559.5, "2019年4月5日", "是", None, None, None])  # empty cells beyond
    sheet.append(["1005", "2019-04-04", None, None, None, None, "stray"])
    out = io.BytesIO()
    book.save(out)
    result = parse_file(out.getvalue(), "csv")
    found = {r.external_id: r for r in result.records}
    assert set(found) == {"1001", "1002", "1004"}
    assert (found["1001"].received_on, found["1001"].decided_on, found["1001"].closed) == (
        dt.date(2019, 4, 4),
        dt.date(2019, 4, 10),
        True,
    )
    assert found["1002"].decided_on == dt.date(2019, 4, 14) and not found["1002"].closed
    assert found["1004"].received_on == dt.date(2019, 4, 4) and found["1004"].line == 6
    assert [(e.line, e.field) for e in result.errors] == [(4, "received_on"), (7, "")]
    assert "is ambiguous" in result.errors[0].reason
    assert result.errors[1].reason == "cell G7 has a value but the header ends at column E"


def test_files_that_are_not_workbooks_or_not_readable() -> None:
    with pytest.raises(ImportFormatError, match=r"Excel 97–2003 workbook \(.xls\)"):
        parse_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cfpb")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(ImportFormatError, match="ZIP archive but not an Excel workbook"):
        parse_file(archive.getvalue(), "cfpb")
    with pytest.raises(ImportFormatError, match="not a readable Excel workbook"):
        parse_file(b"PK\x03\x04" + b"\x00" * 50, "cfpb")
    workbook = xlsx_bytes(cfpb_header(), cfpb_rows(1))
    with pytest.raises(ImportFormatError, match="--encoding applies to CSV"):
        parse_file(workbook, "cfpb", encoding="gbk")
    with pytest.raises(ImportFormatError, match="--sheet applies to an Excel workbook"):
        parse_file(b"a,b\n", "csv", sheet="x")
    with pytest.raises(ImportFormatError, match="missing required column"):
        parse_file(xlsx_bytes(["name", "amount"], [{"name": "x", "amount": "1"}]), "cfpb")
    with pytest.raises(ImportFormatError, match="the file is empty"):
        parse_file(xlsx_bytes([], []), "cfpb")


def test_cells_become_the_text_a_csv_would_hold() -> None:
    assert cell_text(None) == ""
    assert cell_text(1234567.0) == "1234567"
    assert cell_text(43559.25) == "43559.25"
    assert cell_text(True) == "true"
    assert cell_text(dt.datetime(2019, 4, 4)) == "2019-04-04"
    assert cell_text(dt.datetime(2019, 4, 4, 10, 5)) == "2019-04-04 10:05:00"
    assert cell_text(dt.time(10, 5)) == "10:05:00"


def test_a_workbook_and_its_csv_give_the_same_records(original: Seen) -> None:
    rows = resaved(cfpb_rows(ROWS))
    from_csv = parse_file(excel_csv_ansi(cfpb_header(), rows), "cfpb").records
    from_book = parse_file(xlsx_bytes(cfpb_header(), cfpb_rows(ROWS)), "cfpb").records
    assert [r.external_id for r in from_csv] == [r.external_id for r in from_book]
    assert us_date(cfpb_rows(1)[0]["Date received"]) == from_book[0].received_on
