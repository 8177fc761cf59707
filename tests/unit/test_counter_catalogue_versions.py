"""The transaction catalogue: versions (by code and version, the next version, stable digests)
and the edits a new version may and may not make."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from manyi.counter.domain.catalogue import (
    Catalogue,
    CatalogueError,
    TransactionType,
    changes_authorisation,
    new_version,
)
from manyi.counter.domain.fields import DEF_PREFIX
from manyi.counter.domain.item_checks import validate_item
from manyi.errors import InvalidInput, NotFound
from tests.catalogue_helpers import CATALOGUE, TODAY, good_item, messages


def edited(tx: TransactionType) -> dict[str, Any]:
    return copy.deepcopy(dict(tx.schema))


# --- catalogue and versions ---------------------------------------------------------


def test_get_by_code_and_version() -> None:
    assert CATALOGUE.get("deposit").key == ("deposit", 1)
    assert CATALOGUE.get("deposit", 1) is CATALOGUE.get("deposit")
    with pytest.raises(NotFound):
        CATALOGUE.get("deposit", 2)
    with pytest.raises(NotFound):
        CATALOGUE.get("lottery")


def test_new_version_is_the_next_one_and_leaves_the_old_alone() -> None:
    old = CATALOGUE.get("transfer")
    schema = edited(old)
    schema["required"].append("purpose")
    schema["properties"]["purpose"]["maxLength"] = 20
    new = new_version(old, schema)
    assert new.key == ("transfer", 2)
    assert new.schema["$id"] == new.uri == "https://manyi.example/schemas/transactions/transfer/v2"
    assert new.schema["x-manyi"]["version"] == 2
    assert new.digest != old.digest
    assert "purpose" not in old.required and old.schema["x-manyi"]["version"] == 1

    catalogue = CATALOGUE.with_version(new)
    assert catalogue.get("transfer") is new
    assert catalogue.get("transfer", 1) is old
    assert [tx.version for tx in catalogue.versions("transfer")] == [1, 2]
    values = good_item(old) | {"purpose": None}
    assert validate_item(catalogue.get("transfer", 1), values, today=TODAY) == []
    assert messages(catalogue.get("transfer", 2), values) == {"purpose": "this field is required"}


def test_which_edits_change_the_authorisation_rules() -> None:
    # Those need a second head-office administrator (catalogue_store.edit); others do not.
    old = CATALOGUE.get("withdraw")
    relabelled = new_version(old, edited(old) | {"title": "Cash withdrawal at the counter"})
    assert not changes_authorisation(old, relabelled)
    raised = edited(old)
    raised["x-manyi"]["authorisation"][0]["when"]["amount_at_least"] = "100000"
    assert changes_authorisation(old, new_version(old, raised))
    dropped = edited(old)
    dropped["x-manyi"]["authorisation"] = []
    assert changes_authorisation(old, new_version(old, dropped))


def test_the_digest_is_stable() -> None:
    again = Catalogue.load().get("deposit")
    assert again.digest == CATALOGUE.get("deposit").digest
    assert again == CATALOGUE.get("deposit")


def test_versions_cannot_be_skipped_or_repeated() -> None:
    old = CATALOGUE.get("deposit")
    new = new_version(old, edited(old) | {"title": "Cash deposit at the counter"})
    with pytest.raises(CatalogueError):
        CATALOGUE.with_version(old)
    with pytest.raises(CatalogueError):
        Catalogue([old, old])
    assert new_version(new, edited(new) | {"title": "again"}).version == 3


def _refused(tx: TransactionType, schema: dict[str, Any]) -> str:
    with pytest.raises(CatalogueError) as caught:
        new_version(tx, schema)
    return str(caught.value.text())


def test_an_edit_that_changes_nothing_is_refused() -> None:
    assert "changes nothing" in _refused(CATALOGUE.get("deposit"), edited(CATALOGUE.get("deposit")))


def test_an_edit_keeps_the_code_and_the_required_keys() -> None:
    tx = CATALOGUE.get("deposit")
    schema = edited(tx)
    schema["x-manyi"]["code"] = "cash_in"
    assert "cannot change the code" in _refused(tx, schema)
    schema = edited(tx)
    del schema["x-manyi"]["needs_pin"]
    assert "needs_pin" in _refused(tx, schema)
    schema = edited(tx)
    schema["x-manyi"]["version"] = 7
    assert "cannot set that version" in _refused(tx, schema)


def test_an_edit_may_only_ref_the_dictionary() -> None:
    tx = CATALOGUE.get("deposit")
    schema = edited(tx)
    schema["properties"]["remarks"] = {"$ref": "https://example.com/schemas/remarks"}
    assert "remarks" in _refused(tx, schema)
    schema = edited(tx)
    schema["properties"]["shoe_size"] = {"$ref": DEF_PREFIX + "shoe_size"}
    assert "not in the dictionary" in _refused(tx, schema)
    schema = edited(tx)
    schema["properties"]["remarks"] = {"$ref": DEF_PREFIX + "purpose"}
    assert "must $ref field remarks" in _refused(tx, schema)


def test_an_edit_must_be_valid_2020_12() -> None:
    tx = CATALOGUE.get("deposit")
    schema = edited(tx)
    schema["properties"]["remarks"]["maxLength"] = -1
    assert _refused(tx, schema)
    schema = edited(tx)
    schema["required"] = "amount"
    assert "not valid JSON Schema 2020-12" in _refused(tx, schema)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda s: s["required"].append("ghost"), "ghost"),
        (lambda s: s["x-manyi"].update(posting="lottery"), "unknown posting kind"),
        (lambda s: s["x-manyi"].update(identity_check="retina"), "retina"),
        (lambda s: s["x-manyi"].update(per_item=["amount"]), "per_item"),
        (lambda s: s["x-manyi"].update(provides=["amount"]), "provides"),
        (lambda s: s["properties"]["currency"].update(enum=["CNY", "BTC"]), "enum"),
        (lambda s: s["x-manyi"]["authorisation"].append({"level": "pope"}), "pope"),
        (lambda s: s.update({"$id": "https://elsewhere.example/deposit"}), "$id"),
        (lambda s: s.update(additionalProperties=True), "additionalProperties"),
    ],
)
def test_bad_edits_say_what_is_wrong(change: Any, says: str) -> None:
    tx = CATALOGUE.get("deposit")
    schema = edited(tx)
    change(schema)
    with pytest.raises(InvalidInput) as caught:
        new_version(tx, schema)
    assert says in caught.value.text() + caught.value.field


def test_an_amount_rule_needs_an_amount() -> None:
    tx = CATALOGUE.get("card_loss")
    schema = edited(tx)
    schema["x-manyi"]["authorisation"] = [{"when": {"amount_at_least": "1"}, "level": "remote"}]
    assert "amount" in _refused(tx, schema)


def test_from_dict_builds_a_catalogue_of_any_types() -> None:
    deposit = edited(CATALOGUE.get("deposit"))
    catalogue = Catalogue.from_dict({"transactions": [deposit]})
    assert len(catalogue) == 1 and catalogue.get("deposit").version == 1
