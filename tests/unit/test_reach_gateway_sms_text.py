"""How an SMS is encoded and split for SMPP, and how a delivery receipt is read."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from manyi.reach.adapters.gateway import ReceiptState
from manyi.reach.adapters.sms_text import encode_text, parse_receipt

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def receipt_text(stat: str, *, message_id: str = "77", done: str = "2612050931") -> bytes:
    return (
        f"id:{message_id} sub:001 dlvrd:001 submit date:2612050930 done date:{done}"
        f" stat:{stat} err:000 text:"
    ).encode()


def test_a_short_chinese_text_is_one_ucs2_message() -> None:
    encoded = encode_text("您的号码快到了", reference=1)
    assert encoded.data_coding == 8
    assert encoded.esm_class == 0
    assert encoded.parts == ["您的号码快到了".encode("utf-16-be")]


def test_seventy_chinese_characters_fit_one_message_and_seventy_one_do_not() -> None:
    assert len(encode_text("好" * 70, reference=1).parts) == 1
    parts = encode_text("好" * 71, reference=9).parts
    assert [len(part) for part in parts] == [6 + 134, 6 + 8]
    assert [part[:6] for part in parts] == [
        b"\x05\x00\x03\x09\x02\x01",
        b"\x05\x00\x03\x09\x02\x02",
    ]


def test_plain_ascii_uses_the_default_alphabet_and_160_characters() -> None:
    assert encode_text("A" * 160, reference=1).data_coding == 0
    assert encode_text("A" * 160, reference=1).parts == [b"A" * 160]
    parts = encode_text("A" * 161, reference=1).parts
    assert [len(part) - 6 for part in parts] == [153, 8]


@pytest.mark.parametrize("char", ["@", "$", "_", "€", "é"])
def test_characters_gsm_and_ascii_disagree_on_force_ucs2(char: str) -> None:
    assert encode_text(f"Pay 5{char}", reference=1).data_coding == 8


def test_a_split_never_cuts_an_emoji_in_half() -> None:
    text = "好" * 66 + "😀" + "好" * 10  # the emoji's two units straddle the 67-unit boundary
    parts = encode_text(text, reference=3).parts
    texts = [part[6:].decode("utf-16-be") for part in parts]  # each part decodes on its own
    assert "".join(texts) == text
    assert texts[0] == "好" * 66


def test_a_receipt_text_is_read_with_its_smsc_local_time() -> None:
    text = receipt_text("DELIVRD", message_id="5a001")
    receipt = parse_receipt(text, receipted_message_id=None, message_state=None, zone=SHANGHAI)
    assert receipt is not None
    assert (receipt.message_id, receipt.state, receipt.status) == (
        "5a001",
        ReceiptState.DELIVERED,
        "DELIVRD",
    )
    assert receipt.done_at == dt.datetime(2026, 12, 5, 9, 31, tzinfo=SHANGHAI)


@pytest.mark.parametrize("stat", ["UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN"])
def test_final_failures_are_failed(stat: str) -> None:
    text = (
        f"id:77 sub:001 dlvrd:000 submit date:2612050930 done date:261205093015 stat:{stat} err:001"
    )
    receipt = parse_receipt(
        text.encode(), receipted_message_id=None, message_state=None, zone=SHANGHAI
    )
    assert receipt is not None
    assert receipt.state is ReceiptState.FAILED
    assert receipt.done_at == dt.datetime(2026, 12, 5, 9, 30, 15, tzinfo=SHANGHAI)


def test_the_tlvs_win_over_the_text() -> None:
    text = (
        b"id:77 sub:001 dlvrd:001 submit date:2612050930 done date:2612050931 stat:DELIVRD err:000"
    )
    receipt = parse_receipt(text, receipted_message_id="0x4D", message_state=5, zone=SHANGHAI)
    assert receipt is not None
    assert (receipt.message_id, receipt.state, receipt.status) == (
        "0x4D",
        ReceiptState.FAILED,
        "UNDELIV",
    )


def test_intermediate_and_unreadable_receipts_are_not_reported() -> None:
    enroute = (
        b"id:77 sub:001 dlvrd:000 submit date:2612050930 done date:2612050931 stat:ENROUTE err:000"
    )
    assert (
        parse_receipt(enroute, receipted_message_id=None, message_state=None, zone=SHANGHAI) is None
    )
    assert parse_receipt(b"", receipted_message_id="77", message_state=6, zone=SHANGHAI) is None
    assert (
        parse_receipt(b"hello", receipted_message_id=None, message_state=None, zone=SHANGHAI)
        is None
    )
