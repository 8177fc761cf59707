"""The lobby roll-ups, defined once as SQL text that DuckDB and Spark SQL both run unchanged.

Each engine only has to offer the relations `events_whole` and `events_landed` over the
Parquet files (`engines.py`; see RELATIONS below); everything else is here. The dialect is the
common ground of the two: CTEs, CASE, ROW_NUMBER() and COUNT(*) windows, CAST(... AS DOUBLE),
USING joins.

Measures per outlet and grain (day, hour, or day × service × class):

- `tickets`: tickets issued; `no_shows`, `cancellations`: tickets that ended so (the `outcome`
  the publisher puts on a ticket's one finishing event: `finished`, `no_show`, `cancelled`);
- `waits`, `wait_sum_s`, `wait_mean_s`: waits from queueing to first call (`wait_s` on the
  first `called`); `wait_p90_s`: the nearest-rank 90th percentile — the smallest wait whose
  rank k (1-based, ascending) has k >= 0.9 n, tested as 10 k >= 9 n in integers so no rounding
  can differ between engines (n = 10: the 9th smallest; n = 1: that wait);
- `waits_within_target`, `service_level`: the share of waits at or under the target;
- `services`, `service_sum_s`, `service_mean_s`: service times from start to finish.

Seconds are whole numbers in the store, so sums are exact integers and each mean is one IEEE
division of two exact numbers: the engines agree to the last bit.
"""

from __future__ import annotations

GRAINS: dict[str, tuple[str, ...]] = {
    "day": ("outlet_id", "tier1_id", "day"),
    "hour": ("outlet_id", "tier1_id", "day", "hour"),
    "day_service": ("outlet_id", "tier1_id", "day", "service_code", "klass"),
}

# The events each roll-up reads, spliced into both of its scans (a CTE read twice is
# materialised by DuckDB, which costs more than reading the columns twice). Engines offer up
# to two relations: `events_whole`, files alone in their partition (written by one batch, the
# generator or a compaction: no id twice, read as they are), and `events_landed`, partitions
# holding several batches, where overlapping deliveries may have left copies of an event:
# identical rows (lander.py), so DISTINCT is the de-dup by id. Keys are never null here, so
# groups and joins need no null-safe comparisons.
EVENT_COLUMNS = """kind, outlet_id, COALESCE(tier1_id, 0) AS tier1_id, day, hour,
       COALESCE(service_code, '') AS service_code, COALESCE(klass, '') AS klass,
       wait_s, service_s, outcome"""
# What the roll-ups read of a whole file, and of a landed one after the de-dup (which needs
# the id; a whole file's ids are never read, and in a column store unread means not decoded).
WHOLE = "SELECT {columns} FROM events_whole {where}"
LANDED = "SELECT {columns} FROM (SELECT DISTINCT id, {columns} FROM events_landed {where}) landed"
RELATIONS = ("events_whole", "events_landed")

ROLLUP = """
WITH ranked AS (
  SELECT {keys}, wait_s,
         ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY wait_s) AS wait_rank,
         -- n over the same partition and order (one sort for both), the frame the whole group
         COUNT(*) OVER (PARTITION BY {keys} ORDER BY wait_s
                        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS wait_n
  FROM ({events}) ev
  WHERE wait_s IS NOT NULL
),
wait_stats AS (
  SELECT {keys},
         COUNT(*) AS waits,
         SUM(wait_s) AS wait_sum_s,
         MIN(CASE WHEN 10 * wait_rank >= 9 * wait_n THEN wait_s END) AS wait_p90_s,
         SUM(CASE WHEN wait_s <= {target_s} THEN 1 ELSE 0 END) AS waits_within_target
  FROM ranked
  GROUP BY {keys}
),
counts AS (
  SELECT {keys},
         SUM(CASE WHEN kind = 'issued' THEN 1 ELSE 0 END) AS tickets,
         SUM(CASE WHEN outcome = 'no_show' THEN 1 ELSE 0 END) AS no_shows,
         SUM(CASE WHEN outcome = 'cancelled' THEN 1 ELSE 0 END) AS cancellations,
         COUNT(service_s) AS services,
         SUM(service_s) AS service_sum_s
  FROM ({events}) ev
  GROUP BY {keys}
)
SELECT {keys},
       tickets, no_shows, cancellations,
       COALESCE(waits, 0) AS waits,
       COALESCE(wait_sum_s, 0) AS wait_sum_s,
       CASE WHEN waits > 0 THEN CAST(wait_sum_s AS DOUBLE) / waits END AS wait_mean_s,
       wait_p90_s,
       COALESCE(waits_within_target, 0) AS waits_within_target,
       CASE WHEN waits > 0 THEN CAST(waits_within_target AS DOUBLE) / waits END
         AS service_level,
       services,
       COALESCE(service_sum_s, 0) AS service_sum_s,
       CASE WHEN services > 0 THEN CAST(service_sum_s AS DOUBLE) / services END
         AS service_mean_s
FROM counts LEFT JOIN wait_stats USING ({keys})
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
    return ROLLUP.format(events=events, keys=keys, target_s=target_s)


def columns(grain: str) -> tuple[str, ...]:
    return GRAINS[grain] + COLUMNS_AFTER_KEYS


def _iso_day(text: str) -> str:
    import datetime as dt

    return dt.date.fromisoformat(text).isoformat()
