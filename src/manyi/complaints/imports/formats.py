"""Reading complaint files for `manyi complaints import`: bytes in, records and line errors out.

Pure parsing; storing the records (and skipping ids already in the database) is the import
command's job. Formats:

- ``cfpb``: the public CFPB Consumer Complaint Database export (`import_cfpb`);
- ``csv``: manyi's own columns, or a bank's export read through a mapping (`import_csv`).

`parse_file` raises `ImportFormatError` when nothing can be imported (a wrong header, an
unusable mapping); every problem with a single row is a `LineError` and only that row is left
out. To add a format, write a converter with `id_column` and `convert(line, row, errors)` (see
`import_base.RowConverter`) and register it in `parse_file`.
"""

from __future__ import annotations

from collections.abc import Mapping

from manyi.complaints.imports.bank_csv import (
    OWN_COLUMNS,
    CsvConverter,
    CsvMapping,
    read_mapping,
    validate_mapping,
)
from manyi.complaints.imports.base import (
    ImportedComplaint,
    ImportFormatError,
    LineError,
    MappingError,
    ParseResult,
    decode,
    run,
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
    data: bytes, fmt: str, mapping: Mapping[str, object] | CsvMapping | None = None
) -> ParseResult:
    """Parses a whole file. `mapping` (the parsed YAML, or `read_mapping`'s result) is for csv."""
    if fmt == "cfpb":
        if mapping is not None:
            raise ImportFormatError("a mapping applies to --format csv only")
        text, clean = decode(data, "utf-8")
        return run(text, clean, CfpbConverter)
    if fmt == "csv":
        if mapping is None:
            checked = OWN_COLUMNS
        elif isinstance(mapping, CsvMapping):
            checked = mapping
        else:
            checked = validate_mapping(mapping)
        text, clean = decode(data, checked.encoding)
        return run(
            text,
            clean,
            lambda header, line: CsvConverter(checked, header, line),
            delimiter=checked.delimiter,
            encoding=checked.encoding,
        )
    raise ImportFormatError(f"unknown format {fmt!r} (expected {' or '.join(FORMATS)})")
