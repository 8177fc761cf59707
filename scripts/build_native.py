"""`make native`: compile the simulator's hot modules with mypyc into build/native/.

The plain Python modules stay the default; a program opts in with
`manyi.forecast.native.enable()` (see that module and docs/simulation.md).
This script builds the modules, writes the stamp that `enable()` checks
(the hash of every source the build depends on), then runs the example
scenarios in plain Python and compiled, and keeps the build only if every
replication and summary is identical.

    .venv/bin/python scripts/build_native.py
"""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from manyi.forecast.native import (
    BUILD_DIR,
    COMPILED,
    SOURCE_ROOT,
    STAMP,
    build_tag,
    digest,
    source_of,
)

ROOT = SOURCE_ROOT.parent
TEMP = ROOT / "build" / "native-tmp"

# Runs every example scenario (shortened) on both floors, with a trace, and in two
# processes once (pickling); prints one digest of all the results.
CHECK = """
import hashlib, sys
from dataclasses import replace
from pathlib import Path
from manyi.forecast import native
if sys.argv[1] == "compiled" and not native.enable():
    sys.exit(native.status())
from manyi.forecast.scenario import load_scenario
from manyi.forecast.simulation import run_scenario
h = hashlib.sha256()
for path in sorted(Path("scenarios").glob("*.yaml")):
    sc = load_scenario(path)
    sc = replace(sc, horizon_s=min(sc.horizon_s, 3000 * 60), warmup_s=min(sc.warmup_s, 6000))
    for engine in ("fast", "lobby"):
        r = run_scenario(sc, replications=3, engine=engine, trace=True)
        h.update(repr((r.replications, r.summary)).encode())
r = run_scenario(load_scenario(Path("scenarios/mmc-3.yaml")), replications=4, workers=2)
h.update(repr((r.replications, r.summary)).encode())
print(hashlib.sha256(repr(r.summary).encode()).hexdigest(), h.hexdigest())
"""


def main() -> int:
    try:
        import setuptools  # noqa: F401 - mypyc builds through it
        from mypyc.build import mypycify
    except ImportError as exc:
        print(f"make native needs mypy (with mypyc) and setuptools: {exc}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    shutil.rmtree(TEMP, ignore_errors=True)
    os.chdir(ROOT)  # mypy reads its settings from pyproject.toml
    paths = [str(source_of(m).relative_to(ROOT)) for m in COMPILED]
    extensions = mypycify(paths, opt_level="3", target_dir=str(TEMP))
    from setuptools import setup

    setup(
        name="manyi-native",
        ext_modules=extensions,
        script_args=["--quiet", "build_ext", f"--build-lib={BUILD_DIR}", f"--build-temp={TEMP}"],
    )
    shutil.rmtree(TEMP, ignore_errors=True)
    built = {
        _module_name(path.relative_to(BUILD_DIR)): str(path.relative_to(BUILD_DIR))
        for path in BUILD_DIR.rglob("*")
        if path.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    }
    sources = {m: digest(source_of(m)) for m in sorted(depends_on(COMPILED))}
    stamp = {"tag": build_tag(), "sources": sources, "extensions": built}
    STAMP.write_text(json.dumps(stamp, indent=1) + "\n")
    print(f"compiled {len(COMPILED)} modules in {time.perf_counter() - start:.0f} s; checking")

    plain, compiled = _check("plain"), _check("compiled")
    if plain is None or compiled is None or plain != compiled:
        shutil.rmtree(BUILD_DIR, ignore_errors=True)
        print("compiled results differ from plain Python's; build removed", file=sys.stderr)
        return 1
    print(f"identical results on scenarios/*.yaml; built in {BUILD_DIR.relative_to(ROOT)}")
    return 0


def depends_on(modules: tuple[str, ...]) -> set[str]:
    """The modules and every manyi module they import, directly or not (the stamp's sources)."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        tree = ast.parse(source_of(module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from manyi.lobby import dispatch` imports a module; `from … import Ticket` not.
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            todo += [n for n in names if n.startswith("manyi.") and source_of(n).exists()]
    return seen


def _module_name(relative: Path) -> str:
    parts = list(relative.parts)
    parts[-1] = parts[-1].split(".", 1)[0]
    return ".".join(parts)


def _check(mode: str) -> str | None:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", CHECK, mode], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(f"{mode} check failed:\n{done.stdout}{done.stderr}", file=sys.stderr)
        return None
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
