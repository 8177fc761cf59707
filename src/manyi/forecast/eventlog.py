"""The lobby event log as CSV: one row per visit, read and written without a database.

Format (the header names the columns; their order is free, extra columns are ignored):

    ticket_id,outlet,service,priority_class,issued_at,called_at,finished_at,outcome,counter

- times are ISO 8601; a time without an offset is the outlet's local time (the zone the
  reader is given, Asia/Shanghai by default), so a bank's own exports need no conversion;
- `called_at` is the *first* call of the visit, empty when the customer was never called;
- `finished_at` is when the visit ended: served, left, marked a no-show or cancelled;
- `outcome` is one of served, abandoned, no_show, cancelled;
- `counter` is the counter of the first call (required when `called_at` is given).

A row that breaks a rule is reported as "line N: field: reason" and skipped; the others are
still read. `manyi lobby export-events` writes this format; `manyi waits evaluate` reads it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

COLUMNS = (
    "ticket_id",
    "outlet",
    "service",
    "priority_class",
    "issued_at",
    "called_at",
    "finished_at",
    "outcome",
    "counter",
)
OUTCOMES = ("served", "abandoned", "no_show", "cancelled")
# Outcomes that need a call: a customer is served or marked absent only after being called.
CALLED_OUTCOMES = frozenset({"served", "no_show"})


class LogFormatError(ValueError):
    """The file as a whole cannot be read (no header, a missing column)."""


@dataclass(frozen=True)
class Visit:
    """One customer visit: issue, first call, end. Times are aware."""

    ticket_id: str
    outlet: str
    service: str
    priority_class: str
    issued_at: dt.datetime
    called_at: dt.datetime | None
    finished_at: dt.datetime
    outcome: str
    counter: str | None
    line: int = 0  # where the row was read; 0 when built in code

    @property
    def wait_s(self) -> float | None:
        """Issue to first call, in seconds; None when never called."""
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds()


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class EventLog:
    visits: list[Visit]
    errors: list[RowError]


def parse_time(text: str, zone: ZoneInfo) -> dt.datetime:
    """An ISO 8601 date and time; without an offset it is local time in `zone`.

    A local time in a DST gap or overlap resolves as `zoneinfo` does (fold 0: the
    earlier of two readings). China has had no DST since 1991.
    """
    value = text.strip()
    if len(value) <= 10:  # a bare date: the time of day is missing
        raise ValueError("needs a date and a time of day")
    at = dt.datetime.fromisoformat(value)
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    return at.astimezone(dt.UTC)


def read_events(text: str, zone: ZoneInfo) -> EventLog:
    """Read the CSV text; rows with errors are skipped and listed in `errors`.

    Raises LogFormatError when the header is missing or lacks a column.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise LogFormatError("the file is empty; the first line must be the header")
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise LogFormatError(
            "line 1: the header lacks " + ", ".join(missing) + "; expected " + ",".join(COLUMNS)
        )
    index = {c: names.index(c) for c in COLUMNS}
    visits: list[Visit] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    line = 1
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            errors.append(
                RowError(line, "row", f"has {len(row)} fields, the header has {len(names)}")
            )
            continue
        fields = {c: row[i].strip() for c, i in index.items()}
        visit = _visit(fields, line, zone, errors)
        if visit is None:
            continue
        if visit.ticket_id in seen:
            errors.append(RowError(line, "ticket_id", f"duplicate of line {seen[visit.ticket_id]}"))
            continue
        seen[visit.ticket_id] = line
        visits.append(visit)
    return EventLog(visits, errors)


def _visit(
    fields: dict[str, str], line: int, zone: ZoneInfo, errors: list[RowError]
) -> Visit | None:
    found: list[RowError] = []

    def fail(name: str, reason: str) -> None:
        found.append(RowError(line, name, reason))

    for name in ("ticket_id", "outlet", "service", "priority_class", "outcome"):
        if not fields[name]:
            fail(name, "required")
    times: dict[str, dt.datetime | None] = {}
    for name in ("issued_at", "called_at", "finished_at"):
        times[name] = None
        if not fields[name]:
            if name != "called_at":
                fail(name, "required")
            continue
        try:
            times[name] = parse_time(fields[name], zone)
        except ValueError:
            fail(name, f"not an ISO 8601 date and time: {fields[name]!r}")
    outcome = fields["outcome"]
    if outcome and outcome not in OUTCOMES:
        fail("outcome", f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    issued, called, finished = times["issued_at"], times["called_at"], times["finished_at"]
    if called is not None and issued is not None and called < issued:
        fail("called_at", "before issued_at")
    if finished is not None and called is not None and finished < called:
        fail("finished_at", "before called_at")
    elif finished is not None and issued is not None and finished < issued:
        fail("finished_at", "before issued_at")
    if outcome in CALLED_OUTCOMES and not fields["called_at"]:
        fail("called_at", f"required when the outcome is {outcome}")
    if fields["called_at"] and not fields["counter"]:
        fail("counter", "required when called_at is given")
    if found:
        errors.extend(found)
        return None
    assert issued is not None and finished is not None
    return Visit(
        ticket_id=fields["ticket_id"],
        outlet=fields["outlet"],
        service=fields["service"],
        priority_class=fields["priority_class"],
        issued_at=issued,
        called_at=called,
        finished_at=finished,
        outcome=outcome,
        counter=fields["counter"] or None,
        line=line,
    )


def format_time(at: dt.datetime, zone: ZoneInfo) -> str:
    """Local time of the outlet with its offset, to the second: 2026-11-30T10:00:00+08:00."""
    return at.astimezone(zone).isoformat(timespec="seconds")


def write_events(visits: Iterable[Visit], zone: ZoneInfo) -> Iterator[str]:
    """The CSV text line by line (each line ends with a newline), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush(row: list[str]) -> str:
        writer.writerow(row)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield flush(list(COLUMNS))
    for v in visits:
        yield flush(
            [
                v.ticket_id,
                v.outlet,
                v.service,
                v.priority_class,
                format_time(v.issued_at, zone),
                format_time(v.called_at, zone) if v.called_at else "",
                format_time(v.finished_at, zone),
                v.outcome,
                v.counter or "",
            ]
        )
