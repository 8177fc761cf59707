"""Suspicious answer patterns flagged for the inspector (issue 17, anti-gaming): pure rules.

- `fast_top_bursts`: a teller's rating pad gave its top score within seconds of the prompt
  (the teller's own finger, not the customer's), several times in a day;
- `busy_clients`: one client (a hash of address and browser) answered many surveys in a day;
- `pad_vs_survey`: a teller's rating-pad satisfaction differs sharply from their surveys'
  CSAT: the difference's 95 % interval (Newcombe) excludes zero and it is at least `gap`.
A flag is a reason to look, not a finding.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from manyi.quality.domain.measures import csat_change

FAST_S = 3  # a top score this soon after the prompt is faster than a customer reads it
BURST = 3  # that many fast top scores of one teller in a day make a burst
CLIENT_SURVEYS = 3  # that many surveys answered by one client in a day
GAP = 0.2  # pad share − survey share, at least (and significant)


@dataclass(frozen=True, slots=True)
class Flag:
    kind: str  # 'fast_top_burst' | 'busy_client' | 'pad_vs_survey'
    subject: str  # a teller's username, or the first 12 hex digits of a client hash
    day: dt.date | None
    count: int
    detail: dict[str, float]


@dataclass(frozen=True, slots=True)
class PadAnswer:
    teller: str
    day: dt.date  # local day
    top: bool  # the pad's best score
    seconds_after_prompt: float


def fast_top_bursts(
    answers: Iterable[PadAnswer], fast_s: float = FAST_S, burst: int = BURST
) -> list[Flag]:
    fast: dict[tuple[str, dt.date], int] = defaultdict(int)
    for a in answers:
        if a.top and a.seconds_after_prompt < fast_s:
            fast[(a.teller, a.day)] += 1
    return [
        Flag("fast_top_burst", teller, day, n, {"within_s": fast_s})
        for (teller, day), n in sorted(fast.items())
        if n >= burst
    ]


def busy_clients(
    answered: Iterable[tuple[str, dt.date]], limit: int = CLIENT_SURVEYS
) -> list[Flag]:
    """`answered`: (client hash, local day) of each answered survey."""
    counts: dict[tuple[str, dt.date], int] = defaultdict(int)
    for client, day in answered:
        counts[(client, day)] += 1
    return [
        Flag("busy_client", client[:12], day, n, {})
        for (client, day), n in sorted(counts.items())
        if n >= limit
    ]


def pad_vs_survey(
    by_teller: dict[str, tuple[tuple[int, int], tuple[int, int]]], gap: float = GAP
) -> list[Flag]:
    """`by_teller`: username → ((pad top-2, pad n), (survey CSAT 4–5, survey n))."""
    flags = []
    for teller, (pad, survey) in sorted(by_teller.items()):
        change = csat_change(survey, pad)
        if change is None or not change.significant or abs(change.difference) < gap:
            continue
        flags.append(
            Flag(
                "pad_vs_survey",
                teller,
                None,
                pad[1] + survey[1],
                {
                    "pad_share": pad[0] / pad[1],
                    "survey_share": survey[0] / survey[1],
                    "difference": change.difference,
                },
            )
        )
    return flags
