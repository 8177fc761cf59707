"""The additive aggregate of responses: counts and sums from which every measure is computed.

An `Aggregate` of a group of responses is the sum of the aggregates of any partition of it,
exactly (integers only), so a report can add up per-outlet, per-day roll-ups and get what a
query over the raw rows gets. The field names are the column names roll-up tables will use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from manyi.quality.domain import measures
from manyi.quality.domain.measures import Estimate


@dataclass(frozen=True, slots=True)
class Aggregate:
    responses: int = 0  # rows, whatever they answered
    csat_n: int = 0  # answers 1–5
    csat_top2: int = 0  # of which 4 or 5
    csat_sum: int = 0
    csat_sumsq: int = 0
    nps_n: int = 0  # answers 0–10
    nps_pro: int = 0  # 9–10
    nps_det: int = 0  # 0–6
    ces_n: int = 0  # answers 1–7
    ces_sum: int = 0
    ces_sumsq: int = 0

    @classmethod
    def of(cls, csat: int | None, nps: int | None, ces: int | None) -> Aggregate:
        """The aggregate of one response (any of its scores may be missing)."""
        _check("csat", csat, measures.CSAT_SCALE)
        _check("nps", nps, measures.NPS_SCALE)
        _check("ces", ces, measures.CES_SCALE)
        return cls(
            responses=1,
            csat_n=int(csat is not None),
            csat_top2=int(csat is not None and csat >= measures.CSAT_TOP),
            csat_sum=csat or 0,
            csat_sumsq=(csat or 0) ** 2,
            nps_n=int(nps is not None),
            nps_pro=int(nps is not None and nps >= measures.NPS_PROMOTER),
            nps_det=int(nps is not None and nps <= measures.NPS_DETRACTOR),
            ces_n=int(ces is not None),
            ces_sum=ces or 0,
            ces_sumsq=(ces or 0) ** 2,
        )

    def __add__(self, other: Aggregate) -> Aggregate:
        return Aggregate(*(getattr(self, f) + getattr(other, f) for f in FIELDS))

    @classmethod
    def total(cls, parts: Iterable[Aggregate]) -> Aggregate:
        found = cls()
        for part in parts:
            found = found + part
        return found

    def as_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in FIELDS}

    # --- the measures -----------------------------------------------------------------------

    def csat(self) -> Estimate | None:
        """Share of 4–5 (0–1) with its Wilson interval."""
        return measures.csat_share(self.csat_top2, self.csat_n)

    def csat_mean(self) -> Estimate | None:
        return measures.mean(self.csat_n, self.csat_sum, self.csat_sumsq, measures.CSAT_SCALE)

    def nps(self) -> Estimate | None:
        """NPS (−100..100) with its multinomial interval."""
        return measures.nps(self.nps_pro, self.nps_det, self.nps_n)

    def ces_mean(self) -> Estimate | None:
        return measures.mean(self.ces_n, self.ces_sum, self.ces_sumsq, measures.CES_SCALE)

    @property
    def small(self) -> bool:
        """Fewer than SMALL_SAMPLE_N responses."""
        return self.responses < measures.SMALL_SAMPLE_N


FIELDS = tuple(f.name for f in fields(Aggregate))


def _check(name: str, value: int | None, scale: tuple[int, int]) -> None:
    if value is not None and not scale[0] <= value <= scale[1]:
        raise ValueError(f"{name} {value} is outside {scale[0]}–{scale[1]}")
