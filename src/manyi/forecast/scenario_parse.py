"""Checking a scenario mapping key by key; every error names its key path."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from manyi.errors import InvalidInput
from manyi.forecast.scenario import (
    DAY_S,
    Arrivals,
    CounterSpec,
    Distribution,
    RateWindow,
    Scenario,
    ScenarioError,
    ServiceSpec,
    Window,
)
from manyi.lobby.domain.model import DEFAULT_WEIGHTS, CounterKind, Policy, PriorityClass, Service

DISTRIBUTIONS = ("exponential", "lognormal", "empirical", "fixed")
_CLOCK = re.compile(r"^([01]?[0-9]|2[0-4]):([0-5][0-9])$")


# --- paths and plain values -----------------------------------------------------------


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _mapping(value: object, path: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError("must be a mapping of keys to values", path)
    for key in value:
        if not isinstance(key, str) or key not in allowed:
            raise ScenarioError(
                "unknown key (expected one of: {keys})",
                _key(path, str(key)),
                keys=", ".join(allowed),
            )
    return value


def _required(data: Mapping[str, Any], key: str, path: str) -> object:
    if key not in data or data[key] is None:
        raise ScenarioError("is required", _key(path, key))
    return data[key]


def _list(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise ScenarioError("must be a list", path)
    return value


def _number(
    value: object,
    path: str,
    *,
    above: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError("must be a number", path)
    x = float(value)
    if not math.isfinite(x):
        raise ScenarioError("must be a finite number", path)
    if above is not None and not x > above:
        raise ScenarioError("must be > {limit}", path, limit=_fmt(above))
    if minimum is not None and x < minimum:
        raise ScenarioError("must be ≥ {limit}", path, limit=_fmt(minimum))
    if maximum is not None and x > maximum:
        raise ScenarioError("must be ≤ {limit}", path, limit=_fmt(maximum))
    return x


def _integer(value: object, path: str, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError("must be a whole number", path)
    if not minimum <= value <= maximum:
        raise ScenarioError("must be from {lo} to {hi}", path, lo=minimum, hi=maximum)
    return value


def _text(value: object, path: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise ScenarioError("must be a non-empty text", path)
    return str(value).strip()


def _flag(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError("must be true or false", path)
    return value


def _at(exc: InvalidInput, path: str) -> ScenarioError:
    """One of the lobby's own errors, re-raised with the key path."""
    error = ScenarioError(exc.message, path)
    error.params = dict(exc.params)
    error.args = (error.describe(),)
    return error


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)


def _clock(value: object, path: str) -> int:
    """'HH:MM' (24:00 allowed as an end) → seconds after local midnight."""
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ScenarioError('must be a time of day "HH:MM" in quotes', path)
    seconds = int(match.group(1)) * 3600 + int(match.group(2)) * 60
    if seconds > DAY_S:
        raise ScenarioError('must be a time of day "HH:MM" in quotes', path)
    return seconds


def _window(value: object, path: str, keys: Sequence[str]) -> tuple[int, int, Mapping[str, Any]]:
    data = _mapping(value, path, keys)
    start = _clock(_required(data, "from", path), _key(path, "from"))
    end = _clock(_required(data, "to", path), _key(path, "to"))
    if end <= start:
        raise ScenarioError("must be after from (a window cannot pass midnight)", _key(path, "to"))
    return start, end, data


def _no_overlap(windows: Sequence[Window], path: str) -> None:
    order = sorted(range(len(windows)), key=lambda i: windows[i].start_s)
    for a, b in itertools.pairwise(order):
        if windows[b].start_s < windows[a].end_s:
            raise ScenarioError("overlaps window {other}", f"{path}[{b}]", other=a)


def _open_windows(value: object, path: str) -> tuple[Window, ...]:
    windows = []
    for i, item in enumerate(_list(value, path)):
        start, end, _ = _window(item, f"{path}[{i}]", ("from", "to"))
        windows.append(Window(start, end))
    _no_overlap(windows, path)
    return tuple(sorted(windows, key=lambda w: w.start_s))


# --- sections -------------------------------------------------------------------------


def _arrivals(value: object, path: str) -> Arrivals:
    if not isinstance(value, list):
        return Arrivals(per_hour=_number(value, path, minimum=0))
    windows = []
    for i, item in enumerate(value):
        at = f"{path}[{i}]"
        start, end, data = _window(item, at, ("from", "to", "per_hour"))
        rate = _number(_required(data, "per_hour", at), _key(at, "per_hour"), minimum=0)
        windows.append(RateWindow(start, end, rate))
    if not windows:
        raise ScenarioError("must be a number or a non-empty list of windows", path)
    _no_overlap(windows, path)
    return Arrivals(windows=tuple(sorted(windows, key=lambda w: w.start_s)))


