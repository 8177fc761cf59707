"""Transaction complexity weights in the catalogue (x-manyi.weight, for teller workload)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from manyi.counter.domain.catalogue import (
    DEFAULT_WEIGHT,
    Catalogue,
    CatalogueError,
    TransactionType,
    new_version,
)

CATALOGUE = Catalogue.load()


def document(tx: TransactionType, **meta: Any) -> dict[str, Any]:
    schema = copy.deepcopy(dict(tx.schema))
    schema["x-manyi"].update(meta)
    return schema


def test_packaged_types_carry_weights_and_difficult_marks() -> None:
    weights = {tx.code: tx.weight for tx in CATALOGUE.latest()}
    assert all(0 < w <= 10 for w in weights.values())
    assert weights["wealth_buy"] > weights["deposit"]
    assert {tx.code for tx in CATALOGUE.latest() if tx.difficult} == {
        "card_loss",
        "term_early_withdraw",
        "close_account",
    }


def test_a_type_without_a_weight_weighs_one() -> None:
    schema = document(CATALOGUE.get("deposit"))
    del schema["x-manyi"]["weight"]
    tx = TransactionType.from_schema(schema)
    assert (tx.weight, tx.difficult) == (DEFAULT_WEIGHT, False)


@pytest.mark.parametrize("weight", [0, -1, 10.5, 1000])
def test_a_weight_at_or_below_zero_or_absurd_is_refused_naming_the_type(weight: float) -> None:
    with pytest.raises(CatalogueError) as refused:
        TransactionType.from_schema(document(CATALOGUE.get("transfer"), weight=weight))
    assert "transfer" in str(refused.value.params) and refused.value.field == "x-manyi.weight"


def test_a_weight_must_be_a_number() -> None:
    with pytest.raises(CatalogueError):
        TransactionType.from_schema(document(CATALOGUE.get("transfer"), weight="2"))
    with pytest.raises(CatalogueError):
        TransactionType.from_schema(document(CATALOGUE.get("transfer"), weight=True))


def test_an_edited_version_keeps_its_weight_and_may_change_it() -> None:
    old = CATALOGUE.get("open_account")
    relabelled = new_version(old, document(old) | {"title": "Open an account"})
    assert (relabelled.version, relabelled.weight) == (old.version + 1, old.weight)
    heavier = new_version(old, document(old, weight=3.5))
    assert heavier.weight == 3.5 and CATALOGUE.get("open_account").weight == old.weight
