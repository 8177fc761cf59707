"""The satisfaction page's figures (service): one unit's subtree, grouped one way, over a
range of local dates, compared with the range of the same length just before.

- `by=unit` rolls up: the rows are the focus unit's children (head office → tier-1 →
  tier-2 → outlets), each the sum of its subtree; clicking one makes it the focus. At an
  outlet the rows are its tellers, and a teller's row narrows the page to that teller.
- every row carries CSAT (share and mean), NPS and CES with their 95 % intervals, the change
  from the previous range with `significant` only when its interval excludes zero, and
  `small` under `SMALL_SAMPLE_N` answers: shown, greyed, never ranked (rows in key order);
- the rating pad (窗口评价器) is a second source with its own rows, trend and response rate
  (answers over customers asked);
- a survey row's response rate is its invitations answered over those sent in the range
  (`invitation_counts`); imported responses had no invitation and do not count in it.

The viewer sees only their own subtree: a focus outside it is "not found".
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from manyi.errors import InvalidInput, NotFound
from manyi.org.model import UnitLevel
from manyi.org.tables import Unit
from manyi.quality import breakdown, invitation_counts, themes
from manyi.quality.breakdown import Key, Source
from manyi.quality.domain.aggregate import Aggregate
from manyi.quality.domain.periods import Bucket, Period, buckets, previous
from manyi.quality.rows import Row, with_invitations

DEFAULT_MONTHS = 12


class By(enum.StrEnum):
    UNIT = "unit"  # the focus unit's children, each its subtree's sum (the roll-up)
    OUTLET = "outlet"  # every outlet of the subtree, flat
    TELLER = "teller"
    SERVICE = "service"
    CHANNEL = "channel"
    TRIGGER = "trigger"
    PERIOD = "period"


_KEYS = {
    By.TELLER: Key.TELLER,
    By.SERVICE: Key.SERVICE,
    By.CHANNEL: Key.CHANNEL,
    By.TRIGGER: Key.TRIGGER,
    By.PERIOD: Key.PERIOD,
}


@dataclass(frozen=True)
class Query:
    unit: str = ""  # focus unit code; the viewer's own unit when empty
    by: By | None = None  # unit above outlets, teller at an outlet, period for one teller
    period: Period = Period.MONTH
    start: dt.date | None = None
    end: dt.date | None = None
    teller: str = ""  # username: the page narrowed to one teller


@dataclass
class Overview:
    focus: Unit
    crumbs: list[Unit]
    by: By
    period: Period
    start: dt.date
    end: dt.date
    before: tuple[dt.date, dt.date]
    teller: tuple[str, str] | None  # (username, display name)
    total: Row
    rows: list[Row]
    trend: list[Row]
    pad_by: By
    pad_total: Row
    pad_rows: list[Row]
    pad_trend: list[Row]
    themes: list[themes.ThemeCount] = field(default_factory=list)

    def as_json(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "unit": {
                "code": self.focus.code,
                "name": self.focus.name(lang),
                "level": self.focus.level,
            },
            "crumbs": [{"code": u.code, "name": u.name(lang)} for u in self.crumbs],
            "by": self.by.value,
            "period": self.period.value,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "compared_with": [d.isoformat() for d in self.before],
            "teller": None if self.teller is None else self.teller[0],
            "total": self.total.as_json(),
            "rows": [r.as_json() for r in self.rows],
            "trend": [r.as_json() for r in self.trend],
            "pad": {
                "by": self.pad_by.value,
                "total": self.pad_total.as_json(),
                "rows": [r.as_json() for r in self.pad_rows],
                "trend": [r.as_json() for r in self.pad_trend],
            },
            "themes": [t.as_json() for t in self.themes],
        }


def default_range(today: dt.date, period: Period) -> tuple[dt.date, dt.date]:
    """The last 12 months (or 30 days by day, 13 weeks by week, 4 quarters), ending today."""
    if period is Period.DAY:
        return today - dt.timedelta(days=29), today
    if period is Period.WEEK:
        return today - dt.timedelta(weeks=13) + dt.timedelta(days=1), today
    months = DEFAULT_MONTHS if period is Period.MONTH else 12
    index = today.year * 12 + today.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1), today


def overview(
    session: Session, scope_path: str, query: Query, *, tz: str, today: dt.date, lang: str = "zh"
) -> Overview:
    """The page's figures for a viewer whose data scope is `scope_path`."""
    focus = _focus(session, scope_path, query.unit)
    teller = None
    teller_id: int | None = None
    if query.teller:
        found = breakdown.staff_by_username(session, query.teller)
        if found is None or not found[2].startswith(scope_path):  # not a name outside scope
            raise NotFound("there is no staff member {username}", "teller", username=query.teller)
        teller_id, teller = found[0], (query.teller, found[1])
    start, end = query.start, query.end
    if start is None or end is None:
        default_start, default_end = default_range(today, query.period)
        start, end = start or default_start, end or default_end
    if end < start:
        raise InvalidInput("the end of the range is before its start", "to")
    try:
        periods = buckets(start, end, query.period)
    except ValueError as exc:
        raise InvalidInput(str(exc), "period") from None
    by = query.by or _default_by(focus, teller_id)
    before = previous(start, end)
    common: dict[str, Any] = {"tz": tz, "scope_path": focus.path, "teller_id": teller_id}
    now_args = {**common, "start": start, "end": end}
    before_args = {**common, "start": before[0], "end": before[1]}

    def sums(source: Source, key: Key, args: dict[str, Any]) -> dict[Any, Aggregate]:
        return breakdown.grouped(session, source, key, buckets=periods, **args)

    rows = _rows(
        session, focus, by, teller, sums, now_args, before_args, Source.SURVEYS, periods, lang
    )
    invited = _invitations(session, focus, by, now_args)
    rows = [with_invitations(r, *invited.get(r.key, (None, None))) for r in rows]
    pad_by = By.TELLER if by is By.TELLER or focus.level == UnitLevel.OUTLET else By.UNIT
    if by is By.OUTLET and focus.level != UnitLevel.OUTLET:
        pad_by = By.OUTLET
    if teller_id is not None:
        pad_by = By.PERIOD
    pad_rows = _rows(
        session, focus, pad_by, teller, sums, now_args, before_args, Source.PAD, periods, lang
    )
    prompts = _prompts(session, focus, pad_by, now_args)
    pad_rows = [with_invitations(r, prompts.get(r.key)) for r in pad_rows]
    total = _total(Source.SURVEYS, sums, now_args, before_args, focus)
    if invited:
        sent, answered = (sum(counts) for counts in zip(*invited.values(), strict=True))
        total = with_invitations(total, sent, answered)
    pad_total = _total(Source.PAD, sums, now_args, before_args, focus)
    pad_total = with_invitations(pad_total, sum(prompts.values()) if prompts else None)
    return Overview(
        focus=focus,
        crumbs=[
            u for u in breakdown.units_on_path(session, focus.path) if u.path.startswith(scope_path)
        ],
        by=by,
        period=query.period,
        start=start,
        end=end,
        before=before,
        teller=teller,
        total=total,
        rows=rows,
        trend=_trend(Source.SURVEYS, sums, now_args, periods),
        pad_by=pad_by,
        pad_total=pad_total,
        pad_rows=pad_rows,
        pad_trend=_trend(Source.PAD, sums, now_args, periods),
        themes=themes.count_themes(breakdown.comments(session, **now_args)),
    )


