"""Parsing and checking a CSV file of units, before anything is stored.

Columns (header required, order free):
  code, parent_code, level, name_zh, name_en, timezone, address, customers_served

The whole file is checked first; nothing is imported unless every line is
good, so a half-imported tree can never happen.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass, field

from manyi.org.model import PlacementError, UnitLevel, check_placement, parse_level

REQUIRED_COLUMNS = ("code", "parent_code", "level", "name_zh")
OPTIONAL_COLUMNS = ("name_en", "timezone", "address", "customers_served")
CODE_MAX = 32


@dataclass(frozen=True)
class UnitRow:
    line: int
    code: str
    parent_code: str
    level: UnitLevel
    name_zh: str
    name_en: str
    timezone: str
    address: str
    customers_served: int


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class ParsedUnits:
    rows: list[UnitRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)


def valid_code(code: str) -> str | None:
    """Return a reason the unit code is not acceptable, or None."""
    if not code:
        return "is required"
    if len(code) > CODE_MAX:
        return f"must be at most {CODE_MAX} characters"
    if not all(c.isascii() and (c.isalnum() or c in "-_.") for c in code):
        return "may contain only letters, digits, '-', '_' and '.'"
    return None


def parse_units_csv(
    text: str,
    existing_levels: dict[str, UnitLevel],
    default_timezone: str,
) -> ParsedUnits:
    """Parse and check every line; `existing_levels` maps codes already stored to levels."""
    result = ParsedUnits()
    text = text.lstrip("\ufeff")  # Excel writes a BOM in UTF-8 CSV files
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        result.errors.append(LineError(1, "", f"missing column(s): {', '.join(missing)}"))
        return result
    reader.fieldnames = header
    seen: dict[str, UnitLevel] = {}
    for record in reader:
        line = reader.line_num
        row, errors = _parse_record(line, record, default_timezone)
        if errors:
            result.errors.extend(errors)
            continue
        assert row is not None
        if row.code in existing_levels:
            result.errors.append(LineError(line, "code", f"unit {row.code} already exists"))
            continue
        if row.code in seen:
            result.errors.append(
                LineError(line, "code", f"unit {row.code} appears twice in this file")
            )
            continue
        parent_level: UnitLevel | None = None
        if row.parent_code:
            parent_level = seen.get(row.parent_code, existing_levels.get(row.parent_code))
            if parent_level is None:
                result.errors.append(
                    LineError(
                        line,
                        "parent_code",
                        f"unknown parent {row.parent_code} "
                        "(it must exist or come earlier in the file)",
                    )
                )
                continue
        try:
            check_placement(row.level, parent_level)
        except PlacementError as exc:
            result.errors.append(LineError(line, "level", str(exc)))
            continue
        seen[row.code] = row.level
        result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append(LineError(0, "", "the file has no units"))
    return result


def _parse_record(
    line: int, record: dict[str, str | None], default_timezone: str
) -> tuple[UnitRow | None, list[LineError]]:
    errors: list[LineError] = []
    if None in record:  # more cells than header columns
        errors.append(LineError(line, "", "more cells than columns in the header"))
        return None, errors

    def cell(name: str) -> str:
        return (record.get(name) or "").strip()

    code = cell("code")
    reason = valid_code(code)
    if reason:
        errors.append(LineError(line, "code", reason))
    level: UnitLevel | None = None
    try:
        level = parse_level(cell("level"))
    except ValueError as exc:
        errors.append(LineError(line, "level", str(exc)))
    name_zh = cell("name_zh")
    if not name_zh:
        errors.append(LineError(line, "name_zh", "is required"))
    elif len(name_zh) > 100:
        errors.append(LineError(line, "name_zh", "must be at most 100 characters"))
    name_en = cell("name_en")
    if len(name_en) > 200:
        errors.append(LineError(line, "name_en", "must be at most 200 characters"))
    timezone = cell("timezone") or default_timezone
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(LineError(line, "timezone", f"unknown time zone {timezone!r}"))
    customers = 0
    raw_customers = cell("customers_served")
    if raw_customers:
        try:
            customers = int(raw_customers.replace(",", ""))
            if customers < 0:
                raise ValueError
        except ValueError:
            errors.append(
                LineError(line, "customers_served", f"{raw_customers!r} is not a whole number ≥ 0")
            )
    address = cell("address")
    if len(address) > 300:
        errors.append(LineError(line, "address", "must be at most 300 characters"))
    if errors or level is None:
        return None, errors
    return (
        UnitRow(
            line=line,
            code=code,
            parent_code=cell("parent_code"),
            level=level,
            name_zh=name_zh,
            name_en=name_en,
            timezone=timezone,
            address=address,
            customers_served=customers,
        ),
        [],
    )
