"""The random spot check (抽查): which outlets to inspect, drawn so the inspector can reproduce it.

Given a seed, the outlets in scope (each with its branch, its complaints of the last 90 days and
whether its satisfaction is low) and a sample size n, `draw` answers the same outlets for the same
seed and inputs, whatever order the outlets come in. The rules, in order:

1. **Everything when n is large.** n at least the number of outlets: every outlet is drawn (the
   draw says so); an empty scope draws nothing.
2. **Strata are branches.** Each branch gets its share in proportion to its outlets (proportional
   allocation, largest remainder), and at least one outlet when n is at least the number of
   branches that have outlets. A branch without outlets gets none and is listed as such. Example:
   branches of 6, 3 and 1 outlets, n = 4: quotas 2.4, 1.2, 0.4 → 1 each first, then the one left
   goes to the largest shortfall (2.4 − 1 = 1.4): 2, 1, 1.
   When n is below the number of branches, the branches that get one are themselves drawn, with
   probability growing with their number of outlets (the same weighted draw as rule 3).
3. **Weighted within a branch.** Outlets with recent complaints or low satisfaction are more
   likely to be drawn. Weight = `base` (1) + `per_complaint` (0.5) × complaints in the last 90
   days, counted up to `complaint_cap` (4), + `low_satisfaction` (1) when flagged. An outlet with
   two complaints and low satisfaction weighs 1 + 1 + 1 = 3, three times a quiet one; the cap
   keeps one much-complained-of outlet from being drawn every time (at most 1 + 2 + 1 = 4).
   Within a branch the draw is weighted sampling without replacement (Efraimidis and Spirakis:
   each outlet gets the key u^(1/w) for a uniform u, and the largest keys are drawn). An outlet
   of weight zero (a `base` of 0 and nothing against it) is drawn only once every outlet of
   positive weight in its branch is.
4. **Uniforms from the seed.** Each u is read from SHA-256 of the seed and the outlet's id (the
   branch's id for rule 2), not from a shared random stream: so the draw does not depend on the
   order of the inputs, and one outlet more or less in scope changes only what it must.
"""

from __future__ import annotations

import hashlib
import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from manyi.errors import InvalidInput

MAX_SAMPLE = 500
SEED_MAX_LENGTH = 40
SEED_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_.")


@dataclass(frozen=True, slots=True)
class Weights:
    """How much more likely an outlet with something against it is to be drawn (rule 3)."""

    base: float = 1.0
    per_complaint: float = 0.5
    complaint_cap: int = 4
    low_satisfaction: float = 1.0

    def of(self, complaints: int, low_satisfaction: bool) -> float:
        counted = min(max(complaints, 0), self.complaint_cap)
        extra = self.low_satisfaction if low_satisfaction else 0.0
        return max(self.base + self.per_complaint * counted + extra, 0.0)


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Candidate:
    """An outlet in scope, with what weighs it up."""

    outlet_id: int
    branch_id: int
    complaints_90d: int = 0
    low_satisfaction: bool = False


@dataclass(frozen=True, slots=True)
class Pick:
    outlet_id: int
    branch_id: int
    weight: float


@dataclass(frozen=True, slots=True)
class Stratum:
    branch_id: int
    outlets: int
    quota: float  # n × outlets / all outlets
    allocated: int


@dataclass(frozen=True, slots=True)
class Draw:
    seed: str
    requested: int
    picks: tuple[Pick, ...]  # by branch, then in the order drawn
    strata: tuple[Stratum, ...]  # by branch id, the empty ones included
    everything: bool  # n was at least the number of outlets: all drawn

    @property
    def outlet_ids(self) -> tuple[int, ...]:
        return tuple(p.outlet_id for p in self.picks)


def check_seed(seed: str) -> str:
    """A seed is 1–40 letters, digits, '-', '_' or '.': short enough to read out and retype."""
    seed = seed.strip()
    if not seed or len(seed) > SEED_MAX_LENGTH or not set(seed) <= SEED_CHARACTERS:
        raise InvalidInput(
            "A seed is 1 to {limit} letters, digits, '-', '_' or '.'.",
            "seed",
            limit=SEED_MAX_LENGTH,
        )
    return seed


