"""The analytics store (issue 21): lobby and other events as Parquet, roll-ups by two engines.

- `layout`: the Parquet schema and the `date=/tier1=` partitions under `MANYI_ANALYTICS_ROOT`
  (any fsspec path), files written atomically;
- `lander`: a batch of event envelopes (the stream's contract) landed, idempotent by id;
- `rollup_sql`: the roll-ups written once as SQL; `engines`: DuckDB (default) and Spark SQL run
  that same text over the same files;
- `compaction`: a finished day's partitions rewritten as one file each, every id once;
- `synthetic`: a national history generated with numpy (pure: the calendar is an argument),
  written by `generate`; `cli`: `manyi cockpit generate` and `manyi cockpit archive`;
- `partitions` (+ `jobs`): the monthly partitions of `lobby_events` on PostgreSQL, created
  ahead by the worker, archived to Parquet and dropped after the retention period.

Other features land events through `lander` and read roll-ups through `engines`.
docs/analytics.md describes the layout, the idempotence and the engines.
"""

PUBLIC: tuple[str, ...] = ("lander", "engines", "rollup_sql", "layout", "compaction")
