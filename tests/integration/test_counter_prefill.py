"""Pre-fill through the service: server-side validation, one stored value per shared field,
codes stored as hashes, the outlet's day as the limit, links to lobby tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from manyi.audit.tables import AuditEvent
from manyi.counter import prefill
from manyi.counter.tables import CounterPrefill
from manyi.db import Database
from manyi.errors import InvalidInput, NotFound
from manyi.lobby.tables import LobbySettings
from manyi.org.tables import Unit
from manyi.sealed import DEVELOPMENT_DATA_KEYS
from tests.conftest import Bank
from tests.counter_helpers import call_ticket, make_sim, setup_counter, submit
from tests.lobby_helpers import T0

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def counter(db: Database, bank: Bank) -> Database:
    setup_counter(db, bank)
    return db


def deposit_and_transfer() -> dict[str, object]:
    return {
        "customer_name": "张伟",
        "id_type": "resident_id",
        "id_number": "330106198503120319",
        "account_number": "6228 8800 0000 0000 001",
        "item1.amount": "1,000.5",
        "item1.currency": "CNY",
        "item2.amount": "200",
        "item2.currency": "CNY",
        "item2.payee_name": "李四",
        "item2.payee_account": "6217000010001234569",
        "item2.payee_bank": "中国建设银行北京分行",
    }


def deposit_only() -> dict[str, object]:
    return {k: v for k, v in deposit_and_transfer().items() if not k.startswith("item2.")}


def prefills(db: Database) -> list[CounterPrefill]:
    with db.session() as session:
        return list(session.scalars(select(CounterPrefill)))


def test_a_prefill_stores_normalised_values_once_and_only_the_codes_hash(counter: Database) -> None:
    with counter.session() as session:
        made = prefill.submit_prefill(
            session, "OUT-A", ["deposit", "transfer"], deposit_and_transfer(), T0
        )
        code = made.code
    assert len(code) == prefill.CODE_LENGTH
    assert set(code) <= set(prefill.CODE_ALPHABET)
    [row] = prefills(counter)
    assert code not in str(row.__dict__)
    assert row.code_prefix == code[:3] and row.code_hash == prefill.code_hash(
        code, DEVELOPMENT_DATA_KEYS
    )
    assert row.items == [{"code": "deposit", "version": 1}, {"code": "transfer", "version": 1}]
    # Shared fields appear once, under their own key; amounts are normalised.
    assert row.form_values["account_number"] == "6228880000000000001"
    assert [k for k in row.form_values if k.endswith("account_number")] == ["account_number"]
    assert row.form_values["item1.amount"] == "1000.50"
    assert row.form_values["customer_name"] == "张伟"
    # OUT-A closes at 17:00 Beijing time: 09:00 UTC.
    assert row.expires_at == dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    assert row.channel == "phone" and row.ticket_token is None


def test_without_a_closing_time_the_code_lives_until_local_midnight(counter: Database) -> None:
    submit(counter, ["deposit"], deposit_only(), outlet="OUT-B")
    evening = T0 + 9 * HOUR  # 19:00 in Beijing, after OUT-A's closing time
    submit(counter, ["deposit"], deposit_only(), evening)
    midnight = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 00:00 on Dec 1 in Beijing
    assert [row.expires_at for row in prefills(counter)] == [midnight, midnight]


def test_at_an_outlet_open_around_the_clock_the_code_lives_to_its_business_days_end(
    counter: Database,
) -> None:
    with counter.session() as session:  # OUT-A: open around the clock, days begin at 04:00
        outlet = session.scalars(select(Unit).where(Unit.code == "OUT-A")).one()
        settings = session.get_one(LobbySettings, outlet.id)
        settings.opens_at, settings.closes_at, settings.day_starts_at = "00:00", None, "04:00"
    late = dt.datetime(2026, 11, 30, 15, 50, tzinfo=dt.UTC)  # 23:50 in Beijing
    submit(counter, ["deposit"], deposit_only(), late)
    four = dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)  # 04:00 on Dec 1 in Beijing
    assert [row.expires_at for row in prefills(counter)] == [four]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "330106198503120318"),  # wrong check digit
        ("account_number", "62288800000A"),  # not digits
        ("item2.payee_account", "12"),  # too short
    ],
)
def test_a_bad_value_is_refused_with_its_field_and_nothing_is_stored(
    counter: Database, field: str, value: str
) -> None:
    values = deposit_and_transfer() | {field: value}
    with pytest.raises(prefill.FormInvalid) as refused:
        submit(counter, ["deposit", "transfer"], values)
    assert [p.field for p in refused.value.problems] == [field]
    assert refused.value.field == field
    assert prefills(counter) == []


def test_every_problem_is_listed_in_form_order(counter: Database) -> None:
    values = {
        "customer_name": "张伟",
        "id_type": "resident_id",
        "id_number": "330106198503120318",
        "mobile": "12345",
        "card_number": "6228880000000000002",  # Luhn fails
        "item1.card_product": "standard",
    }
    with pytest.raises(prefill.FormInvalid) as refused:
        submit(counter, ["card_loss"], values | {"item1.loss_reason": "lost"})
    fields = [p.field for p in refused.value.problems]
    assert fields == ["id_number", "mobile", "card_number", "item1.card_product"]
    assert refused.value.params["count"] == 4
    assert prefills(counter) == []


def test_a_missing_required_field_and_an_unknown_one_are_problems(counter: Database) -> None:
    values = deposit_and_transfer()
    del values["item2.payee_name"]
    values["favourite_colour"] = "blue"
    with pytest.raises(prefill.FormInvalid) as refused:
        submit(counter, ["deposit", "transfer"], values)
    assert {p.field for p in refused.value.problems} == {"item2.payee_name", "favourite_colour"}


def test_unknown_transactions_and_outlets_are_refused(counter: Database) -> None:
    with pytest.raises(InvalidInput):
        submit(counter, ["teleport"], {})
    with pytest.raises(InvalidInput):
        submit(counter, [], {})
    with pytest.raises(NotFound):
        submit(counter, ["deposit"], deposit_only(), outlet="BR-A")


def test_codes_are_found_as_typed_but_never_when_expired_or_elsewhere(
    counter: Database, bank: Bank
) -> None:
    code = submit(counter, ["deposit", "transfer"], deposit_and_transfer())
    typed = f"{code[:4].lower()}-{code[4:]}"
    [stored] = prefills(counter)
    with counter.session() as session:
        assert prefill.find_prefill(session, typed, T0 + HOUR).id == stored.id
        for wrong, at, outlet in (
            (code, T0 + 7 * HOUR, None),  # past 17:00
            (code[:-1] + ("A" if code[-1] != "A" else "B"), T0, None),
            ("I0O1", T0, None),
            (code, T0, bank.unit("OUT-B")),
        ):
            with pytest.raises(NotFound) as missing:
                prefill.find_prefill(session, wrong, at, outlet_id=outlet)
            assert missing.value.message == "no pre-fill has this code, or it has expired"


def test_a_prefill_links_to_a_ticket_of_its_outlet_by_the_public_token(
    counter: Database,
) -> None:
    make_sim()
    _, token = call_ticket(counter, "teller.a", "A", T0)
    submit(counter, ["deposit", "transfer"], deposit_and_transfer(), ticket_token=token)
    assert prefills(counter)[0].ticket_token == token
    with pytest.raises(NotFound):
        submit(counter, ["deposit"], deposit_only(), ticket_token="no-such-token")
    with pytest.raises(NotFound):  # the ticket is OUT-A's
        submit(counter, ["deposit"], deposit_only(), outlet="OUT-B", ticket_token=token)


def test_submitting_is_audited_without_personal_data(counter: Database) -> None:
    submit(counter, ["deposit", "transfer"], deposit_and_transfer())
    with counter.session() as session:
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "counter.prefill.submit")
        )
        assert event is not None
        assert "330106" not in event.summary and "张伟" not in event.summary
        assert session.scalar(select(func.count()).select_from(CounterPrefill)) == 1
