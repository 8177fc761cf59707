"""What every complaint import format shares: the records, the errors and the CSV walk.

A file is decoded once, read by one `csv.reader` and turned into records row by row, so memory
and time grow with the file and nothing is parsed twice. A problem with the header stops the
import (`ImportFormatError`); a problem with a row is a `LineError` and only that row is
skipped. Line numbers are physical lines (the header is line 1), taken from where a record
starts, so a multi-line narrative does not shift the numbers of the records after it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from manyi.complaints.domain.taxonomy import Flag, Intake


class ImportFormatError(ValueError):
    """The file (or the mapping) cannot be imported at all; nothing should be imported."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class MappingError(ImportFormatError):
    """A column mapping is unusable; `problems` lists every finding, not just the first."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the mapping is not valid: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class ImportedComplaint:
    line: int  # physical line where the record starts; the header is line 1
    external_id: str  # the dedup key
    received_on: dt.date
    intake: Intake
    business_code: str | None
    cause_code: str | None
    channel_code: str | None  # where the problem happened; exports rarely say
    subject: str
    description: str  # may be empty: the CFPB publishes most complaints without a narrative
    product: str  # the file's own product wording, kept for reference
    closed: bool
    decision: str
    decided_on: dt.date | None
    timely: bool | None
    region: str
    flags: frozenset[Flag] = frozenset()


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    field: str  # the column as named in the file; "" when the whole row is at fault
    reason: str
    duplicate: bool = False  # the id was already on an earlier line of the file


@dataclass
class ParseResult:
    records: list[ImportedComplaint] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    read: int = 0  # data records read, good and bad
    clean: bool = True  # every byte was valid in the encoding the file was read in
    read_as: str = ""  # how the file was read: "UTF-8 with BOM", "Excel workbook, sheet 'x'"
    line_word: str = "line"  # "row" in a workbook, where numbers are the sheet's rows


class RowConverter(Protocol):
    id_column: str  # the header of the external id, for duplicate messages

    def convert(
        self, line: int, row: list[str], errors: list[LineError]
    ) -> ImportedComplaint | None:
        """The record of one row, or None after appending the row's errors."""
        ...


SUBJECT_LIMIT = 200

_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    clean: bool  # every byte was valid in `encoding`
    encoding: str  # as messages name it: UTF-8, GB18030, or the name the user gave
    described: str  # for the user: "UTF-8 with BOM", "GB18030 (guessed)", …


_BOMS = (
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 with BOM"),  # Excel's "Unicode text"
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 with BOM"),
)


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """The text of a file, in the encoding given or else the one its bytes show.

    Without `encoding`: a byte-order mark decides; else UTF-8 if every byte is valid UTF-8;
    else GB18030 (the superset of GBK, which Excel and WPS write on Chinese Windows) when it
    leaves fewer bytes undecodable than UTF-8 and what it reads is not mostly rare characters
    (`_reads_as_chinese`), else UTF-8. Undecodable bytes become
    lone surrogates (surrogateescape), so one bad row does not spoil the file: the rows that
    hold them are found field by field and skipped, each named by line.
    """
    if encoding is not None:
        name = codecs.lookup(encoding).name
        label = "UTF-8" if name == "utf-8" else encoding
        text, clean = _decode(data, "utf-8-sig" if name == "utf-8" else encoding)
        return Decoded(text.removeprefix("\ufeff"), clean, label, label)
    for bom, codec, described in _BOMS:
        if data.startswith(bom):
            text, clean = _decode(data, codec)
            return Decoded(text.removeprefix("\ufeff"), clean, codec.upper(), described)
    try:
        return Decoded(data.decode("utf-8"), True, "UTF-8", "UTF-8")
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8", "surrogateescape")
    as_gb = data.decode("gb18030", "surrogateescape")
    bad_utf8, bad_gb = len(_SURROGATE.findall(as_utf8)), len(_SURROGATE.findall(as_gb))
    if bad_gb < bad_utf8 and _reads_as_chinese(as_gb):
        return Decoded(as_gb, bad_gb == 0, "GB18030", "GB18030 (guessed)")
    return Decoded(as_utf8, False, "UTF-8", "UTF-8")


_NON_ASCII = re.compile(r"[^\x00-\x7f\udc80-\udcff]")


def _reads_as_chinese(text: str, sample: int = 20_000) -> bool:
    """Whether the non-ASCII characters read as GB18030 look written, not stumbled upon.

    A stray Latin-1 byte before an ASCII letter in a UTF-8 file (Renée, Pröduct) also decodes
    as GB18030, into a rare Chinese character outside GB2312. Text really saved as GBK or
    GB18030 is mostly GB2312's common characters, or symbols and letters (a no-break space is
    a four-byte GB18030 sequence no stray byte makes).
    """
    found = [m.group() for m in itertools.islice(_NON_ASCII.finditer(text), sample)]
    rare = 0
    for ch in found:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            rare += unicodedata.category(ch) == "Lo" and "CJK" in unicodedata.name(ch, "")
    return bool(found) and rare * 2 <= len(found)


def _decode(data: bytes, codec: str) -> tuple[str, bool]:
    try:
        return data.decode(codec), True
    except UnicodeDecodeError:
        return data.decode(codec, "surrogateescape"), False


