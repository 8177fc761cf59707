"""One form for several transactions (一次填单), and what it saves.

`merge(types)` builds the single form a customer fills for a bundle. The rules:

1. **Scope.** A field is asked once for the whole bundle, under its field id ("mobile"),
   when the dictionary scopes it "customer" and the item's type does not list it in
   `x-manyi.per_item`. Every other field is asked per item, under "item<n>.<field>" with n
   the item's position from 1: the amount of a deposit and of a transfer, or the payees of
   two transfers, never share a value. A type lists a customer field as per_item when it
   means another thing there (close_account: the account being closed, not the one the
   rest of the bundle uses).
2. **Produced values.** A shared field that an earlier item produces (`x-manyi.provides`:
   open_account gives account_number, card_issue gives card_number) is not asked of the
   items after it: they take that output. `links` lists them and `split` writes the
   reference "@item<n>.<field>" that the bundle runner (execution.py) resolves. Items
   before any producer share the customer's own value.
3. **Required** when any item that asks the shared field requires it.
4. **Constraints.** The dictionary's definition always applies (the `$ref`); the items' own
   tightenings are combined to the strictest: maxLength, maximum and x-manyi-maximum the
   lowest, their minimum counterparts the highest, enum the intersection, const equal;
   patterns, formats and anything else are all kept (allOf). When no value could satisfy
   them all (disjoint enums, two consts, a minimum above a maximum) `MergeConflict` names
   the field and the items.
5. **Order.** The customer section first, in the dictionary's order (name, ID type, ID
   number, mobile, …); then one section per item, in bundle order, headed by the
   transaction's names and holding its own fields in its form's order.
6. **Labels.** A field one item asks shows that form's label (x-manyi-label) if it has
   one; a field several items share shows the dictionary's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.catalogue import IdentityCheck, TransactionType
from manyi.counter.domain.field_problems import FieldProblem, invalid
from manyi.counter.domain.fields import Names, Option, field_dictionary
from manyi.counter.domain.item_checks import required_level, validate_item
from manyi.errors import Conflict, InvalidInput, Term

__all__ = [
    "BundleSaving",
    "ItemRef",
    "Link",
    "MergeConflict",
    "MergedField",
    "MergedForm",
    "Section",
    "authorisations_saved",
    "combine_constraints",
    "fields_merged",
    "fields_separately",
    "measure",
    "merge",
    "pin_entries_saved",
    "saving_percent",
]

CUSTOMER_SECTION: Final = Names("客户信息", "Customer details")
_LOWEST: Final = frozenset({"maxLength", "maximum", "exclusiveMaximum"})
_HIGHEST: Final = frozenset({"minLength", "minimum", "exclusiveMinimum"})
_ANNOTATIONS: Final = frozenset(
    {"$ref", "$comment", "title", "description", "default", "x-manyi-label", "x-manyi-help"}
)
_RANGES: Final = (
    ("minLength", "maxLength", False),
    ("minimum", "maximum", False),
    ("exclusiveMinimum", "exclusiveMaximum", True),
    ("x-manyi-minimum", "x-manyi-maximum", False),
)


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item of a bundle: its position (from 1) and the type version it was made with."""

    item: int
    code: str
    version: int


@dataclass(frozen=True)
class MergedField:
    key: str  # "mobile" (shared) or "item2.amount" (one item's)
    field_id: str
    item: int | None  # None when shared
    used_by: tuple[ItemRef, ...]
    required: bool
    schema: Mapping[str, Any] = dataclasses.field(repr=False, hash=False)  # $ref + combined
    label: Names
    help: Names | None
    options: tuple[Option, ...]  # the choices still allowed, for enum fields


@dataclass(frozen=True)
class Section:
    key: str  # "customer" or "item<n>"
    names: Names
    item: int | None
    fields: tuple[str, ...]  # merged keys


@dataclass(frozen=True, slots=True)
class Link:
    """Item `item` takes `field_id` from the output of item `source` when it runs."""

    item: int
    field_id: str
    source: int

    @property
    def reference(self) -> str:
        return f"@item{self.source}.{self.field_id}"


class MergeConflict(Conflict):
    """Items whose constraints on one shared field leave no value that satisfies them all."""

    def __init__(self, field_id: str, items: Sequence[ItemRef], reason: str) -> None:
        listed = ", ".join(f"{i.item}. {i.code} v{i.version}" for i in items)
        super().__init__(
            "{name} cannot be merged for {items}: {reason}",
            field_id,
            name=field_id,
            items=listed,
            reason=Term(reason),
        )
        self.field_id = field_id
        self.items = tuple(items)


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b  # so that True and 1 differ


def _allowed(value: object, choices: Sequence[object]) -> bool:
    return any(_same(value, choice) for choice in choices)


