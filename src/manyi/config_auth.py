"""How staff sign in: the MANYI_AUTH choice and its MANYI_LDAP_* and MANYI_OIDC_* settings,
checked at start-up.

`local` (the default) is manyi's own passwords. `ldap` is the bank's LDAP or Active Directory,
`oidc` its identity platform by OpenID Connect (docs/operations.md, section 7): every setting
either needs must be there and make sense before the server starts, and a bad one is named.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from manyi.config_rules import loopback
from manyi.org.directory_rules import (
    check_user_filter,
    parse_role_map,
    parse_usernames,
)

if TYPE_CHECKING:
    from manyi.config import Settings
    from manyi.org.adapters.ldap import LdapConfig

USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def check_auth_settings(settings: Settings) -> None:
    """Raise ValueError naming the variable when MANYI_AUTH=ldap lacks or garbles a setting.
    The LDAP settings are checked whenever given, so a typo waits for no switch-over."""
    if settings.ldap_url:
        _check_url(settings.ldap_url)
    _named("MANYI_LDAP_USER_FILTER", check_user_filter, settings.ldap_user_filter)
    _named("MANYI_LDAP_ROLE_MAP", parse_role_map, settings.ldap_role_map)
    for name in parse_usernames(settings.ldap_local_admins):
        if not set(name) <= USERNAME_CHARS:
            raise ValueError(f"MANYI_LDAP_LOCAL_ADMINS: {name!r} is not a manyi username")
    if settings.ldap_ca_file is not None and not Path(settings.ldap_ca_file).is_file():
        raise ValueError(f"MANYI_LDAP_CA_FILE: no file at {settings.ldap_ca_file}")
    for attribute, value in (
        ("MANYI_LDAP_UNIT_ATTRIBUTE", settings.ldap_unit_attribute),
        ("MANYI_LDAP_DISPLAY_NAME_ATTRIBUTE", settings.ldap_display_name_attribute),
    ):
        if not value.replace("-", "").replace(";", "").isalnum() or not value.isascii():
            raise ValueError(f"{attribute}: {value!r} is not an attribute name")
    _check_oidc(settings)
    if settings.auth != "ldap":
        return
    needed = [
        ("MANYI_LDAP_URL", settings.ldap_url),
        ("MANYI_LDAP_BIND_DN", settings.ldap_bind_dn),
        ("MANYI_LDAP_BIND_PASSWORD", settings.ldap_bind_password.get_secret_value()),
        ("MANYI_LDAP_USER_BASE", settings.ldap_user_base),
        ("MANYI_LDAP_ROLE_MAP", settings.ldap_role_map.strip()),
    ]
    for name, value in needed:
        if not value:
            raise ValueError(f"{name} must be set when MANYI_AUTH=ldap")
    parts = urlsplit(settings.ldap_url)
    plain = parts.scheme.lower() == "ldap" and not settings.ldap_start_tls
    if settings.is_production and plain and not loopback(parts.hostname or ""):
        raise ValueError(
            "MANYI_LDAP_URL: staff passwords would cross the network in clear; use ldaps://"
            " or MANYI_LDAP_START_TLS=true in production"
        )


def _check_oidc(settings: Settings) -> None:
    _named("MANYI_OIDC_ROLE_MAP", _names_map, settings.oidc_role_map)
    for name in parse_usernames(settings.oidc_local_admins):
        if not set(name) <= USERNAME_CHARS:
            raise ValueError(f"MANYI_OIDC_LOCAL_ADMINS: {name!r} is not a manyi username")
    for variable, claim in (
        ("MANYI_OIDC_USERNAME_CLAIM", settings.oidc_username_claim),
        ("MANYI_OIDC_NAME_CLAIM", settings.oidc_name_claim),
        ("MANYI_OIDC_GROUPS_CLAIM", settings.oidc_groups_claim),
        ("MANYI_OIDC_UNIT_CLAIM", settings.oidc_unit_claim),
    ):
        if (
            not claim
            or not claim.replace("_", "").replace("-", "").isalnum()
            or not claim.isascii()
        ):
            raise ValueError(f"{variable}: {claim!r} is not a claim name")
    if settings.oidc_issuer:
        parts = urlsplit(settings.oidc_issuer)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query:
            raise ValueError(f"MANYI_OIDC_ISSUER: {settings.oidc_issuer!r} is not an issuer URL")
        if settings.is_production and parts.scheme == "http" and not loopback(parts.hostname):
            raise ValueError("MANYI_OIDC_ISSUER: the identity platform must be https in production")
    if settings.auth != "oidc":
        return
    for variable, value in (
        ("MANYI_OIDC_ISSUER", settings.oidc_issuer),
        ("MANYI_OIDC_CLIENT_ID", settings.oidc_client_id),
        ("MANYI_OIDC_CLIENT_SECRET", settings.oidc_client_secret.get_secret_value()),
        ("MANYI_OIDC_ROLE_MAP", settings.oidc_role_map.strip()),
    ):
        if not value:
            raise ValueError(f"{variable} must be set when MANYI_AUTH=oidc")


def _names_map(text: str) -> object:
    return parse_role_map(text, dn=False)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("ldap", "ldaps") or not parts.hostname:
        raise ValueError(
            f"MANYI_LDAP_URL: {url!r} is not an LDAP server address"
            " (e.g. ldaps://ad.bank.example:636 or ldap://127.0.0.1:389)"
        )
    if parts.path.strip("/") or parts.query or parts.username:
        raise ValueError(f"MANYI_LDAP_URL: {url!r} must be scheme://host[:port] only")
    try:
        parts.port  # noqa: B018 (a port out of range raises here)
    except ValueError:
        raise ValueError(f"MANYI_LDAP_URL: {url!r} has a bad port") from None


def _named(variable: str, check: object, value: str) -> None:
    try:
        check(value)  # type: ignore[operator]
    except ValueError as exc:
        raise ValueError(f"{variable}: {exc}") from None


def ldap_config(settings: Settings) -> LdapConfig:
    from manyi.org.adapters.ldap import LdapConfig

    return LdapConfig(
        url=settings.ldap_url,
        bind_dn=settings.ldap_bind_dn,
        bind_password=settings.ldap_bind_password.get_secret_value(),
        user_base=settings.ldap_user_base,
        user_filter=settings.ldap_user_filter,
        group_base=settings.ldap_group_base,
        nested_groups=settings.ldap_nested_groups,
        display_name_attribute=settings.ldap_display_name_attribute,
        unit_attribute=settings.ldap_unit_attribute,
        start_tls=settings.ldap_start_tls,
        ca_file=str(settings.ldap_ca_file or ""),
        timeout_s=settings.ldap_timeout_s,
    )
