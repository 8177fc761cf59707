"""Shared pieces of the transaction catalogue and bundle merge tests: the demo catalogue, a
fixed day, typical bundles, good values for a field, an item or a merged form, and an item's
problems."""

from __future__ import annotations

import datetime as dt
from typing import Any

from manyi.counter.domain.catalogue import Catalogue, TransactionType
from manyi.counter.domain.fields import field_dictionary
from manyi.counter.domain.item_checks import validate_item
from manyi.counter.domain.merge import MergedForm

TODAY = dt.date(2025, 6, 1)
CATALOGUE = Catalogue.load()
NEW_CUSTOMER = ["open_account", "card_issue", "mobile_banking_signup", "deposit"]
LOST_CARD = ["card_loss", "card_replace"]
TERM_ROLLOVER = ["term_early_withdraw", "term_deposit", "wealth_buy"]
NEW_PHONE = ["change_mobile", "mobile_banking_signup", "transfer"]


def types(*codes: str) -> list[TransactionType]:
    return [CATALOGUE.get(code) for code in codes]


def good_value(field_id: str) -> Any:
    """A valid value for a field: its example, else its first choice (a boolean: True)."""
    spec = field_dictionary()[field_id]
    if spec.example is not None:
        return spec.example
    if spec.options:
        return spec.options[0].value
    return True if spec.schema.get("type") == "boolean" else "无"


def good_item(tx: TransactionType) -> dict[str, Any]:
    return {name: good_value(name) for name in tx.fields}


def messages(tx: TransactionType, values: dict[str, Any]) -> dict[str, str]:
    return {p.field: p.message_id for p in validate_item(tx, values, today=TODAY)}


def good_values(form: MergedForm) -> dict[str, Any]:
    return {f.key: good_value(f.field_id) for f in form.fields}


def keys(form: MergedForm) -> list[str]:
    return [f.key for f in form.fields]
