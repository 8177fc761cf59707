"""How long Erlang C and Erlang A staffing take at national-bank loads.

Prints figures only: the first, the best and the median of --repeat runs of each case, in
milliseconds (later runs may reuse cached values, so the first is the cold figure). The cases
are the large ones of tests/unit/test_erlang_c.py and test_erlang_a.py, whose answers those
tests check: 5,000 arrivals an hour with and without patience, 50,000 an hour over up to 5,000
counters, a patience far beyond the load, and Erlang A on 300 counters.

    .venv/bin/python bench/staffing.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from manyi.forecast.erlang import erlang_a, staff_for

CASES: list[tuple[str, Callable[[], object]]] = [
    ("staff_for 5,000/h, Erlang C", lambda: staff_for(5000, 180, 20, 0.8)),
    ("staff_for 5,000/h, patience 600 s", lambda: staff_for(5000, 180, 20, 0.8, patience_s=600)),
    (
        "staff_for 50,000/h, patience 900 s, ≤5,000 counters",
        lambda: staff_for(50_000, 240, 30, 0.9, patience_s=900, max_servers=5000),
    ),
    ("staff_for 5,000/h, patience 1e9 s", lambda: staff_for(5000, 180, 20, 0.8, patience_s=1e9)),
    ("erlang_a 300 counters, 400 erlangs", lambda: erlang_a(300, 400.0, 180, 3600, 20)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    width = max(len(name) for name, _ in CASES)
    print(f"{'case':<{width}}  first ms  best ms  median ms  ({args.repeat} runs)")
    for name, run in CASES:
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        first, best, median = times[0], min(times), statistics.median(times)
        print(f"{name:<{width}}  {first:8.1f}  {best:7.1f}  {median:9.1f}")


if __name__ == "__main__":
    main()
