"""Excel (.xlsx) exports of the complaint lists a manager looks at.

A write-only workbook keeps memory flat however long the list; cells hold
text and local times as strings already formatted, so what the sheet shows is
what the page showed (time zone included), whatever the reader's Excel does
with dates.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F5F6F8")  # tokens.css --c-fill
_FORMULA_START = ("=", "+", "-", "@")


def safe_cell(value: object) -> object:
    """Text a spreadsheet will not run as a formula (CSV/Excel injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def workbook(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    widths: Sequence[int] = (),
    note: str = "",
) -> bytes:
    """One sheet: a bold header row (frozen), then `rows`; `note` goes in a last line."""
    book = Workbook(write_only=True)
    sheet: Worksheet = book.create_sheet(title=title[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    if note:
        sheet.append([])
        sheet.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def content_disposition(filename: str) -> str:
    """An attachment header that carries a Chinese file name (RFC 6266 / RFC 5987)."""
    from urllib.parse import quote

    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
