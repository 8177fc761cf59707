"""Reading manyi's own complaint CSV, or a bank's export through a column mapping (`--format csv`).

Without a mapping the header must use manyi's column names (`FIELDS`); taxonomy values are
codes; dates are any form `dates.read_date` reads as one day (2019-04-04, 2019/4/4, 2019年4月4日,
…; 04/05/2019 is refused as ambiguous). A bank's own export is read through a mapping, the
parsed YAML of a file such as ``mappings/example-bank.yaml``::

    encoding: gb18030            # optional; default guessed (UTF-8, else GB18030)
    date_format: "%d/%m/%Y"      # optional, strptime formats tried first; they also say
                                 # whether a year-last date is day or month first
    delimiter: ","               # optional; default a comma (a tab if the header has only tabs)
    columns: {external_id: 工单号, received_on: 受理日期, …}
    values:                      # the bank's wording → manyi's values, per field
      intake: {电话: hotline, …}
      business_type: {信用卡: cards.credit, 其他: ~}   # ~ means "no category"
      closed: {已办结: true, 处理中: false}

A cell whose value is not listed under `values` is taken as it stands, so a file may mix the
bank's wording with manyi's codes. The mapping is checked in full before any row is read.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import yaml

from manyi.complaints.domain.taxonomy import Axis, Flag, Intake, by_code
from manyi.complaints.imports.base import (
    ImportedComplaint,
    ImportFormatError,
    LineError,
    MappingError,
    clip,
    narrative,
)
from manyi.complaints.imports.dates import DateReader, NotADate

FIELDS = (
    "external_id",
    "received_on",
    "intake",
    "business_type",
    "cause",
    "channel",
    "subject",
    "description",
    "closed",
    "decision",
    "decided_on",
    "region",
    "flags",
)
REQUIRED_FIELDS = ("external_id", "received_on")
AXIS_FOR_FIELD = {"business_type": Axis.BUSINESS, "cause": Axis.CAUSE, "channel": Axis.CHANNEL}
VALUE_FIELDS = ("intake", "business_type", "cause", "channel", "closed", "flags")
MAPPING_KEYS = ("columns", "values", "date_format", "encoding", "delimiter")

BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
BOOLEANS |= {"y": True, "n": False, "是": True, "否": False}
_FLAG_SPLIT = re.compile(r"[;,，；、|]")


@dataclass(frozen=True)
class CsvMapping:
    columns: dict[str, str] | None  # field → the file's column; None: the file uses FIELDS
    values: dict[str, dict[str, object]]  # field → {case-folded file value → manyi value}
    date_formats: tuple[str, ...] = ()  # strptime formats tried first (see dates.DateReader)
    encoding: str | None = None  # None: guessed from the bytes (base.decode)
    delimiter: str | None = None  # None: a comma, or a tab when the header has tabs only


OWN_COLUMNS = CsvMapping(None, {})


def _fold(value: object) -> str:
    return str(value).strip().casefold()


def read_mapping(text: str | bytes) -> CsvMapping:
    """Parses and checks a YAML mapping file."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError([f"not valid YAML ({exc})"]) from exc
    return validate_mapping(raw)


def validate_mapping(raw: object) -> CsvMapping:
    """A usable mapping from the parsed YAML, or a MappingError listing every problem."""
    if not isinstance(raw, Mapping):
        raise MappingError(["the mapping must be a YAML mapping of keys to values"])
    problems: list[str] = []
    for key in raw:
        if key not in MAPPING_KEYS:
            problems.append(f"unknown key {key!r} (expected {', '.join(MAPPING_KEYS)})")
    columns = _columns(raw.get("columns"), problems)
    values = _values(raw.get("values") or {}, problems)
    formats = _date_formats(raw.get("date_format"), problems)
    encoding = raw.get("encoding") or None
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            problems.append(f"encoding {encoding!r} is not known")
    delimiter = raw.get("delimiter") or None
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        problems.append(f"delimiter {delimiter!r} must be a single character")
    if problems:
        raise MappingError(problems)
    return CsvMapping(
        columns,
        values,
        formats,
        None if encoding is None else str(encoding),
        None if delimiter is None else str(delimiter),
    )


def _columns(raw: object, problems: list[str]) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append("columns must map manyi fields to the file's column names")
        return None
    columns: dict[str, str] = {}
    for target, source in raw.items():
        if target not in FIELDS:
            problems.append(f"columns: unknown field {target!r} (fields: {', '.join(FIELDS)})")
        elif not isinstance(source, str | int) or isinstance(source, bool) or not str(source):
            problems.append(f"columns: {target} must name a column of the file")
        else:
            columns[target] = str(source).strip()
    for target in REQUIRED_FIELDS:
        if target not in raw:
            problems.append(f"columns: {target} must be mapped")
    return columns


