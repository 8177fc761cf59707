"""The SMPP gateway against a real (small) SMSC on 127.0.0.1: bind, submit, receipts, errors."""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections.abc import Iterator

import pytest

from manyi.reach.adapters.gateway import (
    Channel,
    GatewayError,
    OutgoingMessage,
    Receipt,
    ReceiptState,
    Reply,
)
from manyi.reach.adapters.smpp import SmppGateway
from tests.smpp_server import PASSWORD, SmppServer, smpp_server, wait_for

NUMBER = "13812345678"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def server() -> Iterator[SmppServer]:
    with smpp_server() as running:
        yield running


def gateway_for(
    server: SmppServer, *, password: str = PASSWORD, timeout_s: float = 2.0
) -> SmppGateway:
    return SmppGateway(
        host="127.0.0.1",
        port=server.port,
        system_id="manyi",
        password=password,
        system_type="BANK",
        source_addr="1069012345",
        timeout_s=timeout_s,
        smsc_zone=SHANGHAI,
    )


@pytest.fixture
def gateway(server: SmppServer) -> Iterator[SmppGateway]:
    sms = gateway_for(server)
    yield sms
    sms.close()


def message(outbox_id: int, text: str, address: str = NUMBER) -> OutgoingMessage:
    return OutgoingMessage(outbox_id, Channel.SMS, address, "turn_near", text)


def receipts_until(gateway: SmppGateway, count: int) -> list[Receipt]:
    found: list[Receipt] = []
    deadline = time.monotonic() + 5
    while len(found) < count and time.monotonic() < deadline:
        found += gateway.receipts()
        time.sleep(0.01)
    return found


def test_chinese_text_arrives_intact_as_ucs2_to_a_national_number(
    server: SmppServer, gateway: SmppGateway
) -> None:
    text = "您好，您的号码A017快到了，请回到营业厅。"
    accepted = gateway.send(message(1, text))

    [submit] = server.submits
    assert server.binds == [("manyi", "s3cret", "BANK")]
    assert submit.data_coding == 8
    assert submit.text == text
    assert (submit.destination, submit.dest_ton, submit.dest_npi) == (NUMBER, 2, 1)
    assert submit.source_addr == "1069012345"
    assert submit.registered_delivery == 1
    assert accepted.gateway_id == submit.message_id


def test_an_international_number_goes_with_its_country_code(
    server: SmppServer, gateway: SmppGateway
) -> None:
    gateway.send(message(1, "您好", address="+86 138-1234-5678"))
    [submit] = server.submits
    assert (submit.destination, submit.dest_ton, submit.dest_npi) == ("8613812345678", 1, 1)


def test_an_ascii_text_goes_in_the_default_alphabet(
    server: SmppServer, gateway: SmppGateway
) -> None:
    gateway.send(message(1, "Ticket A017: please come back, 3 customers ahead."))
    [submit] = server.submits
    assert submit.data_coding == 0
    assert submit.short_message == b"Ticket A017: please come back, 3 customers ahead."


def test_a_long_text_arrives_as_parts_sharing_a_reference_that_reassemble(
    server: SmppServer, gateway: SmppGateway
) -> None:
    text = "尊敬的客户：" + "您预约的业务已办理完毕，感谢您对我行的支持。" * 8  # 174 characters
    accepted = gateway.send(message(7, text))

    parts = server.submits
    assert len(parts) == 3
    assert {part.udh[:3] for part in parts} == {b"\x05\x00\x03"}
    assert len({part.udh[3] for part in parts}) == 1  # one reference
    assert [part.udh[4:] for part in parts] == [b"\x03\x01", b"\x03\x02", b"\x03\x03"]
    assert all(part.esm_class & 0x40 for part in parts)
    assert all(len(part.short_message) <= 140 for part in parts)
    assert server.texts() == [text]
    assert accepted.gateway_id == parts[0].message_id  # receipts name the first part
    assert [part.registered_delivery for part in parts] == [1, 0, 0]


