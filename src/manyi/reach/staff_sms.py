"""Staff SMS (second-line paging) through the bank's SMS centre, when it has one.

Staff notifications keep their own outbox (`manyi.notify`); with `MANYI_REACH_SMS=smpp` their
SMS channel is this adapter, which hands each message to an SMPP gateway of its own (its own
bind, its own idempotency on the staff outbox's ids), in Chinese. Otherwise the notifications
keep their simulated channel (`var/sms-outbox.jsonl`).
"""

from __future__ import annotations

from manyi.config import Settings
from manyi.notify import ChannelName, DeliveryError, OutboxMessage
from manyi.personal import check_mobile
from manyi.reach.adapters.gateway import Channel, GatewayError, MessageGateway, OutgoingMessage
from manyi.reach.adapters.registry import gateways_from
from manyi.web.i18n import translator

_zh = translator("zh-CN")


class StaffSms:
    name = ChannelName.SMS.value

    def __init__(self, gateway: MessageGateway) -> None:
        self.gateway = gateway

    def send(self, message: OutboxMessage) -> None:
        try:
            number = check_mobile(message.address or "")
        except ValueError:
            raise DeliveryError("no valid mobile number for SMS", permanent=True) from None
        subject = message.subject_text(_zh)
        text = f"{subject}：{message.body}" if message.body else subject
        try:
            self.gateway.send(
                OutgoingMessage(
                    id=message.id, channel=Channel.SMS, address=number, kind="staff", text=text
                )
            )
        except GatewayError as exc:
            raise DeliveryError(exc.reason, permanent=exc.permanent) from None


_built: dict[int, StaffSms] = {}


def staff_sms_for(settings: Settings) -> StaffSms | None:
    """The staff SMS channel for these settings (one per process), or None to simulate."""
    if settings.reach_sms != "smpp":
        return None
    if id(settings) not in _built:
        _built[id(settings)] = StaffSms(gateways_from(settings)[Channel.SMS])
    return _built[id(settings)]