def distribution(value: object, path: str) -> Distribution:
    data = _mapping(value, path, ("distribution", "mean_s", "sd_s", "values_s"))
    kind = _required(data, "distribution", path)
    if kind not in DISTRIBUTIONS:
        raise ScenarioError(
            "must be one of: {names}", _key(path, "distribution"), names=", ".join(DISTRIBUTIONS)
        )
    wanted = {"exponential": ("mean_s",), "fixed": ("mean_s",), "lognormal": ("mean_s", "sd_s")}
    needs = wanted.get(str(kind), ("values_s",))
    for key in data:
        if key != "distribution" and key not in needs:
            raise ScenarioError(
                "is not used by the {kind} distribution", _key(path, key), kind=kind
            )
    if kind == "empirical":
        at = _key(path, "values_s")
        raw = _list(_required(data, "values_s", path), at)
        values = tuple(_number(v, f"{at}[{i}]", minimum=0) for i, v in enumerate(raw))
        if not values or sum(values) <= 0:
            raise ScenarioError("must hold at least one duration > 0", at)
        return Distribution("empirical", sum(values) / len(values), values_s=values)
    mean = _number(_required(data, "mean_s", path), _key(path, "mean_s"), above=0)
    sd = 0.0
    if kind == "lognormal":
        sd = _number(_required(data, "sd_s", path), _key(path, "sd_s"), above=0)
    return Distribution(str(kind), mean, sd)


def _classes(value: object, path: str) -> tuple[tuple[PriorityClass, float], ...]:
    names = tuple(k.value for k in PriorityClass)
    data = _mapping(value, path, names)
    shares = tuple(
        (PriorityClass(k), _number(v, _key(path, k), minimum=0, maximum=1)) for k, v in data.items()
    )
    total = sum(s for _, s in shares)
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError("shares must add up to 1 (they add up to {total})", path, total=total)
    return tuple((k, s) for k, s in shares if s > 0)


SERVICE_KEYS = (
    "code",
    "name",
    "prefix",
    "fast_lane",
    "skill",
    "arrivals_per_hour",
    "service_time",
    "classes",
    "no_show_share",
    "transfer_share",
    "transfer_to",
    "patience",
)


def _service(value: object, path: str) -> ServiceSpec:
    data = _mapping(value, path, SERVICE_KEYS)
    code = _text(_required(data, "code", path), _key(path, "code"))
    name = _text(data["name"], _key(path, "name")) if data.get("name") is not None else code
    prefix = data.get("prefix")
    if prefix is None:
        prefix = code[0] if "A" <= code[0] <= "Z" else "X"
    skill = data.get("skill")
    spec = ServiceSpec(
        code=code,
        name=name,
        prefix=_text(prefix, _key(path, "prefix")),
        arrivals=_arrivals(
            _required(data, "arrivals_per_hour", path), _key(path, "arrivals_per_hour")
        ),
        service_time=distribution(
            _required(data, "service_time", path), _key(path, "service_time")
        ),
        classes=_classes(data.get("classes", {"normal": 1.0}), _key(path, "classes")),
        fast_lane=_flag(data.get("fast_lane", False), _key(path, "fast_lane")),
        skill=None if skill is None else _text(skill, _key(path, "skill")),
        no_show_share=_number(
            data.get("no_show_share", 0), _key(path, "no_show_share"), minimum=0, maximum=1
        ),
        transfer_share=_number(
            data.get("transfer_share", 0), _key(path, "transfer_share"), minimum=0, maximum=1
        ),
        transfer_to=None
        if data.get("transfer_to") is None
        else _text(data["transfer_to"], _key(path, "transfer_to")),
        patience=None
        if data.get("patience") is None
        else distribution(data["patience"], _key(path, "patience")),
    )
    if spec.transfer_share > 0 and spec.transfer_to is None:
        raise ScenarioError("is required when transfer_share > 0", _key(path, "transfer_to"))
    if spec.transfer_to == code:
        raise ScenarioError("must be another service", _key(path, "transfer_to"))
    # The lobby's own checks (code and prefix format) with the key path added.
    try:
        Service(code, name, spec.prefix, spec.expected_service_s, fast_lane=spec.fast_lane)
    except InvalidInput as exc:
        raise _at(exc, _key(path, exc.field)) from None
    return spec


