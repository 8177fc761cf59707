"""The envelope that seals personal data at rest (AES-256-GCM) and the keyed blind index."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.sealed import DEVELOPMENT_DATA_KEYS, DataKeys, SealError, is_sealed, parse_key

OLD = "old:" + base64.b64encode(bytes(range(32))).decode()
NEW = "new:" + bytes(range(100, 132)).hex()
PEPPER = "a-test-pepper-of-reasonable-length-0123"
PLACE = "complaints.complainant_phone"


def keys(current: str = NEW, *retired: str) -> DataKeys:
    return DataKeys.of(current, retired, pepper=PEPPER)


@given(st.text())
def test_round_trip(text: str) -> None:
    ring = keys()
    assert ring.open(ring.seal(text, PLACE), PLACE) == text


def test_a_sealed_value_hides_the_plaintext_and_differs_each_time() -> None:
    ring = keys()
    first, second = ring.seal("13812345678", PLACE), ring.seal("13812345678", PLACE)
    assert first != second  # a fresh nonce each time: equal values do not show as equal
    assert first.startswith("v1.new.") and is_sealed(first)
    assert "13812345678" not in first and "3812345678" not in base64.b64decode(
        first.split(".")[2] + "==", altchars=b"-_"
    ).decode("latin-1")


def test_an_empty_value_stays_empty() -> None:
    assert keys().seal("", PLACE) == "" and keys().open("", PLACE) == ""


def test_new_writes_use_the_current_key_and_a_retired_key_still_opens() -> None:
    before = keys(OLD)
    sealed_before = before.seal("张三", PLACE)
    assert before.key_id_of(sealed_before) == "old"
    after = keys(NEW, OLD)
    assert after.open(sealed_before, PLACE) == "张三"
    assert after.key_id_of(after.seal("张三", PLACE)) == "new"


def test_an_unknown_key_id_is_refused() -> None:
    sealed = keys(OLD).seal("张三", PLACE)
    with pytest.raises(SealError, match="key old"):
        keys(NEW).open(sealed, PLACE)  # the old key was dropped too early


def test_a_wrong_key_under_the_right_id_is_refused() -> None:
    sealed = keys(OLD).seal("张三", PLACE)
    impostor = DataKeys.of("old:" + "ab" * 32, pepper=PEPPER)
    with pytest.raises(SealError, match="altered"):
        impostor.open(sealed, PLACE)


def test_a_tampered_ciphertext_is_refused() -> None:
    ring = keys()
    version, kid, body = ring.seal("110105194912310021", PLACE).split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[15] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(SealError, match="altered"):
        ring.open(f"{version}.{kid}.{tampered}", PLACE)
    with pytest.raises(SealError, match="altered"):
        ring.open(f"{version}.{kid}.{body[:-4]}", PLACE)  # truncated


def test_a_value_moved_to_another_column_is_refused() -> None:
    """The associated data binds the value to its table and column."""
    ring = keys()
    phone = ring.seal("13812345678", PLACE)
    with pytest.raises(SealError, match="belongs elsewhere"):
        ring.open(phone, "complaints.complainant_name")


def test_a_value_relabelled_with_another_key_id_is_refused() -> None:
    ring = keys(NEW, OLD)
    _, _, body = ring.seal("张三", PLACE).split(".")
    with pytest.raises(SealError):
        ring.open(f"v1.old.{body}", PLACE)


def test_plaintext_is_not_taken_for_a_sealed_value() -> None:
    with pytest.raises(SealError, match="not a sealed value"):
        keys().open("13812345678", PLACE)
    assert not is_sealed("13812345678") and not is_sealed("") and not is_sealed(None)


def test_keys_are_given_in_base64_or_hex_with_an_optional_id() -> None:
    raw = bytes(range(32))
    assert parse_key(base64.b64encode(raw).decode())[1] == raw
    assert parse_key(base64.urlsafe_b64encode(raw).decode().rstrip("="))[1] == raw
    assert parse_key(raw.hex()) == parse_key("  " + raw.hex().upper() + " ")
    derived, _ = parse_key(raw.hex())
    assert len(derived) == 8 and derived not in raw.hex()  # a fingerprint, not the key
    assert parse_key("k2026:" + raw.hex()) == ("k2026", raw)
    for bad in ("", "abc", raw.hex()[:-2], "bad id!:" + raw.hex(), base64.b64encode(raw[:16])):
        with pytest.raises(ValueError):
            parse_key(bad if isinstance(bad, str) else bad.decode())


def test_two_different_keys_may_not_share_an_id() -> None:
    with pytest.raises(ValueError, match="id old"):
        DataKeys.of(OLD, ["old:" + "cd" * 32], pepper=PEPPER)


def test_the_blind_index_is_an_hmac_under_the_pepper() -> None:
    ring = keys()
    index = ring.blind_index("mobile", "13812345678")
    expected = hmac.new(PEPPER.encode(), b"mobile\x0013812345678", hashlib.sha256).hexdigest()
    assert index == expected and index == keys(OLD).blind_index("mobile", "13812345678")
    assert index != hashlib.sha256(b"13812345678").hexdigest()
    assert index != ring.blind_index("name", "13812345678")  # purposes do not mix
    assert index != DEVELOPMENT_DATA_KEYS.blind_index("mobile", "13812345678")
