"""What the pre-fill pages show: the catalogue as tiles, the merged form as sections of fields.

Page-independent builders for `counter/web/prefill_phone.py`: they turn the catalogue and a
`MergedForm` into plain view objects the templates render.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from manyi.counter import catalogue_store
from manyi.counter.domain.field_problems import FieldProblem
from manyi.counter.domain.fields import Names, field_dictionary
from manyi.counter.domain.merge import MergedField, MergedForm
from manyi.db import Session
from manyi.web.i18n import Translate, translator


def _(message: str) -> str:
    """Marks a message id for translation; the page translates it when shown."""
    return message


# The catalogue as the customer meets it: by what they came to do. A code not listed
# (a type added later) goes under the last group.
GROUPS: Final = (
    (
        _("Accounts and cards"),
        ("open_account", "card_issue", "card_activate", "mobile_banking_signup"),
    ),
    (_("Cash, transfers and bills"), ("deposit", "withdraw", "transfer", "bill_pay")),
    (_("Term deposits and wealth products"), ("term_deposit", "term_early_withdraw", "wealth_buy")),
    (
        _("Lost cards and changes"),
        ("card_loss", "card_replace", "password_reset", "change_mobile", "close_account"),
    ),
)
DATE_CHECKS: Final = frozenset({"date", "date_not_past", "date_not_future"})


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    chosen: bool


@dataclass(frozen=True)
class TileGroup:
    name: str
    tiles: list[Tile]


@dataclass(frozen=True)
class FieldView:
    """One input of the merged form, ready for the template."""

    key: str  # the form's name: "mobile", "item2.amount"
    dom_id: str
    label: str
    help: str
    required: bool
    kind: str  # text, tel, numeric, decimal, code, date, id_expiry, select, checkbox, textarea
    options: list[tuple[str, str]]
    value: str
    problem: str
    autocomplete: str


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    number: int | None
    fields: list[FieldView]
    notes: list[str]  # values taken from an earlier item


def name_in(names: Names, lang: str) -> str:
    return names.en if lang == "en" else names.zh


def tile_groups(session: Session, lang: str, chosen: Sequence[str]) -> list[TileGroup]:
    rows = catalogue_store.latest_rows(session)
    known = {code for _name, codes in GROUPS for code in codes}
    groups = []
    for index, (name, codes) in enumerate(GROUPS):
        members = [row for row in rows if row.code in codes]
        if index == len(GROUPS) - 1:
            members += [row for row in rows if row.code not in known]
        tiles = [
            Tile(row.code, row.name_en if lang == "en" else row.name_zh, row.code in chosen)
            for row in members
        ]
        if tiles:
            groups.append(TileGroup(name, tiles))
    return groups


def in_catalogue_order(session: Session, codes: Sequence[str]) -> list[str]:
    """The chosen codes once each, in the order the catalogue runs them (an account is
    opened before its card is issued); unknown codes stay, for the service to refuse."""
    order = [row.code for row in catalogue_store.latest_rows(session)]
    unique = list(dict.fromkeys(code for code in codes if code))
    return sorted(unique, key=lambda c: order.index(c) if c in order else len(order))


def _kind(merged: MergedField) -> str:
    check = field_dictionary()[merged.field_id].check
    if merged.options:
        return "select"
    if check == "boolean":
        return "checkbox"
    if check == "id_expiry":  # a date, or a tick for a lifetime ID card (长期)
        return "id_expiry"
    if check in DATE_CHECKS:
        return "date"
    if check == "mobile":
        return "tel"
    if check in ("card", "digits"):
        return "numeric"
    if check == "amount":
        return "decimal"
    if check in ("id_number", "code"):
        return "code"
    if merged.field_id == "remarks":
        return "textarea"
    return "text"


AUTOCOMPLETE: Final = {"customer_name": "name", "mobile": "tel", "address": "street-address"}
# What a fresh form starts with: most customers hold a resident ID card and use yuan.
DEFAULTS: Final = {"id_type": "resident_id", "currency": "CNY"}


def problem_texts(problems: Sequence[FieldProblem], _: Translate) -> dict[str, str]:
    return {p.field: p.text(_) for p in problems}


def form_sections(
    form: MergedForm,
    lang: str,
    values: Mapping[str, str] | None,
    problems: Mapping[str, str],
    *,
    shared_device: bool = False,
) -> list[SectionView]:
    """The merged form's sections as the page shows them; `values` None means a fresh form.
    On a `shared_device` no field lets the browser remember or fill in what was typed."""
    _ = translator(lang)
    sections = []
    for section in form.sections:
        fields = []
        for key in section.fields:
            merged = form.field(key)
            kind = _kind(merged)
            if values is None:
                default = DEFAULTS.get(merged.field_id, "")
                known = {str(o.value) for o in merged.options}
                value = default if default in known else ""
            else:
                value = values.get(key, "")
            fields.append(
                FieldView(
                    key=key,
                    dom_id="f-" + key.replace(".", "-"),
                    label=name_in(merged.label, lang),
                    help=name_in(merged.help, lang) if merged.help else "",
                    required=merged.required,
                    kind=kind,
                    options=[(str(o.value), name_in(o.names, lang)) for o in merged.options],
                    value=value,
                    problem=problems.get(key, ""),
                    autocomplete="off" if shared_device else AUTOCOMPLETE.get(key, "off"),
                )
            )
        notes = []
        for link in form.links:
            if link.item == section.item:
                source = form.items[link.source - 1]
                notes.append(
                    _("{field}: from item {n}, {name}. Nothing to fill in.").format(
                        field=name_in(field_dictionary()[link.field_id].label, lang),
                        n=link.source,
                        name=name_in(source.names, lang),
                    )
                )
        title = _("Your details") if section.item is None else name_in(section.names, lang)
        if fields or notes:
            sections.append(SectionView(section.key, title, section.item, fields, notes))
    return sections


def local_until(at: dt.datetime, zone: str, lang: str) -> str:
    """When a code stops working, on the outlet's clock; midnight reads as 24:00 of the
    day before, which is how the customer thinks of "until the end of today"."""
    local = at.astimezone(ZoneInfo(zone))
    day, clock = local.date(), f"{local:%H:%M}"
    if clock == "00:00":
        day, clock = day - dt.timedelta(days=1), "24:00"
    if lang == "en":
        return f"{day.day} {day:%B} {day.year}, {clock}"
    return f"{day.year}年{day.month}月{day.day}日 {clock}"
