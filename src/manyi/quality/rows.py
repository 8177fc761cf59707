"""One row of the satisfaction page: a group's Aggregate now and in the range before, with
its measures, changes and response rate, as the page, its JSON and the export show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manyi.quality.domain import measures
from manyi.quality.domain.aggregate import Aggregate
from manyi.quality.domain.measures import Change, Estimate

DIGITS = 4


@dataclass(frozen=True)
class Row:
    key: str | None
    label: str
    aggregate: Aggregate
    before: Aggregate | None = None
    invitations: int | None = None
    drill: dict[str, str] | None = None  # query parameters of the page one level down
    # Of the invitations, how many were answered (surveys); None: every response was asked for
    # (the rating pad: answers over prompts shown).
    answered: int | None = None

    @property
    def small(self) -> bool:
        return self.aggregate.responses < measures.SMALL_SAMPLE_N

    def csat_change(self) -> Change | None:
        if self.before is None:
            return None
        a, b = self.aggregate, self.before
        return measures.csat_change((b.csat_top2, b.csat_n), (a.csat_top2, a.csat_n))

    def nps_change(self) -> Change | None:
        if self.before is None:
            return None
        a, b = self.aggregate, self.before
        return measures.nps_change((b.nps_pro, b.nps_det, b.nps_n), (a.nps_pro, a.nps_det, a.nps_n))

    def response_rate(self) -> float | None:
        if not self.invitations:
            return None
        answered = self.aggregate.responses if self.answered is None else self.answered
        return round(min(1.0, answered / self.invitations), DIGITS)

    def as_json(self) -> dict[str, Any]:
        a = self.aggregate
        return {
            "key": self.key,
            "label": self.label,
            "responses": a.responses,
            "small": self.small,
            "csat": _estimate(a.csat()),
            "csat_mean": _estimate(a.csat_mean()),
            "nps": _estimate(a.nps()),
            "ces_mean": _estimate(a.ces_mean()),
            "csat_change": _change(self.csat_change()),
            "nps_change": _change(self.nps_change()),
            "invitations": self.invitations,
            "response_rate": self.response_rate(),
            "drill": self.drill,
        }


def _round(value: float) -> float:
    return round(value, DIGITS) + 0.0  # no -0.0


def _estimate(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    ci = None if estimate.ci95 is None else estimate.ci95.as_list(DIGITS)
    return {"value": _round(estimate.value), "ci95": ci, "n": estimate.n, "small": estimate.small}


def _change(change: Change | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "difference": _round(change.difference),
        "ci95": change.ci95.as_list(DIGITS),
        "significant": change.significant,
        "small": change.small,
    }


def with_invitations(row: Row, invitations: int | None, answered: int | None = None) -> Row:
    return Row(row.key, row.label, row.aggregate, row.before, invitations, row.drill, answered)
