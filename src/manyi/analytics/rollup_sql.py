"""The lobby roll-ups, defined once as SQL text that DuckDB and Spark SQL both run unchanged
(and PostgreSQL too: the benchmark runs it over a table of the same events).

Each engine only has to offer the relations `events_whole` and `events_landed` over the
Parquet files (`engines.py`; see RELATIONS below); everything else is here. The dialect is the
common ground of the engines: CASE, COUNT/SUM, CAST(... AS DOUBLE), DISTINCT, UNION ALL and
the ordered-set aggregate `PERCENTILE_DISC(q) WITHIN GROUP (ORDER BY x)` (SQL:2003; DuckDB,
Spark SQL 3.3+ and PostgreSQL alike).

Measures per outlet and grain (day, hour, or day × service × class):

- `tickets`: tickets issued; `no_shows`, `cancellations`: tickets that ended so (the `outcome`
  the publisher puts on a ticket's one finishing event: `finished`, `no_show`, `cancelled`);
- `waits`, `wait_sum_s`, `wait_mean_s`: waits from queueing to first call (`wait_s` on the
  first `called`); `wait_p90_s`: the nearest-rank 90th percentile, `PERCENTILE_DISC(0.9)`: the
  smallest wait whose rank k (1-based, ascending) has k >= 0.9 n (n = 10: the 9th smallest;
  n = 1: that wait). Each engine computes it inside its GROUP BY, without a window sort of
  every wait, and all three pick the same element;
- `waits_within_target`, `service_level`: the share of waits at or under the target;
- `services`, `service_sum_s`, `service_mean_s`: service times from start to finish.

Seconds are whole numbers in the store, so sums are exact integers and each mean is one IEEE
division of two exact numbers: the engines agree to the last bit.

The roll-up is one pass: one scan of the columns it reads, one GROUP BY computing every measure.
"""

from __future__ import annotations

GRAINS: dict[str, tuple[str, ...]] = {
    "day": ("outlet_id", "tier1_id", "day"),
    "hour": ("outlet_id", "tier1_id", "day", "hour"),
    "day_service": ("outlet_id", "tier1_id", "day", "service_code", "klass"),
}

# The events the roll-up reads. Engines offer up to two relations: `events_whole`, files alone
# in their partition (written by one batch, the generator or a compaction: no id twice, read as
# they are), and `events_landed`, partitions holding several batches, where overlapping
# deliveries may have left copies of an event: identical rows (lander.py), so DISTINCT is the
# de-dup by id. Keys are never null here, so groups need no null-safe comparisons.
EVENT_COLUMNS = """kind, outlet_id, COALESCE(tier1_id, 0) AS tier1_id, day, hour,
       COALESCE(service_code, '') AS service_code, COALESCE(klass, '') AS klass,
       wait_s, service_s, outcome"""
# What the roll-up reads of a whole file, and of a landed one after the de-dup (which needs
# the id; a whole file's ids are never read, and in a column store unread means not decoded).
WHOLE = "SELECT {columns} FROM events_whole {where}"
LANDED = "SELECT {columns} FROM (SELECT DISTINCT id, {columns} FROM events_landed {where}) landed"
RELATIONS = ("events_whole", "events_landed")

WITHIN = "SUM(CASE WHEN wait_s <= {target_s} THEN 1 ELSE 0 END)"
ROLLUP = """
SELECT {keys},
       SUM(CASE WHEN kind = 'issued' THEN 1 ELSE 0 END) AS tickets,
       SUM(CASE WHEN outcome = 'no_show' THEN 1 ELSE 0 END) AS no_shows,
       SUM(CASE WHEN outcome = 'cancelled' THEN 1 ELSE 0 END) AS cancellations,
       COUNT(wait_s) AS waits,
       COALESCE(SUM(wait_s), 0) AS wait_sum_s,
       CASE WHEN COUNT(wait_s) > 0 THEN CAST(SUM(wait_s) AS DOUBLE) / COUNT(wait_s) END
         AS wait_mean_s,
       CAST(PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY wait_s) AS INTEGER) AS wait_p90_s,
       {within} AS waits_within_target,
       CASE WHEN COUNT(wait_s) > 0 THEN CAST({within} AS DOUBLE) / COUNT(wait_s) END
         AS service_level,
       COUNT(service_s) AS services,
       COALESCE(SUM(service_s), 0) AS service_sum_s,
       CASE WHEN COUNT(service_s) > 0 THEN CAST(SUM(service_s) AS DOUBLE) / COUNT(service_s) END
         AS service_mean_s
FROM ({events}) ev
GROUP BY {keys}
ORDER BY {keys}
"""

COLUMNS_AFTER_KEYS = (
    "tickets",
    "no_shows",
    "cancellations",
    "waits",
    "wait_sum_s",
    "wait_mean_s",
    "wait_p90_s",
    "waits_within_target",
    "service_level",
    "services",
    "service_sum_s",
    "service_mean_s",
)


def rollup_sql(
    grain: str,
    target_s: int,
    day_from: str | None = None,
    day_to: str | None = None,
    relations: tuple[str, ...] = RELATIONS,
) -> str:
    """The roll-up of `grain` with the service-level target `target_s` seconds, optionally for
    the local days in [day_from, day_to) (ISO dates, checked here: they are spliced in), over
    the `relations` the engine offers (one or both of RELATIONS)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r} (known: {', '.join(GRAINS)})")
    if isinstance(target_s, bool) or not isinstance(target_s, int) or target_s < 0:
        raise ValueError("the service-level target is a whole number of seconds >= 0")
    day_filter = ""
    if day_from is not None:
        day_filter += f" AND day >= DATE '{_iso_day(day_from)}'"
    if day_to is not None:
        day_filter += f" AND day < DATE '{_iso_day(day_to)}'"
    keys = ", ".join(GRAINS[grain])
    if not relations or set(relations) - set(RELATIONS):
        raise ValueError(f"relations must be among {RELATIONS}")
    where = f"WHERE source = 'lobby' AND outlet_id IS NOT NULL{day_filter}"
    parts = {"events_whole": WHOLE, "events_landed": LANDED}
    events = " UNION ALL ".join(
        parts[name].format(columns=EVENT_COLUMNS, where=where)
        for name in RELATIONS
        if name in relations
    )
    within = WITHIN.format(target_s=target_s)
    return ROLLUP.format(events=events, keys=keys, within=within)


def columns(grain: str) -> tuple[str, ...]:
    return GRAINS[grain] + COLUMNS_AFTER_KEYS


def _iso_day(text: str) -> str:
    import datetime as dt

    return dt.date.fromisoformat(text).isoformat()
