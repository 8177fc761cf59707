"""PIN pad, PIN block and ID-card reader: the PIN never leaks, the card reads cleanly."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from manyi.counter.adapters.devices import DeviceError
from manyi.counter.adapters.id_reader import IdCardData, NoCardOnReader, SimulatedIdCardReader
from manyi.counter.adapters.pin_pad import (
    PinBlock,
    PinBlockWiped,
    PinEntryCancelled,
    SessionKey,
    SimulatedHsm,
    SimulatedPinPad,
)
from manyi.errors import InvalidInput

PIN = "739146"
CARD = "6288889900593241"
OTHER_CARD = "6288888137794861"
SALT = b"s" * 16


@pytest.fixture
def key() -> SessionKey:
    return SessionKey.generate()


@pytest.fixture
def pad(key: SessionKey) -> SimulatedPinPad:
    return SimulatedPinPad(key)


def entered(pad: SimulatedPinPad, pin: str = PIN, card: str = CARD) -> PinBlock:
    pad.customer_types(pin)
    return pad.enter_pin(card, "请输入密码 / enter your PIN")


def secret_forms(block: PinBlock) -> list[bytes | str]:
    """Everything that would betray the block or the PIN if it showed up in text."""
    view = block.ciphertext_view()
    data = view.tobytes()
    view.release()
    return [PIN, PIN.encode(), bytes.fromhex(PIN), data.hex(), data[:8].hex(), repr(data)]


# --- format 0 and the HSM -------------------------------------------------------------


def test_block_is_iso_9564_format_0_under_aes(key: SessionKey, pad: SimulatedPinPad) -> None:
    block = entered(pad, "1234", "4111111111111111")
    clear = key.open(block)
    # PIN field 04 12 34 FF.. XOR PAN field 00 00 11 11 11 11 11 11 (12 digits before the check)
    assert clear.hex() == "041225eeeeeeeeee"
    assert block.key_id == key.key_id


def test_same_pin_never_gives_the_same_block(pad: SimulatedPinPad) -> None:
    first, second = entered(pad), entered(pad)
    assert first.ciphertext_view().tobytes() != second.ciphertext_view().tobytes()


def test_hsm_verifies_pin_bound_to_the_card(key: SessionKey, pad: SimulatedPinPad) -> None:
    hsm = SimulatedHsm(key, b"k" * 32)
    pvv = hsm.pvv_for_demo(PIN, SALT)
    assert hsm.verify(entered(pad), CARD, SALT, pvv)
    assert not hsm.verify(entered(pad, "739147"), CARD, SALT, pvv)
    assert not hsm.verify(entered(pad), OTHER_CARD, SALT, pvv)  # bound to another PAN
    assert not hsm.verify(entered(pad), CARD, b"t" * 16, pvv)
    other = SimulatedHsm(SessionKey.generate(), b"k" * 32)
    assert not other.verify(entered(pad), CARD, SALT, pvv)  # sealed under another key


def test_tampered_or_wiped_block_does_not_open(key: SessionKey, pad: SimulatedPinPad) -> None:
    hsm = SimulatedHsm(key, b"k" * 32)
    block = entered(pad)
    block._data[-1] ^= 1  # flip one bit of the GCM tag
    assert hsm.pvv(block, CARD, SALT) is None
    block = entered(pad)
    block.wipe()
    assert hsm.pvv(block, CARD, SALT) is None


def test_a_new_card_pin_is_bound_to_no_pan(key: SessionKey, pad: SimulatedPinPad) -> None:
    hsm = SimulatedHsm(key, b"k" * 32)
    block = entered(pad, card="")
    assert hsm.pvv(block, "", SALT) == hsm.pvv_for_demo(PIN, SALT)


# --- the PIN block cannot leak -------------------------------------------------------------


def test_block_prints_as_stars_everywhere(pad: SimulatedPinPad) -> None:
    block = entered(pad)
    secrets = secret_forms(block)
    shown = [
        str(block),
        repr(block),
        f"{block}",
        f"{block!r}",
        f"{block:>40}",
        "%s %r" % (block, block),  # noqa: UP031 - the old operator is exactly what we test
        "{} {!r}".format(block, block),  # noqa: UP032 - str.format itself is under test
        str([block]),
        repr({"pin": block}),
    ]
    for text in shown:
        assert "PinBlock(****)" in text
        for secret in secrets:
            assert str(secret) not in text


def test_logging_a_block_shows_no_secret(
    pad: SimulatedPinPad, caplog: pytest.LogCaptureFixture
) -> None:
    block = entered(pad)
    logger = logging.getLogger("manyi.counter.test")
    with caplog.at_level(logging.DEBUG, logger="manyi.counter.test"):
        logger.info("pin %s", block)
        logger.info("pin %r", block)
        logger.warning("bundle %s", {"items": 2, "pin": block})
        logger.error("failed", extra={"pin": block})
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert text.count("PinBlock(****)") >= 3
    for secret in secret_forms(block):
        assert str(secret) not in text


def test_block_cannot_be_pickled_copied_or_serialised(pad: SimulatedPinPad) -> None:
    block = entered(pad)
    for dump in (pickle.dumps, copy.copy, copy.deepcopy, PinBlock.__getstate__):
        with pytest.raises(TypeError, match="cannot be pickled or copied"):
            dump(block)
    with pytest.raises(TypeError):
        json.dumps({"pin": block})
    assert json.dumps({"pin": block}, default=str) == '{"pin": "PinBlock(****)"}'
    with pytest.raises(TypeError):
        bytes(block)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        vars(block)
    with pytest.raises(AttributeError):
        block.pin = "1234"  # type: ignore[attr-defined]


def test_wipe_zeroes_the_ciphertext(pad: SimulatedPinPad) -> None:
    block = entered(pad)
    buffer = block._data
    assert any(buffer)
    block.wipe()
    assert block.wiped
    assert buffer == bytearray(len(buffer))  # the same buffer, overwritten in place
    with pytest.raises(PinBlockWiped):
        block.ciphertext_view()


def test_context_manager_wipes_even_when_the_bundle_fails(pad: SimulatedPinPad) -> None:
    block = entered(pad)
    with pytest.raises(RuntimeError), block as pin:
        assert not pin.wiped
        raise RuntimeError("core down")
    assert block.wiped


def test_session_key_does_not_leak_either(key: SessionKey) -> None:
    assert repr(key) == f"SessionKey(id={key.key_id})"
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(ValueError, match="32 bytes"):
        SessionKey(b"short", "k1")


# --- the pad keeps nothing of the PIN --------------------------------------------------------


def reachable(obj: Any, seen: set[int] | None = None) -> Iterator[object]:
    """Every object reachable from `obj` through attributes, slots and containers."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    children: list[object] = []
    if isinstance(obj, dict):
        children = [*obj.keys(), *obj.values()]
    elif isinstance(obj, list | tuple | set | frozenset) or type(obj).__name__ == "deque":
        children = list(obj)
    elif not isinstance(obj, str | bytes | bytearray | int | float | bool | type(None)):
        children = list(getattr(obj, "__dict__", {}).values())
        for klass in type(obj).__mro__:
            for name in getattr(klass, "__slots__", ()):
                if hasattr(obj, name):
                    children.append(getattr(obj, name))
    for child in children:
        yield from reachable(child, seen)


