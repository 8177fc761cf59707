"""Excel (.xlsx) export of the satisfaction page's current view: the rows as shown (labels,
counts, measures with their 95 % intervals, changes and their flag), then the total, then the
rating pad's rows. Text cells that a spreadsheet would run as a formula are quoted.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def workbook(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """One sheet per (title, headers, rows); the header row bold and frozen."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        for index in range(len(headers)):
            sheet.column_dimensions[chr(ord("A") + index)].width = 16 if index else 24
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
