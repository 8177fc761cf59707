"""The transaction catalogue: types as JSON Schema 2020-12 data, item validation, authorisation
levels from the rules, and versions."""

from __future__ import annotations

import copy
import datetime as dt
import socket
from typing import Any

import jsonschema
import pytest

from manyi.counter.adapters.core import PostingKind
from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.catalogue import (
    Catalogue,
    CatalogueError,
    IdentityCheck,
    TransactionType,
    changes_authorisation,
    new_version,
)
from manyi.counter.domain.field_problems import MESSAGES, FieldError
from manyi.counter.domain.fields import DEF_PREFIX, field_dictionary
from manyi.counter.domain.item_checks import (
    ItemInvalid,
    check_id_number,
    check_together,
    clean_item,
    required_level,
    validate_item,
)
from manyi.errors import InvalidInput, NotFound
from manyi.personal import id_check_char

CHECK_DIGIT = "the ID number is wrong: please check the last character"
TODAY = dt.date(2025, 6, 1)
# A 2023 foreign permanent resident ID number: 9, then 16 digits, then a GB 11643 check char.
FPR_2023 = "93301019800101001" + id_check_char("93301019800101001")
WRONG = "1" if FPR_2023[17] != "1" else "2"
FPR_SHAPE = "a permanent residence card number is 3 letters and 12 digits, or 18 characters"
CATALOGUE = Catalogue.load()
DEMO_CODES = [
    "open_account",
    "card_issue",
    "mobile_banking_signup",
    "deposit",
    "withdraw",
    "transfer",
    "card_loss",
    "card_replace",
    "change_mobile",
    "card_activate",
    "password_reset",
    "term_deposit",
    "term_early_withdraw",
    "bill_pay",
    "wealth_buy",
    "close_account",
]


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


def edited(tx: TransactionType) -> dict[str, Any]:
    return copy.deepcopy(dict(tx.schema))


# --- the demo catalogue ------------------------------------------------------------


def test_demo_catalogue_has_the_sixteen_retail_transactions() -> None:
    assert [tx.code for tx in CATALOGUE.latest()] == DEMO_CODES
    assert {tx.posting for tx in CATALOGUE} == set(PostingKind)
    for tx in CATALOGUE:
        assert tx.version == 1
        assert tx.names.zh and tx.names.en
        assert tx.posting == PostingKind(tx.code)


@pytest.mark.parametrize("code", DEMO_CODES)
def test_each_type_is_a_2020_12_object_schema_that_refs_the_dictionary(code: str) -> None:
    tx = CATALOGUE.get(code)
    jsonschema.Draft202012Validator.check_schema(tx.schema)
    assert tx.schema["type"] == "object" and tx.schema["additionalProperties"] is False
    assert tx.schema["$id"] == tx.uri == f"https://manyi.example/schemas/transactions/{code}/v1"
    for name, prop in tx.schema["properties"].items():
        assert prop["$ref"] == f"https://manyi.example/schemas/fields/v1#/$defs/{name}"
    assert set(tx.required) <= set(tx.fields)
    assert {
        "code",
        "version",
        "names",
        "needs_pin",
        "identity_check",
        "authorisation",
        "posting",
    } <= set(tx.schema["x-manyi"])


@pytest.mark.parametrize("code", DEMO_CODES)
def test_each_type_accepts_good_values(code: str) -> None:
    tx = CATALOGUE.get(code)
    assert validate_item(tx, good_item(tx), today=TODAY) == []


def test_validation_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fresh = Catalogue.load()
    for tx in fresh:
        validate_item(tx, good_item(tx), today=TODAY)


def test_pin_identity_and_rules_are_data() -> None:
    assert not CATALOGUE.get("deposit").needs_pin
    assert CATALOGUE.get("withdraw").needs_pin
    assert CATALOGUE.get("open_account").identity_check is IdentityCheck.ID_CARD_READER
    assert CATALOGUE.get("deposit").identity_check is IdentityCheck.NONE
    assert CATALOGUE.get("open_account").provides == ("account_number",)
    assert CATALOGUE.get("close_account").per_item == frozenset({"account_number"})