def _values(raw: object, problems: list[str]) -> dict[str, dict[str, object]]:
    if not isinstance(raw, Mapping):
        problems.append("values must map fields to tables of the file's values")
        return {}
    values: dict[str, dict[str, object]] = {}
    for target, table in raw.items():
        if target not in VALUE_FIELDS:
            problems.append(
                f"values: {target!r} cannot be translated (fields: {', '.join(VALUE_FIELDS)})"
            )
            continue
        if not isinstance(table, Mapping):
            problems.append(f"values.{target} must map the file's values to manyi values")
            continue
        folded: dict[str, object] = {}
        for source, value in table.items():
            where = f"values.{target}: {source!r}"
            if isinstance(source, bool) or source is None:
                problems.append(f"{where} is read by YAML as {source}; put it in quotes")
                continue
            problem = _value_problem(target, value)
            if problem:
                problems.append(f"{where} → {value!r} {problem}")
            key = _fold(source)
            if key in folded and folded[key] != value:
                problems.append(f"{where} is listed twice with different values")
            folded[key] = value
        values[target] = folded
    return values


def _value_problem(target: str, value: object) -> str:
    """Why `value` is not a valid manyi value of `target` ("" when it is)."""
    if target == "closed":
        return "" if isinstance(value, bool) else "is not true or false"
    if target in AXIS_FOR_FIELD:
        axis = AXIS_FOR_FIELD[target]
        if value is None or (isinstance(value, str) and by_code(axis, value)):
            return ""
        return f"is not a code on the {axis} axis"
    kinds: dict[str, list[str]] = {"intake": list(Intake), "flags": list(Flag)}
    allowed = kinds[target]
    return "" if value in allowed else f"is not one of {', '.join(allowed)}"


