"""A synthetic national lobby history, vectorised with numpy (no per-event Python).

The organisation: head office (unit 1) → 36 tier-1 branches (units 2–37, provinces of unequal
size) → tier-2 branches (about a dozen outlets each) → outlets, each with its own size (tickets
on an ordinary day, log-normal around 300) and its own pressure (how long its queue runs).

The calendar shapes each day (`day_factor`): Mondays busier (×1.2) and Fridays a little
(×1.1); Saturdays (×0.5) and Sundays (×0.4) lighter; pension days, the 5th to the 10th of a
month, busier (×1.35: pensions are paid and the elderly come to the counter); on a public
holiday about two outlets in three close and the rest open light (×0.3); a make-up working day
on a weekend counts as an ordinary weekday. Within a day tickets arrive 09:00–17:00 local time
with a morning peak near 10:00 and an afternoon one near 14:30.

Each ticket gives its lobby events as the publisher would: `issued`; then `cancelled` (4 %), or
`called` with its wait and then either `no_show` (6 %) or `started` and `finished` with its
service time and the outcome `served`. Everything is a function of the seed: the same
arguments give the same events and ids, so generating again rewrites the same files.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from manyi.analytics.layout import SCHEMA

TIER1_COUNT = 36
OUTLETS_PER_TIER2 = 12
SERVICES = np.array(["A", "B", "C", "D"])  # cash, accounts, loans and wealth, quick
SERVICE_SHARE = np.array([0.45, 0.25, 0.1, 0.2])
SERVICE_MEAN_S = np.array([240.0, 420.0, 600.0, 150.0])
KLASSES = np.array(["normal", "appointment", "vip", "green"])
KLASS_SHARE = np.array([0.8, 0.08, 0.07, 0.05])
KLASS_WAIT = np.array([1.0, 0.35, 0.4, 0.5])  # priority classes wait less
CANCEL_SHARE = 0.04
NO_SHOW_SHARE = 0.06
OPEN_MINUTES = 8 * 60  # 09:00–17:00
KINDS = np.array(["issued", "cancelled", "called", "no_show", "started", "finished"])


class Calendar(Protocol):
    def is_workday(self, day: dt.date) -> bool: ...
    def holiday_name(self, day: dt.date) -> str | None: ...


@dataclass(frozen=True)
class Organisation:
    outlet_ids: np.ndarray  # int64, one per outlet
    tier1_ids: np.ndarray
    tier2_ids: np.ndarray
    size: np.ndarray  # tickets on an ordinary day
    pressure: np.ndarray  # mean wait on an ordinary day, seconds
    closes_on_holidays: np.ndarray  # bool

    @property
    def tier1_units(self) -> np.ndarray:
        return np.unique(self.tier1_ids)


def organisation(outlets: int, seed: int) -> Organisation:
    if outlets < 1:
        raise ValueError("at least one outlet")
    rng = np.random.default_rng([seed, 1])
    weights = rng.dirichlet(np.full(TIER1_COUNT, 4.0))  # provinces of unequal size
    tier1_index = np.sort(rng.choice(TIER1_COUNT, size=outlets, p=weights))
    tier1_ids = (2 + tier1_index).astype(np.int64)
    # Tier-2 branches: consecutive outlets of one tier-1, about a dozen each.
    position = np.arange(outlets) - np.searchsorted(tier1_index, tier1_index)
    tier2_ids = 1_000 + tier1_index * 10_000 + position // OUTLETS_PER_TIER2
    return Organisation(
        outlet_ids=100_000 + np.arange(outlets, dtype=np.int64),
        tier1_ids=tier1_ids,
        tier2_ids=tier2_ids.astype(np.int64),
        size=rng.lognormal(np.log(300.0), 0.5, outlets),
        pressure=rng.lognormal(np.log(420.0), 0.4, outlets),
        closes_on_holidays=rng.random(outlets) < 2 / 3,
    )


def day_factor(day: dt.date, calendar: Calendar) -> tuple[float, bool]:
    """How busy `day` is against an ordinary weekday, and whether it is a public holiday."""
    if not calendar.is_workday(day):
        if calendar.holiday_name(day) is not None:  # weekends inside a festival week too
            return 0.3, True
        return (0.5 if day.weekday() == 5 else 0.4), False
    factor = {0: 1.2, 4: 1.1}.get(day.weekday(), 1.0)
    if 5 <= day.day <= 10:
        factor *= 1.35
    return factor, False


def _intraday_profile() -> np.ndarray:
    minutes = np.arange(OPEN_MINUTES)
    shape = (
        0.35
        + np.exp(-(((minutes - 60) / 55.0) ** 2))
        + 0.8 * np.exp(-(((minutes - 330) / 70.0) ** 2))
    )
    profile: np.ndarray = shape / shape.sum()
    return profile


PROFILE = _intraday_profile()


@dataclass(frozen=True)
class Chunk:
    """The events of one day and one tier-1 branch, with the counters to carry on from."""

    table: pa.Table
    next_event: int
    next_ticket: int


def day_chunk(
    org: Organisation,
    tier1: int,
    day: dt.date,
    calendar: Calendar,
    zone: zoneinfo.ZoneInfo,
    seed: int,
    first_event: int,
    first_ticket: int,
) -> Chunk:
    """Every lobby event of tier-1 branch `tier1` on `day`; ids count on from the firsts."""
    rng = np.random.default_rng([seed, day.toordinal(), tier1])
    mine = np.flatnonzero(org.tier1_ids == tier1)
    factor, holiday = day_factor(day, calendar)
    mean = org.size[mine] * factor
    if holiday:
        mean = np.where(org.closes_on_holidays[mine], 0.0, mean)
    per_outlet = rng.poisson(mean)
    n = int(per_outlet.sum())
    outlet = np.repeat(mine, per_outlet)
    service = rng.choice(len(SERVICES), size=n, p=SERVICE_SHARE)
    klass = rng.choice(len(KLASSES), size=n, p=KLASS_SHARE)
    issued = 9 * 3600 + rng.choice(OPEN_MINUTES, size=n, p=PROFILE) * 60 + rng.integers(0, 60, n)
    busy = min(factor, 1.6)
    wait = rng.gamma(1.5, org.pressure[outlet] * (0.5 + 0.5 * busy) * KLASS_WAIT[klass] / 1.5)
    wait = np.minimum(wait, 3 * 3600).astype(np.int64)
    served_s = rng.lognormal(np.log(SERVICE_MEAN_S[service]), 0.45).astype(np.int64) + 30
    fate = rng.random(n)
    cancelled = fate < CANCEL_SHARE
    no_show = (fate >= CANCEL_SHARE) & (fate < CANCEL_SHARE + NO_SHOW_SHARE)
    called = ~cancelled
    finished = called & ~no_show
    ticket = first_ticket + np.arange(n, dtype=np.int64)

    # (mask, kind index, seconds after local midnight) for each event kind, in ticket order.
    called_at = issued + wait
    parts = [
        (np.ones(n, bool), 0, issued),
        (cancelled, 1, issued + wait * 3 // 5),
        (called, 2, called_at),
        (no_show, 3, called_at + 90),
        (finished, 4, called_at + 20),
        (finished, 5, called_at + 20 + served_s),
    ]
    rows = np.concatenate([np.flatnonzero(mask) for mask, _, _ in parts])
    kind = np.concatenate([np.full(int(mask.sum()), k, np.int8) for mask, k, _ in parts])
    seconds = np.concatenate([at[mask] for mask, _, at in parts])
    total = len(rows)
    midnight = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    base_us = int(midnight.timestamp()) * 1_000_000
    is_wait = kind == 2
    is_finish = kind == 5
    wait_col = pa.array(wait[rows], pa.int32(), mask=~is_wait)
    service_col = pa.array(served_s[rows], pa.int32(), mask=~is_finish)
    outcome_names = np.array([None, "cancelled", None, "no_show", None, "served"], dtype=object)
    outcome = pa.array(outcome_names[kind], pa.string())
    service_code = pa.array(SERVICES[service[rows]])
    klass_col = pa.array(KLASSES[klass[rows]])
    event_ids = first_event + np.arange(total, dtype=np.int64)
    outlet_ids = org.outlet_ids[outlet[rows]]
    table = pa.table(
        {
            "id": _joined("lobby:", pa.array(event_ids)),
            "source": pa.array(np.full(total, "lobby")),
            "kind": pa.array(KINDS[kind]),
            "at": pa.array(base_us + seconds * 1_000_000, pa.timestamp("us", tz="UTC")),
            "day": pa.array(np.full(total, day), pa.date32()),
            "hour": pa.array((seconds // 3600).astype(np.int32)),
            "outlet_id": pa.array(outlet_ids),
            "tier1_id": pa.array(np.full(total, tier1, np.int64)),
            "ticket_id": pa.array(ticket[rows]),
            "counter_id": pa.array(outlet_ids * 100 + 1 + ticket[rows] % 6, mask=kind < 2),
            "staff_id": pa.nulls(total, pa.int64()),
            "service_code": service_code,
            "klass": klass_col,
            "wait_s": wait_col,
            "service_s": service_col,
            "outcome": outcome,
            "data": _data_json(service_code, klass_col, wait_col, service_col, outcome),
        },
        schema=SCHEMA,
    )
    return Chunk(table, first_event + total, first_ticket + n)


def _joined(prefix: str, numbers: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(numbers, pa.string()), "")


def _data_json(
    service_code: pa.Array, klass: pa.Array, wait: pa.Array, service: pa.Array, outcome: pa.Array
) -> pa.Array:
    """The payload as the publisher sends it, built column-wise: '{"service_code":"A",...}'."""

    def field(text: str, value: pa.Array, quote: str = "") -> pa.Array:
        piece = pc.binary_join_element_wise(text, quote, pc.cast(value, pa.string()), quote, "")
        return pc.fill_null(piece, "")

    return pc.binary_join_element_wise(
        '{"service_code":"',
        service_code,
        '","klass":"',
        klass,
        '"',
        field(',"wait_s":', wait),
        field(',"service_s":', service),
        field(',"outcome":', outcome, '"'),
        "}",
        "",
    )