def test_pin_digits_never_remain_in_the_pad(pad: SimulatedPinPad) -> None:
    pad.customer_types(PIN)
    # While queued, the keystrokes are in the pad (that is what the walk can see) ...
    assert any(isinstance(o, bytearray) and PIN.encode() in o for o in reachable(pad))
    queued = pad._typed[0]
    assert queued is not None
    pad.enter_pin(CARD, "enter PIN")
    # ... and once the block is built, no trace in any form: text, ASCII, BCD nibbles.
    assert queued == bytearray(len(queued))
    for obj in reachable(pad):
        if isinstance(obj, str):
            assert PIN not in obj
        elif isinstance(obj, bytes | bytearray):
            assert PIN.encode() not in obj
            assert bytes.fromhex(PIN) not in obj
        elif isinstance(obj, int) and not isinstance(obj, bool):
            assert PIN not in str(obj)
    assert pad.entries == 1
    assert pad.last_prompt == "enter PIN"


def test_clearing_the_pad_overwrites_keystrokes_no_entry_used(pad: SimulatedPinPad) -> None:
    pad.customer_types(PIN)
    pad.customer_cancels()
    queued = pad._typed[0]
    assert queued is not None
    pad.clear()  # the run was refused before it asked for the PIN
    assert queued == bytearray(len(queued))
    assert not any(isinstance(o, bytearray) and PIN.encode() in o for o in reachable(pad))
    with pytest.raises(DeviceError, match="no PIN was typed"):
        pad.enter_pin(CARD, "enter PIN")


def test_pad_refuses_bad_input_and_reports_cancel(pad: SimulatedPinPad) -> None:
    for bad in ("123", "1234567890123", "12a4", "１２３４"):
        with pytest.raises(InvalidInput, match="4 to 12 digits"):
            pad.customer_types(bad)
    with pytest.raises(InvalidInput, match="13 to 19 digits"):
        pad.enter_pin("12345", "enter PIN")
    with pytest.raises(DeviceError, match="no PIN was typed"):
        pad.enter_pin(CARD, "enter PIN")
    pad.customer_cancels()
    with pytest.raises(PinEntryCancelled):
        pad.enter_pin(CARD, "enter PIN")


# --- ID-card reader -------------------------------------------------------------------------


def zhang_wei(**changes: Any) -> IdCardData:
    values: dict[str, Any] = {
        "name": "张伟",
        "id_number": "330106198503120319",
        "sex": "M",
        "birth_date": dt.date(1985, 3, 12),
        "address": "浙江省杭州市西湖区文三路 100 号",
        "issuing_authority": "杭州市公安局西湖分局",
        "valid_from": dt.date(2016, 5, 1),
        "valid_until": dt.date(2036, 5, 1),
    }
    return IdCardData(**(values | changes))


def test_reader_returns_the_card_placed_on_it() -> None:
    reader = SimulatedIdCardReader()
    with pytest.raises(NoCardOnReader, match="no ID card on the reader"):
        reader.read()
    card = zhang_wei()
    reader.place(card)
    assert reader.read() is card
    reader.remove()
    with pytest.raises(NoCardOnReader):
        reader.read()


def test_card_data_is_consistent_and_masked_in_logs() -> None:
    card = zhang_wei(id_number="330106 19850312 0319")  # as typed: spaces are allowed
    assert card.id_number == "330106198503120319"
    assert card.age_on(dt.date(2026, 3, 11)) == 40
    assert card.age_on(dt.date(2026, 3, 12)) == 41
    assert card.valid_on(dt.date(2026, 3, 10))
    assert not card.valid_on(dt.date(2036, 5, 2))
    assert zhang_wei(valid_until=None).valid_on(dt.date(2090, 1, 1))  # long-term (长期)
    assert "330106198503120319" not in repr(card)
    assert "张伟" not in repr(card)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id_number": "330106198503120318"}, "check digit"),
        ({"birth_date": dt.date(1985, 3, 13)}, "birth date does not match"),
        ({"sex": "F"}, "sex does not match"),
        ({"valid_until": dt.date(2016, 4, 1)}, "validity ends before it starts"),
    ],
)
def test_inconsistent_card_data_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        zhang_wei(**changes)
