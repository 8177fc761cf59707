"""The simulator's optional compiled build: `make native` makes it, `enable()` loads it.

`make native` (scripts/build_native.py) compiles the modules a simulation
spends its time in (`COMPILED`) with mypyc into `build/native/` (not into
`src/`), and writes there a stamp: the SHA-256 of each source it was built
from and of every manyi module those import. Nothing loads the build by
itself, so the plain Python modules stay the default everywhere (the web
app, the tests, `manyi simulate`).

A program that wants it calls `enable()` first thing, before anything
imports the simulator, `lobby.model` or `lobby.ticket`. The build is loaded only when it is
current: built for this Python, from sources with exactly the hashes on the
stamp. Otherwise the process stays in plain Python and `status()` says why
(an edited source, say), so a stale build never shadows an edited `.py`.
The compiled modules are the same code: a seed gives the same numbers
(the build checks that before it writes the stamp; see docs/simulation.md).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

# The hot path of a simulation, from the lobby's rules up to the summary.
COMPILED = (
    "manyi.lobby.domain.model",
    "manyi.lobby.domain.ticket",
    "manyi.lobby.domain.dispatch",
    "manyi.forecast.sampling",
    "manyi.forecast.records",
    "manyi.forecast.floor",
    "manyi.forecast.express",
    "manyi.forecast.replication",
    "manyi.forecast.kpi",
    "manyi.forecast.simulation",
)
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # src/
BUILD_DIR = SOURCE_ROOT.parent / "build" / "native"
STAMP = BUILD_DIR / "stamp.json"

_status = "plain Python (enable() was not called)"


def source_of(module: str) -> Path:
    return SOURCE_ROOT.joinpath(*module.split(".")).with_suffix(".py")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_tag() -> str:
    """What a compiled module must have been built for: this interpreter and ABI."""
    return f"{sys.implementation.cache_tag}{importlib.machinery.EXTENSION_SUFFIXES[0]}"


def enable() -> bool:
    """Load the compiled build for the rest of this process if it is current.

    True when it is (or already was) in use; otherwise nothing changes and
    `status()` says why. Call it before the simulator's modules are imported.
    """
    global _status
    if in_use():
        return True
    problem = _problem()
    if problem is not None:
        _status = f"plain Python ({problem})"
        return False
    stamp = json.loads(STAMP.read_text())
    extensions = {name: BUILD_DIR / file for name, file in stamp["extensions"].items()}
    sys.meta_path.insert(0, _Finder(extensions))
    _status = f"compiled with mypyc ({len(COMPILED)} modules from build/native)"
    return True


def status() -> str:
    return _status


def in_use() -> bool:
    return any(isinstance(finder, _Finder) for finder in sys.meta_path)


def _problem() -> str | None:
    """Why the build cannot be loaded now, or None."""
    if not STAMP.exists():
        return "no compiled build; `make native` makes one"
    try:
        stamp = json.loads(STAMP.read_text())
        built_for, sources, extensions = stamp["tag"], stamp["sources"], stamp["extensions"]
    except (ValueError, KeyError, TypeError):
        return f"unreadable {STAMP}; run `make native` again"
    if built_for != build_tag():
        return f"compiled build is for {built_for}, this is {build_tag()}; run `make native`"
    if sorted(m for m in extensions if m.startswith("manyi.")) != sorted(COMPILED):
        return "compiled build has other modules; run `make native`"
    for module, expected in sources.items():
        path = source_of(module)
        if not path.exists() or digest(path) != expected:
            changed = path.relative_to(SOURCE_ROOT)
            return f"compiled build is stale: {changed} changed; run `make native`"
    missing = [f for f in extensions.values() if not (BUILD_DIR / f).exists()]
    if missing:
        return f"compiled build is incomplete ({missing[0]} is missing); run `make native`"
    imported = [m for m in COMPILED if m in sys.modules]
    if imported:
        return f"enable() came after {imported[0]} was imported"
    return None


class _Finder:
    """Finds the compiled modules (and mypyc's shared library) in the build directory."""

    def __init__(self, extensions: dict[str, Path]) -> None:
        self.extensions = extensions

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        file = self.extensions.get(name)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(name, str(file))
        return importlib.util.spec_from_file_location(name, file, loader=loader)
