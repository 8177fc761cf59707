"""Reading an Excel workbook (.xlsx) as rows of text, for the same converters as a CSV (pure).

The sheet is read with openpyxl in read-only mode (streamed, so a large export does not sit in
memory as cell objects), cached values rather than formulas. Each cell becomes the text a CSV
of it would hold, so one converter reads both:

- a date cell (a number with a date format) arrives from openpyxl as a datetime, written here
  as ISO (2019-04-04, or 2019-04-04 10:05:00 with a time);
- a plain number is written as its shortest text (43559, 43559.5, 1234567 — never 1234567.0);
  in a date column the converter reads it as an Excel serial number in the workbook's date
  system (`epoch`, 1900 or 1904), which only the workbook knows;
- TRUE/FALSE as true/false; an empty cell as "".

Numbers are the rows Excel shows (the header is usually row 1), so a message points at the row
a user will scroll to. The first sheet is read unless one is named.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from manyi.complaints.imports.base import ImportFormatError

ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 .xls (and old .doc)


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_SIGNATURE)


def is_old_excel(data: bytes) -> bool:
    return data.startswith(OLE_SIGNATURE)


@dataclass
class Sheet:
    title: str
    epoch: dt.datetime  # the workbook's date system
    rows: Iterator[tuple[int, list[str] | str]]


def open_sheet(data: bytes, name: str | None = None) -> Sheet:
    """The rows of a sheet of the workbook `data`; ImportFormatError when it is not one."""
    if not is_zip(data):
        raise ImportFormatError("is not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportFormatError(
                    "is a ZIP archive but not an Excel workbook (.xlsx): it has no xl/workbook.xml"
                )
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        if isinstance(exc, ImportFormatError):
            raise
        raise ImportFormatError(f"is not a readable Excel workbook ({exc})") from None
    sheets = book.worksheets
    if name is None:
        if not sheets:
            raise ImportFormatError("the workbook has no worksheet")
        sheet = sheets[0]
    else:
        found = [s for s in sheets if s.title == name]
        if not found:
            names = ", ".join(repr(s.title) for s in sheets)
            raise ImportFormatError(f"the workbook has no sheet {name!r} (its sheets: {names})")
        sheet = found[0]
    # Some writers record a wrong used range; read the cells that are there instead.
    sheet.reset_dimensions()
    cells = sheet.iter_rows(min_row=1, min_col=1, values_only=True)
    return Sheet(sheet.title, book.epoch, _rows(cells))


def _rows(raw: Iterator[tuple[object, ...]]) -> Iterator[tuple[int, list[str] | str]]:
    width = 0
    for number, values in enumerate(raw, start=1):
        cells = [cell_text(v) for v in values]
        if not width:
            while cells and not cells[-1]:
                cells.pop()
            width = len(cells)  # the header's: the first row with something in it
            yield number, cells
            continue
        if len(cells) > width:
            beyond = next((i for i in range(width, len(cells)) if cells[i]), None)
            if beyond is not None:
                column = get_column_letter(beyond + 1)
                last = get_column_letter(width)
                yield (
                    number,
                    f"cell {column}{number} has a value but the header ends at column {last}",
                )
                continue
            del cells[width:]
        yield number, cells + [""] * (width - len(cells))


def cell_text(value: object) -> str:
    """What a CSV would hold for the cell's value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
