"""A bank's daily figures from its previous queue system (pure): the CSV file that
`manyi cockpit import-history` reads, checked line by line (docs/cockpit.md, "History").

One line per outlet and local day; a header names the columns (any order):

- required: `outlet` (the outlet's code), `day` (YYYY-MM-DD), `issued`, `served`, `no_shows`,
  `cancellations`, `wait_n` (customers called), `wait_sum_s` (their waits added up, seconds),
  `wait_within` (of them, called within the service-level threshold), `service_n`,
  `service_sum_s`;
- optional: `w00` … `w20`, the wait histogram (all 21 or none; they add up to `wait_n`), with
  the cockpit's bucket edges (`histogram.EDGES_S`). Without them percentiles skip the day.

Every problem is reported with its line and field; a file with any problem stores nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from manyi.cockpit.domain import histogram

REQUIRED = (
    "outlet", "day", "issued", "served", "no_shows", "cancellations", "wait_n", "wait_sum_s",
    "wait_within", "service_n", "service_sum_s",
)  # fmt: skip
COUNTS = REQUIRED[2:]
MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class DayFigures:
    line: int
    outlet: str
    day: dt.date
    sums: dict[str, int]  # COUNTS and, with a histogram, w00 … w20


class HistoryError(ValueError):
    """The file's problems, each "line N: field: what"; nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _line(number: int, row: dict[str, str], has_histogram: bool) -> DayFigures | list[str]:
    problems: list[str] = []
    outlet = (row.get("outlet") or "").strip()
    if not outlet:
        problems.append(f"line {number}: outlet: missing")
    try:
        day = dt.date.fromisoformat((row.get("day") or "").strip())
    except ValueError:
        problems.append(f"line {number}: day: {row.get('day')!r} is not a date (YYYY-MM-DD)")
        day = dt.date.min
    sums: dict[str, int] = {}
    names = COUNTS + (histogram.COLUMNS if has_histogram else ())
    for name in names:
        text = (row.get(name) or "").strip()
        if not text.isdigit():
            problems.append(f"line {number}: {name}: {text!r} is not a whole number ≥ 0")
            continue
        sums[name] = int(text)
    if problems:
        return problems
    if sums["served"] + sums["no_shows"] + sums["cancellations"] > sums["issued"]:
        problems.append(f"line {number}: issued: fewer than served + no_shows + cancellations")
    if sums["wait_within"] > sums["wait_n"]:
        problems.append(f"line {number}: wait_within: more than wait_n")
    if sums["wait_sum_s"] and not sums["wait_n"]:
        problems.append(f"line {number}: wait_sum_s: waits without customers called (wait_n)")
    if has_histogram and sum(sums[c] for c in histogram.COLUMNS) != sums["wait_n"]:
        problems.append(f"line {number}: w00…w20: they add up to wait_n")
    return problems or DayFigures(number, outlet, day, sums)


def parse(text: str) -> list[DayFigures]:
    """The file's days; HistoryError with every problem (at most MAX_PROBLEMS) otherwise."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise HistoryError([f"line 1: {name}: missing from the header" for name in missing])
    buckets = [c for c in histogram.COLUMNS if c in header]
    if buckets and len(buckets) != len(histogram.COLUMNS):
        absent = [c for c in histogram.COLUMNS if c not in header]
        raise HistoryError([f"line 1: {absent[0]}: the histogram needs w00 … w20, all of them"])
    problems: list[str] = []
    days: list[DayFigures] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for number, row in enumerate(reader, start=2):
        if None in row:
            problems.append(f"line {number}: more fields than the header names")
            continue
        found = _line(number, row, bool(buckets))
        if isinstance(found, list):
            problems += found
        elif (found.outlet, found.day) in seen:
            first = seen[(found.outlet, found.day)]
            problems.append(f"line {number}: day: {found.outlet} {found.day} is on line {first}")
        else:
            seen[(found.outlet, found.day)] = number
            days.append(found)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise HistoryError(problems[:MAX_PROBLEMS])
    if not days:
        raise HistoryError(["line 2: no days in the file"])
    return days


def to_csv(days: list[DayFigures]) -> str:
    """The file for these days (with the histogram): what `parse` reads back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED, *histogram.COLUMNS])
    for d in days:
        writer.writerow(
            [d.outlet, d.day.isoformat(), *(d.sums[c] for c in COUNTS),
             *(d.sums.get(c, 0) for c in histogram.COLUMNS)]
        )  # fmt: skip
    return out.getvalue()
