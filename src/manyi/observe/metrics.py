"""The Prometheus side: request counts and latencies per route, and one scrape's text.

Several web processes (`manyi serve --workers N`) each count their own requests. With
`PROMETHEUS_MULTIPROC_DIR` set before the processes start, prometheus-client keeps each
process's counters and histograms in memory-mapped files in that directory, and a scrape,
whichever process answers it, sums them all (`MultiProcessCollector`). `manyi serve` sets it
(`<MANYI_VAR_DIR>/metrics`, emptied at each start: `prepare_multiprocess`) when it starts
more than one process; an operator who starts uvicorn or gunicorn by hand sets it themselves.
The business gauges are read from the database at scrape time (`gauges`), so they need no
sharing between processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Labelled by the route's template (/complaints/{case_id}), never the path: ids in labels
# would make a series per case. Requests no route matched share one label.
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "manyi_http_requests",
    "HTTP requests answered, per method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "manyi_http_request_duration_seconds",
    "Time to answer a request (event streams left out), per method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def observe_request(method: str, route: str, status: int, seconds: float | None) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    if seconds is not None:
        LATENCY.labels(method, route).observe(seconds)


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


def exposition(extra: Iterable[Metric] = ()) -> bytes:
    """The scrape: this process's request metrics, or every process's in multiprocess mode,
    and the `extra` families (the business gauges)."""
    registry = CollectorRegistry(auto_describe=True)
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(_Families(extra))
    return generate_latest(registry)


def prepare_multiprocess(directory: Path) -> None:
    """Make an empty directory for the processes' metric files, before they start: files of
    an earlier run would add its counts to this one's."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
