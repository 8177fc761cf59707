"""Excel (.xlsx) workbooks of tables as a page shows them: one sheet per (title, headers, rows),
the header row bold and frozen, the first column wider. A text cell a spreadsheet would run as
a formula (=, +, -, @) is quoted, so an exported name or comment can never execute.

Used by the satisfaction page's and supervision's exports; the complaints lists keep their own
streaming writer (complaints/adapters/xlsx_export.py) for their larger files.
"""

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


def safe_cell(value: object) -> object:
    """The value, with a leading quote when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def workbook(sheets: Sequence[Sheet], *, first_width: int = 22, width: int = 14) -> bytes:
    """The .xlsx bytes of the sheets (titles cut to Excel's 31 characters)."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([safe_cell(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        for index in range(1, len(headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = (
                first_width if index == 1 else width
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
