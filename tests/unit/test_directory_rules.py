"""Directory sign-in's pure rules and its settings (MANYI_AUTH=ldap), checked at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from manyi.config import SettingsError, load_settings
from manyi.org.directory_rules import (
    check_user_filter,
    escape_filter_value,
    normalise_dn,
    parse_role_map,
    parse_usernames,
    roles_for,
    user_filter,
)
from manyi.org.model import Role

MAP = (
    "cn=tellers,ou=groups,dc=bank,dc=cn=teller;"
    " CN=Outlet Heads, OU=Groups, DC=bank, DC=cn = branch_head, lobby_manager ;"
)


def test_the_role_map_splits_each_entry_at_its_last_equals_sign() -> None:
    mapping = parse_role_map(MAP)
    assert mapping == {
        "cn=tellers,ou=groups,dc=bank,dc=cn": (Role.TELLER,),
        "cn=outlet heads,ou=groups,dc=bank,dc=cn": (Role.BRANCH_HEAD, Role.LOBBY_MANAGER),
    }
    assert parse_role_map("") == {}


def test_groups_give_roles_compared_as_the_directory_compares_dns() -> None:
    mapping = parse_role_map(MAP)
    groups = ["cn=Outlet Heads,ou=Groups,dc=bank,dc=cn", "CN=TELLERS, OU=groups,dc=bank,dc=cn"]
    assert roles_for(groups, mapping) == [Role.BRANCH_HEAD, Role.LOBBY_MANAGER, Role.TELLER]
    assert roles_for(["cn=auditors,ou=groups,dc=bank,dc=cn"], mapping) == []
    assert normalise_dn(" CN=A , DC=B ") == "cn=a,dc=b"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("cn=tellers,dc=bank", "unknown role 'bank'"),  # the role part forgotten
        ("tellers=teller", "is not 'group DN=role"),
        ("cn=x,dc=bank=cashier", "unknown role 'cashier'"),
        ("cn=x,dc=bank= , ", "names no role"),
        ("cn=x,dc=bank=teller; CN=X,DC=Bank=supervisor", "mapped twice"),
    ],
)
def test_a_bad_role_map_is_refused_saying_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        parse_role_map(text)


def test_names_are_escaped_before_they_reach_a_filter() -> None:
    assert escape_filter_value("*)(uid=*") == r"\2a\29\28uid=\2a"
    assert escape_filter_value("a\\b\x00") == r"a\5cb\00"
    assert user_filter("(uid={username})", "zhang*") == r"(uid=zhang\2a)"
    assert check_user_filter(" (sAMAccountName={username}) ") == "(sAMAccountName={username})"
    for bad in ("uid={username}", "(uid=x)", "(&(uid={username})", "({username}{username})"):
        with pytest.raises(ValueError):
            check_user_filter(bad)
    assert parse_usernames(" Admin, ops.root ,,") == frozenset({"admin", "ops.root"})


LDAP = {
    "auth": "ldap",
    "ldap_url": "ldaps://ad.bank.example:636",
    "ldap_bind_dn": "cn=manyi,ou=services,dc=bank,dc=example",
    "ldap_bind_password": "svc-secret",
    "ldap_user_base": "ou=people,dc=bank,dc=example",
    "ldap_role_map": "cn=tellers,ou=groups,dc=bank,dc=example=teller",
}


def test_ldap_settings_are_read_and_the_default_stays_local() -> None:
    assert load_settings().auth == "local"
    settings = load_settings(**LDAP, ldap_local_admins="admin")
    assert settings.auth == "ldap" and settings.ldap_user_filter == "(uid={username})"
    assert settings.ldap_unit_attribute == "departmentNumber"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"ldap_url": ""}, "MANYI_LDAP_URL must be set when MANYI_AUTH=ldap"),
        ({"ldap_url": "https://ad.bank.example"}, "MANYI_LDAP_URL: 'https://ad.bank.example'"),
        ({"ldap_url": "ldap://ad:99999"}, "MANYI_LDAP_URL: 'ldap://ad:99999' has a bad port"),
        ({"ldap_bind_password": ""}, "MANYI_LDAP_BIND_PASSWORD must be set"),
        ({"ldap_user_base": ""}, "MANYI_LDAP_USER_BASE must be set"),
        ({"ldap_role_map": ""}, "MANYI_LDAP_ROLE_MAP must be set"),
        ({"ldap_role_map": "cn=x,dc=y=cashier"}, "MANYI_LDAP_ROLE_MAP: unknown role 'cashier'"),
        ({"ldap_user_filter": "(uid=admin)"}, "MANYI_LDAP_USER_FILTER:"),
        ({"ldap_local_admins": "Root Admin"}, "MANYI_LDAP_LOCAL_ADMINS: 'root admin'"),
        ({"ldap_unit_attribute": "dept)(x"}, "MANYI_LDAP_UNIT_ATTRIBUTE:"),
        ({"ldap_ca_file": "/no/such/ca.pem"}, "MANYI_LDAP_CA_FILE: no file at /no/such/ca.pem"),
        ({"auth": "kerberos"}, "MANYI_AUTH:"),
        ({"ldap_timeout_s": 0}, "MANYI_LDAP_TIMEOUT_S:"),
    ],
)
def test_a_bad_ldap_setting_stops_start_up_naming_the_variable(
    changes: dict[str, object], words: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**{**LDAP, **changes})
    assert words in str(caught.value)
    assert "svc-secret" not in str(caught.value)


def test_production_refuses_passwords_in_clear_off_this_machine(tmp_path: Path) -> None:
    production = {
        "env": "production",
        "secret_key": "s" * 8 + "0123456789abcdefghijklmnopqrstuv",
        "audit_key": "production-audit-key-0123456789-abcdefghij-XYZ",
        "data_key": "2027a:" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "blind_index_pepper": "pepper-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
        "counter_allow_simulated": True,
    }
    plain = {**LDAP, **production, "ldap_url": "ldap://ad.bank.example"}
    with pytest.raises(SettingsError, match="MANYI_LDAP_URL: staff passwords would cross"):
        load_settings(**plain)
    assert load_settings(**plain, ldap_start_tls=True).ldap_start_tls
    assert load_settings(**{**plain, "ldap_url": "ldap://127.0.0.1:389"}).auth == "ldap"
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    assert load_settings(**LDAP, ldap_ca_file=str(ca)).ldap_ca_file == ca


def test_the_directory_s_audit_actions_read_in_words() -> None:
    from manyi.audit.labels import describe
    from manyi.web.i18n import translator

    zh = translator("zh-CN")
    assert (
        describe("auth.directory_removed", zh) == "登录 · 已停用：目录中已无此账号或其无本系统角色"
    )
    assert describe("auth.directory_restored", zh) == "登录 · 目录恢复后重新启用"
    assert describe("auth.directory_linked", translator("en")) == (
        "Sign-in · linked to the directory account"
    )
