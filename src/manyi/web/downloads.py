"""Files a page hands over: an Excel workbook as an attachment, never kept in a shared cache
(it shows what one person's scope may see)."""

from __future__ import annotations

from fastapi.responses import Response

from manyi import spreadsheet


def xlsx(body: bytes, filename: str) -> Response:
    """`body` (from `spreadsheet.workbook`) as `filename`, downloaded."""
    return Response(
        body,
        media_type=spreadsheet.XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
