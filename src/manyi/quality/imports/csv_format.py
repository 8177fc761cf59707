"""The CSV file of `manyi quality import --format csv` (pure): bytes in, responses and problems out.

The contract (issue 17, docs/quality.md), one header line naming exactly these columns, in any
order::

    response_id, outlet, teller, service, channel, answered_at, csat, nps, ces, comment

- `response_id`: the file's own id of the response (at most 64 characters), unique in the file;
  re-importing it adds nothing;
- `outlet`: a unit code; `teller`: a staff username (both resolved against the database by the
  importer, which names an unknown one as a bad line);
- `service`: a service code, may be empty; `channel`: one of `CHANNELS`;
- `answered_at`: ISO 8601 with a UTC offset (`2026-11-30T10:05:00+08:00`, or `Z`); a time
  without an offset is refused, since it could mean any zone; so is a time more than
  `FUTURE_SLACK` after now (a clock a little ahead is forgiven);
- `csat` 1–5, `nps` 0–10, `ces` 1–7: whole numbers, each may be empty, but not all three;
- `comment`: free text, may be empty, at most `COMMENT_LIMIT` characters.

The file is UTF-8 (a BOM, as Excel writes, is dropped) or else GB18030; CRLF line ends are
read as LF. Every problem names the line (the header is line 1; a record spanning lines is named
by its first) and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

COLUMNS = (
    "response_id",
    "outlet",
    "teller",
    "service",
    "channel",
    "answered_at",
    "csat",
    "nps",
    "ces",
    "comment",
)
CHANNELS = ("counter", "lobby", "self_service", "phone", "online", "mobile", "visit")
"""Where the service was given (the `channel` column)."""

ID_LIMIT = 64
CODE_LIMIT = 32
USERNAME_LIMIT = 64
COMMENT_LIMIT = 2000
SCALES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
ENCODINGS = ("utf-8", "gb18030")
FUTURE_SLACK = dt.timedelta(minutes=5)

_Fail = Callable[[str, str], None]  # records a problem with a column
_WHOLE = re.compile(r"[0-9]{1,3}")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


class FileFormatError(ValueError):
    """The file cannot be read at all (encoding, header): nothing is imported."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    field: str  # the column at fault; "" when the whole row is
    reason: str

    def text(self) -> str:
        where = f", {self.field}" if self.field else ""
        return f"line {self.line}{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ResponseLine:
    """One good line of the file."""

    line: int
    response_id: str
    outlet: str
    teller: str | None
    service: str | None
    channel: str
    answered_at: dt.datetime  # aware, UTC
    csat: int | None
    nps: int | None
    ces: int | None
    comment: str | None