def _date_formats(raw: object, problems: list[str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    formats = [raw] if isinstance(raw, str) else raw
    if not isinstance(formats, list) or not formats:
        problems.append("date_format must be a strptime format or a list of them")
        return ()
    sample = dt.datetime(2023, 11, 28, 14, 5, 6)
    for fmt in formats:
        try:
            ok = dt.datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(f"date_format {fmt!r} does not read back a full date (year/month/day)")
    return tuple(str(f) for f in formats)


# --- Rows --------------------------------------------------------------------------------

_Fail = Callable[[str, str], None]  # records a LineError for a field


class CsvConverter:
    def __init__(
        self,
        mapping: CsvMapping,
        header: list[str],
        header_line: int,
        *,
        serial_epoch: dt.datetime | None = None,
    ) -> None:
        where = {name: i for i, name in enumerate(header)}
        if mapping.columns is None:
            unknown = [name for name in header if name and name not in FIELDS]
            if unknown:
                raise ImportFormatError(
                    f"unknown column(s) {', '.join(map(repr, unknown))}; manyi's columns are "
                    f"{', '.join(FIELDS)} (use a mapping for another layout)",
                    header_line,
                )
            columns = {f: f for f in FIELDS if f in where}
        else:
            columns = mapping.columns
            absent = [f"{source!r} ({f})" for f, source in columns.items() if source not in where]
            if absent:
                raise ImportFormatError(
                    f"column(s) named in the mapping are not in the file: {', '.join(absent)}",
                    header_line,
                )
        missing = [f for f in REQUIRED_FIELDS if f not in columns]
        if missing:
            raise ImportFormatError(f"missing required column(s) {', '.join(missing)}", header_line)
        self._at = {f: where[source] for f, source in columns.items()}
        self._name = dict(columns)  # errors name the column as the file does
        self.id_column = columns["external_id"]
        self._values = mapping.values
        # A bank's own columns say nothing of the order of 04/05/2019; its mapping may.
        self._dates = DateReader(formats=mapping.date_formats, serial_epoch=serial_epoch)

    def _cell(self, row: list[str], field: str) -> str:
        i = self._at.get(field)
        return "" if i is None else row[i].strip()

    def _translate(self, field: str, raw: str) -> object:
        """The mapped value, else the cell itself (manyi's values are lower case)."""
        key = raw.casefold()
        table = self._values.get(field)
        return key if table is None else table.get(key, key)

    def convert(
        self, line: int, row: list[str], errors: list[LineError]
    ) -> ImportedComplaint | None:
        cell, name = self._cell, self._name
        before = len(errors)

        def fail(field: str, reason: str) -> None:
            errors.append(LineError(line, name[field], reason))

        external_id = cell(row, "external_id")
        if not external_id:
            fail("external_id", f"{name['external_id']} is empty")
        received = self._required_date(row, "received_on", fail)
        decided = None
        if raw := cell(row, "decided_on"):
            found = self._dates.read(raw)
            if isinstance(found, NotADate):
                fail("decided_on", f"{name['decided_on']} '{raw}' {found.reason}")
            elif received is not None and found < received:
                fail("decided_on", f"{name['decided_on']} {found} is before {received}")
            else:
                decided = found
        intake = self._intake(cell(row, "intake"), fail)
        codes = {f: self._code(f, cell(row, f), fail) for f in AXIS_FOR_FIELD if f in self._at}
        closed = self._closed(cell(row, "closed"), decided, fail)
        flags = self._flags(cell(row, "flags"), fail)
        if len(errors) > before or received is None or intake is None:
            return None
        description = narrative(row[self._at["description"]]) if "description" in self._at else ""
        subject = cell(row, "subject") or description.partition("\n")[0]
        return ImportedComplaint(
            line=line,
            external_id=external_id,
            received_on=received,
            intake=intake,
            business_code=codes.get("business_type"),
            cause_code=codes.get("cause"),
            channel_code=codes.get("channel"),
            subject=clip(subject),
            description=description,
            product=cell(row, "business_type"),
            closed=closed,
            decision=narrative(row[self._at["decision"]]) if "decision" in self._at else "",
            decided_on=decided,
            timely=None,
            region=cell(row, "region"),
            flags=flags,
        )

    def _required_date(self, row: list[str], field: str, fail: _Fail) -> dt.date | None:
        raw = self._cell(row, field)
        if not raw:
            fail(field, f"{self._name[field]} is empty")
            return None
        found = self._dates.read(raw)
        if isinstance(found, NotADate):
            fail(field, f"{self._name[field]} '{raw}' {found.reason}")
            return None
        return found

    def _intake(self, raw: str, fail: _Fail) -> Intake | None:
        if not raw:
            return Intake.IMPORT
        value = self._translate("intake", raw)
        if value in _INTAKES:
            return Intake(str(value))
        via = self._via("intake", value, raw)
        fail(
            "intake", f"{self._name['intake']} '{raw}'{via} is not an intake channel{_hint(Intake)}"
        )
        return None

    def _code(self, field: str, raw: str, fail: _Fail) -> str | None:
        if not raw:
            return None
        value = self._translate(field, raw)
        if value is None:
            return None  # the mapping says: no category
        axis = AXIS_FOR_FIELD[field]
        if isinstance(value, str) and by_code(axis, value):
            return value
        fail(
            field, f"{self._name[field]} '{raw}'{self._via(field, value, raw)} is not a {axis} code"
        )
        return None

    def _via(self, field: str, value: object, raw: str) -> str:
        """How a rejected value was arrived at, so the fix (mapping or file) is clear."""
        table = self._values.get(field)
        if table is None:
            return ""
        if raw.casefold() in table:
            return f" (mapped to {value!r} by values.{field})"
        return f" is not listed under values.{field} and"

    def _closed(self, raw: str, decided: dt.date | None, fail: _Fail) -> bool:
        if not raw:
            return decided is not None  # a decision date means the case was decided
        value = self._translate("closed", raw)
        if isinstance(value, bool):
            return value
        if (found := BOOLEANS.get(str(value).casefold())) is not None:
            return found
        via = self._via("closed", value, raw)
        fail("closed", f"{self._name['closed']} '{raw}'{via} is not yes or no{_hint(BOOLEANS)}")
        return False

    def _flags(self, raw: str, fail: _Fail) -> frozenset[Flag]:
        if not raw:
            return frozenset()
        found = set()
        for token in filter(None, (t.strip() for t in _FLAG_SPLIT.split(raw))):
            value = self._translate("flags", token)
            if value in _FLAGS:
                found.add(Flag(str(value)))
            else:
                via = self._via("flags", value, token)
                fail("flags", f"{self._name['flags']} '{token}'{via} is not a flag{_hint(Flag)}")
        return frozenset(found)


_INTAKES = frozenset(Intake)
_FLAGS = frozenset(Flag)


def _hint(options: Iterable[object]) -> str:
    return f" (expected {', '.join(map(str, options))})"
