"""The rules settings obey beyond each value's own type: keys that production refuses, the
gateways a choice needs, the development key kept to this machine. Read by `manyi.config`.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING

from manyi import sealed

if TYPE_CHECKING:
    from manyi.config import Settings

# The development key is public (it is in this file); production refuses it.
DEVELOPMENT_SECRET_KEY = "manyi-development-secret-key-do-not-use-in-production"  # noqa: S105


def template_map(text: str) -> dict[str, dict[str, object]]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at character {exc.pos})") from None
    shape = '{"kind": {"template_id": "...", "fields": {"first": "$text", ...}}}'
    if not isinstance(value, dict):
        raise ValueError(f"must be a JSON object {shape}")
    for kind, entry in value.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("template_id"), str):
            raise ValueError(f'{kind!r} must be an object with a "template_id" string: {shape}')
        fields = entry.get("fields", {})
        if not isinstance(fields, dict) or not all(
            isinstance(name, str) and isinstance(source, str) for name, source in fields.items()
        ):
            raise ValueError(f'{kind!r}: "fields" must map template fields to parameter names')
    return value


def require_reach_settings(settings: Settings) -> None:
    """The gateway a setting chooses cannot start without what it names."""
    needed: list[tuple[str, object]] = []
    if settings.reach_sms == "smpp":
        needed += [
            ("MANYI_REACH_SMPP_HOST", settings.reach_smpp_host),
            ("MANYI_REACH_SMPP_SYSTEM_ID", settings.reach_smpp_system_id),
            ("MANYI_REACH_SMPP_PASSWORD", settings.reach_smpp_password.get_secret_value()),
            ("MANYI_REACH_SMPP_SOURCE_ADDR", settings.reach_smpp_source_addr),
        ]
    if settings.reach_wechat == "http":
        needed += [
            ("MANYI_REACH_WECHAT_APPID", settings.reach_wechat_appid),
            ("MANYI_REACH_WECHAT_SECRET", settings.reach_wechat_secret.get_secret_value()),
            ("MANYI_REACH_WECHAT_TEMPLATES", settings.reach_wechat_template_map),
        ]
    for name, value in needed:
        if not value:
            mode = "MANYI_REACH_SMS=smpp" if "SMPP" in name else "MANYI_REACH_WECHAT=http"
            raise ValueError(f"{name} must be set when {mode}")


def refuse_weak_data_keys(data_key: str, pepper: str) -> None:
    """Production seals personal data under private keys only (see docs/security.md)."""
    kid, key = sealed.parse_key(data_key)
    if key == sealed.parse_key(sealed.DEVELOPMENT_DATA_KEY)[1]:
        raise ValueError("MANYI_DATA_KEY must be set to a private key in production")
    if len(set(key)) < 16:
        raise ValueError(
            f"MANYI_DATA_KEY (key id {kid}) is too regular to be random: use 32 random bytes"
        )
    if not pepper or pepper == sealed.DEVELOPMENT_BLIND_INDEX_PEPPER:
        raise ValueError("MANYI_BLIND_INDEX_PEPPER must be set to a private value in production")
    if len(pepper) < sealed.MIN_PEPPER_BYTES or len(set(pepper)) < 10:
        raise ValueError(
            f"MANYI_BLIND_INDEX_PEPPER must be at least {sealed.MIN_PEPPER_BYTES} characters and"
            " not repetitive in production (e.g. `python -c 'import secrets;"
            " print(secrets.token_urlsafe(48))'`)"
        )


def loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def refuse_development_secret_off_loopback(secret_key: str, host: str) -> None:
    """The development key is public: anything but this machine may not reach a server using it
    (whatever MANYI_ENV says)."""
    if (
        secret_key == DEVELOPMENT_SECRET_KEY
        and host not in LOOPBACK
        and not host.startswith("127.")
    ):
        raise ValueError(
            f"MANYI_SECRET_KEY: the development key is public and refused when serving on {host}"
            " (only 127.0.0.1 may use it); set a private key of at least 32 characters"
        )
