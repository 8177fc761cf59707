"""Reading complaint files for `manyi complaints import`: bytes in, records and line errors out.

Pure parsing; storing the records (and skipping ids already in the database) is the import
command's job. Formats:

- ``cfpb``: the public CFPB Consumer Complaint Database export (`import_cfpb`);
- ``csv``: manyi's own columns, or a bank's export read through a mapping (`import_csv`).

Either comes as CSV text (UTF-8 with or without BOM, GB18030/GBK, UTF-16 with BOM; see
`base.decode`) or as an Excel workbook (.xlsx, `xlsx`), told apart by the file's first bytes,
not its name. Dates are read by `dates.DateReader`.

`parse_file` raises `ImportFormatError` when nothing can be imported (a wrong header, an
unusable mapping); every problem with a single row is a `LineError` and only that row is left
out. To add a format, write a converter with `id_column` and `convert(line, row, errors)` (see
`import_base.RowConverter`) and register it in `parse_file`.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Mapping

from manyi.complaints.imports import xlsx
from manyi.complaints.imports.bank_csv import (
    OWN_COLUMNS,
    CsvConverter,
    CsvMapping,
    read_mapping,
    validate_mapping,
)
from manyi.complaints.imports.base import (
    FieldChecks,
    ImportedComplaint,
    ImportFormatError,
    LineError,
    MappingError,
    ParseResult,
    RowConverter,
    decode,
    run,
    run_rows,
    sniff_delimiter,
)
from manyi.complaints.imports.cfpb import CfpbConverter

__all__ = [
    "FORMATS",
    "CsvMapping",
    "ImportFormatError",
    "ImportedComplaint",
    "LineError",
    "MappingError",
    "ParseResult",
    "parse_file",
    "read_mapping",
    "validate_mapping",
]

FORMATS = ("cfpb", "csv")


def parse_file(
    data: bytes,
    fmt: str,
    mapping: Mapping[str, object] | CsvMapping | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
) -> ParseResult:
    """Parses a whole file: a CSV or an .xlsx workbook, told apart by their first bytes.

    `mapping` (the parsed YAML, or `read_mapping`'s result) is for csv. `encoding` overrides
    the mapping's and the guess (see `base.decode`); `sheet` names a workbook's sheet.
    """
    if fmt not in FORMATS:
        raise ImportFormatError(f"unknown format {fmt!r} (expected {' or '.join(FORMATS)})")
    if fmt == "cfpb" and mapping is not None:
        raise ImportFormatError("a mapping applies to --format csv only")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ImportFormatError(f"encoding {encoding!r} is not known") from None
    checked = _mapping(mapping)
    if xlsx.is_old_excel(data):
        raise ImportFormatError(
            "is an Excel 97–2003 workbook (.xls), which manyi does not read; save it as .xlsx "
            "(Excel workbook) or as CSV"
        )
    if xlsx.is_zip(data):
        if encoding is not None:
            raise ImportFormatError("--encoding applies to CSV files, not to a workbook")
        found = xlsx.open_sheet(data, sheet)
        dates = found.epoch
        result = run_rows(
            found.rows,
            lambda header, line: _converter(fmt, checked, header, line, dates),
            FieldChecks("UTF-8", surrogates=False, nul=True),
        )
        result.read_as = f"Excel workbook, sheet {found.title!r}"
        result.line_word = "row"
        return result
    if sheet is not None:
        raise ImportFormatError("--sheet applies to an Excel workbook, not to a CSV file")
    decoded = decode(data, encoding or checked.encoding)
    delimiter = checked.delimiter or sniff_delimiter(decoded.text)
    result = run(
        decoded.text,
        decoded.clean,
        lambda header, line: _converter(fmt, checked, header, line, None),
        delimiter=delimiter,
        encoding=decoded.encoding,
    )
    result.read_as = decoded.described
    return result


def _mapping(mapping: Mapping[str, object] | CsvMapping | None) -> CsvMapping:
    if mapping is None:
        return OWN_COLUMNS
    if isinstance(mapping, CsvMapping):
        return mapping
    return validate_mapping(mapping)


def _converter(
    fmt: str, mapping: CsvMapping, header: list[str], line: int, epoch: dt.datetime | None
) -> RowConverter:
    if fmt == "cfpb":
        return CfpbConverter(header, line, serial_epoch=epoch)
    return CsvConverter(mapping, header, line, serial_epoch=epoch)
