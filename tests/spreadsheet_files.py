"""Complaint files written the way Excel and WPS write them, from rows of the real CFPB export.

A user opens the export in a spreadsheet and saves it again; what comes out is what manyi must
read. On Chinese Windows:

- Excel's "CSV UTF-8" writes a byte-order mark, CRLF line ends, fields quoted only when they
  hold a comma, quote or line break (a line break inside a field stays a bare LF), and every
  date as the system's short date, 2019/4/4;
- Excel's plain "CSV" and WPS write the same in the system code page (GBK, read as GB18030)
  without a byte-order mark;
- an .xlsx keeps dates as numbers with a date format (openpyxl gives them back as datetimes),
  or as bare serial numbers where the column was formatted as a number, or as text where the
  cell was typed as text; ids and ZIP codes become numbers. Excel and WPS put the text of the
  cells in a shared-string table; openpyxl writes it into each cell (`excel_layout` moves it).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel

SAMPLE = (
    Path(__file__).resolve().parent / "data" / "complaints" / "cfpb_payday_loan_complaints.csv.gz"
)

Row = dict[str, str]


@functools.cache
def _sample() -> tuple[list[str], list[Row]]:
    text = gzip.decompress(SAMPLE.read_bytes()).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def cfpb_header() -> list[str]:
    return list(_sample()[0])


def cfpb_rows(count: int | None = None, start: int = 0) -> list[Row]:
    """Rows of the real export (a copy of shared/data/cfpb_payday_loan_complaints.csv)."""
    rows = _sample()[1]
    return [dict(r) for r in rows[start : None if count is None else start + count]]


def us_date(text: str) -> dt.date:
    """The export's MM/DD/YY."""
    return dt.datetime.strptime(text, "%m/%d/%y").date()


def slashed(day: dt.date) -> str:
    """The short date of Chinese Windows: year first, no zero padding."""
    return f"{day.year}/{day.month}/{day.day}"


def resaved(rows: Sequence[Row], date: Callable[[dt.date], str] = slashed) -> list[Row]:
    """The rows as a spreadsheet shows them after opening the export: dates re-written."""
    out = []
    for row in rows:
        row = dict(row)
        for column in ("Date received", "Date sent to company"):
            row[column] = date(us_date(row[column]))
        out.append(row)
    return out


def csv_bytes(
    header: Sequence[str], rows: Sequence[Row], *, encoding: str = "utf-8", bom: bool = False
) -> bytes:
    """A CSV as Excel and WPS save one: CRLF between records, minimal quoting."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "").replace("\r\n", "\n") for name in header])
    data = out.getvalue().encode(encoding, errors="replace")
    return (b"\xef\xbb\xbf" if bom else b"") + data


def excel_csv_utf8(header: Sequence[str], rows: Sequence[Row]) -> bytes:
    return csv_bytes(header, rows, encoding="utf-8", bom=True)


def excel_csv_ansi(header: Sequence[str], rows: Sequence[Row]) -> bytes:
    """Excel's plain "CSV" on Chinese Windows: the system code page, GBK, no BOM."""
    return csv_bytes(header, rows, encoding="gbk")


def wps_csv(header: Sequence[str], rows: Sequence[Row]) -> bytes:
    """WPS's CSV on Chinese Windows: GBK with CRLF, like Excel's ANSI CSV."""
    return csv_bytes(header, rows, encoding="gbk")


# --- Workbooks -----------------------------------------------------------------------------

DATE_COLUMNS = ("Date received", "Date sent to company", "received_on", "decided_on", "受理日期")
NUMBER_COLUMNS = ("Complaint ID", "ZIP code")


def xlsx_bytes(
    header: Sequence[str],
    rows: Sequence[Row],
    *,
    dates: str = "cells",  # cells | serials | general | text
    epoch_1904: bool = False,
    title: str = "Sheet1",
    first_row: int = 1,
    extra_sheets: Sequence[str] = (),
) -> bytes:
    """An .xlsx of the rows, dates stored one of the ways a spreadsheet stores them.

    `cells`: a date cell (Excel's yyyy/m/d); `serials`: the serial number with a date format;
    `general`: the bare serial number in a number-formatted column; `text`: the text 2019/4/4.
    Ids and ZIP codes are stored as numbers where they are all digits, as Excel does on opening.
    """
    book = Workbook()
    if epoch_1904:
        book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for _ in range(first_row - 1):
        sheet.append([])
    sheet.append(list(header))
    for row in rows:
        values: list[object] = []
        for name in header:
            text = row.get(name, "")
            values.append(_cell(name, text, dates, book.epoch))
        sheet.append(values)
        if dates in ("cells", "serials"):
            for cell in sheet[sheet.max_row]:
                if header[cell.column - 1] in DATE_COLUMNS and cell.value not in (None, ""):
                    cell.number_format = "yyyy/m/d"
    for name in extra_sheets:  # a cover sheet before the data, as banks' reports have
        book.create_sheet(name, 0).append(["说明", "本表为投诉明细"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(name: str, text: str, dates: str, epoch: dt.datetime) -> object:
    if name in DATE_COLUMNS and text:
        day = _any_date(text)
        if day is None:
            return text  # not a day: a spreadsheet keeps it as the text typed
        if dates == "cells":
            return dt.datetime.combine(day, dt.time())
        if dates in ("serials", "general"):
            return int(to_excel(dt.datetime.combine(day, dt.time()), epoch))
        return slashed(day)
    if name in NUMBER_COLUMNS and text.isdigit():
        return int(text)
    return text


def _any_date(text: str) -> dt.date | None:
    for fmt in ("%m/%d/%y", "%Y/%m/%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


_INLINE = re.compile(
    r'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t(?: xml:space="preserve")?>'
    r"(.*?)</t></is></c>",
    re.S,
)
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def excel_layout(workbook: bytes) -> bytes:
    """The workbook with its text in a shared-string table (xl/sharedStrings.xml), as Excel
    and WPS save it, instead of openpyxl's inline strings."""
    strings: dict[str, int] = {}

    def shared(m: re.Match[str]) -> str:
        index = strings.setdefault(m[3], len(strings))
        return f'<c r="{m[1]}"{m[2] or ""} t="s"><v>{index}</v></c>'

    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("xl/worksheets/sheet"):
                data = _INLINE.sub(shared, data.decode()).encode()
            elif name == "[Content_Types].xml":
                part = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SST_TYPE}"/>'
                data = data.replace(b"</Types>", part.encode() + b"</Types>")
            elif name == "xl/_rels/workbook.xml.rels":
                rel = f'<Relationship Id="rIdSst" Type="{_SST_REL}" Target="sharedStrings.xml"/>'
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            target.writestr(name, data)
        items = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )
    return out.getvalue()
