"""Observability: what operations watch, above every feature it reads (contract
observe-above; docs/operations.md, section 8).

- `middleware`: each request's id (`X-Request-ID`, the proxy's when sane), its count and
  latency per route template, and in JSON mode its access line;
- `metrics`: the Prometheus registry, one process or several (`PROMETHEUS_MULTIPROC_DIR`);
- `gauges`: the business gauges read at scrape time (customers waiting, the longest wait,
  service level, counters open, complaints open / at risk / overdue, the notification outbox,
  how late the worker's due work is);
- `tracing`: OpenTelemetry spans, off by default (`MANYI_TRACING`);
- `web`: the `/metrics` route, for configured addresses only (`MANYI_METRICS_ALLOW`).

The request id lives below the features (`manyi.request_ids`), so the audit chain can stamp
it on its events, and so do the log lines, text or JSON (`manyi.log_lines`,
`MANYI_LOG_FORMAT`), which every process (the web app, the worker, `manyi serve`) sets up.
"""

PUBLIC: tuple[str, ...] = ()