def test_card_activation_and_pin_reset_are_done_away_with_the_id_card() -> None:
    """The issue's visit needs "activate a card, change a password": both take the customer's
    ID card and the new PIN on the pad; a reset is always authorised (from the office on a
    visit), an activation needs none."""
    activate, reset = CATALOGUE.get("card_activate"), CATALOGUE.get("password_reset")
    assert (activate.names.zh, reset.names.zh) == ("激活银行卡", "重置银行卡密码")
    for tx in (activate, reset):
        assert tx.away_from_counter and tx.needs_pin
        assert tx.identity_check is IdentityCheck.ID_CARD_READER
        assert {"customer_name", "id_type", "id_number", "card_number"} <= tx.required
        assert "mobile" in tx.fields and "mobile" not in tx.required
    assert required_level(activate, {}) is Level.NONE
    assert required_level(reset, {"reset_reason": "forgotten"}) is Level.SUPERVISOR
    assert messages(reset, good_item(reset) | {"reset_reason": "guessed"}) == {
        "reset_reason": "not one of the allowed choices"
    }
    assert messages(activate, good_item(activate) | {"card_number": "6222020200112345678"}) == {
        "card_number": "the card number fails the Luhn check; please look for a typing mistake"
    }
    assert [o.value for o in field_dictionary()["reset_reason"].options] == [
        "forgotten",
        "locked",
        "other",
    ]


# --- one item -------------------------------------------------------------------------


def test_missing_and_unknown_fields() -> None:
    tx = CATALOGUE.get("withdraw")
    values = good_item(tx) | {"amount": "", "purpose": None, "favourite_colour": "red"}
    assert messages(tx, values) == {
        "amount": "this field is required",
        "favourite_colour": "this form has no field {name}",
    }


def test_problems_come_one_per_field_in_form_order() -> None:
    tx = CATALOGUE.get("transfer")
    values = good_item(tx) | {"amount": "1.234", "id_number": "110105194912310021", "mobile": "1"}
    found = validate_item(tx, values, today=TODAY)
    assert [p.field for p in found] == ["id_number", "amount", "mobile"]
    assert found[0].message_id == "the ID number is wrong: please check the last character"


def test_a_type_tightens_its_fields() -> None:
    transfer = CATALOGUE.get("transfer")
    assert messages(transfer, good_item(transfer) | {"currency": "USD"}) == {
        "currency": "not one of the allowed choices"
    }
    term = CATALOGUE.get("term_deposit")
    found = validate_item(term, good_item(term) | {"amount": "49.99"}, today=TODAY)
    assert [(p.field, p.message_id, dict(p.params)) for p in found] == [
        ("amount", "the amount must be at least {limit}", {"limit": "50.00"})
    ]
    # Over every amount's bound and the type's own: the type's limit is the one named.
    withdraw = CATALOGUE.get("withdraw")
    for huge in ("1000000000", "1000000000000000000"):
        found = validate_item(withdraw, good_item(withdraw) | {"amount": huge}, today=TODAY)
        assert [(p.field, p.message_id, dict(p.params)) for p in found] == [
            ("amount", "the amount may be at most {limit}", {"limit": "1,000,000.00"})
        ], huge
    assert messages(withdraw, good_item(withdraw) | {"amount": "1000000"}) == {}
    assert messages(term, good_item(term) | {"amount": "50"}) == {}
    wealth = CATALOGUE.get("wealth_buy")
    assert messages(wealth, good_item(wealth) | {"risk_acknowledged": "no"}) == {
        "risk_acknowledged": "please confirm"
    }


def test_the_id_number_must_fit_the_id_type() -> None:
    tx = CATALOGUE.get("card_loss")
    base = good_item(tx)
    assert messages(tx, base | {"id_type": "passport"}) == {
        "id_number": "a passport number has 5 to 17 letters and digits"
    }
    assert messages(tx, base | {"id_type": "passport", "id_number": "E12345678"}) == {}
    assert messages(tx, base | {"id_type": "hk_macau_permit", "id_number": "H12345678"}) == {}
    assert messages(tx, base | {"id_type": "taiwan_permit", "id_number": "1234567"}) == {
        "id_number": "a Taiwan permit number has 8 digits"
    }


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("resident_id", "11010519491231002x"),
        ("passport", "e 1234 5678"),
        ("passport", "X1234567"),
        ("hk_macau_permit", "M87654321"),
        ("taiwan_permit", "12345678"),
        ("foreign_permanent_residence", "USA330119800101"),
        ("foreign_permanent_residence", FPR_2023),
    ],
)
def test_good_id_numbers(id_type: str, number: str) -> None:
    assert check_id_number(id_type, number, today=TODAY) == number.replace(" ", "").upper()


