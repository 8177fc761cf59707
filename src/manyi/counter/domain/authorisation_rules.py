"""Which authorisation a bundle needs: rules as data, one request per bundle (一次授权).

A transaction type carries a list of rules. Each rule says *when* (a condition) and
*which level* of authorisation the item then needs::

    [{"when": {"amount_at_least": "50000"}, "level": "supervisor"},
     {"when": {"customer_flag": "elderly"}, "level": "supervisor"},
     {"when": {"amount_at_least": "200000"}, "level": "remote"}]

An item needs the highest level among the rules that match it, `Level.NONE` when none
does. A bundle needs the highest level over its items and raises at most one request, at
that level, listing every item, so the supervisor sees the whole visit and approves once.

A condition's parts all have to hold (AND); a part given as a list matches any of its
values (OR). A rule without "when" (or with an empty one) always applies, for types such
as closing an account that need a supervisor whatever the amount.

Amounts are compared in the item's own currency, inclusively: with a threshold of 50000,
49,999.99 needs nothing and 50,000.00 needs a supervisor. A bank that serves foreign
currency at the counter writes one rule per currency (``"currency": "USD"``), because a
threshold without a currency applies to whatever currency the item is in. Thresholds are
written as strings or integers, never as floats, so 0.1 means exactly one tenth.

Parsing errors raise `InvalidInput` naming the place (``rules[2].when.amount_at_least``),
so an administrator editing the catalogue learns exactly what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import NamedTuple

from manyi.errors import InvalidInput

__all__ = [
    "CUSTOMER_FLAGS",
    "AuthorisationItem",
    "AuthorisationRequest",
    "BundleAssessment",
    "Condition",
    "ItemAssessment",
    "Level",
    "RequestLine",
    "Rule",
    "assess_item",
    "authorisation_request",
    "level_for_bundle",
    "level_for_item",
    "parse_condition",
    "parse_level",
    "parse_rule",
    "parse_rules",
]


class Level(IntEnum):
    """Authorisation levels, ordered: a higher level also satisfies every lower one."""

    NONE = 0
    SUPERVISOR = 1  # the outlet's authorising supervisor (授权主管)
    REMOTE = 2  # the remote authorisation centre (远程授权中心)

    @property
    def code(self) -> str:
        return self.name.lower()


# Risk flags the counter knows about. Banks may add their own: pass a wider set to
# `parse_rules`. Unknown flags are refused so that a typo ("eldery") cannot silently
# turn a rule off.
CUSTOMER_FLAGS = frozenset({"elderly", "high_risk", "watchlist", "first_time_large"})

_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CONDITION_KEYS = ("amount_at_least", "currency", "customer_flag", "transaction_code")
_RULE_KEYS = ("when", "level")


def parse_level(value: object, where: str = "level") -> Level:
    """Read "none", "supervisor" or "remote" (any case)."""
    if isinstance(value, str):
        try:
            return Level[value.strip().upper()]
        except KeyError:
            pass
    raise InvalidInput(
        "{where} must be one of none, supervisor, remote, not {value!r}",
        where,
        where=where,
        value=value,
    )


@dataclass(frozen=True)
class Condition:
    """What has to hold for a rule to apply; empty parts do not restrict."""

    amount_at_least: Decimal | None = None
    currencies: frozenset[str] = frozenset()
    customer_flags: frozenset[str] = frozenset()  # any of them
    transaction_codes: frozenset[str] = frozenset()

    def matches(
        self,
        amount: Decimal | None,
        currency: str,
        flags: Iterable[str],
        transaction_code: str = "",
    ) -> bool:
        if self.amount_at_least is not None and (amount is None or amount < self.amount_at_least):
            return False
        if self.currencies and currency.upper() not in self.currencies:
            return False
        if self.customer_flags and self.customer_flags.isdisjoint(flags):
            return False
        return not self.transaction_codes or transaction_code in self.transaction_codes

    def describe(self) -> str:
        """An English reason for the authorisation request, such as "amount ≥ 50000"."""
        parts: list[str] = []
        if self.amount_at_least is not None:
            parts.append(f"amount ≥ {self.amount_at_least}")
        if self.currencies:
            parts.append("currency " + "/".join(sorted(self.currencies)))
        if self.customer_flags:
            parts.append("customer " + "/".join(sorted(self.customer_flags)))
        if self.transaction_codes:
            parts.append("transaction " + "/".join(sorted(self.transaction_codes)))
        return " and ".join(parts) or "always"

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.amount_at_least is not None:
            out["amount_at_least"] = str(self.amount_at_least)
        for key, values in (
            ("currency", self.currencies),
            ("customer_flag", self.customer_flags),
            ("transaction_code", self.transaction_codes),
        ):
            if values:
                ordered = sorted(values)
                out[key] = ordered[0] if len(ordered) == 1 else ordered
        return out


@dataclass(frozen=True)
class Rule:
    when: Condition
    level: Level

    def __post_init__(self) -> None:
        if self.level is Level.NONE:
            raise InvalidInput("a rule must require supervisor or remote authorisation", "level")

    def to_dict(self) -> dict[str, object]:
        return {"when": self.when.to_dict(), "level": self.level.code}


def parse_rules(
    data: object, *, known_flags: frozenset[str] = CUSTOMER_FLAGS, where: str = "rules"
) -> tuple[Rule, ...]:
    """Read a list of rule dicts (as stored in a transaction type's ``x-manyi``)."""
    if data is None:
        return ()
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise InvalidInput("{where} must be a list of rules", where, where=where)
    return tuple(
        parse_rule(item, known_flags=known_flags, where=f"{where}[{i}]")
        for i, item in enumerate(data)
    )


def parse_rule(
    data: object, *, known_flags: frozenset[str] = CUSTOMER_FLAGS, where: str = "rule"
) -> Rule:
    if not isinstance(data, Mapping):
        raise InvalidInput("{where} must be an object with when and level", where, where=where)
    _refuse_unknown_keys(data, _RULE_KEYS, where)
    if "level" not in data:
        raise InvalidInput("{where} has no level", f"{where}.level", where=where)
    level = parse_level(data["level"], f"{where}.level")
    if level is Level.NONE:
        raise InvalidInput(
            "{where}.level must be supervisor or remote; leave the rule out instead of none",
            f"{where}.level",
            where=where,
        )
    return Rule(parse_condition(data.get("when"), known_flags, f"{where}.when"), level)


def parse_condition(
    data: object, known_flags: frozenset[str] = CUSTOMER_FLAGS, where: str = "when"
) -> Condition:
    """Read a condition such as ``{"amount_at_least": "50000", "currency": "CNY"}``; the
    catalogue's identity rules use the same grammar as a rule's ``when``."""
    if data is None:
        return Condition()
    if not isinstance(data, Mapping):
        raise InvalidInput("{where} must be an object of conditions", where, where=where)
    _refuse_unknown_keys(data, _CONDITION_KEYS, where)
    amount = None
    if "amount_at_least" in data:
        amount = _parse_amount(data["amount_at_least"], f"{where}.amount_at_least")
    currencies = _parse_values(data.get("currency"), f"{where}.currency", _CURRENCY, upper=True)
    flags = _parse_values(data.get("customer_flag"), f"{where}.customer_flag", _CODE)
    unknown = sorted(flags - known_flags)
    if unknown:
        raise InvalidInput(
            "{where}.customer_flag: unknown flag {flag}; known flags are {known}",
            f"{where}.customer_flag",
            where=where,
            flag=unknown[0],
            known=", ".join(sorted(known_flags)),
        )
    codes = _parse_values(data.get("transaction_code"), f"{where}.transaction_code", _CODE)
    return Condition(amount, currencies, flags, codes)


def _refuse_unknown_keys(
    data: Mapping[object, object], allowed: tuple[str, ...], where: str
) -> None:
    for key in data:
        if key not in allowed:
            raise InvalidInput(
                "{where}: unknown key {key!r}; expected {allowed}",
                where,
                where=where,
                key=key,
                allowed=", ".join(allowed),
            )


def _parse_amount(value: object, where: str) -> Decimal:
    # bool is an int; float would carry binary rounding into a money threshold.
    if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        raise InvalidInput(
            '{where} must be a decimal string such as "50000" or "49999.99"', where, where=where
        )
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidInput(
            "{where}: {value!r} is not an amount", where, where=where, value=value
        ) from None
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or amount < 0 or exponent < -2:
        raise InvalidInput(
            "{where} must be zero or more with at most 2 decimals, not {value!r}",
            where,
            where=where,
            value=value,
        )
    return amount


def _parse_values(
    value: object, where: str, shape: re.Pattern[str], *, upper: bool = False
) -> frozenset[str]:
    if value is None:
        return frozenset()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise InvalidInput(
            "{where} must be a text or a non-empty list of texts", where, where=where
        )
    out: set[str] = set()
    for item in items:
        text = item.strip().upper() if upper and isinstance(item, str) else item
        if not isinstance(text, str) or not shape.fullmatch(text):
            raise InvalidInput("{where}: {value!r} is not valid", where, where=where, value=item)
        out.add(text)
    return frozenset(out)


# --- levels ----------------------------------------------------------------------


class ItemAssessment(NamedTuple):
    """The level one item needs and why (one English reason per matching rule)."""

    level: Level
    reasons: tuple[str, ...]


def assess_item(
    rules: Iterable[Rule],
    amount: Decimal | None,
    currency: str,
    flags: Iterable[str] = (),
    transaction_code: str = "",
) -> ItemAssessment:
    flag_set = frozenset(flags)
    level = Level.NONE
    reasons: list[str] = []
    for rule in rules:
        if rule.when.matches(amount, currency, flag_set, transaction_code):
            level = max(level, rule.level)
            reasons.append(f"{rule.when.describe()} → {rule.level.code}")
    return ItemAssessment(level, tuple(reasons))


def level_for_item(
    rules: Iterable[Rule],
    amount: Decimal | None,
    currency: str,
    flags: Iterable[str] = (),
    transaction_code: str = "",
) -> Level:
    """The highest level among the rules that match; `Level.NONE` when none does."""
    return assess_item(rules, amount, currency, flags, transaction_code).level


@dataclass(frozen=True)
class AuthorisationItem:
    """One bundle item as authorisation sees it; independent of the catalogue's types."""

    label: str  # what the supervisor reads, e.g. "2. withdrawal ¥60,000.00"
    rules: tuple[Rule, ...]
    amount: Decimal | None = None
    currency: str = "CNY"
    flags: frozenset[str] = field(default_factory=frozenset)
    transaction_code: str = ""


class BundleAssessment(NamedTuple):
    """``level, per_item = level_for_bundle(items)``: the max level and each item's reasons."""

    level: Level
    items: tuple[ItemAssessment, ...]


def level_for_bundle(items: Iterable[AuthorisationItem]) -> BundleAssessment:
    per_item = tuple(
        assess_item(i.rules, i.amount, i.currency, i.flags, i.transaction_code) for i in items
    )
    return BundleAssessment(max((a.level for a in per_item), default=Level.NONE), per_item)


@dataclass(frozen=True)
class RequestLine:
    label: str
    level: Level
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AuthorisationRequest:
    """The one request a bundle raises: its level and every item, including those that
    need nothing themselves, so the supervisor approves the visit as a whole."""

    bundle_id: str
    level: Level
    lines: tuple[RequestLine, ...]


def authorisation_request(
    bundle_id: str, items: Sequence[AuthorisationItem]
) -> AuthorisationRequest | None:
    """The bundle's single authorisation request, or None when no item needs one."""
    level, per_item = level_for_bundle(items)
    if level is Level.NONE:
        return None
    lines = tuple(
        RequestLine(item.label, a.level, a.reasons) for item, a in zip(items, per_item, strict=True)
    )
    return AuthorisationRequest(bundle_id, level, lines)