def combine_constraints(
    field_id: str, fragments: Sequence[tuple[ItemRef | None, Mapping[str, Any]]]
) -> dict[str, Any]:
    """The strictest combination of several property schemas of one field (rule 4).

    Raises `MergeConflict` naming the items (the `ItemRef`s given) when nothing fits.
    """
    out: dict[str, Any] = {}
    also: list[dict[str, Any]] = []
    items = tuple(ref for ref, _ in fragments if ref is not None)
    for _, fragment in fragments:
        for keyword, value in fragment.items():
            if keyword in _ANNOTATIONS or keyword == "x-manyi":
                continue
            if keyword in _LOWEST or keyword == "x-manyi-maximum":
                out[keyword] = min(out.get(keyword, value), value, key=Decimal)
            elif keyword in _HIGHEST or keyword == "x-manyi-minimum":
                out[keyword] = max(out.get(keyword, value), value, key=Decimal)
            elif keyword == "enum":
                out["enum"] = [v for v in out.get("enum", value) if _allowed(v, value)]
            elif keyword == "const" and "const" in out and not _same(out["const"], value):
                raise MergeConflict(field_id, items, "they require different values")
            elif keyword == "const":
                out["const"] = value
            elif {keyword: value} not in also:
                also.append({keyword: value})
    if also:
        out["allOf"] = also
    choices = out.get("enum")
    if choices is not None and (
        not choices or ("const" in out and not _allowed(out["const"], choices))
    ):
        raise MergeConflict(field_id, items, "no choice is allowed by all of them")
    for low, high, strict in _RANGES:
        if low in out and high in out:
            lowest, highest = Decimal(out[low]), Decimal(out[high])
            if lowest > highest or (strict and lowest == highest):
                raise MergeConflict(field_id, items, "their limits leave no value")
    return out


