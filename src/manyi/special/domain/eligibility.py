"""Who qualifies for a visit: the eligibility rules as data (`eligibility.json`).

A request names a place kind (home, hospital, care home), a need (each need is one counter
transaction, or none for an identity confirmation) and a reason the customer cannot come. A need
with an amount (a withdrawal for medical bills) above the threshold needs the branch above the
outlet to approve too. Everything a request gets wrong is refused naming its field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from manyi.errors import InvalidInput

MAX_AMOUNT = Decimal("1000000")


@dataclass(frozen=True)
class Need:
    code: str
    zh: str
    en: str
    transaction: str | None  # the counter transaction type it becomes; None: identity only
    amount: bool = False  # the request states an amount


@dataclass(frozen=True)
class Rules:
    places: Mapping[str, Mapping[str, str]]
    needs: Mapping[str, Need]
    reasons: Mapping[str, Mapping[str, str]]
    branch_threshold: Decimal

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rules:
        needs = {
            code: Need(code, n["zh"], n["en"], n.get("transaction"), bool(n.get("amount")))
            for code, n in data["needs"].items()
        }
        threshold = Decimal(str(data["branch_threshold"]))
        if threshold <= 0:
            raise InvalidInput("the branch threshold must be above zero", "branch_threshold")
        return cls(dict(data["places"]), needs, dict(data["reasons"]), threshold)

    def label(self, kind: str, code: str, lang: str) -> str:
        """The name of a place, need or reason in the language ("zh-CN" or "en")."""
        table: Mapping[str, Any] = {
            "place": self.places,
            "reason": self.reasons,
            "need": {c: {"zh": n.zh, "en": n.en} for c, n in self.needs.items()},
        }[kind]
        names = table.get(code)
        if names is None:
            return code
        return str(names["en" if lang.startswith("en") else "zh"])


@cache
def default_rules() -> Rules:
    text = resources.files(__package__).joinpath("eligibility.json").read_text("utf-8")
    return Rules.from_dict(json.loads(text))


@dataclass(frozen=True)
class Eligible:
    place_kind: str
    need: Need
    reason: str
    amount: Decimal | None
    needs_branch: bool


def check_request(
    rules: Rules, place_kind: str, need: str, reason: str, amount: str | None
) -> Eligible:
    """The request's place, need, reason and amount by the rules, or `InvalidInput`."""
    if place_kind not in rules.places:
        raise InvalidInput("a visit goes to a home, a hospital or a care home", "place_kind")
    found = rules.needs.get(need)
    if found is None:
        raise InvalidInput("{need} is not something a visit can do", "need", need=need[:40])
    if reason not in rules.reasons:
        raise InvalidInput("give a reason why the customer cannot come", "reason")
    value: Decimal | None = None
    text = (amount or "").strip()
    if found.amount:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidInput("the amount must be a number of yuan", "amount") from None
        if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
            raise InvalidInput(
                "the amount must be above 0 and at most {most} yuan", "amount", most=MAX_AMOUNT
            )
        if value != value.quantize(Decimal("0.01")):
            raise InvalidInput("the amount has at most two decimals", "amount")
    elif text:
        raise InvalidInput("this need takes no amount", "amount")
    needs_branch = value is not None and value > rules.branch_threshold
    return Eligible(place_kind, found, reason, value, needs_branch)