def _focus(session: Session, scope_path: str, code: str) -> Unit:
    unit = breakdown.unit_by_code(session, code) if code else None
    if code and (unit is None or not unit.path.startswith(scope_path)):
        raise NotFound("there is no unit {code} in your scope", "unit", code=code)
    if unit is None:
        units = breakdown.units_on_path(session, scope_path)
        if not units:
            raise NotFound("your unit is not found", "unit")
        unit = units[-1]
    return unit


def _default_by(focus: Unit, teller_id: int | None) -> By:
    if teller_id is not None:
        return By.PERIOD
    return By.TELLER if focus.level == UnitLevel.OUTLET else By.UNIT


def _total(
    source: Source, sums: Any, now: dict[str, Any], before: dict[str, Any], focus: Unit
) -> Row:
    current = Aggregate.total(sums(source, Key.CHANNEL, now).values())
    earlier = Aggregate.total(sums(source, Key.CHANNEL, before).values())
    return Row(focus.code, focus.name("zh"), current, earlier)


def _trend(source: Source, sums: Any, now: dict[str, Any], periods: list[Bucket]) -> list[Row]:
    found = sums(source, Key.PERIOD, now)
    rows: list[Row] = []
    previous_row: Aggregate | None = None
    for index, bucket in enumerate(periods):
        current = found.get(index, Aggregate())
        rows.append(Row(bucket.label, bucket.label, current, previous_row))
        previous_row = current
    return rows


