"""Service stars (服务明星, 挂牌上岗): the programme, how a teller's score is computed and
explained, and the approval steps' checks (its JSON form is read in `star_definitions`). Pure:
the facts (counts and sums read from the lobby, quality, complaints and inspections) come in as
arguments, and so does `today`.

A programme names a period (a quarter or a year), who is eligible, the criteria with their
weights, the levels and the quota of stars per tier-1 branch. Each criterion turns a raw fact
into a score from 0 to 100:

- `pad`: the share of the rating pad's answers that were 满意 or 非常满意, × 100;
- `csat`: the share of survey CSAT answers of 4 or 5 about this teller, × 100;
- `complaints`: 100 × (1 − complaints / target), never below 0 (target: the number at which
  the score reaches 0);
- `inspection`: the mean inspection score (0–100) of the teller's outlet in the period;
- `praise`: 100 × praise / target, at most 100 (the praise the complaint
  desk registered for the teller in the period, `complaints.facts.praise_for_staff`);
- `volume`: 100 × tickets served / target, at most 100.

Missing data is not a zero: a criterion for which the teller has no data in the period (no
rating-pad answers, no survey answers, no submitted inspection of their outlet) is not counted
for that teller. It stays in the explanation, marked 无数据，不计入 with no weight and no
points, and the weights of the criteria with data are rescaled to 100 %. The total is
Σ weight × score / Σ weight over the criteria with data (0 when none has data). Complaints,
praise and volume always have data: none is a count of 0.
Worked example: weights pad 40, volume 30, complaints 30; pad 90 % satisfied (90), 600 served
against a target of 800 (75), one complaint against a target of 4 (75): total
(40·90 + 30·75 + 30·75) / 100 = 81.0, which is the 四星 level (≥ 80) of the default programme.

A teller is eligible when they hold the role the programme names, served at least
`min_served` tickets, had at most `max_complaints` complaints and no sanction taking them off
the star list (finalised misconduct sanctions; `severe_misconduct` counts those). An
ineligible teller is still listed with the reasons.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from manyi.errors import InvalidInput, Term


class PeriodKind(enum.StrEnum):
    QUARTER = "quarter"
    YEAR = "year"


class Criterion(enum.StrEnum):
    PAD = "pad"  # 评价器满意率
    CSAT = "csat"  # 满意度调查
    COMPLAINTS = "complaints"  # 投诉
    INSPECTION = "inspection"  # 检查得分
    PRAISE = "praise"  # 表扬
    VOLUME = "volume"  # 服务量


CRITERION_NAMES: dict[Criterion, tuple[str, str]] = {
    Criterion.PAD: ("评价器满意率", "Rating pad satisfied share"),
    Criterion.CSAT: ("满意度调查", "Survey CSAT"),
    Criterion.COMPLAINTS: ("投诉", "Complaints"),
    Criterion.INSPECTION: ("网点检查得分", "Outlet inspection score"),
    Criterion.PRAISE: ("客户表扬", "Praise received"),
    Criterion.VOLUME: ("服务量", "Tickets served"),
}

# Criteria whose score needs a target (the raw value at which the score reaches 100, or 0 for
# complaints).
TARGETED = frozenset({Criterion.COMPLAINTS, Criterion.PRAISE, Criterion.VOLUME})


class NominationState(enum.StrEnum):
    NOMINATED = "nominated"  # by the outlet; waits for the branch
    BRANCH_APPROVED = "branch_approved"  # waits for head office
    AWARDED = "awarded"
    REJECTED = "rejected"


@dataclass(frozen=True)
class CriterionRule:
    criterion: Criterion
    weight: float
    target: float | None = None


@dataclass(frozen=True)
class Level:
    code: str
    name_zh: str
    name_en: str
    stars: int
    min_score: float


@dataclass(frozen=True)
class Eligibility:
    role: str = "teller"
    min_served: int = 0
    max_complaints: int = 0
    no_severe_misconduct: bool = True


@dataclass(frozen=True)
class Programme:
    code: str
    name_zh: str
    name_en: str
    period: PeriodKind
    starts_on: dt.date
    ends_on: dt.date
    eligibility: Eligibility
    criteria: tuple[CriterionRule, ...]
    levels: tuple[Level, ...]  # highest first
    default_quota: int
    quotas: Mapping[str, int] = field(default_factory=dict)  # tier-1 branch code → stars

    def quota_for(self, branch_code: str) -> int:
        return int(self.quotas.get(branch_code, self.default_quota))

    def level(self, code: str) -> Level | None:
        return next((lv for lv in self.levels if lv.code == code), None)

    @property
    def valid_until(self) -> dt.date:
        """A star is worn until the end of the period after the one it was won in."""
        return period_bounds(self.period, self.ends_on + dt.timedelta(days=1))[1]


# --- periods ---------------------------------------------------------------------------


def period_bounds(kind: PeriodKind, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the quarter or year that contains `day`."""
    if kind is PeriodKind.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    if first_month == 10:
        return start, dt.date(day.year, 12, 31)
    return start, dt.date(day.year, first_month + 3, 1) - dt.timedelta(days=1)


def period_code(kind: PeriodKind, start: dt.date) -> str:
    if kind is PeriodKind.YEAR:
        return str(start.year)
    return f"{start.year}Q{(start.month - 1) // 3 + 1}"


# --- scoring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What manyi measured about one teller in the programme's period."""

    served: int = 0
    pad_n: int = 0
    pad_top2: int = 0
    survey_n: int = 0
    survey_top2: int = 0
    complaints: int = 0
    inspection: float | None = None  # the outlet's mean score; None: none in the period
    praise: int = 0
    severe_misconduct: int = 0
    roles: tuple[str, ...] = ("teller",)


