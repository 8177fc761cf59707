"""The head-office cockpit (issue 21): every outlet's day rolled up, read at any level of the
bank (docs/cockpit.md).

- `domain/`: pure rules: the mergeable wait histogram and percentiles (`histogram`), one
  outlet-day summed from its facts (`day`), a unit's figures from summed rows (`figures`), the
  levels (`levels`), targets, distance from target and alerts (`targets`);
- `tables`: `cockpit_hourly`, `cockpit_daily`, the state and the dirty marks (migration 0042);
- `build`: a span of days' rows from the raw facts (the lobby's tables, complaints' table, and
  quality's, the counter's and reach's `facts`);
- `rollups` (+ `jobs`, the worker's `cockpit-rollups`; `cli`, `manyi cockpit rollup`; `demo`,
  on seed): the roll-ups kept incrementally under watermarks, re-run on demand;
- `queries` and `overview`: what the cockpit pages read: headline figures, league tables,
  trends, the outlets furthest from target, alerts, the hour-of-day profile, within a staff
  member's data scope, from the roll-ups only (an outlet's tellers, `teller_queries`, and
  counters, `counter_queries`, from its own tickets and counter events).

Nothing below the cockpit imports it (contract cockpit-above); it publishes its pure rules.
"""

PUBLIC = ("domain",)