def _rows(
    session: Session,
    focus: Unit,
    by: By,
    teller: tuple[str, str] | None,
    sums: Any,
    now: dict[str, Any],
    before: dict[str, Any],
    source: Source,
    periods: list[Bucket],
    lang: str,
) -> list[Row]:
    if by is By.PERIOD:
        return _trend(source, sums, now, periods)
    if by in (By.UNIT, By.OUTLET):
        return _unit_rows(
            _groups(session, focus, by),
            sums(source, Key.OUTLET, now),
            sums(source, Key.OUTLET, before),
            lang,
        )
    current, earlier = sums(source, _KEYS[by], now), sums(source, _KEYS[by], before)
    keys = sorted(set(current) | set(earlier), key=lambda k: (k is None, str(k or "")))
    if by is By.TELLER:
        names = breakdown.staff_names(session, [k for k in keys if k is not None])
        rows = []
        for k in keys:
            username, name = names.get(k, ("", "")) if k is not None else (None, "")
            drill = None if username is None else {"unit": focus.code, "teller": username}
            rows.append(
                Row(username, name or "—", current.get(k, Aggregate()), earlier.get(k), drill=drill)
            )
        return sorted(rows, key=lambda r: (r.key is None, r.key or ""))
    return [Row(k, k or "—", current.get(k, Aggregate()), earlier.get(k)) for k in keys]


def _groups(session: Session, focus: Unit, by: By) -> list[Unit]:
    """The units whose subtrees are the rows: the children, or every outlet below."""
    if by is By.OUTLET:
        return breakdown.outlets_under(session, focus.path)
    return breakdown.units_under(session, focus.path)


def _unit_rows(
    children: list[Unit],
    current: dict[str, Aggregate],
    earlier: dict[str, Aggregate],
    lang: str,
) -> list[Row]:
    def rolled(found: dict[str, Aggregate], child: Unit) -> Aggregate:
        return Aggregate.total(a for path, a in found.items() if path.startswith(child.path))

    return [
        Row(
            child.code,
            child.name(lang),
            rolled(current, child),
            rolled(earlier, child),
            drill={"unit": child.code},
        )
        for child in children
    ]


def _prompts(session: Session, focus: Unit, by: By, now: dict[str, Any]) -> dict[Any, int]:
    if by not in (By.UNIT, By.OUTLET, By.TELLER):
        return {}
    key = Key.TELLER if by is By.TELLER else Key.OUTLET
    found = breakdown.pad_prompts(session, key, **now)
    if by is By.TELLER:
        names = breakdown.staff_names(session, [k for k in found if k is not None])
        return {names[k][0]: v for k, v in found.items() if k in names}
    children = _groups(session, focus, by)
    return {c.code: sum(v for p, v in found.items() if p.startswith(c.path)) for c in children}


def _invitations(
    session: Session, focus: Unit, by: By, now: dict[str, Any]
) -> dict[Any, tuple[int, int]]:
    """Survey invitations (sent, answered) per row; {} where invitations have no such key."""
    if by is By.PERIOD:
        return {}
    if by in (By.UNIT, By.OUTLET):
        found = invitation_counts.counted(session, Key.OUTLET, **now)
        children = _groups(session, focus, by)
        grouped = {
            c.code: [v for p, v in found.items() if str(p).startswith(c.path)] for c in children
        }
        return {
            code: (sum(s for s, _ in counts), sum(a for _, a in counts))
            for code, counts in grouped.items()
            if counts
        }
    found = invitation_counts.counted(session, _KEYS[by], **now)
    if by is By.TELLER:
        names = breakdown.staff_names(session, [k for k in found if k is not None])
        return {names[k][0]: v for k, v in found.items() if k in names}
    return found
