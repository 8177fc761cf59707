"""The rows of complaint analysis: a period's count with its comparison, a key's figures with
its comparison and the rates and shares derived from them (`insight.domain.measures`)."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.insight.analysis_sql import Figures
from manyi.insight.domain import measures
from manyi.insight.domain.periods import Span


@dataclass(frozen=True, slots=True)
class PeriodRow:
    span: Span
    count: int
    compared: Span | None = None
    previous: int | None = None

    @property
    def change_pct(self) -> float | None:
        return None if self.previous is None else measures.change_pct(self.count, self.previous)


@dataclass(frozen=True, slots=True)
class KeyRow:
    key: str
    name: str
    figures: Figures
    previous: Figures | None = None
    customers: int = 0  # customers served by the units counted (per-10k rates)
    outlets: int = 0  # outlets among them (per-outlet figures)
    unit_id: int | None = None  # the unit, for unit rows (drill-down)

    @property
    def count(self) -> int:
        return self.figures.count

    @property
    def change_pct(self) -> float | None:
        if self.previous is None:
            return None
        return measures.change_pct(self.figures.count, self.previous.count)

    @property
    def per_10k(self) -> float | None:
        return measures.per_10k(self.figures.count, self.customers)

    @property
    def per_outlet(self) -> float | None:
        return None if self.outlets == 0 else round(self.figures.count / self.outlets, 2)

    @property
    def upheld_share(self) -> float | None:
        return measures.share(self.figures.upheld, self.figures.with_verdict)

    @property
    def overdue_share(self) -> float | None:
        return measures.share(self.figures.overdue, self.figures.count)

    @property
    def disputed_share(self) -> float | None:
        return measures.share(self.figures.disputed, self.figures.count)


@dataclass(frozen=True, slots=True)
class Reach:
    """The scope's customers served and outlets (the rates of non-unit rows)."""

    customers: int
    outlets: int
