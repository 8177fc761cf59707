"""`manyi complaints stats`: complaint counts by month or by a dimension, with comparisons,
roll-up levels and rates per 10,000 customers served (registered under `complaints` by
`manyi.cli`; complaints cannot import insight).

The JSON contract (docs/complaints.md, "Analysis"): a list of objects with `key` and `count`
(plus `name` when it differs from the key, and `change` — month on month, a fraction — for
`--by month`), as before; `previous` and `change_pct` only with `--compare`; `rate` only with
`--per-10k-customers`. `change_pct` is null when the previous period had no complaint.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import unicodedata
from typing import Annotated, Any

import typer

from manyi import cli_support
from manyi.db import utcnow
from manyi.insight import analysis
from manyi.insight.domain import measures
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, PeriodKind


class By(enum.StrEnum):
    MONTH = "month"
    BUSINESS_TYPE = "business_type"
    CAUSE = "cause"
    CHANNEL = "channel"
    APPEAL = "appeal"
    INTAKE = "intake"
    PRODUCT = "product"
    CATEGORY = "category"
    UNIT = "unit"


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise cli_support.fail(f"{option}: {text!r} is not a date like 2026-03-01", 2) from None


def stats_command(
    by: Annotated[By, typer.Option(help="What to count by.")] = By.MONTH,
    unit: Annotated[str | None, typer.Option(help="Only this unit's subtree (unit code).")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First local day of receipt (YYYY-MM-DD).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last local day of receipt, inclusive.")
    ] = None,
    compare: Annotated[
        Compare | None,
        typer.Option(help="Add the previous period's count (mom) or a year earlier's (yoy)."),
    ] = None,
    level: Annotated[
        Level | None, typer.Option(help="With --by unit: roll cases up to this level.")
    ] = None,
    per_10k: Annotated[
        bool,
        typer.Option("--per-10k-customers", help="Add complaints per 10,000 customers served."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON: a list of {key, count, ...}.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Names in zh or en.")] = "zh",
) -> None:
    """Count complaints; by month it also prints the change on the month before."""
    first, last = _day(start, "--from"), _day(end, "--to")
    if level is not None and by is not By.UNIT:
        raise cli_support.fail("--level goes with --by unit", 2)
    if compare is not None and by is not By.MONTH and (first is None or last is None):
        raise cli_support.fail(f"--compare with --by {by.value} needs --from and --to", 2)
    if first is not None and last is not None and last < first:
        raise cli_support.fail("--to is before --from", 2)
    settings = cli_support.settings()
    db = cli_support.database(settings)
    try:
        with db.session() as session:
            scope = "/"
            if unit:
                from manyi.org.service import unit_by_code

                found = unit_by_code(session, unit)
                if found is None:
                    raise cli_support.fail(f"there is no unit {unit}")
                scope = found.path
            days = analysis.received_days(session, scope, settings.timezone)
            if days is None and first is None and last is None:
                _print([], as_json, by)  # nothing at all: "no complaints", as before
                return
            today = utcnow().astimezone(settings.zone).date()
            if first is None:
                first = days[0] if days else (last or today)
            if last is None:
                last = max(days[1] if days else today, first)
            rows = _rows(session, by, scope, first, last, settings.timezone, compare, level, lang)
            if per_10k:
                _add_rates(session, scope, by, rows)
    finally:
        db.dispose()
    _print(rows, as_json, by)


def _rows(
    session: Any,
    by: By,
    scope: str,
    first: dt.date,
    last: dt.date,
    zone: str,
    compare: Compare | None,
    level: Level | None,
    lang: str,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if by is By.MONTH:
        months = analysis.series(session, scope, first, last, PeriodKind.MONTH, zone, Compare.MOM)
        wanted = months
        if compare is Compare.YOY:
            wanted = analysis.series(session, scope, first, last, PeriodKind.MONTH, zone, compare)
        for month, other in zip(months, wanted, strict=True):
            item: dict[str, Any] = {"key": month.span.label, "count": month.count}
            item["change"] = measures.change_fraction(month.count, month.previous or 0)
            if compare is not None:
                item["previous"] = other.previous
                item["change_pct"] = other.change_pct
            out.append(item)
        return out
    rows = analysis.breakdown(
        session,
        scope,
        first,
        last,
        analysis.Dimension(by.value),
        zone,
        compare=compare,
        level=level,
        lang=lang,
    )
    for row in rows:
        item = {"key": row.key, "count": row.count}
        if row.name != row.key:
            item["name"] = row.name
        if compare is not None:
            item["previous"] = row.previous.count if row.previous is not None else 0
            item["change_pct"] = row.change_pct
        item["_customers"] = row.customers
        out.append(item)
    return out


def _add_rates(session: Any, scope: str, by: By, rows: list[dict[str, Any]]) -> None:
    everyone = analysis.reach(session, scope).customers
    for item in rows:
        customers = item["_customers"] if by is By.UNIT else everyone
        item["rate"] = measures.per_10k(item["count"], customers)


def _pad(text: str, width: int) -> str:
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


def _print(rows: list[dict[str, Any]], as_json: bool, by: By) -> None:
    for item in rows:
        item.pop("_customers", None)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no complaints")
        return
    for item in rows:
        name = item.get("name")
        label = f"{name} ({item['key']})" if name else item["key"]
        line = f"{_pad(label, 40)}{item['count']:>8}"
        if item.get("change") is not None:
            line += f"  {item['change']:+.1%}"
        if "previous" in item:
            pct = item["change_pct"]
            line += f"  previous {item['previous']}" + ("" if pct is None else f" ({pct:+.1f}%)")
        if item.get("rate") is not None:
            line += f"  {item['rate']:.2f} per 10k customers"
        typer.echo(line)
    typer.echo(f"{_pad('total', 40)}{sum(r['count'] for r in rows):>8}")
