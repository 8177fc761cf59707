"""Excel (.xlsx) export of the rectification board as shown: the units' figures, then the task
list. Text cells a spreadsheet would run as a formula are quoted."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@")


def _safe(value: object) -> object:
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
            sheet.append([_safe(v) for v in row])
        for index in range(len(headers)):
            sheet.column_dimensions[chr(ord("A") + index)].width = 14 if index else 22
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