@dataclass(frozen=True)
class MergedForm:
    items: tuple[TransactionType, ...]
    fields: tuple[MergedField, ...]
    sections: tuple[Section, ...]
    links: tuple[Link, ...]
    # (item, field id) → the merged key each item's field is filled from
    placement: Mapping[tuple[int, str], str] = dataclasses.field(repr=False, hash=False)

    @property
    def refs(self) -> tuple[ItemRef, ...]:
        return tuple(ItemRef(n, tx.code, tx.version) for n, tx in enumerate(self.items, 1))

    def field(self, key: str) -> MergedField:
        for merged in self.fields:
            if merged.key == key:
                return merged
        raise KeyError(key)

    def json_schema(self) -> dict[str, Any]:
        """The merged form as one JSON Schema 2020-12 object schema (for live validation)."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {f.key: dict(f.schema) for f in self.fields},
            "required": [f.key for f in self.fields if f.required],
            "additionalProperties": False,
        }

    def split(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Per-item values from the merged form's, in bundle order, for execution.

        An item's produced fields hold their reference ("@item1.account_number"); None and
        "" are left out. A key the form does not have raises `InvalidInput`.
        """
        known = set(self.placement.values())
        for key, value in values.items():
            if key not in known and value not in (None, ""):
                raise invalid("unknown_field", key, name=key)
        return self._split(values)

    def _split(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        linked = {(link.item, link.field_id): link.reference for link in self.links}
        out: list[dict[str, Any]] = []
        for n, tx in enumerate(self.items, 1):
            item: dict[str, Any] = {}
            for field_id in tx.fields:
                if (n, field_id) in linked:
                    item[field_id] = linked[n, field_id]
                elif values.get(self.placement[n, field_id]) not in (None, ""):
                    item[field_id] = values[self.placement[n, field_id]]
            out.append(item)
        return out

    def validate(self, values: Mapping[str, Any], *, today: dt.date) -> list[FieldProblem]:
        """Every problem of the merged values, under the merged keys, in form order.

        Each item is validated with its own type version (`validate_item`), so the form
        says exactly what the items will be checked against; a shared field's problem is
        reported once. Produced fields are not checked: they do not exist yet.
        """
        order = {f.key: index for index, f in enumerate(self.fields)}
        problems: dict[str, FieldProblem] = {}
        for key, value in values.items():
            if key not in order and value not in (None, ""):
                problems[key] = invalid("unknown_field", key, name=key).problem
        linked = {(link.item, link.field_id) for link in self.links}
        for n, (tx, item) in enumerate(zip(self.items, self._split(values), strict=True), 1):
            own = {k: v for k, v in item.items() if (n, k) not in linked}
            for problem in validate_item(tx, own, today=today):
                if (n, problem.field) not in linked:
                    key = self.placement.get((n, problem.field), problem.field)
                    problems.setdefault(key, dataclasses.replace(problem, field=key))
        return sorted(problems.values(), key=lambda p: order.get(p.field, len(order)))


def merge(types: Sequence[TransactionType]) -> MergedForm:
    """The one form for a bundle of transaction types, in the order they will run."""
    if not types:
        raise InvalidInput("a bundle needs at least one transaction", "items")
    dictionary = field_dictionary()
    refs = [ItemRef(n, tx.code, tx.version) for n, tx in enumerate(types, 1)]
    shared: dict[str, list[int]] = {}
    own: list[tuple[int, str]] = []
    links: list[Link] = []
    produced: dict[str, int] = {}  # field id → the latest item so far that outputs it
    for n, tx in enumerate(types, 1):
        for field_id in tx.fields:
            if dictionary[field_id].scope == "item" or field_id in tx.per_item:
                own.append((n, field_id))
            elif field_id in produced:
                links.append(Link(n, field_id, produced[field_id]))
            else:
                shared.setdefault(field_id, []).append(n)
        produced.update(dict.fromkeys(tx.provides, n))

    order = list(dictionary.fields)
    fields = [
        _merged_field(fid, None, [(refs[n - 1], types[n - 1]) for n in shared[fid]])
        for fid in sorted(shared, key=order.index)
    ]
    fields += [_merged_field(fid, n, [(refs[n - 1], types[n - 1])]) for n, fid in own]
    placement = {(n, fid): fid for fid, users in shared.items() for n in users}
    placement |= {(n, fid): f"item{n}.{fid}" for n, fid in own}
    sections = [
        Section("customer", CUSTOMER_SECTION, None, tuple(f.key for f in fields[: len(shared)]))
    ]
    sections += [
        Section(f"item{n}", tx.names, n, tuple(f.key for f in fields if f.item == n))
        for n, tx in enumerate(types, 1)
    ]
    return MergedForm(tuple(types), tuple(fields), tuple(sections), tuple(links), placement)


def _merged_field(
    field_id: str, item: int | None, users: Sequence[tuple[ItemRef, TransactionType]]
) -> MergedField:
    spec = field_dictionary()[field_id]
    fragments = [(ref, tx.schema["properties"][field_id]) for ref, tx in users]
    base = {k: v for k, v in spec.schema.items() if k != "x-manyi"}
    combine_constraints(field_id, [(None, base), *fragments])  # the dictionary's too
    combined = combine_constraints(field_id, fragments)
    only = users[0][1] if len(users) == 1 else None
    own_help = only.schema["properties"][field_id].get("x-manyi-help") if only else None
    allowed = combined.get("enum", [combined["const"]] if "const" in combined else None)
    return MergedField(
        key=field_id if item is None else f"item{item}.{field_id}",
        field_id=field_id,
        item=item,
        used_by=tuple(ref for ref, _ in users),
        required=any(field_id in tx.required for _, tx in users),
        schema={"$ref": spec.ref, **combined},
        label=only.label(field_id) if only else spec.label,
        help=Names.of(own_help) if own_help else spec.help,
        options=tuple(o for o in spec.options if allowed is None or _allowed(o.value, allowed)),
    )


# --- what a merged form saves ----------------------------------------------------


def fields_separately(types: Sequence[TransactionType]) -> int:
    """Fields the customer would fill on separate forms: each form's fields, summed."""
    return sum(len(tx.fields) for tx in types)


def fields_merged(types: Sequence[TransactionType]) -> int:
    """Fields on the merged form."""
    return len(merge(types).fields)


def saving_percent(separately: int, merged: int) -> float:
    return round(100 * (separately - merged) / separately, 1) if separately else 0.0


def pin_entries_saved(types: Sequence[TransactionType]) -> int:
    """Items needing a PIN, less the one entry the bundle takes."""
    return max(sum(tx.needs_pin for tx in types) - 1, 0)


def authorisations_saved(
    types: Sequence[TransactionType],
    item_values: Sequence[Mapping[str, Any]],
    customer_flags: Collection[str] = (),
) -> int:
    """Items needing authorisation with these values, less the one request the bundle makes."""
    pairs = zip(types, item_values, strict=True)
    needing = sum(required_level(tx, values, customer_flags) > Level.NONE for tx, values in pairs)
    return max(needing - 1, 0)


@dataclass(frozen=True)
class BundleSaving:
    fields_separately: int
    fields_merged: int
    fields_saved_percent: float
    pin_entries_saved: int
    authorisations_saved: int
    identity_checks_saved: int  # ID-card reads beyond the first
    level: Level  # of the one authorisation the bundle needs


def measure(
    form: MergedForm, values: Mapping[str, Any] | None = None, customer_flags: Collection[str] = ()
) -> BundleSaving:
    """What the merged form saves, given its values where authorisation depends on them
    (amounts); without values, only the rules that need no amount count."""
    item_values = form._split(values or {})
    pairs = zip(form.items, item_values, strict=True)
    reads = sum(tx.identity_check is IdentityCheck.ID_CARD_READER for tx in form.items)
    separately = fields_separately(form.items)
    return BundleSaving(
        fields_separately=separately,
        fields_merged=len(form.fields),
        fields_saved_percent=saving_percent(separately, len(form.fields)),
        pin_entries_saved=pin_entries_saved(form.items),
        authorisations_saved=authorisations_saved(form.items, item_values, customer_flags),
        identity_checks_saved=max(reads - 1, 0),
        level=max((required_level(tx, v, customer_flags) for tx, v in pairs), default=Level.NONE),
    )
