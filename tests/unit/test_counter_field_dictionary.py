"""The counter's field dictionary as a JSON Schema 2020-12 document: one def per field, labels
in both languages, examples that pass, message templates, and refs resolved without the network."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import jsonschema
import pytest
import referencing.exceptions

from manyi.counter.domain.field_problems import MESSAGES, FieldProblem, read_data
from manyi.counter.domain.fields import DEF_PREFIX, FIELDS_URI, check_value, field_dictionary
from tests.counter_field_helpers import TODAY, problem


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the counter tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


# --- the document ---------------------------------------------------------------


def test_dictionary_is_a_2020_12_document_with_one_def_per_field() -> None:
    document = field_dictionary().document
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == FIELDS_URI == "https://manyi.example/schemas/fields/v1"
    assert set(document["$defs"]) == set(field_dictionary().fields)
    assert len(field_dictionary().fields) >= 25


def test_identity_fields_come_first() -> None:
    assert list(field_dictionary().fields)[:4] == [
        "customer_name",
        "id_type",
        "id_number",
        "mobile",
    ]


def test_every_field_has_labels_in_both_languages_and_a_scope() -> None:
    for spec in field_dictionary().fields.values():
        assert spec.label.zh and spec.label.en, spec.id
        assert re.search("[\u4e00-\u9fff]", spec.label.zh), spec.id
        assert spec.scope in {"customer", "item"}
        assert spec.ref == DEF_PREFIX + spec.id
        for option in spec.options:
            assert option.names.zh and option.names.en


@pytest.mark.parametrize("field_id", sorted(field_dictionary().fields))
def test_every_example_passes_its_own_field(field_id: str) -> None:
    example = field_dictionary()[field_id].example
    if example is not None:
        check_value(field_id, example, today=TODAY)


def test_the_fields_the_brief_names_are_there() -> None:
    fields = field_dictionary().fields
    named = """customer_name id_type id_number mobile card_number account_number amount currency
        address occupation relationship remarks term_months product_code payee_name payee_account
        payee_bank bill_type bill_account new_mobile loss_reason id_valid_until loss_date"""
    assert set(named.split()) <= set(fields)
    assert fields["currency"].schema["enum"] == ["CNY", "USD", "EUR", "HKD", "JPY", "GBP"]
    assert [o.value for o in fields["id_type"].options] == [
        "resident_id",
        "passport",
        "hk_macau_permit",
        "taiwan_permit",
        "foreign_permanent_residence",
    ]


def test_customer_fields_and_item_fields() -> None:
    fields = field_dictionary().fields
    assert {f for f, spec in fields.items() if spec.scope == "customer"} >= {
        "customer_name",
        "id_type",
        "id_number",
        "mobile",
        "address",
        "account_number",
    }
    for name in ("amount", "currency", "payee_name", "payee_account", "term_months"):
        assert fields[name].scope == "item"


def test_unknown_field() -> None:
    found = problem("shoe_size", "42")
    assert found.message_id == "this form has no field {name}"
    assert found.params == {"name": "shoe_size"}


def test_messages_are_templates_with_matching_data() -> None:
    data = read_data("messages.json")
    assert set(data["schema_keywords"].values()) <= set(MESSAGES)
    assert {key for _, key in data["personal_reasons"]} <= set(MESSAGES)
    assert len(set(MESSAGES.values())) == len(MESSAGES)  # one id, one meaning
    for message_id in MESSAGES.values():
        assert message_id == message_id.strip()
        assert message_id.format_map(_Anything()) != message_id or "{" not in message_id


class _Anything(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def test_problem_text_fills_the_template() -> None:
    found = FieldProblem("id_number", "the check digit should be {c}", {"c": "X"})
    assert found.text() == "the check digit should be X"
    assert found.text({"the check digit should be {c}": "校验位应为 {c}"}.get) == "校验位应为 X"


# --- no network -------------------------------------------------------------------


def test_refs_resolve_without_the_network(no_network: None) -> None:
    validator = field_dictionary().validator({"$ref": DEF_PREFIX + "mobile"})
    assert validator.is_valid("13812345678")
    assert not validator.is_valid("12812345678")


def test_a_foreign_ref_fails_instead_of_being_fetched(no_network: None) -> None:
    validator = field_dictionary().validator({"$ref": "https://example.com/schemas/name"})
    with pytest.raises(referencing.exceptions.Unresolvable):
        validator.is_valid("x")