def sniff_delimiter(text: str) -> str:
    """The delimiter of a file that names none: a comma, unless the header line has none and
    has tabs (Excel's "Unicode text") or semicolons (Excel's CSV where the decimal mark is a
    comma, as in much of Europe)."""
    first = text[: text.find("\n")] if "\n" in text else text
    if "," in first:
        return ","
    if "\t" in first:
        return "\t"
    return ";" if ";" in first else ","


def bad_bytes(value: str) -> bytes:
    """The original bytes behind the surrogates in `value`."""
    return bytes(ord(ch) - 0xDC00 for ch in _SURROGATE.findall(value))


def iter_rows(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str] | str]]:
    """(start line, fields) per record, or (start line, message) when the CSV is malformed."""
    # newline="" keeps line breaks inside quoted fields exactly as written.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    after = 0  # the last physical line consumed so far
    while True:
        start = after + 1
        try:
            row: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = _csv_message(str(exc))
        after = reader.line_num
        yield start, row


def _csv_message(raw: str) -> str:
    if raw == "unexpected end of data":
        return "a quoted field is never closed (the rest of the file was read into it)"
    if raw.startswith("field larger than field limit"):
        return f"a field is longer than {csv.field_size_limit()} characters"
    return f"the row is not valid CSV ({raw})"


def run(
    text: str,
    clean: bool,
    make_converter: Callable[[list[str], int], RowConverter],
    *,
    delimiter: str = ",",
    encoding: str = "UTF-8",
) -> ParseResult:
    """Reads a CSV text: the header, then every row (see `run_rows`)."""
    checks = FieldChecks(encoding, surrogates=not clean, nul="\x00" in text)
    result = run_rows(iter_rows(text, delimiter), make_converter, checks)
    result.clean = clean
    return result


def run_rows(
    rows: Iterator[tuple[int, list[str] | str]],
    make_converter: Callable[[list[str], int], RowConverter],
    checks: FieldChecks,
) -> ParseResult:
    """Reads the header, hands it to `make_converter`, then converts every row.

    `rows` gives (line or row number, cells), or (number, message) for a row that cannot be
    read at all; a CSV and a workbook sheet both come down to this.
    """
    header_line, header = 1, None
    for header_line, fields in rows:
        if isinstance(fields, str):
            raise ImportFormatError(f"the header cannot be read: {fields}", header_line)
        if any(fields):
            header = [name.strip() for name in fields]
            break
    if header is None:
        raise ImportFormatError("the file is empty; expected a header line", 1)
    if checks.surrogates and any(_SURROGATE.search(name) for name in header):
        raise ImportFormatError(f"the header is not valid {checks.encoding}", header_line)
    seen_names = set()
    for name in header:
        if name and name in seen_names:
            raise ImportFormatError(f"column {name!r} appears twice in the header", header_line)
        seen_names.add(name)
    converter = make_converter(header, header_line)
    return _convert_rows(rows, header, converter, checks)


def _convert_rows(
    rows: Iterator[tuple[int, list[str] | str]],
    header: list[str],
    converter: RowConverter,
    checks: FieldChecks,
) -> ParseResult:
    result = ParseResult()
    records, errors = result.records, result.errors
    width = len(header)
    first_line: dict[str, int] = {}
    read = 0
    for line, row in rows:
        if isinstance(row, str):
            read += 1
            errors.append(LineError(line, "", row))
            continue
        if not any(row):
            continue  # blank line, or a spreadsheet's row of empty cells
        read += 1
        if len(row) != width:
            reason = f"the row has {len(row)} fields but the header has {width}"
            errors.append(LineError(line, "", reason))
            continue
        if checks.needed and checks.found(line, row, header, errors):
            continue
        record = converter.convert(line, row, errors)
        if record is None:
            continue
        first = first_line.setdefault(record.external_id, line)
        if first != line:
            reason = (
                f"duplicate {converter.id_column} {record.external_id!r} (first on line {first})"
            )
            errors.append(LineError(line, converter.id_column, reason, duplicate=True))
            continue
        records.append(record)
    result.read = read
    return result


class FieldChecks:
    """Per-field checks that only run when the whole text showed a reason for them."""

    def __init__(self, encoding: str, *, surrogates: bool, nul: bool) -> None:
        self.encoding = encoding
        self.surrogates = surrogates
        self.nul = nul  # a NUL cannot be stored in a PostgreSQL text column
        self.needed = surrogates or nul

    def found(self, line: int, row: list[str], header: list[str], errors: list[LineError]) -> bool:
        """Whether the row has a field at fault (each is reported)."""
        found = False
        for name, value in zip(header, row, strict=True):
            # isascii() is quick and true of most fields: no surrogate can hide there.
            if self.surrogates and not value.isascii() and _SURROGATE.search(value):
                shown = bad_bytes(value)[:8].hex(" ")
                reason = f"contains bytes that are not valid {self.encoding} ({shown}); row skipped"
                errors.append(LineError(line, name, reason))
                found = True
            elif self.nul and "\x00" in value:
                errors.append(LineError(line, name, "contains a NUL character; row skipped"))
                found = True
        return found


# --- Values shared by the formats --------------------------------------------------------


def two_digit_year(yy: int) -> int:
    # The POSIX %y rule: 69–99 are 1969–1999, 00–68 are 2000–2068.
    return 1900 + yy if yy >= 69 else 2000 + yy


def clip(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """One line of at most `limit` characters, cut at a word boundary when there is one."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-—–/") + "…"


def narrative(text: str) -> str:
    """Free text with line breaks kept, normalised to \\n."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()
