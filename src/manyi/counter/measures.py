"""What bundles save, per bundle and per outlet and day (the dashboard card).

Per bundle, when it opens (`baseline`): the fields of the separate forms against the
fields of the merged form (`merge.measure`), the values the customer would have written
on separate forms (each item's values, a shared one once per form that asks it) against
the values written on the merged form, and the PIN entries, authorisations and ID-card
reads the bundle saves. When it finishes (`finish`): the values as confirmed, the PIN
entries and authorisation requests actually taken, and the time from the ticket's call
(or, without a ticket, the bundle's opening) to the end of the run.

Per scope and day (`scope_day`, the measures page): a head office sees thousands of
outlets, so the outlets with bundles come from one grouped query, only the busiest
`CARD_LIMIT` get a card (`outlet_measures` each), the rest are counted, and the scope's
total is one aggregate query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from statistics import median
from typing import Any, Final

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from manyi.counter.access import Clerk
from manyi.counter.domain.merge import MergedForm, measure, saving_percent
from manyi.counter.tables import CounterBundle, CounterBundleMeasure
from manyi.errors import NotFound
from manyi.org.model import Permission, UnitLevel
from manyi.org.scope import in_scope
from manyi.org.tables import Unit

__all__ = [
    "CARD_LIMIT",
    "OutletMeasures",
    "ScopeDay",
    "baseline",
    "finish",
    "outlet_measures",
    "scope_day",
]

CARD_LIMIT: Final = 60


def _filled(value: object) -> bool:
    return value not in (None, "")


def _counts(form: MergedForm, values: dict[str, object]) -> tuple[int, int]:
    separately = sum(sum(_filled(v) for v in item.values()) for item in form.split(values))
    return separately, sum(_filled(v) for v in values.values())


def _fill(
    row: CounterBundleMeasure,
    form: MergedForm,
    values: dict[str, object],
    flags: Collection[str],
) -> None:
    saving = measure(form, values, flags)
    row.items = len(form.items)
    row.fields_separately = saving.fields_separately
    row.fields_merged = saving.fields_merged
    row.values_separately, row.values_filled = _counts(form, values)
    row.pin_entries_saved = saving.pin_entries_saved
    row.authorisations_saved = saving.authorisations_saved
    row.identity_checks_saved = saving.identity_checks_saved
    row.level = saving.level.code


def baseline(
    session: Session,
    bundle: CounterBundle,
    form: MergedForm,
    local_day: dt.date,
    flags: Collection[str],
) -> CounterBundleMeasure:
    row = CounterBundleMeasure(
        bundle_id=bundle.id,
        outlet_id=bundle.outlet_id,
        local_day=local_day,
        called_at=bundle.called_at,
        pin_entries=0,
        authorisations=0,
    )
    _fill(row, form, bundle.form_values, flags)
    session.add(row)
    return row


def finish(
    session: Session,
    bundle: CounterBundle,
    form: MergedForm,
    flags: Collection[str],
    authorisations: int,
    now: dt.datetime,
) -> CounterBundleMeasure:
    row = session.get_one(CounterBundleMeasure, bundle.id)
    _fill(row, form, bundle.form_values, flags)
    row.pin_entries = bundle.pin_entries
    row.authorisations = authorisations
    row.finished_at = now
    started = bundle.called_at or bundle.opened_at
    row.duration_s = max(int((now - started).total_seconds()), 0)
    return row


@dataclass(frozen=True)
class OutletMeasures:
    """One outlet's bundles of one local day, for the dashboard card."""

    outlet_id: int
    day: dt.date
    bundles: int  # opened
    finished: int  # ran to an end (done, partial or failed)
    items: int
    fields_separately: int
    fields_merged: int
    fields_saved_percent: float
    values_separately: int
    values_filled: int
    values_saved_percent: float
    pin_entries_saved: int  # by the bundles' design
    pin_entries_taken: int
    authorisations_saved: int
    authorisations_taken: int
    identity_checks_saved: int
    median_duration_s: int | None  # call (or opening) to finish, finished bundles
    mean_duration_s: int | None


def outlet_measures(session: Session, clerk: Clerk, outlet_id: int, day: dt.date) -> OutletMeasures:
    clerk.need_any(Permission.COUNTER_VIEW, Permission.COUNTER_OPERATE)
    outlet = session.get(Unit, outlet_id)
    if outlet is None or not clerk.sees(outlet.path):
        raise NotFound("no outlet {code}", "outlet", code=str(outlet_id))
    rows = list(
        session.scalars(
            select(CounterBundleMeasure)
            .join(CounterBundle, CounterBundle.id == CounterBundleMeasure.bundle_id)
            .where(
                CounterBundleMeasure.outlet_id == outlet_id,
                CounterBundleMeasure.local_day == day,
                CounterBundle.state != "cancelled",
            )
        )
    )
    done = [r for r in rows if r.finished_at is not None]
    durations = [r.duration_s for r in done if r.duration_s is not None]
    separately, merged = sum(r.fields_separately for r in rows), sum(r.fields_merged for r in rows)
    values_sep, filled = sum(r.values_separately for r in rows), sum(r.values_filled for r in rows)
    return OutletMeasures(
        outlet_id=outlet_id,
        day=day,
        bundles=len(rows),
        finished=len(done),
        items=sum(r.items for r in rows),
        fields_separately=separately,
        fields_merged=merged,
        fields_saved_percent=saving_percent(separately, merged),
        values_separately=values_sep,
        values_filled=filled,
        values_saved_percent=saving_percent(values_sep, filled),
        pin_entries_saved=sum(r.pin_entries_saved for r in rows),
        pin_entries_taken=sum(r.pin_entries for r in done),
        authorisations_saved=sum(r.authorisations_saved for r in rows),
        authorisations_taken=sum(r.authorisations for r in rows),
        identity_checks_saved=sum(r.identity_checks_saved for r in rows),
        median_duration_s=int(median(durations)) if durations else None,
        mean_duration_s=round(sum(durations) / len(durations)) if durations else None,
    )


# --- every outlet in a scope on one day (the measures page) ---------------------------


@dataclass(frozen=True)
class ScopeDay:
    """The measures of every outlet in a scope on one day."""

    day: dt.date
    cards: list[tuple[Unit, OutletMeasures]]  # the busiest outlets with bundles
    more_with_bundles: int  # outlets with bundles beyond CARD_LIMIT
    without_bundles: int  # outlets in scope that had none
    total: OutletMeasures


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
        cards=[(units[i], outlet_measures(session, clerk, i, day)) for i in shown],
        more_with_bundles=max(len(busy) - CARD_LIMIT, 0),
        without_bundles=max(int(outlets or 0) - len(busy), 0),
        total=_total(session, clerk, day),
    )
