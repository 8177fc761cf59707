"""The satisfaction page's queries: the Aggregate sums of survey responses or of the rating
pad's answers (窗口评价器), grouped by outlet path, teller, service, channel, trigger or period.

Both sources are read through one subquery shape (path, teller, service, channel, trigger,
answered_at, csat, nps, ces), so the same sums (`sql.sums`) and the same measures serve
both. The pad's four answers are put on the CSAT scale (`PAD_CSAT`): 非常满意 5, 满意 4,
一般 3, 不满意 2, so its "CSAT" is the share of 满意 and 非常满意. The lobby's tables are read
through its public `tables` module; the lobby itself knows nothing of quality.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.orm import Session

from manyi.lobby.tables import Rating, RatingPrompt
from manyi.org.scope import in_scope
from manyi.org.tables import Staff, Unit
from manyi.quality.domain.aggregate import Aggregate
from manyi.quality.domain.periods import Bucket
from manyi.quality.reports import local_day_start
from manyi.quality.sql import sums
from manyi.quality.tables import QualityResponse as R

PAD_CSAT = {"very_satisfied": 5, "satisfied": 4, "neutral": 3, "dissatisfied": 2}


class Source(enum.StrEnum):
    SURVEYS = "surveys"  # quality_responses: imports and surveys
    PAD = "pad"  # the lobby's rating pad


class Key(enum.StrEnum):
    OUTLET = "outlet"  # the outlet's unit path
    TELLER = "teller"  # staff id
    SERVICE = "service"
    CHANNEL = "channel"
    TRIGGER = "trigger"
    PERIOD = "period"  # index of the bucket


def _responses() -> Select[Any]:
    statement: Select[Any] = select(  # type: ignore[assignment]
        R.unit_path.label("path"),
        R.teller_staff_id.label("teller"),
        R.service.label("service"),
        R.channel.label("channel"),
        R.trigger.label("trigger"),
        R.answered_at.label("answered_at"),
        R.csat.label("csat"),
        R.nps.label("nps"),
        R.ces.label("ces"),
    )
    return statement


def _pad() -> Select[Any]:
    score = case(*((Rating.score == k, v) for k, v in PAD_CSAT.items()), else_=null())
    return (
        select(
            Unit.path.label("path"),
            Rating.teller_id.label("teller"),
            RatingPrompt.service_code.label("service"),
            literal("counter").label("channel"),
            literal("ticket").label("trigger"),
            Rating.answered_at.label("answered_at"),
            score.label("csat"),
            cast(null(), Integer).label("nps"),
            cast(null(), Integer).label("ces"),
        )
        .select_from(Rating)
        .join(Unit, Unit.id == Rating.outlet_id)
        .join(RatingPrompt, RatingPrompt.id == Rating.prompt_id)
    )


def local_window(column: Any, tz: str, start: dt.date, end: dt.date) -> list[ColumnElement[bool]]:
    """`column` within the local dates `start`..`end` (inclusive) of the zone `tz`."""
    return [
        column >= local_day_start(start, tz),
        column < local_day_start(end + dt.timedelta(days=1), tz),
    ]


def grouped(
    session: Session,
    source: Source,
    key: Key,
    *,
    tz: str,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    teller_id: int | None = None,
    buckets: Sequence[Bucket] = (),
) -> dict[Any, Aggregate]:
    """{key value: Aggregate} of the source's answers in the subtree and local date range."""
    base = _responses() if source is Source.SURVEYS else _pad()
    table_path = R.unit_path if source is Source.SURVEYS else Unit.path
    answered = R.answered_at if source is Source.SURVEYS else Rating.answered_at
    teller_col = R.teller_staff_id if source is Source.SURVEYS else Rating.teller_id
    where = [in_scope(table_path, scope_path) if scope_path != "/" else true()]
    where += local_window(answered, tz, start, end)
    if teller_id is not None:
        where.append(teller_col == teller_id)
    sub = base.where(*where).subquery()
    if key is Key.PERIOD:
        column: Any = _bucket(sub.c.answered_at, buckets, tz).label("k")
        inner = select(column, sub.c.csat, sub.c.nps, sub.c.ces).subquery()
        statement = select(inner.c.k, *sums(inner.c)).group_by(inner.c.k)
    else:
        column = {
            Key.OUTLET: sub.c.path,
            Key.TELLER: sub.c.teller,
            Key.SERVICE: sub.c.service,
            Key.CHANNEL: sub.c.channel,
            Key.TRIGGER: sub.c.trigger,
        }[key]
        statement = select(column, *sums(sub.c)).group_by(column)
    rows = session.execute(statement).all()
    return {row[0]: Aggregate(*map(int, row[1:])) for row in rows}


