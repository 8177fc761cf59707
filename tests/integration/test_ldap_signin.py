"""Signing in with the bank's directory (MANYI_AUTH=ldap) against a real OpenLDAP server.

The module starts its own slapd (tests/ldap_server.py) with a small directory: people in
ou=people whose departmentNumber holds the manyi unit code, groups mapped to roles by
MANYI_LDAP_ROLE_MAP, and a service account that searches. A test that changes the directory
has it put back afterwards. The test bank (tests/bank.py) holds the units and a few local
accounts (`teller.a`, `admin`) that the directory's entries of the same name meet.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from manyi.db import Database
from manyi.org.directory_sign_in import NO_PASSWORD
from manyi.org.tables import Staff
from tests import ldap_server
from tests.conftest import FIXED_NOW, PASSWORD, Bank, sqlite_only
from tests.directory_helpers import (  # noqa: F401 (fixtures)
    account,
    audit_rows,
    client_for,
    directory_as_loaded_fixture,
    directory_fixture,
    ldap_settings,
    post_sign_in,
    staff_count,
)
from tests.ldap_server import USER_PASSWORD, Directory
from tests.web_helpers import csrf_of, make_client

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_first_sign_in_creates_the_account_and_later_ones_follow_the_directory(
    db: Database, bank: Bank, directory: Directory
) -> None:
    client = client_for(db, directory)
    assert post_sign_in(client, "Li.Si", USER_PASSWORD)[0] == 303
    created = account(db, "li.si")
    assert created is not None and created.active
    assert created.display_name == "李四" and created.unit.code == "OUT-A"
    assert [r.value for r in created.roles] == ["branch_head", "lobby_manager"]
    assert created.directory_dn == ldap_server.person_dn("li.si")
    assert created.password_hash == NO_PASSWORD  # manyi keeps no password for it
    assert "李四" in client.get("/").text
    events = audit_rows(db)
    assert ("staff.created", "OUT-A") in [(a, s.get("unit")) for a, s in events]
    assert events[-1][0] == "auth.signed_in" and events[-1][1]["via"] == "directory"
    # The bank moves her to outlet B and renames her entry: the next sign-in follows, and the
    # session she had elsewhere ends (her scope changed).
    directory.set_attribute("li.si", "departmentNumber", ["OUT-B"])
    directory.set_attribute("li.si", "displayName", ["李四（乙）"])
    directory.set_members("heads", [])
    directory.set_members("tellers", ["li.si"])
    other = client_for(db, directory)
    assert post_sign_in(other, "li.si", USER_PASSWORD)[0] == 303
    moved = account(db, "li.si")
    assert moved is not None and moved.unit.code == "OUT-B" and moved.display_name == "李四（乙）"
    assert [r.value for r in moved.roles] == ["teller"] and moved.id == created.id
    assert client.get("/").status_code == 303  # the older session is over
    assert {"staff.updated", "staff.roles_changed"} <= {a for a, _ in audit_rows(db)}


def test_the_sign_in_page_says_how_the_bank_signs_in(
    db: Database, bank: Bank, directory: Directory
) -> None:
    page = client_for(db, directory).get("/signin").text
    assert 'data-auth="ldap"' in page and "请使用行内统一认证账号（域账号）登录" in page
    assert ">域账号<" in page
    english = client_for(db, directory)
    english.get("/lang/en")
    assert "Sign in with your bank directory account" in english.get("/signin").text
    local = make_client(db).get("/signin").text
    assert 'data-auth="local"' in local and "请使用满意系统的用户名和密码登录" in local


@sqlite_only
def test_wrong_passwords_and_odd_names_are_refused_and_nothing_is_stored(
    db: Database, bank: Bank, directory: Directory
) -> None:
    client = client_for(db, directory)
    before = staff_count(db)
    for username, password in [
        ("zhao.liu", "Wrong-pass-1"),
        ("nobody.here", USER_PASSWORD),
        ("*)(uid=*", USER_PASSWORD),  # would match everyone if it reached the filter raw
        ("zhao*", USER_PASSWORD),
    ]:
        status, text = post_sign_in(client, username, password)
        assert status == 401 and "用户名或密码错误" in text, username
    assert staff_count(db) == before and account(db, "zhao.liu") is None
    failures = [s for a, s in audit_rows(db) if a == "auth.sign_in_failed"]
    assert [s["reason"] for s in failures] == [
        "wrong password",
        "not in the directory",
        "not asked",  # not a username: the directory is never asked
        "not asked",
    ]
    assert all("zhao" not in str(s) and "nobody" not in str(s) for s in failures)
    # Failures slow this address down as local ones do.
    slow = client_for(db, directory, lockout_threshold=2)
    post_sign_in(slow, "zhang.san", "Wrong-pass-2")
    post_sign_in(slow, "zhang.san", "Wrong-pass-3")
    status, text = post_sign_in(slow, "zhang.san", USER_PASSWORD)
    assert status == 401 and "本设备登录失败次数过多" in text
    assert account(db, "zhang.san") is None


def test_a_user_removed_from_the_directory_cannot_sign_in(
    db: Database, bank: Bank, directory: Directory
) -> None:
    client = client_for(db, directory)
    assert post_sign_in(client, "wang.wu", USER_PASSWORD)[0] == 303
    assert client.get("/").status_code == 200
    directory.delete("wang.wu")
    again = client_for(db, directory)
    status, text = post_sign_in(again, "wang.wu", USER_PASSWORD)
    assert status == 401 and "用户名或密码错误" in text
    gone = account(db, "wang.wu")
    assert gone is not None and not gone.active and gone.directory_removed_at is not None
    assert client.get("/").status_code == 303  # the session they still had is over
    removed = [s for a, s in audit_rows(db) if a == "auth.directory_removed"]
    assert removed == [{"username": "wang.wu", "reason": "not in the directory"}]


@sqlite_only
def test_an_account_switched_off_and_on_again_in_the_directory(
    db: Database, bank: Bank, directory: Directory
) -> None:
    client = client_for(db, directory)
    assert post_sign_in(client, "qian.qi", USER_PASSWORD)[0] == 401  # switched off
    assert account(db, "qian.qi") is None
    directory.set_attribute("qian.qi", "employeeType", [])
    assert post_sign_in(client, "qian.qi", USER_PASSWORD)[0] == 303
    directory.set_attribute("qian.qi", "employeeType", ["disabled"])
    assert post_sign_in(client_for(db, directory), "qian.qi", USER_PASSWORD)[0] == 401
    off = account(db, "qian.qi")
    assert off is not None and not off.active
    directory.set_attribute("qian.qi", "employeeType", [])
    assert post_sign_in(client_for(db, directory), "qian.qi", USER_PASSWORD)[0] == 303
    back = account(db, "qian.qi")
    assert back is not None and back.active and back.directory_removed_at is None
    actions = [a for a, _ in audit_rows(db)]
    assert actions.index("auth.directory_removed") < actions.index("auth.directory_restored")


@sqlite_only
def test_what_the_directory_lacks_is_named_and_no_account_is_made(
    db: Database, bank: Bank, directory: Directory
) -> None:
    client = client_for(db, directory)
    before = staff_count(db)
    expected = {
        "sun.ba": "您的域账号未登记所属机构",
        "zhou.jiu": "不在任何对应本系统角色的用户组中",
        "wu.shi": "您的域账号登记的机构 NO-SUCH 在本系统中不存在",
    }
    for username, words in expected.items():
        status, text = post_sign_in(client, username, USER_PASSWORD)
        assert status == 401 and words in text, (username, text)
    directory.set_attribute("wu.shi", "departmentNumber", ["BR-A"])  # a teller at a branch
    status, text = post_sign_in(client, "wu.shi", USER_PASSWORD)
    assert status == 401 and "用户组对应的角色与所属机构不符" in text and "teller" in text
    assert staff_count(db) == before
    refused = [s["reason"] for a, s in audit_rows(db) if a == "auth.sign_in_refused"]
    assert refused[:3] == ["no unit in the directory", "no manyi role", "unknown unit NO-SUCH"]


def test_a_local_account_is_taken_over_and_its_password_stops_working(
    db: Database, bank: Bank, directory: Directory
) -> None:
    client = client_for(db, directory)
    status, _text = post_sign_in(client, "teller.a", PASSWORD)  # the manyi password
    assert status == 401
    assert post_sign_in(client, "teller.a", USER_PASSWORD)[0] == 303
    linked = account(db, "teller.a")
    assert linked is not None and linked.id == bank.staff["teller_a"]
    assert linked.directory_dn == ldap_server.person_dn("teller.a")
    assert linked.password_hash == NO_PASSWORD
    assert "auth.directory_linked" in [a for a, _ in audit_rows(db)]
    # Back on local passwords, the old one is gone too (an administrator sets a new one).
    status, _text = post_sign_in(make_client(db), "teller.a", PASSWORD)
    assert status == 401


@sqlite_only
def test_the_break_glass_administrator_signs_in_locally_only_when_allowed(
    db: Database, bank: Bank, directory: Directory
) -> None:
    status, _text = post_sign_in(client_for(db, directory), "admin", PASSWORD)
    assert status == 401  # off by default: the directory decides, and it has another password
    allowed = client_for(db, directory, ldap_local_admins="admin")
    assert post_sign_in(allowed, "admin", PASSWORD)[0] == 303
    signed = [s for a, s in audit_rows(db) if a == "auth.signed_in"]
    assert signed[-1]["via"] == "break-glass"
    # Even with the directory down.
    down = client_for(db, directory, ldap_local_admins="admin", ldap_url="ldap://127.0.0.1:9")
    assert post_sign_in(down, "admin", PASSWORD)[0] == 303


@sqlite_only
def test_a_directory_that_cannot_answer_is_said_so_and_counts_against_nobody(
    db: Database, bank: Bank, directory: Directory
) -> None:
    before = audit_rows(db)
    down = client_for(db, directory, ldap_url="ldap://127.0.0.1:9")
    status, text = post_sign_in(down, "zhang.san", USER_PASSWORD)
    assert status == 503 and "暂时无法连接行内目录服务" in text
    wrong_service = client_for(db, directory, ldap_bind_password="not-the-secret")
    status, text = post_sign_in(wrong_service, "zhang.san", USER_PASSWORD)
    assert status == 503 and "MANYI_LDAP_BIND_DN" in text
    assert audit_rows(db) == before and account(db, "zhang.san") is None
    assert USER_PASSWORD not in text


def test_the_directory_client_escapes_the_name_and_never_sends_an_empty_password(
    directory: Directory,
) -> None:
    from manyi.config import load_settings
    from manyi.config_auth import ldap_config
    from manyi.org.adapters.ldap import LdapDirectory

    client = LdapDirectory(ldap_config(load_settings(**ldap_settings(directory))))
    found = client.authenticate("zhang.san", USER_PASSWORD)
    assert found.password_ok and found.entry is not None
    assert found.entry.groups == (f"cn=tellers,{ldap_server.GROUPS}",)
    for pattern in ("zhang*", "*", "*)(uid=*"):
        assert client.authenticate(pattern, USER_PASSWORD).entry is None, pattern
    # An empty password would be an anonymous bind, which LDAP answers with success.
    empty = client.authenticate("zhang.san", "")
    assert empty.entry is not None and not empty.password_ok


def test_the_worker_ends_the_sessions_of_people_removed_from_the_directory(
    db: Database, bank: Bank, directory: Directory
) -> None:
    from manyi.config import load_settings
    from manyi.org.jobs import directory_sweep

    settings = load_settings(database_url=db.url, **ldap_settings(directory))
    kept, gone, regrouped = (client_for(db, directory) for _ in range(3))
    for client, username in [(kept, "zhang.san"), (gone, "zhao.liu"), (regrouped, "li.si")]:
        assert post_sign_in(client, username, USER_PASSWORD)[0] == 303
    assert directory_sweep(db, settings, FIXED_NOW).done == 0  # everyone still there
    directory.delete("zhao.liu")
    directory.set_members("heads", [])
    result = directory_sweep(db, settings, FIXED_NOW)
    assert result.done == 2 and "zhao.liu" in result.summary and "li.si" in result.summary
    assert kept.get("/").status_code == 200
    assert gone.get("/").status_code == 303 and regrouped.get("/").status_code == 303
    removed = [s for a, s in audit_rows(db) if a == "auth.directory_removed"]
    assert sorted((s["username"], s["reason"]) for s in removed) == [
        ("li.si", "no manyi role"),
        ("zhao.liu", "not in the directory"),
    ]
    assert directory_sweep(db, settings, FIXED_NOW).done == 0  # marked once
    down = load_settings(
        database_url=db.url, **ldap_settings(directory, ldap_url="ldap://127.0.0.1:9")
    )
    assert "skipped" in directory_sweep(db, down, FIXED_NOW).summary
    local = load_settings(database_url=db.url)
    assert directory_sweep(db, local, FIXED_NOW).done == 0


def test_a_first_sign_in_racing_another_takes_the_account_the_other_made(
    db: Database, bank: Bank, directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from manyi.org import directory_sign_in

    assert post_sign_in(client_for(db, directory), "zhang.san", USER_PASSWORD)[0] == 303
    # The second sign-in looked before the first committed: it found no account, so its insert
    # meets the first one's username.
    found = directory_sign_in.by_username
    looks: list[str] = []

    def too_early(session: object, name: str) -> Staff | None:
        looks.append(name)
        return None if len(looks) == 1 else found(session, name)  # type: ignore[arg-type]

    monkeypatch.setattr(directory_sign_in, "by_username", too_early)
    assert post_sign_in(client_for(db, directory), "zhang.san", USER_PASSWORD)[0] == 303
    assert looks == ["zhang.san", "zhang.san"]
    with db.read() as session:
        assert session.scalar(select(func.count()).where(Staff.username == "zhang.san")) == 1


@sqlite_only
def test_it_looks_a_user_up_from_the_command_line(
    db: Database, bank: Bank, directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from manyi.cli import app as cli_app
    from manyi.config import get_settings

    monkeypatch.setenv("MANYI_DATABASE_URL", db.url)
    for name, value in ldap_settings(directory).items():
        monkeypatch.setenv(f"MANYI_{name.upper()}", str(value))
    get_settings.cache_clear()
    runner = CliRunner()
    result = runner.invoke(cli_app, ["users", "directory", "Li.Si"])
    assert result.exit_code == 0, result.output
    assert "departmentNumber: OUT-A → unit OUT-A 甲网点" in result.output
    assert "roles: branch_head, lobby_manager" in result.output and "can sign in" in result.output
    assert account(db, "li.si") is None  # a look-up stores nothing
    result = runner.invoke(cli_app, ["users", "directory", "zhou.jiu"])
    assert result.exit_code == 1 and "roles: none" in result.output
    result = runner.invoke(cli_app, ["users", "directory", "qian.qi"])
    assert result.exit_code == 1 and "does not answer for this name" in result.output
    get_settings.cache_clear()


@sqlite_only
def test_a_directory_account_changes_its_password_in_the_directory_not_here(
    db: Database, bank: Bank, directory: Directory
) -> None:
    client = client_for(db, directory)
    assert post_sign_in(client, "zhang.san", USER_PASSWORD)[0] == 303
    page = client.get("/account/password").text
    assert "请在修改工作电脑密码的地方修改密码" in page and 'name="new_password"' not in page
    token = csrf_of(client, "/account/password")
    form = {"current_password": USER_PASSWORD, "new_password": "New-pass-2027", "csrf_token": token}
    response = client.post("/account/password", data={**form, "confirm_password": "New-pass-2027"})
    assert response.status_code == 409 and "请在修改工作电脑密码的地方修改密码" in response.text
    breakglass = client_for(db, directory, ldap_local_admins="admin")
    assert post_sign_in(breakglass, "admin", PASSWORD)[0] == 303
    assert 'name="new_password"' in breakglass.get("/account/password").text


def test_start_tls_checks_the_directory_s_certificate(directory: Directory) -> None:
    from manyi.config import load_settings
    from manyi.config_auth import ldap_config
    from manyi.org.adapters.ldap import LdapDirectory
    from manyi.org.directory_rules import DirectoryUnavailable

    trusted = load_settings(
        **ldap_settings(directory, ldap_start_tls=True, ldap_ca_file=str(directory.ca_file))
    )
    answer = LdapDirectory(ldap_config(trusted)).authenticate("zhang.san", USER_PASSWORD)
    assert answer.password_ok and answer.entry is not None
    # The system's authorities do not know the test's certificate: nothing is sent.
    unknown = load_settings(**ldap_settings(directory, ldap_start_tls=True))
    with pytest.raises(DirectoryUnavailable):
        LdapDirectory(ldap_config(unknown)).authenticate("zhang.san", USER_PASSWORD)


@sqlite_only
def test_the_staff_page_marks_a_directory_account(
    db: Database, bank: Bank, directory: Directory
) -> None:
    assert post_sign_in(client_for(db, directory), "zhang.san", USER_PASSWORD)[0] == 303
    created = account(db, "zhang.san")
    assert created is not None
    admin = client_for(db, directory, ldap_local_admins="admin")
    assert post_sign_in(admin, "admin", PASSWORD)[0] == 303
    page = admin.get(f"/admin/staff/{created.id}").text
    assert 'data-testid="directory-account"' in page and "域账号" in page
    assert "姓名、所属机构和角色在每次登录时按行内目录更新" in page
    local = admin.get(f"/admin/staff/{bank.staff['teller_a']}").text
    assert 'data-testid="directory-account"' not in local
