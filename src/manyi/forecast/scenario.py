"""Simulation scenarios: what a YAML file describes, checked into frozen dataclasses.

`load_scenario(path)` reads a file, `parse_scenario(data)` checks a mapping
already loaded. Every error is a `ScenarioError` (an `InvalidInput`) whose
field is the key path, e.g. ``services[0].service_time.mean_s``, so a user
sees which line of the file to fix. The schema is documented, key by key,
in docs/simulation.md; `scenario_parse.py` holds the checking helpers.

Times of day are local clock times of the outlet, as seconds after local
midnight; windows repeat every day of the run.

The YAML loader is PyYAML's safe loader with one change: numbers follow
YAML 1.2, so ``10:00`` stays the text "10:00" (YAML 1.1 would read it as
the base-60 number 600) and ``1e3`` is a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from manyi.errors import InvalidInput
from manyi.lobby.domain.model import CounterKind, Policy, PriorityClass

DAY_S = 86_400


class ScenarioError(InvalidInput):
    """A scenario that cannot be simulated; `field` is the key path at fault."""

    error_code = "invalid_scenario"

    def describe(self) -> str:
        """``services[0].service_time.mean_s: must be > 0``, for a terminal."""
        return f"{self.field}: {self.text()}" if self.field else self.text()

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Window:
    """A daily time window [start_s, end_s) in seconds after local midnight."""

    start_s: int
    end_s: int

    def contains(self, second_of_day: float) -> bool:
        return self.start_s <= second_of_day < self.end_s


@dataclass(frozen=True)
class RateWindow(Window):
    per_hour: float = 0.0


@dataclass(frozen=True)
class Distribution:
    """A duration distribution in seconds.

    `exponential` and `fixed` use `mean_s`; `lognormal` uses `mean_s` and
    `sd_s` (of the duration itself, not of its logarithm); `empirical` draws
    uniformly from `values_s`.
    """

    kind: str
    mean_s: float
    sd_s: float = 0.0
    values_s: tuple[float, ...] = ()


@dataclass(frozen=True)
class Arrivals:
    """Arrivals of one service: a constant rate, or a rate per daily window (0 outside)."""

    per_hour: float | None = None
    windows: tuple[RateWindow, ...] = ()

    def mean_per_hour_at(self, second_of_day: float) -> float:
        if self.per_hour is not None:
            return self.per_hour
        for w in self.windows:
            if w.contains(second_of_day):
                return w.per_hour
        return 0.0


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    prefix: str
    arrivals: Arrivals
    service_time: Distribution
    classes: tuple[tuple[PriorityClass, float], ...] = ((PriorityClass.NORMAL, 1.0),)
    fast_lane: bool = False
    skill: str | None = None
    no_show_share: float = 0.0
    transfer_share: float = 0.0
    transfer_to: str | None = None
    patience: Distribution | None = None  # None: customers never give up

    @property
    def expected_service_s(self) -> int:
        """The lobby's expected service time (used by its wait estimate), clamped to its range."""
        return min(max(round(self.service_time.mean_s), 10), 4 * 3600)


@dataclass(frozen=True)
class CounterSpec:
    number: int
    services: tuple[str, ...]
    kind: CounterKind = CounterKind.REGULAR
    skills: frozenset[str] = frozenset()
    # None: open the whole run; empty: opened only by a staffing rule (see simulation.py)
    open: tuple[Window, ...] | None = None

    def serves(self, service: ServiceSpec) -> bool:
        return service.code in self.services and (
            service.skill is None or service.skill in self.skills
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    horizon_s: float
    services: tuple[ServiceSpec, ...]
    counters: tuple[CounterSpec, ...]
    warmup_s: float = 0.0
    replications: int = 30
    seed: int = 1
    target_wait_s: float = 600.0
    start_s: int = 0  # local time of day when the run starts
    drain: bool = True  # after the horizon, serve everyone who holds a ticket
    recall_interval_s: float = 30.0  # a teller waits this long before each recall / no-show
    policy: Policy = field(default_factory=Policy)

    def service(self, code: str) -> ServiceSpec:
        for s in self.services:
            if s.code == code:
                return s
        raise KeyError(code)

    def offered_load(self) -> float:
        """Mean busy counters needed on average over a day (constant-rate services only)."""
        total = 0.0
        for s in self.services:
            if s.arrivals.per_hour is not None:
                total += s.arrivals.per_hour / 3600 * s.service_time.mean_s
        return total


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file; ScenarioError names the key (or the line) at fault."""
    return parse_scenario(read_yaml(path), default_name=path.stem)


def parse_scenario(data: object, default_name: str = "scenario") -> Scenario:
    """Check an already loaded mapping (e.g. from YAML or JSON) into a Scenario."""
    from manyi.forecast import scenario_parse

    return scenario_parse.parse_scenario(data, default_name=default_name)


# The safe loader with YAML 1.2 numbers (no base-60 integers such as 10:00). Built with
# type() so that it type-checks with and without PyYAML's type stubs.
_Loader: Any = type("_Loader", (yaml.SafeLoader,), {})
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?\.inf)$"),
    list("-+0123456789."),
)


def read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("scenario file {path} not found", "", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            "cannot read {path}: {reason}", "", path=str(path), reason=exc
        ) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            "not valid YAML at {where}: {problem}", "", where=where, problem=problem
        ) from None


def open_intervals(spec: CounterSpec, scenario: Scenario) -> list[tuple[float, float]]:
    """When a counter is scheduled open, as (open, close) seconds since the start, merged."""
    if spec.open is None:
        return [(0.0, scenario.horizon_s)]
    out: list[tuple[float, float]] = []
    last_day = int((scenario.start_s + scenario.horizon_s) // DAY_S)
    for day in range(last_day + 1):
        for w in spec.open:
            a = max(float(day * DAY_S + w.start_s - scenario.start_s), 0.0)
            b = min(float(day * DAY_S + w.end_s - scenario.start_s), scenario.horizon_s)
            if b <= a:
                continue
            if out and out[-1][1] >= a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return out