def test_a_receipt_comes_back_for_the_accepted_gateway_id(
    server: SmppServer, gateway: SmppGateway
) -> None:
    delivered = gateway.send(message(1, "您的号码快到了"))
    server.failed_numbers.add("13900001111")
    failed = gateway.send(message(2, "您的号码快到了", address="13900001111"))

    receipts = receipts_until(gateway, 2)

    by_id = {receipt.gateway_id: receipt for receipt in receipts}
    assert by_id[delivered.gateway_id].state is ReceiptState.DELIVERED
    assert by_id[delivered.gateway_id].status == "DELIVRD"
    assert by_id[delivered.gateway_id].at == dt.datetime(2026, 12, 5, 9, 31, tzinfo=SHANGHAI)
    assert by_id[failed.gateway_id].state is ReceiptState.FAILED
    assert by_id[failed.gateway_id].status == "UNDELIV"
    assert gateway.receipts() == []  # each receipt is reported once


def test_a_delayed_receipt_is_read_on_a_later_call() -> None:
    with smpp_server(receipt_delay=0.2) as server:
        gateway = gateway_for(server)
        accepted = gateway.send(message(1, "您的号码快到了"))
        assert gateway.receipts() == []
        [receipt] = receipts_until(gateway, 1)
        assert receipt.gateway_id == accepted.gateway_id
        gateway.close()


def test_a_wrong_password_is_a_permanent_error_saying_so(server: SmppServer) -> None:
    gateway = gateway_for(server, password="wrong")
    with pytest.raises(GatewayError) as refused:
        gateway.send(message(1, "您好"))
    assert refused.value.permanent
    assert "password" in refused.value.reason
    assert "MANYI_REACH_SMPP_PASSWORD" in refused.value.reason
    assert server.submits == []


def test_a_throttled_submit_is_temporary_and_the_next_one_goes_through(
    server: SmppServer, gateway: SmppGateway
) -> None:
    server.fail_next(0x58)
    with pytest.raises(GatewayError) as throttled:
        gateway.send(message(1, "您好"))
    assert not throttled.value.permanent
    assert "throttled" in throttled.value.reason
    assert gateway.send(message(1, "您好")).gateway_id


def test_an_invalid_number_is_permanent(server: SmppServer, gateway: SmppGateway) -> None:
    server.status_for["13800000000"] = 0x0B
    with pytest.raises(GatewayError) as invalid:
        gateway.send(message(1, "您好", address="13800000000"))
    assert invalid.value.permanent
    assert "destination" in invalid.value.reason


def test_an_address_that_is_no_number_is_refused_before_sending(
    server: SmppServer, gateway: SmppGateway
) -> None:
    with pytest.raises(GatewayError) as refused:
        gateway.send(message(1, "您好", address="call me"))
    assert refused.value.permanent
    assert server.submits == []


def test_a_dropped_connection_is_bound_again_on_the_next_send(
    server: SmppServer, gateway: SmppGateway
) -> None:
    gateway.send(message(1, "第一条"))
    server.drop_connections()
    time.sleep(0.05)

    accepted = gateway.send(message(2, "第二条"))

    assert len(server.binds) == 2
    assert server.texts() == ["第一条", "第二条"]
    assert accepted.gateway_id == server.submits[-1].message_id


def test_a_connection_dropped_mid_submit_is_temporary_then_recovers(
    server: SmppServer, gateway: SmppGateway
) -> None:
    server.drop_next_submit()
    with pytest.raises(GatewayError) as dropped:
        gateway.send(message(1, "您好"))
    assert not dropped.value.permanent
    assert gateway.send(message(1, "您好")).gateway_id
    assert len(server.binds) == 2


def test_an_smsc_that_does_not_answer_is_a_temporary_timeout() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        gateway = SmppGateway(
            host="127.0.0.1",
            port=silent.getsockname()[1],
            system_id="manyi",
            password="s3cret",
            source_addr="1069012345",
            timeout_s=0.2,
        )
        with pytest.raises(GatewayError) as timed_out:
            gateway.send(message(1, "您好"))
    assert not timed_out.value.permanent


