"""Replay an event log through wait predictors and score them. Pure: no database.

Each outlet of the log is replayed on its own, with fresh predictors. At each instant the
predictors first predict for every ticket issued at that instant, then observe the events
of that instant: a prediction sees only what happened strictly before the ticket's issue
(events at the very same timestamp are not visible, the ticket's own issue included).

Scores are over served visits (their wait, issue to first call, is known): the number of
visits, the mean absolute error, the root mean square error, and the share predicted within
±2 minutes. `best` is the predictor with the lowest mean absolute error.

Every predictor also gives an 80 % range at issue (`intervals.ErrorBands`, calibrated on its
own errors as each wait becomes known at its first call): `coverage80` is the share of
served waits inside their range and `width80_s` its mean width, over the served visits that
had a range. The naive range (10th–90th percentiles of the last 500 waits) is scored the
same way, as `naive80`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from manyi.forecast.eventlog import Visit
from manyi.forecast.intervals import ErrorBands, NaiveRange, coverage
from manyi.forecast.replay import EventKind, Predictor, WaitEvent, arrival_of, events_of

WITHIN_S = 120.0


@dataclass(frozen=True)
class Prediction:
    ticket_id: str
    predictor: str
    predicted_wait_s: int
    actual_wait_s: int | None  # served visits only: those that are scored
    low_s: int | None = None  # the 80 % range given at issue (None before enough history)
    high_s: int | None = None


@dataclass(frozen=True)
class Score:
    n: int
    mae_s: float | None
    rmse_s: float | None
    within_2min: float | None
    coverage80: float | None = None
    width80_s: float | None = None

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "n": self.n,
            "mae_s": _round(self.mae_s, 1),
            "rmse_s": _round(self.rmse_s, 1),
            "within_2min": _round(self.within_2min, 4),
            "coverage80": _round(self.coverage80, 4),
            "width80_s": _round(self.width80_s, 1),
        }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


@dataclass(frozen=True)
class Evaluation:
    predictions: list[Prediction]
    scores: dict[str, Score]
    # The naive range's (low, high, actual) for each served visit that had one.
    naive: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def naive_score(self) -> tuple[float | None, float | None]:
        return coverage(self.naive)

    @property
    def best(self) -> str | None:
        """Lowest mean absolute error; on a tie, the first in order."""
        scored = [(s.mae_s, name) for name, s in self.scores.items() if s.mae_s is not None]
        if not scored:
            return None
        low = min(mae for mae, _ in scored)
        return next(name for mae, name in scored if mae == low)

    def as_json(self) -> dict[str, object]:
        share, width = self.naive_score
        return {
            "predictors": {name: s.as_json() for name, s in self.scores.items()},
            "best": self.best,
            "naive80": {"coverage80": _round(share, 4), "width80_s": _round(width, 1)},
        }


def replay(
    visits: Sequence[Visit], factories: Mapping[str, Callable[[], Predictor]]
) -> list[Prediction]:
    """Every visit's predicted wait (and 80 % range) at issue, by each predictor, in order."""
    return _replay(visits, factories, [])


def _replay(
    visits: Sequence[Visit],
    factories: Mapping[str, Callable[[], Predictor]],
    naive_out: list[tuple[float, float, float]],
) -> list[Prediction]:
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
        bands = {name: ErrorBands() for name in factories}
        naive = NaiveRange()
        guessed: dict[str, dict[str, int]] = {name: {} for name in factories}
        issued: dict[str, float] = {}
        for at, group in groupby(events_of(outlet_visits), key=lambda e: e.at):
            same_instant = list(group)
            for event in same_instant:
                if event.kind is not EventKind.ISSUED:
                    continue
                ticket = arrival_of(event)
                known = actual.get(ticket.ticket_id)
                plain = naive.band()
                if plain is not None and known is not None:
                    naive_out.append((plain[0], plain[1], float(known)))
                for name, predictor in predictors.items():
                    guess = _seconds(predictor.predict(ticket, at))
                    guessed[name][ticket.ticket_id] = guess
                    band = bands[name].band(guess)
                    low, high = (None, None) if band is None else (round(band[0]), round(band[1]))
                    predictions.append(Prediction(ticket.ticket_id, name, guess, known, low, high))
            for event in same_instant:
                _follow_errors(event, at.timestamp(), issued, guessed, bands, naive)
                for predictor in predictors.values():
                    predictor.observe(event)
    return predictions


def _follow_errors(
    event: WaitEvent,
    at: float,
    issued: dict[str, float],
    guessed: dict[str, dict[str, int]],
    bands: dict[str, ErrorBands],
    naive: NaiveRange,
) -> None:
    """Each wait, once known at its first call, calibrates the ranges."""
    if event.kind is EventKind.ISSUED:
        issued[event.ticket_id] = at
        return
    start = issued.pop(event.ticket_id, None)
    if event.kind is not EventKind.CALLED or start is None:
        for by_ticket in guessed.values():
            by_ticket.pop(event.ticket_id, None)
        return
    waited = at - start
    naive.learn(waited)
    for name, by_ticket in guessed.items():
        guess = by_ticket.pop(event.ticket_id, None)
        if guess is not None:
            bands[name].learn(guess, waited)


def _seconds(guess: float) -> int:
    if math.isnan(guess) or guess < 0:
        return 0
    return round(min(guess, 24 * 3600.0))


def score(predictions: Iterable[Prediction], names: Iterable[str]) -> dict[str, Score]:
    errors: dict[str, list[float]] = {name: [] for name in names}
    ranges: dict[str, list[tuple[float, float, float]]] = {name: [] for name in errors}
    for p in predictions:
        if p.actual_wait_s is not None:
            errors.setdefault(p.predictor, []).append(float(p.predicted_wait_s - p.actual_wait_s))
            if p.low_s is not None and p.high_s is not None:
                ranges.setdefault(p.predictor, []).append(
                    (float(p.low_s), float(p.high_s), float(p.actual_wait_s))
                )
    scores = {}
    for name, errs in errors.items():
        n = len(errs)
        if not n:
            scores[name] = Score(0, None, None, None)
            continue
        share, width = coverage(ranges.get(name, []))
        scores[name] = Score(
            n=n,
            mae_s=sum(abs(e) for e in errs) / n,
            rmse_s=math.sqrt(sum(e * e for e in errs) / n),
            within_2min=sum(1 for e in errs if abs(e) <= WITHIN_S) / n,
            coverage80=share,
            width80_s=width,
        )
    return scores


def evaluate(
    visits: Sequence[Visit], factories: Mapping[str, Callable[[], Predictor]]
) -> Evaluation:
    naive: list[tuple[float, float, float]] = []
    predictions = _replay(visits, factories, naive)
    return Evaluation(predictions, score(predictions, factories), naive)
