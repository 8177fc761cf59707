"""Two versions of manyi side by side, taking turns: CPU per device request of each, and their
ratio (issue 22, docs/lobby.md "Ninth round").

`bench/lobby_inproc.py` measures one version against the floor; between two of its runs this
shared machine's speed drifts by tens of percent, more than a change worth making saves. Here
each version runs in a process of its own (its own checkout's `src` first on `sys.path`, its
own database), both started at once, and they take turns in short blocks of rounds (a kiosk's
ticket, a calling pad's call-next and complete, the ASGI app called directly), the first to go
alternating: the drift falls on both alike, and the ratio of their CPU is what is left.

PostgreSQL only. The two databases (MANYI_BENCH_DATABASE_URL, default .../manyi_bench, and
MANYI_BENCH_DATABASE_URL_B, default .../manyi_bench_b) must exist; their public schemas are
DROPPED and recreated. Example, the working tree against the last commit:

    git worktree add /tmp/base HEAD
    createdb -h 127.0.0.1 -U postgres manyi_bench; createdb -h 127.0.0.1 -U postgres manyi_bench_b
    python bench/lobby_versions.py --base /tmp/base/src --new src

Prints one JSON object as its last line: `base_ms` and `new_ms` ({issue, call, complete,
mean}) and `ratio` ({issue, call, complete, mean}: new over base).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

PG_A = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench"
PG_B = "postgresql+psycopg://postgres@127.0.0.1:5432/manyi_bench_b"
OPS = ("issue", "call", "complete")


def child(warmup: int, queue: int) -> int:
    """One version: prepare its database and app, warm up, then run a block of rounds for
    each line "N" read, answering with the CPU seconds spent per operation."""
    import asyncio

    from lobby_inproc import TICKETS, drain, post, prepared, rounds_of, started

    with tempfile.TemporaryDirectory(prefix="manyi-bench-") as tmp:
        fixture = prepared(Path(tmp))
        from manyi.web.main import create

        kiosk, pad = fixture.kiosks[0], fixture.pads[1]

        async def serve() -> None:
            app = create()
            await started(app)
            await post(app, TICKETS, kiosk, {"service": "A"})
            await drain(app, pad)
            for _ in range(queue):  # a queue that stays: each round issues one and serves one
                await post(app, TICKETS, kiosk, {"service": "A"})
            await rounds_of(app, kiosk, pad, warmup, dict.fromkeys(OPS, 0.0))
            print("ready", flush=True)
            for line in sys.stdin:
                spent = dict.fromkeys(OPS, 0.0)
                await rounds_of(app, kiosk, pad, int(line), spent)
                print(json.dumps(spent), flush=True)

        asyncio.run(serve())
    return 0


def start(src: str, url: str, warmup: int, queue: int) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()), MANYI_BENCH_DATABASE_URL=url)
    here = Path(__file__).resolve()
    process = subprocess.Popen(  # noqa: S603 — this interpreter, this script
        [sys.executable, str(here), "--child", "--warmup", str(warmup), "--queue", str(queue)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=here.parent,
    )
    return process


def answer(out: IO[str]) -> str:
    """The child's next line of its own (its set-up prints progress lines first)."""
    while True:
        line = out.readline()
        if not line:
            raise SystemExit("a version's process ended early: see its output above")
        if line.startswith(("{", "ready")):
            return line


def figures(spent: dict[str, float], rounds: int) -> dict[str, float]:
    out = {op: round(spent[op] / rounds * 1000, 3) for op in OPS}
    out["mean"] = round(sum(spent[op] for op in OPS) / rounds / 3 * 1000, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="the base version's src directory")
    parser.add_argument("--new", help="the new version's src directory")
    parser.add_argument("--rounds", type=int, default=3000, help="measured rounds of each")
    parser.add_argument("--block", type=int, default=20, help="rounds in one turn")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured rounds first")
    parser.add_argument(
        "--queue",
        type=int,
        default=0,
        help="tickets left waiting throughout (default 0; 300 is a queue past the length at"
        " which issuing counts rather than plays it, as in bench/lobby_api.py's closed loop)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.warmup, args.queue)
    if not (args.base and args.new):
        parser.error("--base and --new name the two versions' src directories")
    url_a = os.environ.get("MANYI_BENCH_DATABASE_URL", "") or PG_A
    url_b = os.environ.get("MANYI_BENCH_DATABASE_URL_B", "") or PG_B
    versions = {
        name: start(src, url, args.warmup, args.queue)
        for name, src, url in (("base", args.base, url_a), ("new", args.new, url_b))
    }
    spent: dict[str, dict[str, float]] = {name: dict.fromkeys(OPS, 0.0) for name in versions}
    try:
        for process in versions.values():
            assert process.stdout is not None
            answer(process.stdout)
        done, turn = 0, 0
        order = list(versions)
        while done < args.rounds:
            n = min(args.block, args.rounds - done)
            for name in order if turn % 2 == 0 else order[::-1]:
                process = versions[name]
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(f"{n}\n")
                process.stdin.flush()
                got: dict[str, Any] = json.loads(answer(process.stdout))
                for op in OPS:
                    spent[name][op] += got[op]
            done += n
            turn += 1
    finally:
        for process in versions.values():
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=60)
    base, new = figures(spent["base"], args.rounds), figures(spent["new"], args.rounds)
    ratio = {op: round(new[op] / base[op], 3) if base[op] else 0.0 for op in base}
    print(f"base {base} ms; new {new} ms; new / base {ratio}")
    print(json.dumps({"base_ms": base, "new_ms": new, "ratio": ratio}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