@dataclass(frozen=True)
class Line:
    """One criterion of a teller's explanation."""

    criterion: Criterion
    raw: str  # the raw value as shown, e.g. "87 % of 120" or "3"
    has_data: bool
    score: float  # 0–100
    weight: float  # the criterion's share of the total, in % after rescaling
    contribution: float  # points it adds to the total

    def as_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion.value,
            "raw": self.raw,
            "has_data": self.has_data,
            "score": round(self.score, 1),
            "weight": round(self.weight, 1),
            "contribution": round(self.contribution, 1),
        }


@dataclass(frozen=True)
class Assessment:
    total: float
    lines: tuple[Line, ...]
    eligible: bool
    reasons: tuple[str, ...]  # why not eligible (English message ids with their values)
    level: Level | None  # the level the total reaches, if any

    def explanation(self) -> dict[str, Any]:
        return {
            "total": round(self.total, 1),
            "eligible": self.eligible,
            "reasons": list(self.reasons),
            "level": self.level.code if self.level else None,
            "lines": [line.as_json() for line in self.lines],
        }


def _share(top: int, n: int) -> tuple[str, bool, float]:
    if n <= 0:
        return "—", False, 0.0
    share = 100.0 * top / n
    return f"{share:.0f}% / {n}", True, share


def _line_value(rule: CriterionRule, facts: Facts) -> tuple[str, bool, float]:
    target = rule.target or 1.0
    match rule.criterion:
        case Criterion.PAD:
            return _share(facts.pad_top2, facts.pad_n)
        case Criterion.CSAT:
            return _share(facts.survey_top2, facts.survey_n)
        case Criterion.COMPLAINTS:
            return str(facts.complaints), True, max(0.0, 100.0 * (1 - facts.complaints / target))
        case Criterion.INSPECTION:
            if facts.inspection is None:
                return "—", False, 0.0
            return f"{facts.inspection:.1f}", True, max(0.0, min(100.0, facts.inspection))
        case Criterion.PRAISE:
            return str(facts.praise), True, min(100.0, 100.0 * facts.praise / target)
        case Criterion.VOLUME:
            return str(facts.served), True, min(100.0, 100.0 * facts.served / target)
    raise AssertionError(rule.criterion)  # pragma: no cover - every criterion is matched


def assess(programme: Programme, facts: Facts) -> Assessment:
    """Score and explain one teller. A criterion without data for this teller is listed but not
    counted (weight 0); the weights of the others are rescaled to 100 %."""
    values = [(rule, *_line_value(rule, facts)) for rule in programme.criteria]
    total_weight = sum(rule.weight for rule, _raw, has_data, _score in values if has_data)
    lines = []
    for rule, raw, has_data, score in values:
        if not has_data or not total_weight:
            lines.append(Line(rule.criterion, raw, has_data, 0.0, 0.0, 0.0))
            continue
        share = 100.0 * rule.weight / total_weight
        lines.append(Line(rule.criterion, raw, has_data, score, share, score * share / 100.0))
    total = round(sum(line.contribution for line in lines), 1)
    reasons = _ineligible(programme.eligibility, facts)
    level = next((lv for lv in programme.levels if total >= lv.min_score), None)
    return Assessment(total, tuple(lines), not reasons, tuple(reasons), level)


def _ineligible(rule: Eligibility, facts: Facts) -> list[str]:
    reasons = []
    if rule.role and rule.role not in facts.roles:
        reasons.append(f"not_role:{rule.role}")
    if facts.served < rule.min_served:
        reasons.append(f"served_below:{rule.min_served}")
    if facts.complaints > rule.max_complaints:
        reasons.append(f"complaints_above:{rule.max_complaints}")
    if rule.no_severe_misconduct and facts.severe_misconduct:
        reasons.append("severe_misconduct")
    return reasons


def ranked(assessed: Sequence[tuple[int, Assessment]]) -> list[tuple[int, Assessment]]:
    """Candidates best first: the eligible ones by total, then the others by total."""
    return sorted(assessed, key=lambda item: (not item[1].eligible, -item[1].total, item[0]))


# --- the approval steps -----------------------------------------------------------------


def check_quota(programme: Programme, branch_code: str, taken: int) -> None:
    """`taken`: nominations of this branch already approved by a branch or awarded."""
    quota = programme.quota_for(branch_code)
    if taken >= quota:
        raise InvalidInput(
            "the quota of {quota} stars for branch {branch} is used up",
            "quota",
            error_code="quota_used",
            quota=quota,
            branch=branch_code,
        )


def check_step(state: NominationState, step: str) -> None:
    """The branch approves a nomination first, head office second; each once."""
    expected = NominationState.NOMINATED if step == "branch" else NominationState.BRANCH_APPROVED
    if state is not expected:
        raise InvalidInput(
            "this nomination is {state}; the {step} step takes a nomination that is {expected}",
            "state",
            error_code="wrong_step",
            state=Term(f"star:{state.value}"),
            step=Term(f"step:{step}"),
            expected=Term(f"star:{expected.value}"),
        )


REASONS: dict[str, tuple[str, str]] = {
    "not_role": ("不是{n}岗位", "not in the {n} role"),
    "served_below": ("服务量未达到{n}笔", "fewer than {n} tickets served"),
    "complaints_above": ("投诉超过{n}件", "more than {n} complaints"),
    "severe_misconduct": ("受过取消服务明星资格的处分", "a sanction took them off the star list"),
}


def reason_texts(reasons: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The eligibility reasons (`Assessment.reasons`) in Chinese and in English."""
    zh, en = [], []
    for reason in reasons:
        code, _sep, value = reason.partition(":")
        texts = REASONS.get(code, (code, code))
        zh.append(texts[0].format(n=value))
        en.append(texts[1].format(n=value))
    return tuple(zh), tuple(en)
