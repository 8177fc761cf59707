"""Replay an event log through wait predictors and score them. Pure: no database.

Each outlet of the log is replayed on its own, with fresh predictors. At each instant the
predictors first predict for every ticket issued at that instant, then observe the events
of that instant: a prediction sees only what happened strictly before the ticket's issue
(events at the very same timestamp are not visible, the ticket's own issue included).

Scores are over served visits (their wait, issue to first call, is known): the number of
visits, the mean absolute error, the root mean square error, and the share predicted within
±2 minutes. `best` is the predictor with the lowest mean absolute error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

from manyi.forecast.eventlog import Visit
from manyi.forecast.replay import EventKind, Predictor, arrival_of, events_of

WITHIN_S = 120.0


@dataclass(frozen=True)
class Prediction:
    ticket_id: str
    predictor: str
    predicted_wait_s: int
    actual_wait_s: int | None  # served visits only: those that are scored


@dataclass(frozen=True)
class Score:
    n: int
    mae_s: float | None
    rmse_s: float | None
    within_2min: float | None

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "n": self.n,
            "mae_s": None if self.mae_s is None else round(self.mae_s, 1),
            "rmse_s": None if self.rmse_s is None else round(self.rmse_s, 1),
            "within_2min": None if self.within_2min is None else round(self.within_2min, 4),
        }


@dataclass(frozen=True)
class Evaluation:
    predictions: list[Prediction]
    scores: dict[str, Score]

    @property
    def best(self) -> str | None:
        """Lowest mean absolute error; on a tie, the first in order."""
        scored = [(s.mae_s, name) for name, s in self.scores.items() if s.mae_s is not None]
        if not scored:
            return None
        low = min(mae for mae, _ in scored)
        return next(name for mae, name in scored if mae == low)

    def as_json(self) -> dict[str, object]:
        return {
            "predictors": {name: s.as_json() for name, s in self.scores.items()},
            "best": self.best,
        }


def replay(
    visits: Sequence[Visit], factories: Mapping[str, Callable[[], Predictor]]
) -> list[Prediction]:
    """Every visit's predicted wait at issue, by each predictor, in order of issue."""
    by_outlet: dict[str, list[Visit]] = {}
    for v in visits:
        by_outlet.setdefault(v.outlet, []).append(v)
    actual = {
        v.ticket_id: round(v.wait_s)
        for v in visits
        if v.outcome == "served" and v.wait_s is not None
    }
    predictions: list[Prediction] = []
    for outlet_visits in by_outlet.values():
        predictors = {name: make() for name, make in factories.items()}
        for at, group in groupby(events_of(outlet_visits), key=lambda e: e.at):
            same_instant = list(group)
            for event in same_instant:
                if event.kind is not EventKind.ISSUED:
                    continue
                ticket = arrival_of(event)
                for name, predictor in predictors.items():
                    guess = predictor.predict(ticket, at)
                    predictions.append(
                        Prediction(
                            ticket.ticket_id, name, _seconds(guess), actual.get(ticket.ticket_id)
                        )
                    )
            for event in same_instant:
                for predictor in predictors.values():
                    predictor.observe(event)
    return predictions


def _seconds(guess: float) -> int:
    if math.isnan(guess) or guess < 0:
        return 0
    return round(min(guess, 24 * 3600.0))


def score(predictions: Iterable[Prediction], names: Iterable[str]) -> dict[str, Score]:
    errors: dict[str, list[float]] = {name: [] for name in names}
    for p in predictions:
        if p.actual_wait_s is not None:
            errors.setdefault(p.predictor, []).append(float(p.predicted_wait_s - p.actual_wait_s))
    scores = {}
    for name, errs in errors.items():
        n = len(errs)
        if not n:
            scores[name] = Score(0, None, None, None)
            continue
        scores[name] = Score(
            n=n,
            mae_s=sum(abs(e) for e in errs) / n,
            rmse_s=math.sqrt(sum(e * e for e in errs) / n),
            within_2min=sum(1 for e in errs if abs(e) <= WITHIN_S) / n,
        )
    return scores


def evaluate(
    visits: Sequence[Visit], factories: Mapping[str, Callable[[], Predictor]]
) -> Evaluation:
    predictions = replay(visits, factories)
    return Evaluation(predictions, score(predictions, factories))