@dataclass
class ParsedFile:
    lines: list[ResponseLine] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    read: int = 0  # data records read, good and bad
    encoding: str = "utf-8"


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding that read it: UTF-8 (BOM dropped), else GB18030."""
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.removeprefix("\ufeff"), encoding
    raise FileFormatError("the file is neither UTF-8 nor GB18030 text")


def parse_csv(data: bytes, now: dt.datetime) -> ParsedFile:
    """Reads a whole file; FileFormatError when nothing can be read."""
    text, encoding = decode(data)
    result = ParsedFile(encoding=encoding)
    rows = _RowIterator(text)
    header: list[str] | None = None
    header_line = 1
    for header_line, fields_ in rows:
        if isinstance(fields_, str):
            raise FileFormatError(f"the header cannot be read: {fields_}", header_line)
        if any(f.strip() for f in fields_):
            header = [name.strip() for name in fields_]
            break
    if header is None:
        raise FileFormatError(f"the file is empty; expected the header {','.join(COLUMNS)}", 1)
    _check_header(header, header_line)
    at = {name: i for i, name in enumerate(header)}
    first_line: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, str):
            result.read += 1
            result.problems.append(LineProblem(line, "", row))
            continue
        if not any(cell.strip() for cell in row):
            continue  # a blank line, or a spreadsheet's row of empty cells
        result.read += 1
        if len(row) != len(header):
            reason = f"the row has {len(row)} fields but the header has {len(header)}"
            result.problems.append(LineProblem(line, "", reason))
            continue
        record = _convert(line, {name: row[i] for name, i in at.items()}, now, result.problems)
        if record is None:
            continue
        first = first_line.setdefault(record.response_id, line)
        if first != line:
            reason = f"response_id {record.response_id!r} is repeated (first on line {first})"
            result.problems.append(LineProblem(line, "response_id", reason))
            continue
        result.lines.append(record)
    return result


class _RowIterator:
    """(first physical line, fields) per record, or (line, message) for malformed CSV."""

    def __init__(self, text: str) -> None:
        # newline="" keeps CRLF and line breaks inside quoted fields for the csv module to read.
        self._reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        self._after = 0

    def __iter__(self) -> _RowIterator:
        return self

    def __next__(self) -> tuple[int, list[str] | str]:
        start = self._after + 1
        try:
            row: list[str] | str = next(self._reader)
        except csv.Error as exc:
            row = f"the row is not valid CSV ({exc})"
        self._after = self._reader.line_num
        return start, row


def _check_header(header: list[str], line: int) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise FileFormatError(f"column {name!r} appears twice in the header", line)
        seen.add(name)
    unknown = [n for n in header if n not in COLUMNS]
    missing = [n for n in COLUMNS if n not in seen]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        raise FileFormatError(f"{'; '.join(parts)}; the columns are {', '.join(COLUMNS)}", line)


def _convert(
    line: int, cells: dict[str, str], now: dt.datetime, problems: list[LineProblem]
) -> ResponseLine | None:
    before = len(problems)

    def fail(name: str, reason: str) -> None:
        problems.append(LineProblem(line, name, reason))

    for name, cell in cells.items():
        if "\x00" in cell:
            fail(name, "contains a NUL character")
    if len(problems) > before:
        return None
    value = {name: cell.strip() for name, cell in cells.items()}
    response_id = value["response_id"]
    if not response_id:
        fail("response_id", "response_id is empty")
    elif len(response_id) > ID_LIMIT:
        fail("response_id", f"response_id is longer than {ID_LIMIT} characters")
    outlet = _code(value, "outlet", fail, required=True)
    teller = value["teller"] or None
    if teller and len(teller) > USERNAME_LIMIT:
        fail("teller", f"teller is longer than {USERNAME_LIMIT} characters")
    service = _code(value, "service", fail, required=False)
    channel = value["channel"]
    if channel not in CHANNELS:
        shown = f"'{channel}' is not a channel" if channel else "channel is empty"
        fail("channel", f"{shown} (expected {', '.join(CHANNELS)})")
    answered_at = _time(value["answered_at"], now, fail)
    scores = {name: _score(name, value[name], fail) for name in SCALES}
    comment = _comment(cells["comment"], fail)
    if len(problems) == before and all(v is None for v in scores.values()) and not comment:
        fail("csat", "the response answers nothing: csat, nps, ces and comment are all empty")
    if len(problems) > before or answered_at is None:
        return None
    return ResponseLine(
        line=line,
        response_id=response_id,
        outlet=outlet or "",
        teller=teller,
        service=service,
        channel=channel,
        answered_at=answered_at,
        csat=scores["csat"],
        nps=scores["nps"],
        ces=scores["ces"],
        comment=comment,
    )


def _code(value: dict[str, str], name: str, fail: _Fail, *, required: bool) -> str | None:
    text = value[name]
    if not text:
        if required:
            fail(name, f"{name} is empty")
        return None
    if len(text) > CODE_LIMIT or not _CODE.fullmatch(text):
        fail(name, f"{name} '{text[:40]}' is not a code (letters, digits, - _ .; ≤ {CODE_LIMIT})")
        return None
    return text


def _time(text: str, now: dt.datetime, fail: _Fail) -> dt.datetime | None:
    if not text:
        fail("answered_at", "answered_at is empty")
        return None
    try:
        found = dt.datetime.fromisoformat(text)
    except ValueError:
        fail("answered_at", f"answered_at '{text[:40]}' is not an ISO 8601 time")
        return None
    if found.tzinfo is None or found.utcoffset() is None:
        fail(
            "answered_at",
            f"answered_at '{text}' has no UTC offset (write e.g. {text}+08:00, or Z for UTC)",
        )
        return None
    if found > now + FUTURE_SLACK:
        fail("answered_at", f"answered_at '{text}' is in the future")
        return None
    return found.astimezone(dt.UTC)


def _score(name: str, text: str, fail: _Fail) -> int | None:
    if not text:
        return None
    low, high = SCALES[name]
    if not _WHOLE.fullmatch(text):
        fail(name, f"{name} '{text[:20]}' is not a whole number from {low} to {high}")
        return None
    number = int(text)
    if not low <= number <= high:
        fail(name, f"{name} {number} is outside {low}–{high}")
        return None
    return number


def _comment(raw: str, fail: _Fail) -> str | None:
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > COMMENT_LIMIT:
        fail("comment", f"comment is longer than {COMMENT_LIMIT} characters")
        return None
    return text or None
