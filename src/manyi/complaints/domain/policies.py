"""Complaint deadline policies as data: a regulator's handling periods, which a bank may
configure for itself, the presets manyi ships, and their JSON form.

A policy names its periods in days from receipt (one per stage: the first period and
each extension), how the days are counted (calendar or working days, on which
calendar), what granting each extension requires, and the fractions of a period at
which a case is at risk. How the days are counted into a due instant (the counting
rule; the presets apply their days literally) and the status of a case against it
are `deadlines`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from manyi.complaints.domain.workcal import calendar_for

__all__ = [
    "PRESETS",
    "DayCount",
    "DeadlinePolicy",
    "ExtensionRule",
    "policy_from_dict",
    "policy_to_dict",
]


class DayCount(StrEnum):
    CALENDAR = "calendar"  # 自然日
    WORKING = "working"  # 工作日


@dataclass(frozen=True)
class ExtensionRule:
    """What granting the next stage requires."""

    needs_reason: bool
    needs_complainant_informed: bool
    needs_higher_approval: bool  # approval by the higher-level unit or a head-office manager


@dataclass(frozen=True)
class DeadlinePolicy:
    """A regulator's handling periods, stored as data so a bank can configure its own.

    `limits[i]` is the period of stage i in days from receipt; `extensions[i]`
    says what granting stage i + 1 requires. `at_risk` are fractions of the
    current period used at which the risk level rises to 1, 2, …. The time
    zone is not part of the policy: it is the responsible unit's.
    """

    code: str
    name_zh: str
    name_en: str
    day_count: DayCount
    calendar: str  # "cn" | "weekdays": used for WORKING, ignored for CALENDAR
    limits: tuple[int, ...]
    extensions: tuple[ExtensionRule, ...]
    at_risk: tuple[float, ...] = (0.5, 0.8)

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ValueError("policy code must not be empty")
        if not isinstance(self.day_count, DayCount):
            raise ValueError(f"day_count must be one of {_choices(DayCount)}")
        calendar_for(self.calendar)
        _check_limits(self.limits)
        if len(self.extensions) != len(self.limits) - 1:
            raise ValueError(
                f"a policy with {len(self.limits)} stages needs {len(self.limits) - 1} "
                f"extension rules, got {len(self.extensions)}"
            )
        _check_fractions(self.at_risk)

    @property
    def stages(self) -> int:
        return len(self.limits)


def _check_limits(limits: tuple[int, ...]) -> None:
    if not limits:
        raise ValueError("limits must name at least one period")
    for days in limits:
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise ValueError(f"limits must be positive whole numbers of days, got {days!r}")
    if any(later <= earlier for earlier, later in itertools.pairwise(limits)):
        raise ValueError(f"limits must increase from stage to stage, got {list(limits)}")


def _check_fractions(fractions: tuple[float, ...]) -> None:
    for fraction in fractions:
        if isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ValueError(f"at_risk fractions must be numbers, got {fraction!r}")
        if not 0 < fraction < 1:
            raise ValueError(f"at_risk fractions must lie strictly between 0 and 1, got {fraction}")
    if any(later <= earlier for earlier, later in itertools.pairwise(fractions)):
        raise ValueError(f"at_risk fractions must increase, got {list(fractions)}")


def _choices(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


_REASON_AND_INFORM = ExtensionRule(
    needs_reason=True, needs_complainant_informed=True, needs_higher_approval=False
)
_APPROVED_ABOVE = ExtensionRule(
    needs_reason=True, needs_complainant_informed=True, needs_higher_approval=True
)

PRESETS: dict[str, DeadlinePolicy] = {
    policy.code: policy
    for policy in (
        # 《银行业保险业消费投诉处理管理办法》 art. 24: 15 days; complex cases up to 30;
        # particularly complex cases 30 more with approval from above, complainant told.
        DeadlinePolicy(
            code="cbirc-2020",
            name_zh="银保监会令2020年第3号：15日，可延至30日、60日（自然日）",
            name_en="CBIRC Order 2020 No. 3: 15 days, extendable to 30 and 60 (calendar days)",
            day_count=DayCount.CALENDAR,
            calendar="cn",
            limits=(15, 30, 60),
            extensions=(_REASON_AND_INFORM, _APPROVED_ABOVE),
        ),
        DeadlinePolicy(
            code="cbirc-2020-workdays",
            name_zh="银保监会令2020年第3号：15日，可延至30日、60日（工作日）",
            name_en="CBIRC Order 2020 No. 3: 15 days, extendable to 30 and 60 (working days)",
            day_count=DayCount.WORKING,
            calendar="cn",
            limits=(15, 30, 60),
            extensions=(_REASON_AND_INFORM, _APPROVED_ABOVE),
        ),
        DeadlinePolicy(
            code="cfpb",
            name_zh="美国消费者金融保护局（CFPB）：15日内回复，60日内最终答复",
            name_en="US CFPB: response within 15 days, final response within 60",
            day_count=DayCount.CALENDAR,
            calendar="weekdays",
            limits=(15, 60),
            extensions=(_REASON_AND_INFORM,),
        ),
        DeadlinePolicy(
            code="fca-disp",
            name_zh="英国金融行为监管局（FCA DISP）：8周内最终答复",
            name_en="UK FCA DISP: final response within 8 weeks",
            day_count=DayCount.CALENDAR,
            calendar="weekdays",
            limits=(56,),
            extensions=(),
        ),
        # Business days without UK bank holidays: the "weekdays" calendar knows none.
        DeadlinePolicy(
            code="fca-psd",
            name_zh="英国支付服务投诉：15个工作日，特殊情况35个工作日",
            name_en="UK payment services: 15 business days, 35 in exceptional circumstances",
            day_count=DayCount.WORKING,
            calendar="weekdays",
            limits=(15, 35),
            extensions=(_REASON_AND_INFORM,),
        ),
    )
}


# --- policy as JSON -----------------------------------------------------------

_REQUIRED_KEYS = ("code", "name_zh", "day_count", "limits")
_OPTIONAL_KEYS = ("name_en", "calendar", "extensions", "at_risk")
_RULE_KEYS = ("needs_reason", "needs_complainant_informed", "needs_higher_approval")


def policy_to_dict(policy: DeadlinePolicy) -> dict[str, object]:
    """The policy as plain JSON-ready data; `policy_from_dict` reads it back."""
    return {
        "code": policy.code,
        "name_zh": policy.name_zh,
        "name_en": policy.name_en,
        "day_count": policy.day_count.value,
        "calendar": policy.calendar,
        "limits": list(policy.limits),
        "extensions": [
            {key: getattr(rule, key) for key in _RULE_KEYS} for rule in policy.extensions
        ],
        "at_risk": list(policy.at_risk),
    }


def policy_from_dict(data: Mapping[str, object]) -> DeadlinePolicy:
    """Read a policy stored as JSON, refusing anything unclear with a ValueError.

    Required: code, name_zh, day_count ("calendar" | "working"), limits.
    Optional: name_en (""), calendar ("cn"), extensions ([]), at_risk ([0.5, 0.8]).
    Each extension rule names all three of needs_reason,
    needs_complainant_informed and needs_higher_approval as true or false.
    """
    _check_keys(data, _REQUIRED_KEYS, _OPTIONAL_KEYS, "policy")
    day_count = _text(data, "day_count")
    try:
        counted = DayCount(day_count)
    except ValueError:
        raise ValueError(
            f"day_count must be one of {_choices(DayCount)}, got {day_count!r}"
        ) from None
    return DeadlinePolicy(
        code=_text(data, "code"),
        name_zh=_text(data, "name_zh"),
        name_en=_text(data, "name_en", ""),
        day_count=counted,
        calendar=_text(data, "calendar", "cn"),
        limits=tuple(_whole_number(days, "limits") for days in _items(data, "limits", [])),
        extensions=tuple(_rule_from_dict(rule) for rule in _items(data, "extensions", [])),
        at_risk=tuple(_number(f, "at_risk") for f in _items(data, "at_risk", [0.5, 0.8])),
    )


def _rule_from_dict(data: object) -> ExtensionRule:
    if not isinstance(data, Mapping):
        raise ValueError(f"an extension rule must be an object, got {data!r}")
    _check_keys(data, _RULE_KEYS, (), "extension rule")
    flags = {key: data[key] for key in _RULE_KEYS}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            raise ValueError(f"extension rule {key} must be true or false, got {flag!r}")
    return ExtensionRule(**flags)


def _check_keys(
    data: Mapping[str, object], required: Sequence[str], optional: Sequence[str], what: str
) -> None:
    missing = [key for key in required if key not in data]
    if missing:
        raise ValueError(f"{what} is missing {', '.join(missing)}")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"{what} has unknown keys: {', '.join(unknown)}")


def _text(data: Mapping[str, object], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string, got {value!r}")
    return value


def _whole_number(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must hold whole numbers of days, got {value!r}")
    return value


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must hold numbers, got {value!r}")
    return float(value)


def _items(data: Mapping[str, object], key: str, default: list[object]) -> list[object]:
    value = data.get(key, default)
    if not isinstance(value, list | tuple):
        raise ValueError(f"{key} must be a list, got {value!r}")
    return list(value)