def test_a_second_send_of_one_outbox_id_sends_nothing_new(
    server: SmppServer, gateway: SmppGateway
) -> None:
    first = gateway.send(message(5, "您好"))
    again = gateway.send(message(5, "您好"))
    assert again == first
    assert len(server.submits) == 1


def test_the_gateway_answers_the_smscs_enquire_link(
    server: SmppServer, gateway: SmppGateway
) -> None:
    gateway.send(message(1, "您好"))
    server.send_enquire_link()
    wait_for(lambda: (gateway.receipts() or True) and server.enquire_link_answers == 1)


def test_a_pdu_smpplib_cannot_read_is_skipped_and_the_bind_kept(
    server: SmppServer, gateway: SmppGateway
) -> None:
    gateway.send(message(1, "您好"))
    server.send_to_clients(0x00010200, b"vendor")  # a vendor-specific command
    server.send_enquire_link()
    wait_for(lambda: (gateway.receipts() or True) and server.enquire_link_answers == 1)
    assert gateway.send(message(2, "您好")).gateway_id
    assert len(server.binds) == 1


def test_close_unbinds(server: SmppServer) -> None:
    gateway = gateway_for(server)
    gateway.send(message(1, "您好"))
    gateway.close()
    wait_for(lambda: server.unbinds == 1)


def test_the_logs_never_hold_the_full_number(
    server: SmppServer, gateway: SmppGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.status_for["13900002222"] = 0x0B
    gateway.send(message(1, "您好"))
    with pytest.raises(GatewayError):
        gateway.send(message(2, "您好", address="13900002222"))
    receipts_until(gateway, 1)

    assert "*******5678" in caplog.text
    assert NUMBER not in caplog.text
    assert "13900002222" not in caplog.text
    assert NUMBER.encode().hex() not in caplog.text  # nor smpplib's hex dumps of the PDUs


def replies_until(gateway: SmppGateway, count: int) -> list[Reply]:
    found: list[Reply] = []
    deadline = time.monotonic() + 5
    while len(found) < count and time.monotonic() < deadline:
        found += gateway.replies()
        time.sleep(0.01)
    return found


def test_a_customers_reply_arrives_decoded_and_is_answered(
    server: SmppServer, gateway: SmppGateway
) -> None:
    gateway.send(message(1, "您的号码快到了"))  # bound; its receipt comes on the same bind
    server.send_reply("8613812345678", "退订")  # UCS-2
    server.send_reply("13900001111", "TD")  # the default alphabet
    server.send_reply("13900002222", "", data_coding=0xF0, octets=b"\x1b\x65")
    server.send_reply("13900003333", "ENROUTE", esm_class=0x20)  # an intermediate notice: no reply

    found = replies_until(gateway, 3)

    assert [(r.address, r.text) for r in found] == [
        ("8613812345678", "退订"),
        ("13900001111", "TD"),
        ("13900002222", "€"),
    ]
    assert gateway.replies() == []  # each reply is reported once
    assert len(receipts_until(gateway, 1)) == 1  # the receipt kept apart, for receipts()
    wait_for(lambda: server.deliver_sm_answers == 5)  # every deliver_sm is answered


def test_a_reply_read_while_sending_waits_for_replies(
    server: SmppServer, gateway: SmppGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gateway.send(message(1, "您好"))
    server.send_reply(NUMBER, "退订")
    time.sleep(0.05)  # on the wire; nobody reads the bind between calls
    gateway.send(message(2, "您好"))  # reads what is pending before it submits
    wait_for(lambda: server.deliver_sm_answers >= 2)  # the reply and a receipt answered already
    [reply] = gateway.replies()
    assert reply.text == "退订"
    assert NUMBER not in caplog.text and "退订" not in caplog.text
