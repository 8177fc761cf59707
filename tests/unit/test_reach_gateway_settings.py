"""MANYI_REACH_* choose the gateways at start-up; bad or missing values name the variable."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from manyi.config import SettingsError, get_settings, load_settings
from manyi.reach.adapters.gateway import Channel
from manyi.reach.adapters.registry import gateways_from
from manyi.reach.adapters.simulated import SimulatedGateway
from manyi.reach.adapters.smpp import SmppGateway
from manyi.reach.adapters.wechat import WeChatTemplateGateway

SMPP = {
    "MANYI_REACH_SMS": "smpp",
    "MANYI_REACH_SMPP_HOST": "smsc.example-bank.cn",
    "MANYI_REACH_SMPP_SYSTEM_ID": "manyi",
    "MANYI_REACH_SMPP_PASSWORD": "pw123456",
    "MANYI_REACH_SMPP_SOURCE_ADDR": "1069012345",
}
WECHAT = {
    "MANYI_REACH_WECHAT": "http",
    "MANYI_REACH_WECHAT_APPID": "wx1234",
    "MANYI_REACH_WECHAT_SECRET": "the-secret",
    "MANYI_REACH_WECHAT_TEMPLATES": '{"called": {"template_id": "T1", "fields": {"a": "$text"}}}',
}


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("MANYI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no stray .env file
    yield
    get_settings.cache_clear()


def use(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def refusal() -> str:
    with pytest.raises(SettingsError) as refused:
        load_settings()
    return str(refused.value)


def test_by_default_sms_is_simulated_and_wechat_off() -> None:
    gateways = gateways_from(load_settings())
    assert list(gateways) == [Channel.SMS]
    assert isinstance(gateways[Channel.SMS], SimulatedGateway)


def test_both_channels_can_be_off_or_simulated(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, {"MANYI_REACH_SMS": "off", "MANYI_REACH_WECHAT": "simulated"})
    gateways = gateways_from(load_settings())
    assert list(gateways) == [Channel.WECHAT]
    assert gateways[Channel.WECHAT].name == "simulated-wechat"


def test_the_real_gateways_are_built_from_their_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    use(monkeypatch, SMPP | WECHAT)
    settings = load_settings()
    assert "pw123456" not in repr(settings)  # secrets stay out of reprs and logs
    gateways = gateways_from(settings)
    assert isinstance(gateways[Channel.SMS], SmppGateway)
    assert isinstance(gateways[Channel.WECHAT], WeChatTemplateGateway)
    gateways[Channel.WECHAT].close()


@pytest.mark.parametrize("missing", sorted(SMPP.keys() - {"MANYI_REACH_SMS"}))
def test_smpp_without_one_of_its_settings_names_it(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    use(monkeypatch, {name: value for name, value in SMPP.items() if name != missing})
    assert f"{missing} must be set when MANYI_REACH_SMS=smpp" in refusal()


@pytest.mark.parametrize("missing", sorted(WECHAT.keys() - {"MANYI_REACH_WECHAT"}))
def test_wechat_http_without_one_of_its_settings_names_it(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    use(monkeypatch, {name: value for name, value in WECHAT.items() if name != missing})
    assert f"{missing} must be set when MANYI_REACH_WECHAT=http" in refusal()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("MANYI_REACH_SMS", "cmpp", "MANYI_REACH_SMS:"),
        ("MANYI_REACH_WECHAT", "on", "MANYI_REACH_WECHAT:"),
        ("MANYI_REACH_SMPP_PORT", "70000", "MANYI_REACH_SMPP_PORT:"),
        ("MANYI_REACH_SMPP_PASSWORD", "longer-than-8", "at most 8 characters"),
        ("MANYI_REACH_SMPP_SYSTEM_ID", "x" * 16, "MANYI_REACH_SMPP_SYSTEM_ID:"),
        ("MANYI_REACH_SMPP_TIMEOUT_S", "0", "MANYI_REACH_SMPP_TIMEOUT_S:"),
        ("MANYI_REACH_WECHAT_API_BASE", "api.weixin.qq.com", "not a web address"),
        ("MANYI_REACH_WECHAT_TOKEN", "ab", "3 to 32 letters and digits"),
        ("MANYI_REACH_WECHAT_TOKEN", "has space", "3 to 32 letters and digits"),
        ("MANYI_REACH_WECHAT_TOKEN", "x" * 33, "3 to 32 letters and digits"),
        ("MANYI_REACH_WECHAT_TEMPLATES", "{called: T1}", "MANYI_REACH_WECHAT_TEMPLATES: not JSON"),
        ("MANYI_REACH_WECHAT_TEMPLATES", '["T1"]', "must be a JSON object"),
        ("MANYI_REACH_WECHAT_TEMPLATES", '{"called": "T1"}', "'called' must be an object"),
        (
            "MANYI_REACH_WECHAT_TEMPLATES",
            '{"called": {"template_id": "T1", "fields": {"first": 1}}}',
            "map template fields to parameter names",
        ),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    message = refusal()
    assert name in message
    assert says in message


def test_the_wechat_token_is_a_secret_and_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().reach_wechat_token.get_secret_value() == ""  # pushes refused
    use(monkeypatch, WECHAT | {"MANYI_REACH_WECHAT_TOKEN": "manyiToken2026"})
    settings = load_settings()
    assert settings.reach_wechat_token.get_secret_value() == "manyiToken2026"
    assert "manyiToken2026" not in repr(settings)
