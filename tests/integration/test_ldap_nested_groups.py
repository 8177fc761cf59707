"""Groups of groups in the bank's directory (MANYI_LDAP_NESTED_GROUPS), against a real slapd.

tests/ldap_server.py's directory: 冯十二 (feng.shier) is only in branch-tellers, a member of
tellers; 陈十三 (chen.shisan) is only in loop-a, and loop-a and loop-b are members of each
other, loop-b also of heads. Both ways of reading groups are run: a search of the group base
(OpenLDAP's groupOfNames) and each entry's own `memberOf` (Active Directory's, kept here by
slapd's memberof overlay).
"""

from __future__ import annotations

import pytest

from manyi.db import Database
from manyi.org.adapters import ldap
from tests import ldap_server
from tests.conftest import FIXED_NOW, Bank, sqlite_only
from tests.directory_helpers import (  # noqa: F401 (fixtures)
    account,
    audit_rows,
    client_for,
    directory_as_loaded_fixture,
    directory_fixture,
    ldap_settings,
    post_sign_in,
)
from tests.ldap_server import USER_PASSWORD, Directory

pytestmark = pytest.mark.usefixtures("frozen_clock")

# Where groups are read: a search of the group base, or each entry's own memberOf.
WAYS = pytest.mark.parametrize("group_base", [ldap_server.GROUPS, ""], ids=["search", "memberOf"])
NO_ROLE = "不在任何对应本系统角色的用户组中"


@sqlite_only
@WAYS
def test_groups_of_groups_give_roles_only_when_switched_on(
    db: Database, bank: Bank, directory: Directory, group_base: str
) -> None:
    flat = client_for(db, directory, ldap_group_base=group_base)
    for username in ("feng.shier", "chen.shisan"):
        status, text = post_sign_in(flat, username, USER_PASSWORD)
        assert status == 401 and NO_ROLE in text, username
    assert account(db, "feng.shier") is None
    nested = client_for(db, directory, ldap_group_base=group_base, ldap_nested_groups=True)
    assert post_sign_in(nested, "feng.shier", USER_PASSWORD)[0] == 303
    teller = account(db, "feng.shier")
    assert teller is not None and [r.value for r in teller.roles] == ["teller"]
    # Two levels up, through a loop of groups that is followed once.
    head = client_for(db, directory, ldap_group_base=group_base, ldap_nested_groups=True)
    assert post_sign_in(head, "chen.shisan", USER_PASSWORD)[0] == 303
    found = account(db, "chen.shisan")
    assert found is not None and [r.value for r in found.roles] == ["branch_head", "lobby_manager"]
    # Someone in their groups directly is as before.
    assert (
        post_sign_in(client_for(db, directory, ldap_nested_groups=True), "li.si", USER_PASSWORD)[0]
        == 303
    )


@WAYS
def test_the_directory_reports_nested_groups_after_the_person_s_own(
    directory: Directory, group_base: str
) -> None:
    from manyi.config import load_settings
    from manyi.config_auth import ldap_config

    settings = load_settings(
        **ldap_settings(directory, ldap_group_base=group_base, ldap_nested_groups=True)
    )
    found = ldap.LdapDirectory(ldap_config(settings)).find(["chen.shisan", "zhang.san"])
    chen, zhang = found["chen.shisan"], found["zhang.san"]
    assert chen is not None and zhang is not None
    dn = ldap_server.group_dn
    # Own group first, then a level at a time; loop-a, met again above loop-b, only once.
    assert [g.lower() for g in chen.groups] == [dn("loop-a"), dn("loop-b"), dn("heads")]
    assert [g.lower() for g in zhang.groups] == [dn("tellers")]


@sqlite_only
def test_nesting_stops_after_its_levels(
    db: Database, bank: Bank, directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ldap, "NESTING_LEVELS", 1)  # heads is two levels above loop-a
    client = client_for(db, directory, ldap_nested_groups=True)
    status, text = post_sign_in(client, "chen.shisan", USER_PASSWORD)
    assert status == 401 and NO_ROLE in text
    assert post_sign_in(client, "feng.shier", USER_PASSWORD)[0] == 303  # one level: within


@sqlite_only
def test_the_sweep_ends_a_session_whose_role_came_through_a_group_taken_out(
    db: Database, bank: Bank, directory: Directory
) -> None:
    from manyi.config import load_settings
    from manyi.org.jobs import directory_sweep

    settings = load_settings(
        database_url=db.url, **ldap_settings(directory, ldap_nested_groups=True)
    )
    client = client_for(db, directory, ldap_nested_groups=True)
    assert post_sign_in(client, "feng.shier", USER_PASSWORD)[0] == 303
    assert directory_sweep(db, settings, FIXED_NOW).done == 0
    # IT takes branch-tellers out of tellers: its people keep their own group, not the role.
    tellers = [uid for uid, entry in ldap_server.PEOPLE_ENTRIES.items() if "tellers" in entry[2]]
    directory.set_members("tellers", tellers)
    result = directory_sweep(db, settings, FIXED_NOW)
    assert result.done == 1 and "feng.shier" in result.summary
    assert client.get("/").status_code == 303
    removed = [s for a, s in audit_rows(db) if a == "auth.directory_removed"]
    assert [(s["username"], s["reason"]) for s in removed] == [("feng.shier", "no manyi role")]


@sqlite_only
def test_the_command_line_look_up_lists_the_nested_groups(
    db: Database, bank: Bank, directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from manyi.cli import app as cli_app
    from manyi.config import get_settings

    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    for name, value in ldap_settings(directory, ldap_nested_groups=True).items():
        monkeypatch.setenv(f"MANYI_{name.upper()}", str(value))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["users", "directory", "feng.shier"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "cn=branch-tellers" in result.output and "cn=tellers" in result.output
    assert "roles: teller" in result.output and "can sign in" in result.output
