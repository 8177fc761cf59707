"""A star programme as data: the JSON object head office writes (`default_definition` is where
it starts), checked by `parse_programme`, which names the fault of a bad one. Pure.

    {"code": "2026Q4", "name_zh": …, "name_en": …, "period": "quarter", "starts_on": "2026-10-01",
     "eligibility": {"role": "teller", "min_served": 150, "max_complaints": 2,
                     "no_severe_misconduct": true},
     "criteria": [{"criterion": "pad", "weight": 30}, {"criterion": "volume", "weight": 15,
                   "target": 600}, …],
     "levels": [{"code": "star5", "name_zh": "五星服务明星", "name_en": "Five-star", "stars": 5,
                 "min_score": 90}, …],
     "default_quota": 3, "quotas": {"BJ": 5}}

`complaints`, `praise` and `volume` need a `target` (see `domain.stars`); quotas are per tier-1
branch code, the others get `default_quota`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from manyi.errors import InvalidInput
from manyi.supervision.domain.stars import (
    TARGETED,
    Criterion,
    CriterionRule,
    Eligibility,
    Level,
    PeriodKind,
    Programme,
    period_bounds,
    period_code,
)


def default_definition(today: dt.date, kind: PeriodKind = PeriodKind.QUARTER) -> dict[str, Any]:
    """The programme head office starts from: the period containing `today`."""
    start, _end = period_bounds(kind, today)
    code = period_code(kind, start)
    return {
        "code": code,
        "name_zh": f"{code} 服务明星评选",
        "name_en": f"{code} service stars",
        "period": kind.value,
        "starts_on": start.isoformat(),
        "eligibility": {
            "role": "teller",
            "min_served": 150,
            "max_complaints": 2,
            "no_severe_misconduct": True,
        },
        "criteria": [
            {"criterion": "pad", "weight": 30},
            {"criterion": "csat", "weight": 20},
            {"criterion": "complaints", "weight": 15, "target": 3},
            {"criterion": "inspection", "weight": 10},
            {"criterion": "praise", "weight": 10, "target": 5},
            {"criterion": "volume", "weight": 15, "target": 600},
        ],
        "levels": [
            {
                "code": "star5",
                "name_zh": "五星服务明星",
                "name_en": "Five-star",
                "stars": 5,
                "min_score": 90,
            },
            {
                "code": "star4",
                "name_zh": "四星服务明星",
                "name_en": "Four-star",
                "stars": 4,
                "min_score": 80,
            },
            {
                "code": "star3",
                "name_zh": "三星服务明星",
                "name_en": "Three-star",
                "stars": 3,
                "min_score": 70,
            },
        ],
        "default_quota": 3,
        "quotas": {},
    }


def _number(data: Mapping[str, Any], key: str, where: str, *, low: float = 0) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("{where}: {key} must be a number", key, where=where, key=key)
    if value < low:
        raise InvalidInput(
            "{where}: {key} must be at least {low}", key, where=where, key=key, low=low
        )
    return float(value)


def _text(data: Mapping[str, Any], key: str, where: str, limit: int = 100) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(
            "{where}: {key} must be a text of 1 to {limit} characters",
            key,
            where=where,
            key=key,
            limit=limit,
        )
    return value.strip()


def parse_programme(data: Any) -> Programme:
    """Check a programme definition (a JSON object) and build it; a fault is named."""
    if not isinstance(data, dict):
        raise InvalidInput("the programme must be a JSON object", "definition")
    code = _text(data, "code", "programme", 20)
    try:
        kind = PeriodKind(str(data.get("period")))
        first = dt.date.fromisoformat(str(data.get("starts_on")))
    except ValueError:
        raise InvalidInput(
            "programme: period must be quarter or year and starts_on a date (YYYY-MM-DD)",
            "period",
        ) from None
    start, end = period_bounds(kind, first)
    if start != first:
        raise InvalidInput(
            "programme: starts_on must be the first day of the {period}",
            "starts_on",
            period=kind.value,
        )
    raw_elig = data.get("eligibility", {})
    if not isinstance(raw_elig, dict):
        raise InvalidInput("programme: eligibility must be an object", "eligibility")
    eligibility = Eligibility(
        role=str(raw_elig.get("role", "teller")),
        min_served=int(_number(raw_elig, "min_served", "eligibility")),
        max_complaints=int(_number(raw_elig, "max_complaints", "eligibility")),
        no_severe_misconduct=bool(raw_elig.get("no_severe_misconduct", True)),
    )
    criteria = _criteria(data.get("criteria"))
    levels = _levels(data.get("levels"))
    quotas = data.get("quotas", {})
    if not isinstance(quotas, dict) or any(
        not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in quotas.values()
    ):
        raise InvalidInput("programme: quotas must map branch codes to whole numbers", "quotas")
    return Programme(
        code=code,
        name_zh=_text(data, "name_zh", "programme"),
        name_en=_text(data, "name_en", "programme"),
        period=kind,
        starts_on=start,
        ends_on=end,
        eligibility=eligibility,
        criteria=criteria,
        levels=levels,
        default_quota=int(_number(data, "default_quota", "programme")),
        quotas={str(k): int(v) for k, v in quotas.items()},
    )


def _criteria(raw: Any) -> tuple[CriterionRule, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("programme: criteria must be a non-empty list", "criteria")
    rules: list[CriterionRule] = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput("programme: each criterion must be an object", "criteria")
        try:
            criterion = Criterion(str(item.get("criterion")))
        except ValueError:
            names = ", ".join(c.value for c in Criterion)
            raise InvalidInput(
                "unknown criterion {code}; use {names}",
                "criteria",
                code=str(item.get("criterion")),
                names=names,
            ) from None
        if any(r.criterion is criterion for r in rules):
            raise InvalidInput("criterion {code} is listed twice", "criteria", code=criterion.value)
        weight = _number(item, "weight", criterion.value)
        target = None
        if criterion in TARGETED:
            target = _number(item, "target", criterion.value)
            if target <= 0:
                raise InvalidInput(
                    "{where}: {key} must be at least {low}",
                    "criteria",
                    where=criterion.value,
                    key="target",
                    low=1,
                )
        rules.append(CriterionRule(criterion, weight, target))
    if sum(r.weight for r in rules) <= 0:
        raise InvalidInput("programme: the weights must not all be zero", "criteria")
    return tuple(rules)


def _levels(raw: Any) -> tuple[Level, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("programme: levels must be a non-empty list", "levels")
    levels = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput("programme: each level must be an object", "levels")
        code = _text(item, "code", "level", 16)
        score = _number(item, "min_score", code)
        stars = int(_number(item, "stars", code, low=1))
        if score > 100 or stars > 5:
            raise InvalidInput(
                "{where}: min_score is at most 100 and stars at most 5", "levels", where=code
            )
        levels.append(
            Level(code, _text(item, "name_zh", code), _text(item, "name_en", code), stars, score)
        )
    if len({lv.code for lv in levels}) != len(levels):
        raise InvalidInput("programme: level codes must differ", "levels")
    return tuple(sorted(levels, key=lambda lv: -lv.min_score))
