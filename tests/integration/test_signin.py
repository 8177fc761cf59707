"""Sign-in, sign-out, lockout, password change, CSRF and language."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from manyi.audit.tables import AuditEvent
from manyi.db import Database
from manyi.org import sign_in as sign_in_service
from manyi.org import staff as staff_service
from manyi.org.passwords import LockoutPolicy
from manyi.org.tables import Staff
from tests.conftest import FIXED_NOW, PASSWORD, SYSTEM, Bank
from tests.web_helpers import csrf_of, make_client, sign_in

# The app reads the clock itself; tests and app share a clock stopped at FIXED_NOW.
pytestmark = pytest.mark.usefixtures("frozen_clock")


def actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_sign_in_shows_role_navigation_in_chinese(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "head.a", PASSWORD)
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="zh-CN">' in home.text
    assert "负责人甲" in home.text and "甲网点" in home.text
    assert 'data-nav="units"' in home.text  # branch head sees the organisation
    assert 'data-nav="audit"' not in home.text  # but not the audit log
    assert "机构负责人" in home.text  # role name translated
    assert "auth.signed_in" in actions(db)


def test_teller_navigation_is_minimal(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "teller.a", PASSWORD)
    home = client.get("/").text
    assert 'data-nav="home"' in home and 'data-nav="account"' in home
    for hidden in ("units", "staff", "devices", "audit"):
        assert f'data-nav="{hidden}"' not in home


def test_home_page_says_what_each_screen_is_for(db: Database, bank: Bank) -> None:
    """Issue 15 #12: the home page no longer says the queue and counter are still to come."""
    client = make_client(db)
    sign_in(client, "teller.a", PASSWORD)
    home = client.get("/").text
    assert "appear here" not in home and "安装后" not in home
    assert "柜员工作台" in home and "签到窗口，呼叫下一位客户" in home  # the console, and what for
    assert "home-no-work" not in home  # a teller has work screens
    client.get("/lang/en")
    assert "call the next customer" in client.get("/").text


def test_audit_log_reads_in_words_with_details_folded(db: Database, bank: Bank) -> None:
    """Issue 15 #14: Chinese descriptions of each action, the raw details folded away."""
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    page = client.get("/admin/audit").text
    assert "登录 · 登录成功" in page and 'data-action="auth.signed_in"' in page
    assert ">auth.signed_in<" not in page  # the id only as an attribute, for auditors
    assert "<details><summary>展开详情</summary>" in page


