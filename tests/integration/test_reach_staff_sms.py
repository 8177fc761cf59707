"""Second-line paging by SMS through the bank's SMS centre (a real, small SMSC on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from manyi.config import load_settings
from manyi.notify import DeliveryError, OutboxMessage, channels
from manyi.notify.channels import SimulatedSmsGateway, default_channels, register_sms_channel
from manyi.reach.staff_sms import StaffSms, staff_sms_for
from tests.integration.test_reach_gateway_smpp import gateway_for
from tests.smpp_server import SmppServer, smpp_server

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def server() -> Iterator[SmppServer]:
    with smpp_server() as running:
        yield running


def page(address: str | None) -> OutboxMessage:
    return OutboxMessage(
        id=7,
        channel="sms",  # type: ignore[arg-type]
        unit_id=1,
        recipient_staff_id=3,
        address=address,
        subject="Second-line support needed at {unit}",
        body="请到3号窗口支援",
        attempts=1,
        created_at=T0,
        data={"subject_params": {"unit": "中关村营业室"}},
    )


def test_a_page_reaches_the_smsc_in_chinese_once(server: SmppServer) -> None:
    gateway = gateway_for(server)
    try:
        sms = StaffSms(gateway)
        sms.send(page("13912345678"))
        sms.send(page("13912345678"))  # the worker's retry of the same message: sent once
        [submit] = server.submits
        assert submit.destination == "13912345678"
        assert submit.text.endswith("：请到3号窗口支援") and "中关村营业室" in submit.text
    finally:
        gateway.close()


def test_no_number_is_a_permanent_failure(server: SmppServer) -> None:
    gateway = gateway_for(server)
    try:
        with pytest.raises(DeliveryError) as failed:
            StaffSms(gateway).send(page(None))
        assert failed.value.permanent and server.submits == []
    finally:
        gateway.close()


def test_the_simulation_stays_unless_the_bank_has_an_smsc(tmp_path: object) -> None:
    before = channels._sms_channel
    register_sms_channel(staff_sms_for)
    try:
        simulated = load_settings(var_dir=str(tmp_path))
        assert isinstance(default_channels(simulated)["sms"], SimulatedSmsGateway)
        real = load_settings(
            var_dir=str(tmp_path),
            reach_sms="smpp",
            reach_smpp_host="127.0.0.1",
            reach_smpp_system_id="manyi",
            reach_smpp_password="s3cret",
            reach_smpp_source_addr="1069012345",
        )
        channel = default_channels(real)["sms"]
        assert isinstance(channel, StaffSms) and channel is default_channels(real)["sms"]
    finally:
        channels._sms_channel = before