def _bucket(column: Any, buckets: Sequence[Bucket], tz: str) -> ColumnElement[Any]:
    if not buckets:
        raise ValueError("grouping by period needs its buckets")
    if len(buckets) == 1:
        return literal(0)  # a CASE needs a WHEN
    uppers = [local_day_start(b.first, tz) for b in buckets[1:]]
    return case(
        *((column < upper, index) for index, upper in enumerate(uppers)),
        else_=len(buckets) - 1,
    )


def pad_prompts(
    session: Session,
    key: Key,
    *,
    tz: str,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    teller_id: int | None = None,
) -> dict[Any, int]:
    """How many customers the pad asked, by outlet path or teller: the pad's response rate is
    its answers over these."""
    column: Any = Unit.path if key is Key.OUTLET else RatingPrompt.teller_id
    where = [in_scope(Unit.path, scope_path) if scope_path != "/" else true()]
    where += local_window(RatingPrompt.prompted_at, tz, start, end)
    if teller_id is not None:
        where.append(RatingPrompt.teller_id == teller_id)
    statement = (
        select(column, func.count())
        .select_from(RatingPrompt)
        .join(Unit, Unit.id == RatingPrompt.outlet_id)
        .where(*where)
        .group_by(column)
    )
    return {row[0]: int(row[1]) for row in session.execute(statement).all()}


def comments(
    session: Session,
    *,
    tz: str,
    scope_path: str,
    start: dt.date,
    end: dt.date,
    teller_id: int | None = None,
    limit: int = 5000,
) -> list[str]:
    """The latest comments of the subtree and range (for the themes), newest first."""
    where = [in_scope(R.unit_path, scope_path) if scope_path != "/" else true()]
    where += local_window(R.answered_at, tz, start, end)
    where.append(R.comment.is_not(None))
    if teller_id is not None:
        where.append(R.teller_staff_id == teller_id)
    statement = select(R.comment).where(*where).order_by(R.answered_at.desc()).limit(limit)
    return [c for c in session.scalars(statement).all() if c]


def units_under(session: Session, path: str) -> list[Unit]:
    """The units whose parent has this path (the rows of a roll-up)."""
    statement = select(Unit).where(in_scope(Unit.path, path), Unit.path != path)
    depth = path.count("/") + 1
    return sorted(
        (u for u in session.scalars(statement).all() if u.path.count("/") == depth),
        key=lambda u: u.code,
    )


def outlets_under(session: Session, path: str) -> list[Unit]:
    """Every outlet in the subtree at `path` (the focus itself when it is one), by code."""
    statement = select(Unit).where(in_scope(Unit.path, path), Unit.level == "outlet")
    return sorted(session.scalars(statement).all(), key=lambda u: u.code)


def unit_by_code(session: Session, code: str) -> Unit | None:
    found: Unit | None = session.scalar(select(Unit).where(Unit.code == code))
    return found


def units_on_path(session: Session, path: str) -> list[Unit]:
    """The unit with this path and its ancestors, head office first."""
    ids = [int(p) for p in path.strip("/").split("/") if p]
    found = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids))).all()}
    return [found[i] for i in ids if i in found]


def staff_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """{staff id: (username, display name)}."""
    if not ids:
        return {}
    rows = session.execute(
        select(Staff.id, Staff.username, Staff.display_name).where(Staff.id.in_(ids))
    ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def staff_by_username(session: Session, username: str) -> tuple[int, str, str] | None:
    """(id, display name, their unit's path) of a staff member."""
    row = session.execute(
        select(Staff.id, Staff.display_name, Unit.path)
        .join(Unit, Unit.id == Staff.unit_id)
        .where(Staff.username == username)
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])
