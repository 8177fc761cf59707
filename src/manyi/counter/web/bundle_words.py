"""How the bundle screen and the signature page word things: a field by its label, a value as
the teller reads it (a choice's label, money with thousands), an item's result and outputs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from manyi.counter.domain.field_checks import LONG_TERM
from manyi.counter.domain.field_problems import FieldProblem
from manyi.counter.domain.merge import MergedForm
from manyi.counter.web.prefill_forms import name_in
from manyi.web.i18n import Translate


def shown(form: MergedForm, key: str, value: object, _: Translate, lang: str) -> str:
    if value in (None, ""):
        return "—"
    merged = form.field(key)
    for option in merged.options:
        if str(option.value) == str(value):
            return name_in(option.names, lang)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if merged.field_id == "amount":
        return amount_text(value)
    if value == LONG_TERM:
        return _("Valid for life")
    return str(value)


def field_label(form: MergedForm, key: str, lang: str) -> str:
    """A form key ("item1.amount") as the teller reads it: "金额（取款）"; the key itself
    only for one the form does not have."""
    try:
        merged = form.field(key)
    except KeyError:
        return key
    label = name_in(merged.label, lang)
    if merged.item is None or len(form.items) < 2:
        return label
    item = name_in(form.items[merged.item - 1].names, lang)
    return f"{label} ({item})" if lang == "en" else f"{label}（{item}）"


def problems_text(
    form: MergedForm, problems: tuple[FieldProblem, ...], _: Translate, lang: str
) -> str:
    """What the form refuses, each field by its label with its reason."""
    parts = [
        _("{field}: {reason}").format(field=field_label(form, p.field, lang), reason=p.text(_))
        for p in problems
    ]
    return _("; ").join(parts)


def result_labels(_: Translate) -> dict[str, str]:
    return {
        "pending": _("Not run yet"),
        "posted": _("Done"),
        "failed": _("Refused"),
        "unknown": _("Answer lost: retry"),
        "skipped": _("Not run"),
        "pin_wrong": _("Wrong PIN: the customer types it again"),
        "card_locked": _("Card locked: too many wrong PINs"),
        "insufficient_funds": _("Insufficient funds"),
        "frozen_account": _("The account is frozen"),
        "account_not_found": _("No such account"),
        "card_not_found": _("No such card"),
        "pin_invalid": _("Wrong PIN"),
        "timeout": _("The core system did not answer in time"),
        "rejected": _("Refused by the core system"),
    }


def output_labels(_: Translate) -> dict[str, str]:
    """What the core returns for an item (core.py's outputs), as the teller reads it."""
    return {
        "account_number": _("New account"),
        "balance_after": _("Balance after"),
        "card_number": _("Card"),
        "mobile_banking": _("Mobile banking"),
        "mobile": _("Mobile number"),
        "card_status": _("Card status"),
        "rate": _("Rate (% a year)"),
        "maturity_date": _("Maturity date"),
        "interest": _("Interest"),
        "paid": _("Paid out"),
        "days": _("Days held"),
        "biller": _("Biller"),
        "product": _("Product"),
        "holding": _("Holding"),
        "paid_out": _("Paid out"),
    }


def card_status_words(_: Translate) -> dict[str, str]:
    """A card's state as the core's `card_status` output says it (card_loss, card_activate,
    password_reset), in words; an unknown one is shown as it came."""
    return {"active": _("Card in use"), "lost": _("Card reported lost")}


def amount_text(value: object) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def item_result(status: str, code: str | None, labels: dict[str, str], _: Translate) -> str:
    """An item's result in words, for the teller's screen and the customer's signature."""
    if status == "pin_wrong":
        return labels["pin_wrong"]
    if status == "skipped":
        if code == "pin_invalid":
            return _("Not run: the PIN was not accepted")
        return _("Not run: an item it depends on did not go through")
    return labels.get(code or status, code or status)