def _counter(value: object, path: str, codes: Sequence[str]) -> CounterSpec:
    data = _mapping(value, path, ("number", "services", "kind", "skills", "open"))
    number = _integer(_required(data, "number", path), _key(path, "number"), 1, 9999)
    at = _key(path, "services")
    services = tuple(
        _text(v, f"{at}[{i}]") for i, v in enumerate(_list(_required(data, "services", path), at))
    )
    if not services:
        raise ScenarioError("must name at least one service", at)
    for i, code in enumerate(services):
        if code not in codes:
            raise ScenarioError("unknown service {code}", f"{at}[{i}]", code=code)
    kinds = tuple(k.value for k in CounterKind)
    kind = data.get("kind", "regular")
    if kind not in kinds:
        raise ScenarioError("must be one of: {kinds}", _key(path, "kind"), kinds=", ".join(kinds))
    at = _key(path, "skills")
    skills = frozenset(
        _text(v, f"{at}[{i}]") for i, v in enumerate(_list(data.get("skills", []), at))
    )
    windows = None if data.get("open") is None else _open_windows(data["open"], _key(path, "open"))
    return CounterSpec(number, services, CounterKind(kind), skills, windows)


def _policy(value: object, path: str) -> Policy:
    data = _mapping(value, path, ("weights", "ageing_s", "no_show_after_calls"))
    weights = dict(DEFAULT_WEIGHTS)
    if data.get("weights") is not None:
        at = _key(path, "weights")
        given = _mapping(data["weights"], at, tuple(k.value for k in PriorityClass))
        for name, w in given.items():
            weights[PriorityClass(name)] = _integer(w, _key(at, name), 1, 100)
    kwargs: dict[str, Any] = {"weights": weights}
    if data.get("ageing_s") is not None:
        kwargs["ageing_s"] = _integer(data["ageing_s"], _key(path, "ageing_s"), 60, 4 * 3600)
    if data.get("no_show_after_calls") is not None:
        at = _key(path, "no_show_after_calls")
        kwargs["no_show_after_calls"] = _integer(data["no_show_after_calls"], at, 1, 5)
    try:
        return Policy(**kwargs)
    except InvalidInput as exc:  # the lobby's own checks, with the key path added
        raise _at(exc, _key(path, exc.field)) from None


TOP_KEYS = (
    "name",
    "start",
    "horizon_minutes",
    "warmup_minutes",
    "replications",
    "seed",
    "target_wait_s",
    "drain",
    "recall_interval_s",
    "policy",
    "services",
    "counters",
)


def parse_scenario(data: object, default_name: str = "scenario") -> Scenario:
    top = _mapping(data, "", TOP_KEYS)
    name = _text(top["name"], "name") if top.get("name") is not None else default_name
    horizon = _number(_required(top, "horizon_minutes", ""), "horizon_minutes", above=0) * 60
    warmup = _number(top.get("warmup_minutes", 0), "warmup_minutes", minimum=0) * 60
    if warmup >= horizon:
        raise ScenarioError("must be shorter than horizon_minutes", "warmup_minutes")
    services: list[ServiceSpec] = []
    raw_services = _list(_required(top, "services", ""), "services")
    for i, item in enumerate(raw_services):
        spec = _service(item, f"services[{i}]")
        if any(s.code == spec.code for s in services):
            raise ScenarioError(
                "duplicate service code {code}", f"services[{i}].code", code=spec.code
            )
        services.append(spec)
    if not services:
        raise ScenarioError("must list at least one service", "services")
    codes = [s.code for s in services]
    for i, spec in enumerate(services):
        if spec.transfer_to is not None and spec.transfer_to not in codes:
            raise ScenarioError(
                "unknown service {code}", f"services[{i}].transfer_to", code=spec.transfer_to
            )
    counters: list[CounterSpec] = []
    for i, item in enumerate(_list(_required(top, "counters", ""), "counters")):
        counter = _counter(item, f"counters[{i}]", codes)
        if any(c.number == counter.number for c in counters):
            raise ScenarioError(
                "duplicate counter number {n}", f"counters[{i}].number", n=counter.number
            )
        counters.append(counter)
    if not counters:
        raise ScenarioError("must list at least one counter", "counters")
    for i, spec in enumerate(services):
        if not any(c.serves(spec) for c in counters):
            raise ScenarioError(
                "no counter serves this service (check the counters' services and skills)",
                f"services[{i}].code",
            )
    return Scenario(
        name=name,
        horizon_s=horizon,
        warmup_s=warmup,
        services=tuple(services),
        counters=tuple(counters),
        replications=_integer(top.get("replications", 30), "replications", 1, 100_000),
        seed=_integer(top.get("seed", 1), "seed", 0, 2**63 - 1),
        target_wait_s=_number(top.get("target_wait_s", 600), "target_wait_s", above=0),
        start_s=_clock(top.get("start", "00:00"), "start") % DAY_S,
        drain=_flag(top.get("drain", True), "drain"),
        recall_interval_s=_number(
            top.get("recall_interval_s", 30), "recall_interval_s", minimum=0, maximum=3600
        ),
        policy=_policy(top.get("policy", {}), "policy"),
    )
