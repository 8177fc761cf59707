"""The counter's measures (柜面成效): what one form, one PIN and one authorisation saved.

One card per outlet in the viewer's scope that had bundles on the day, with the scope's
total. A head office sees thousands of outlets: the outlets with bundles come from one
grouped query, only the busiest `CARD_LIMIT` get a card (`measures.outlet_measures` each),
and the rest are counted in a line. The lobby dashboard shows the same card for its
outlet (`dashboard_card`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import case, func, select

from manyi.counter import measures
from manyi.counter.access import Clerk
from manyi.counter.domain.merge import saving_percent
from manyi.counter.measures import OutletMeasures
from manyi.counter.tables import CounterBundle, CounterBundleMeasure
from manyi.counter.web.common import clerk_of, error_text, page
from manyi.db import Session
from manyi.errors import InvalidInput, ManyiError
from manyi.org.model import Permission, UnitLevel
from manyi.org.scope import in_scope
from manyi.org.tables import Unit
from manyi.web.security import DbSession, Principal, require

router = APIRouter(include_in_schema=False)

CARD_LIMIT: Final = 60


@dataclass(frozen=True)
class ScopeDay:
    """The measures of every outlet in a scope on one day."""

    day: dt.date
    cards: list[tuple[Unit, OutletMeasures]]  # the busiest outlets with bundles
    more_with_bundles: int  # outlets with bundles beyond CARD_LIMIT
    without_bundles: int  # outlets in scope that had none
    total: OutletMeasures


def parse_day(text: str, zone: ZoneInfo) -> dt.date:
    """`YYYY-MM-DD`, or today in `zone` when empty."""
    if not text.strip():
        return dt.datetime.now(zone).date()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("the day must be a date like 2026-03-01", "day") from None


def _bundles_of_day(clerk: Clerk, day: dt.date) -> list[Any]:
    """The conditions on measure rows: the clerk's scope, the day, not cancelled."""
    return [
        in_scope(Unit.path, clerk.unit_path),
        CounterBundleMeasure.local_day == day,
        CounterBundle.state != "cancelled",
    ]


def _joined(statement: Any) -> Any:
    return statement.join(Unit, Unit.id == CounterBundleMeasure.outlet_id).join(
        CounterBundle, CounterBundle.id == CounterBundleMeasure.bundle_id
    )


def _total(session: Session, clerk: Clerk, day: dt.date) -> OutletMeasures:
    """The scope's figures in one aggregate query (mean duration only: no median in SQL)."""
    m = CounterBundleMeasure
    done = m.finished_at.is_not(None)
    row = session.execute(
        _joined(
            select(
                func.count(),
                func.count(m.finished_at),
                func.coalesce(func.sum(m.items), 0),
                func.coalesce(func.sum(m.fields_separately), 0),
                func.coalesce(func.sum(m.fields_merged), 0),
                func.coalesce(func.sum(m.values_separately), 0),
                func.coalesce(func.sum(m.values_filled), 0),
                func.coalesce(func.sum(m.pin_entries_saved), 0),
                func.coalesce(func.sum(case((done, m.pin_entries), else_=0)), 0),
                func.coalesce(func.sum(m.authorisations_saved), 0),
                func.coalesce(func.sum(m.authorisations), 0),
                func.coalesce(func.sum(m.identity_checks_saved), 0),
                func.avg(case((done, m.duration_s), else_=None)),
            ).select_from(m)
        ).where(*_bundles_of_day(clerk, day))
    ).one()
    bundles, finished, items, f_sep, f_merged, v_sep, v_filled = (int(x) for x in row[:7])
    pin_saved, pin_taken, auth_saved, auth_taken, id_saved = (int(x) for x in row[7:12])
    return OutletMeasures(
        outlet_id=0,
        day=day,
        bundles=bundles,
        finished=finished,
        items=items,
        fields_separately=f_sep,
        fields_merged=f_merged,
        fields_saved_percent=saving_percent(f_sep, f_merged),
        values_separately=v_sep,
        values_filled=v_filled,
        values_saved_percent=saving_percent(v_sep, v_filled),
        pin_entries_saved=pin_saved,
        pin_entries_taken=pin_taken,
        authorisations_saved=auth_saved,
        authorisations_taken=auth_taken,
        identity_checks_saved=id_saved,
        median_duration_s=None,
        mean_duration_s=round(float(row[12])) if row[12] is not None else None,
    )


def scope_day(session: Session, clerk: Clerk, day: dt.date) -> ScopeDay:
    """The outlets in the clerk's scope with bundles on `day`, busiest first, and the rest."""
    clerk.need(Permission.COUNTER_VIEW)
    bundles = func.count(CounterBundleMeasure.bundle_id)
    busy = session.execute(
        _joined(select(Unit.id, bundles).select_from(CounterBundleMeasure))
        .where(*_bundles_of_day(clerk, day))
        .group_by(Unit.id)
        .order_by(bundles.desc(), Unit.id)
    ).all()
    shown = [unit_id for unit_id, _count in busy[:CARD_LIMIT]]
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(shown)))}
    outlets = session.scalar(
        select(func.count(Unit.id)).where(
            in_scope(Unit.path, clerk.unit_path),
            Unit.level == UnitLevel.OUTLET.value,
        )
    )
    return ScopeDay(
        day=day,
        cards=[(units[i], measures.outlet_measures(session, clerk, i, day)) for i in shown],
        more_with_bundles=max(len(busy) - CARD_LIMIT, 0),
        without_bundles=max(int(outlets or 0) - len(busy), 0),
        total=_total(session, clerk, day),
    )


@router.get("/counter/measures")
def measures_page(
    request: Request,
    day: str = "",
    principal: Principal = require(Permission.COUNTER_VIEW),
    session: Session = DbSession,
) -> Response:
    zone: ZoneInfo = request.app.state.settings.zone
    try:
        chosen = parse_day(day, zone)
        figures = scope_day(session, clerk_of(principal), chosen)
    except ManyiError as exc:
        context = {"error": error_text(request, exc), "day": day, "figures": None}
        return page(request, "counter/measures.html", context, exc.status_code)
    return page(
        request,
        "counter/measures.html",
        {"day": chosen.isoformat(), "figures": figures, "card_limit": CARD_LIMIT},
    )


def dashboard_card(session: Session, principal: Principal, outlet: Unit) -> OutletMeasures | None:
    """Today's measures of the dashboard's outlet, for those who work or watch the counter."""
    if not (principal.can(Permission.COUNTER_VIEW) or principal.can(Permission.COUNTER_OPERATE)):
        return None
    today = dt.datetime.now(ZoneInfo(outlet.timezone)).date()
    try:
        return measures.outlet_measures(session, clerk_of(principal), outlet.id, today)
    except ManyiError:  # an outlet outside the viewer's counter scope: no card
        return None