def check_size(n: int) -> int:
    if not 1 <= n <= MAX_SAMPLE:
        raise InvalidInput("The sample size must be between 1 and {limit}.", "n", limit=MAX_SAMPLE)
    return n


def uniform(seed: str, salt: str, key: int) -> float:
    """A number in (0, 1) fixed by the seed and the key (rule 4): 52 bits of SHA-256."""
    digest = hashlib.sha256(f"{seed}\x1f{salt}\x1f{key}".encode()).digest()
    return (int.from_bytes(digest[:7], "big") >> 4 | 1) / float(1 << 52)


def _order(seed: str, salt: str, items: Iterable[tuple[int, float]]) -> list[int]:
    """Keys of `items` (key, weight) in weighted-random order without replacement: positive
    weights by u^(1/w) (compared as log(u)/w), then zero weights by u alone."""

    def rank(item: tuple[int, float]) -> tuple[int, float, int]:
        key, weight = item
        u = uniform(seed, salt, key)
        if weight > 0:
            return (0, -math.log(u) / weight, key)  # smaller is drawn first
        return (1, u, key)

    return [key for key, _w in sorted(items, key=rank)]


def allocate(seed: str, n: int, sizes: dict[int, int]) -> dict[int, int]:
    """How many outlets each branch gives (rule 2); branches of size 0 get 0."""
    total = sum(sizes.values())
    filled = {b: s for b, s in sizes.items() if s > 0}
    allocation = {b: 0 for b in sizes}
    if n >= total:
        return dict(sizes)
    if n < len(filled):
        for branch in _order(seed, "branch", filled.items())[:n]:
            allocation[branch] = 1
        return allocation
    quota = {b: n * s / total for b, s in filled.items()}
    for branch, size in filled.items():
        allocation[branch] = min(size, max(1, math.floor(quota[branch])))
    tie = {b: uniform(seed, "tie", b) for b in filled}
    while (given := sum(allocation.values())) != n:
        if given < n:  # the largest shortfall with room left
            room = [b for b in filled if allocation[b] < filled[b]]
            chosen = max(room, key=lambda b: (quota[b] - allocation[b], tie[b]))
            allocation[chosen] += 1
        else:  # the floor of 1 overshot: take back from the largest surplus above 1
            spare = [b for b in filled if allocation[b] > 1]
            chosen = max(spare, key=lambda b: (allocation[b] - quota[b], tie[b]))
            allocation[chosen] -= 1
    return allocation


def draw(
    seed: str,
    candidates: Sequence[Candidate],
    n: int,
    *,
    branches: Iterable[int] = (),
    weights: Weights = DEFAULT_WEIGHTS,
) -> Draw:
    """Draw n outlets from `candidates` (see the module's rules). `branches` may name branches
    in scope that have no outlet, so the answer lists them with nothing allocated."""
    seed = check_seed(seed)
    check_size(n)
    ids = [c.outlet_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise InvalidInput("An outlet is listed twice in the sampler's input.", "outlets")
    sizes: dict[int, int] = {b: 0 for b in branches}
    by_branch: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        sizes[candidate.branch_id] = sizes.get(candidate.branch_id, 0) + 1
        by_branch.setdefault(candidate.branch_id, []).append(candidate)
    allocation = allocate(seed, n, sizes)
    total = len(candidates)
    picks: list[Pick] = []
    for branch in sorted(by_branch):
        members = {c.outlet_id: c for c in by_branch[branch]}
        weighed = {
            oid: weights.of(c.complaints_90d, c.low_satisfaction) for oid, c in members.items()
        }
        chosen = _order(seed, "outlet", weighed.items())[: allocation[branch]]
        picks += [Pick(oid, branch, weighed[oid]) for oid in chosen]
    strata = tuple(
        Stratum(b, sizes[b], (n * sizes[b] / total) if total else 0.0, allocation[b])
        for b in sorted(sizes)
    )
    return Draw(seed, n, tuple(picks), strata, everything=n >= total)
