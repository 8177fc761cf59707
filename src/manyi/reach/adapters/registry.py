"""Which gateway each customer-message channel leaves by, as the settings say.

`gateways_from(settings)` builds one gateway per channel that is not off: MANYI_REACH_SMS
(`simulated` by default, `smpp`, `off`) and MANYI_REACH_WECHAT (`off` by default, `simulated`,
`http`). Settings already refused a chosen mode whose settings are missing, so building never
fails; the SMPP gateway binds on its first send, the WeChat one fetches its token then.
The caller owns the gateways and `close()`s them when it stops.

Adding a gateway (the recipe): write a class meeting `gateway.MessageGateway` (idempotent on
the outbox id, `GatewayError(permanent=...)`, a timeout, masked numbers in its logs), give its
mode a name in the channel's `Literal` setting in manyi.config with the settings it needs (and
their check in `config_rules.require_reach_settings`), and build it here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

from pydantic import SecretStr

from manyi.reach.adapters.gateway import Channel, MessageGateway
from manyi.reach.adapters.simulated import SimulatedGateway

__all__ = ["ReachSettings", "gateways_from"]


class ReachSettings(Protocol):
    """What the registry reads of `manyi.config.Settings` (adapters import no web, and the
    settings module checks a web setting)."""

    @property
    def reach_sms(self) -> str: ...
    @property
    def reach_smpp_host(self) -> str: ...
    @property
    def reach_smpp_port(self) -> int: ...
    @property
    def reach_smpp_system_id(self) -> str: ...
    @property
    def reach_smpp_password(self) -> SecretStr: ...
    @property
    def reach_smpp_system_type(self) -> str: ...
    @property
    def reach_smpp_source_addr(self) -> str: ...
    @property
    def reach_smpp_timeout_s(self) -> float: ...
    @property
    def reach_wechat(self) -> str: ...
    @property
    def reach_wechat_appid(self) -> str: ...
    @property
    def reach_wechat_secret(self) -> SecretStr: ...
    @property
    def reach_wechat_api_base(self) -> str: ...
    @property
    def reach_wechat_template_map(self) -> Mapping[str, Mapping[str, object]]: ...
    @property
    def zone(self) -> dt.tzinfo: ...


def gateways_from(settings: ReachSettings) -> dict[Channel, MessageGateway]:
    gateways: dict[Channel, MessageGateway] = {}
    if settings.reach_sms == "simulated":
        gateways[Channel.SMS] = SimulatedGateway(Channel.SMS)
    elif settings.reach_sms == "smpp":
        from manyi.reach.adapters.smpp import SmppGateway  # smpplib loads only when used

        gateways[Channel.SMS] = SmppGateway(
            host=settings.reach_smpp_host,
            port=settings.reach_smpp_port,
            system_id=settings.reach_smpp_system_id,
            password=settings.reach_smpp_password.get_secret_value(),
            system_type=settings.reach_smpp_system_type,
            source_addr=settings.reach_smpp_source_addr,
            timeout_s=settings.reach_smpp_timeout_s,
            smsc_zone=settings.zone,
        )
    if settings.reach_wechat == "simulated":
        gateways[Channel.WECHAT] = SimulatedGateway(Channel.WECHAT)
    elif settings.reach_wechat == "http":
        from manyi.reach.adapters.wechat import WeChatTemplateGateway, templates_from

        gateways[Channel.WECHAT] = WeChatTemplateGateway(
            appid=settings.reach_wechat_appid,
            secret=settings.reach_wechat_secret.get_secret_value(),
            templates=templates_from(settings.reach_wechat_template_map),
            api_base=settings.reach_wechat_api_base,
        )
    return gateways
