"""A customer's reply by SMS: which words withdraw consent, and how the SMSC's octets decode."""

from __future__ import annotations

import pytest

from manyi.reach.adapters.gateway import Channel, Reply
from manyi.reach.adapters.simulated import SimulatedGateway
from manyi.reach.adapters.sms_text import decode_text
from manyi.reach.domain.replies import withdraws_consent


@pytest.mark.parametrize(
    "text",
    [
        "TD",
        "td",
        "Td",
        " TD ",
        "TD\n",
        "ＴＤ",
        "ｔｄ",
        "TD。",
        "退订",
        " 退订！",
        "T",
        "n",
        "Ｎ",
        "【TD】",
    ],
)
def test_td_and_its_variants_withdraw(text: str) -> None:
    assert withdraws_consent(text)


@pytest.mark.parametrize(
    "text", ["", " ", "Y", "好的", "TD please", "不要退订", "TDD", "退订 退订", "NO", "谢谢"]
)
def test_anything_else_does_not(text: str) -> None:
    assert not withdraws_consent(text)


@pytest.mark.parametrize(
    ("octets", "data_coding", "esm_class", "text"),
    [
        ("退订".encode("utf-16-be"), 8, 0, "退订"),
        ("ＴＤ".encode("utf-16-be"), 8, 0, "ＴＤ"),
        (b"TD", 0, 0, "TD"),  # the GSM default alphabet, a septet a byte: letters as ASCII
        (b"\x00\x11\x02", 0, 0, "@_$"),  # where GSM and ASCII differ
        (b"\x1b\x65 5", 0, 0, "€ 5"),  # the extension table
        (b"TD", 1, 0, "TD"),  # IA5 / ASCII
        (b"caf\xe9", 3, 0, "café"),  # Latin-1
        (b"TD", 0xF0, 0, "TD"),  # a message class coding, GSM alphabet
        (b"\x05\x00\x03\x2a\x02\x01" + "退订".encode("utf-16-be"), 8, 0x40, "退订"),  # UDH skipped
        (b"\xd8", 8, 0, "\ufffd"),  # half a UCS-2 unit: replaced, no error
    ],
)
def test_replies_decode_by_data_coding(
    octets: bytes, data_coding: int, esm_class: int, text: str
) -> None:
    assert decode_text(octets, data_coding, esm_class) == text


def test_the_simulated_gateway_reports_a_reply_once() -> None:
    gateway = SimulatedGateway(Channel.SMS)
    assert gateway.replies() == []
    gateway.reply("13812345678", "TD")
    assert gateway.replies() == [Reply("13812345678", "TD")]
    assert gateway.replies() == []
