"""The simulated gateway: accepts, is idempotent, refuses on request, reports receipts once."""

from __future__ import annotations

import logging

import pytest

from manyi.reach.adapters.gateway import (
    Accepted,
    Channel,
    GatewayError,
    MessageGateway,
    OutgoingMessage,
    ReceiptState,
)
from manyi.reach.adapters.simulated import SimulatedGateway


def message(outbox_id: int, address: str = "13812345678") -> OutgoingMessage:
    return OutgoingMessage(outbox_id, Channel.SMS, address, "called", "请到3号窗口办理")


def test_every_message_is_accepted_once_and_delivered_on_the_next_receipts_call() -> None:
    gateway: MessageGateway = SimulatedGateway(Channel.SMS)
    assert gateway.name == "simulated-sms"
    assert gateway.send(message(1)) == Accepted("sim-1")
    assert gateway.send(message(1)) == Accepted("sim-1")
    assert gateway.send(message(2)) == Accepted("sim-2")

    receipts = gateway.receipts()

    assert [(r.gateway_id, r.state) for r in receipts] == [
        ("sim-1", ReceiptState.DELIVERED),
        ("sim-2", ReceiptState.DELIVERED),
    ]
    assert gateway.receipts() == []


def test_refused_numbers_are_permanent_and_fail_next_is_temporary() -> None:
    gateway = SimulatedGateway(Channel.SMS, refused={"13800000000"})
    with pytest.raises(GatewayError) as refused:
        gateway.send(message(1, "13800000000"))
    assert refused.value.permanent
    assert "13800000000" not in refused.value.reason

    gateway.fail_next(2)
    for _ in range(2):
        with pytest.raises(GatewayError) as down:
            gateway.send(message(2))
        assert not down.value.permanent
    assert gateway.send(message(2)) == Accepted("sim-2")
    assert [sent.id for sent in gateway.sent] == [2]


def test_an_undeliverable_number_is_accepted_then_reported_failed() -> None:
    gateway = SimulatedGateway(Channel.WECHAT)
    gateway.undeliverable("o-blocked")
    gateway.send(OutgoingMessage(3, Channel.WECHAT, "o-blocked", "called", "请到3号窗口"))
    [receipt] = gateway.receipts()
    assert (receipt.gateway_id, receipt.state) == ("sim-3", ReceiptState.FAILED)


def test_the_log_masks_the_number(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    SimulatedGateway(Channel.SMS).send(message(1))
    assert "*******5678" in caplog.text
    assert "13812345678" not in caplog.text