@pytest.mark.parametrize(
    ("id_type", "number", "message_id"),
    [
        ("resident_id", "110105194912310021", CHECK_DIGIT),
        ("resident_id", "11010519491231002", "an ID number has 18 characters, not {n}"),
        ("resident_id", "010105194912310021", "the region code {code} cannot start with 0"),
        ("resident_id", "110105203001010011", "birth date {d} is in the future"),
        ("resident_id", "110105194902300029", "birth date {d} is not a date"),
        ("passport", "E1", "a passport number has 5 to 17 letters and digits"),
        ("hk_macau_permit", "C12345678", MESSAGES["id_hk_macau"]),
        ("taiwan_permit", "T1234567", "a Taiwan permit number has 8 digits"),
        ("foreign_permanent_residence", "US330119800101", FPR_SHAPE),
        ("foreign_permanent_residence", FPR_2023[:17] + WRONG, CHECK_DIGIT),
    ],
)
def test_bad_id_numbers(id_type: str, number: str, message_id: str) -> None:
    with pytest.raises(FieldError) as caught:
        check_id_number(id_type, number, today=TODAY)
    assert caught.value.field == "id_number"
    assert caught.value.message_id == message_id


def test_an_unknown_id_type_is_the_types_problem() -> None:
    with pytest.raises(FieldError) as caught:
        check_id_number("library_card", "12345", today=TODAY)
    assert caught.value.field == "id_type"


def test_yen_have_no_decimals() -> None:
    tx = CATALOGUE.get("withdraw")
    found = validate_item(tx, good_item(tx) | {"amount": "1000.50", "currency": "JPY"}, today=TODAY)
    assert [(p.field, p.message_id, dict(p.params)) for p in found] == [
        ("amount", "{currency} amounts have no decimal places", {"currency": "JPY"})
    ]
    assert messages(tx, good_item(tx) | {"amount": "1000.00", "currency": "JPY"}) == {}


def test_a_new_mobile_must_differ_from_the_current_one() -> None:
    found = check_together({"mobile": "13812345678", "new_mobile": "13812345678"}, today=TODAY)
    assert [(p.field, p.message_id) for p in found] == [
        ("new_mobile", "the new mobile number is the same as the current one")
    ]
    assert check_together({"mobile": "13812345678", "new_mobile": "13912345678"}, today=TODAY) == []


def test_clean_item_normalises_or_lists_the_problems() -> None:
    tx = CATALOGUE.get("deposit")
    clean = clean_item(
        tx, good_item(tx) | {"amount": "1,000.5", "id_number": "11010519491231002x"}, today=TODAY
    )
    assert clean["amount"] == "1000.50" and clean["id_number"] == "11010519491231002X"
    with pytest.raises(ItemInvalid) as caught:
        clean_item(tx, {"customer_name": "张三", "amount": "0"}, today=TODAY)
    assert [p.field for p in caught.value.problems] == ["account_number", "amount", "currency"]


# --- authorisation levels ----------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "level"),
    [
        ("49999.99", Level.NONE),
        ("50000", Level.SUPERVISOR),
        ("50,000.00", Level.SUPERVISOR),
        ("199999.99", Level.SUPERVISOR),
        ("200000", Level.REMOTE),
        ("", Level.NONE),
        ("1e9", Level.NONE),  # not an amount: validation refuses it before any level matters
    ],
)
def test_withdrawal_thresholds_at_the_boundary(amount: str, level: Level) -> None:
    assert required_level(CATALOGUE.get("withdraw"), {"amount": amount}) is level


def test_flags_and_always_rules() -> None:
    withdraw = CATALOGUE.get("withdraw")
    assert required_level(withdraw, {"amount": "100"}, {"elderly"}) is Level.SUPERVISOR
    assert required_level(withdraw, {"amount": "300000"}, {"elderly"}) is Level.REMOTE
    assert required_level(CATALOGUE.get("close_account"), {}) is Level.SUPERVISOR
    assert required_level(CATALOGUE.get("card_loss"), {}) is Level.NONE
    assert required_level(CATALOGUE.get("open_account"), {}, {"high_risk"}) is Level.SUPERVISOR


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