def test_language_switch_to_english(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    response = client.get("/lang/en?next=/admin/units")
    assert response.status_code == 303 and response.headers["location"] == "/admin/units"
    page = client.get("/admin/units").text
    assert '<html lang="en">' in page and "Organisation" in page and "Head office" in page
    assert "Unit HQ" in page  # English unit names
    client.get("/lang/zh-CN")
    assert "机构管理" in client.get("/admin/units").text


def test_open_redirect_is_refused(db: Database, bank: Bank) -> None:
    client = make_client(db)
    assert client.get("/lang/en?next=//evil.example").headers["location"] == "/"
    token = csrf_of(client)
    response = client.post(
        "/signin",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["location"] == "/"


def test_wrong_password_is_refused_and_recorded(db: Database, bank: Bank) -> None:
    client = make_client(db)
    token = csrf_of(client)
    response = client.post(
        "/signin", data={"username": "admin", "password": "nope-1234567", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert client.get("/").status_code == 303  # still signed out
    assert actions(db)[-1] == "auth.sign_in_failed"
    # An unknown user gets the very same message.
    response = client.post(
        "/signin", data={"username": "nobody", "password": "nope-1234567", "csrf_token": token}
    )
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_repeated_failures_slow_this_device_down(db: Database, bank: Bank) -> None:
    client = make_client(db, lockout_threshold=3, lockout_minutes=10)
    token = csrf_of(client)
    for _ in range(3):
        client.post(
            "/signin",
            data={"username": "teller.a", "password": "wrong-pass-1", "csrf_token": token},
        )
    # Now this device waits, even with the right password, and is told how long.
    response = client.post(
        "/signin", data={"username": "teller.a", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401
    assert "本设备登录失败次数过多，请 1 分钟后再试" in response.text
    assert "auth.sign_in_refused" in actions(db)
    with db.session() as session:  # the account itself is not locked: its owner, elsewhere,
        staff = session.scalar(select(Staff).where(Staff.username == "teller.a"))
        assert staff is not None and staff.locked_until is None  # still signs in
        assert staff.failed_attempts == 3


def test_the_owner_elsewhere_still_signs_in_and_the_account_locks_only_after_many(
    db: Database, bank: Bank
) -> None:
    """Issue 16 #2: a stranger cannot lock a named account out by guessing from one place."""
    policy = LockoutPolicy(threshold=3, minutes=10)
    stranger = "203.0.113.9"
    with db.session() as session:
        for _ in range(3):
            with pytest.raises(sign_in_service.SignInError):
                sign_in_service.authenticate(
                    session, "teller.a", "guess-12345", policy, FIXED_NOW, stranger
                )
        with pytest.raises(sign_in_service.SignInError, match="too many failed sign-ins"):
            sign_in_service.authenticate(session, "teller.a", PASSWORD, policy, FIXED_NOW, stranger)
        owner = sign_in_service.authenticate(
            session, "teller.a", PASSWORD, policy, FIXED_NOW, "10.1.2.3"
        )
        assert owner.failed_attempts == 0
    # Guesses spread over many addresses lock the account after 4 x 3 = 12 in a row.
    with db.session() as session:
        for i in range(12):
            with pytest.raises(sign_in_service.SignInError):
                sign_in_service.authenticate(
                    session, "teller.a", "guess-12345", policy, FIXED_NOW, f"198.51.100.{i}"
                )
        with pytest.raises(sign_in_service.SignInError, match="account locked"):
            sign_in_service.authenticate(
                session, "teller.a", PASSWORD, policy, FIXED_NOW, "10.1.2.3"
            )
        staff = session.scalar(select(Staff).where(Staff.username == "teller.a"))
        assert staff is not None and staff.locked_until is not None
        # For at most the lockout's minutes, however many more guesses come.
        assert staff.locked_until <= FIXED_NOW + dt.timedelta(minutes=10)
        staff_service.unlock(session, SYSTEM, staff.id)  # an administrator can still unlock
        assert sign_in_service.authenticate(
            session, "teller.a", PASSWORD, policy, FIXED_NOW, "10.1.2.3"
        )


def test_a_name_that_does_not_exist_is_not_recorded(db: Database, bank: Bank) -> None:
    """A password typed into the name field must not reach the audit log."""
    client = make_client(db)
    token = csrf_of(client)
    typed = "Secret-Passw0rd-typed-as-name"
    client.post("/signin", data={"username": typed, "password": "x-12345678", "csrf_token": token})
    with db.session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed"))
        failed = list(rows)
    assert failed and all(typed.lower() not in (r.entity_id + r.summary).lower() for r in failed)
    assert failed[-1].entity_id == "unknown"


def test_parallel_wrong_passwords_all_count(db: Database, bank: Bank) -> None:
    """The failure count grows atomically: 20 parallel wrong passwords count 20."""
    import threading

    policy = LockoutPolicy(threshold=100, minutes=10)
    errors: list[BaseException] = []

    def guess(i: int) -> None:
        try:
            # The failure is kept (the session commits), as the sign-in page keeps it.
            with db.session() as session, pytest.raises(sign_in_service.SignInError):
                sign_in_service.authenticate(
                    session, "teller.a", "wrong-12345", policy, FIXED_NOW, f"192.0.2.{i}"
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with db.session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == "teller.a"))
        assert staff is not None and staff.failed_attempts == 20


def test_missing_csrf_token_is_refused_and_changes_nothing(db: Database, bank: Bank) -> None:
    client = make_client(db)
    response = client.post("/signin", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 403
    assert "表单已过期" in response.text
    assert client.get("/").status_code == 303
    sign_in(client, "admin", PASSWORD)
    before = actions(db)
    response = client.post(
        "/admin/units",
        data={
            "code": "X1",
            "level": "outlet",
            "parent_id": str(bank.unit("SUB-A")),
            "name_zh": "X",
        },
    )
    assert response.status_code == 403
    response = client.post(
        "/admin/units", data={"csrf_token": "forged", "code": "X1", "name_zh": "X"}
    )
    assert response.status_code == 403
    assert actions(db) == before


def test_sign_out_ends_the_session(db: Database, bank: Bank) -> None:
    client = make_client(db)
    sign_in(client, "admin", PASSWORD)
    copied = dict(client.cookies)  # someone copied the cookie before sign-out
    token = csrf_of(client, "/")
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    assert client.get("/").status_code == 303
    assert "auth.signed_out" in actions(db)
    thief = make_client(db)
    thief.cookies.update(copied)
    assert thief.get("/").status_code == 303  # ended on the server, not only in the browser


def test_password_change(db: Database, bank: Bank) -> None:
    client = make_client(db)
    other = make_client(db)
    sign_in(client, "teller.a", PASSWORD)
    sign_in(other, "teller.a", PASSWORD)
    token = csrf_of(client, "/account/password")
    weak = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "short1",
            "confirm_password": "short1",
        },
    )
    assert weak.status_code == 422 and "密码至少 10 位" in weak.text
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "not-it-12345",
            "new_password": "Better-pass-99",
            "confirm_password": "Better-pass-99",
        },
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    mismatch = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "Better-pass-99",
            "confirm_password": "Better-pass-98",
        },
    )
    assert mismatch.status_code == 422
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "Better-pass-99",
            "confirm_password": "Better-pass-99",
        },
    )
    assert ok.status_code == 200 and "密码已修改" in ok.text
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 303  # the other one ended
    fresh = make_client(db)
    sign_in(fresh, "teller.a", "Better-pass-99")
    assert actions(db).count("auth.password_changed") == 1


def test_session_cookie_flags(db: Database, bank: Bank) -> None:
    client = make_client(db)
    token = csrf_of(client)
    response = client.post(
        "/signin", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_healthz(db: Database) -> None:
    client = make_client(db)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "reachable"


def test_the_client_address_comes_from_trusted_proxies_only(db: Database, bank: Bank) -> None:
    """Back-off and limits key on the client: behind the bank's proxy, the address it names."""
    behind = make_client(db, address="10.0.0.1", trusted_proxies="10.0.0.1")
    forged = make_client(db, address="203.0.113.9", trusted_proxies="10.0.0.1")
    for client in (behind, forged):
        token = csrf_of(client)
        client.post(
            "/signin",
            data={"username": "admin", "password": "wrong-pass-1", "csrf_token": token},
            headers={"x-forwarded-for": "198.51.100.23"},
        )
    with db.session() as session:
        rows = session.scalars(
            select(AuditEvent.summary).where(AuditEvent.action == "auth.sign_in_failed")
        ).all()
    assert '"client":"198.51.100.23"' in rows[0]  # named by the trusted proxy
    assert '"client":"203.0.113.9"' in rows[1]  # a stranger's header is ignored
