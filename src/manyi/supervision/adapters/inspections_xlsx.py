"""Excel (.xlsx) export of the inspection results page: the visits as listed, the league table
and the monthly trend, one sheet each. Text cells that a spreadsheet would run as a formula are
quoted (an outlet or inspector name is typed by people)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@")

Sheet = tuple[str, Sequence[str], Sequence[Sequence[Any]]]


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """One sheet per (title, headers, rows), the header row bold and frozen."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([_cell(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([_cell(v) for v in row])
        for index in range(1, len(headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 14 if index > 1 else 22
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
