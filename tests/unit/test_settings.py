"""Settings fail fast and name the variable at fault."""

from __future__ import annotations

import pytest

from manyi import sealed
from manyi.config import DEVELOPMENT_SECRET_KEY, SettingsError, load_settings

# Private-looking data key and pepper for production settings (any 32 random bytes would do).
DATA_KEY = "bank2026:" + "9f1c2b7a4e6d8053c1b2a3948576f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b"
PEPPER = "Xq3-vL9_pT2mR8sK1wN6yB4hD7jF0gC5zA"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("MANYI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no stray .env file


def test_defaults() -> None:
    settings = load_settings()
    assert settings.env == "development"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.port == 8000 and settings.host == "127.0.0.1"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "var/manyi.sqlite3"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MANYI_PORT", "eighty"),
        ("MANYI_PORT", "70000"),
        ("MANYI_TIMEZONE", "Mars/Olympus"),
        ("MANYI_ENV", "staging"),
        ("MANYI_LOG_LEVEL", "LOUD"),
        ("MANYI_DATABASE_URL", "mysql://x"),
        ("MANYI_LOCKOUT_THRESHOLD", "0"),
        ("MANYI_SESSION_HOURS", "-1"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)


def test_production_refuses_missing_or_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_ENV", "production")
    with pytest.raises(SettingsError, match="MANYI_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("MANYI_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    with pytest.raises(SettingsError, match="MANYI_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("MANYI_SECRET_KEY", "short")
    with pytest.raises(SettingsError, match="MANYI_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("MANYI_SECRET_KEY", "a-real-secret-of-enough-length-0123456789")
    monkeypatch.setenv("MANYI_AUDIT_KEY", "a-private-audit-key-of-enough-length-9876543210")
    monkeypatch.setenv("MANYI_COUNTER_ALLOW_SIMULATED", "true")  # a pilot, on the simulation
    _private_data_keys(monkeypatch)
    settings = load_settings()
    assert settings.secure_cookies


def test_production_refuses_a_missing_default_or_weak_audit_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16 #1: the chain's HMAC key must be the bank's own in production."""
    monkeypatch.setenv("MANYI_ENV", "production")
    monkeypatch.setenv("MANYI_SECRET_KEY", "a-real-secret-of-enough-length-0123456789")
    monkeypatch.setenv("MANYI_COUNTER_ALLOW_SIMULATED", "true")
    _private_data_keys(monkeypatch)
    with pytest.raises(SettingsError, match="MANYI_AUDIT_KEY"):
        load_settings()  # the development default
    for weak in ("", "short-key", "a" * 64):
        monkeypatch.setenv("MANYI_AUDIT_KEY", weak)
        with pytest.raises(SettingsError, match="MANYI_AUDIT_KEY"):
            load_settings()
    monkeypatch.setenv("MANYI_AUDIT_KEY", "k7Qp-2xVn9_Lm4Rt8Zs1Wc6Yb3Hd5Jf0Ge")
    monkeypatch.setenv("MANYI_AUDIT_RETIRED_KEYS", "old-key-one-0123456789abcdefghij, old-two")
    keys = load_settings().audit_keys
    assert len(keys.secrets) == 3 and keys.current_id in keys.secrets


def _private_data_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_DATA_KEY", DATA_KEY)
    monkeypatch.setenv("MANYI_BLIND_INDEX_PEPPER", PEPPER)


def test_production_refuses_a_missing_default_or_weak_data_key_or_pepper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16 #4: personal data is sealed under the bank's own key and indexed under its own
    pepper in production; the public development ones are refused, and so is a weak one."""
    monkeypatch.setenv("MANYI_ENV", "production")
    monkeypatch.setenv("MANYI_SECRET_KEY", "a-real-secret-of-enough-length-0123456789")
    monkeypatch.setenv("MANYI_AUDIT_KEY", "k7Qp-2xVn9_Lm4Rt8Zs1Wc6Yb3Hd5Jf0Ge")
    monkeypatch.setenv("MANYI_COUNTER_ALLOW_SIMULATED", "true")
    monkeypatch.setenv("MANYI_BLIND_INDEX_PEPPER", PEPPER)
    with pytest.raises(SettingsError, match="MANYI_DATA_KEY"):
        load_settings()  # the development default
    for weak in ("00" * 32, "short", "not base64 at all!", "a" * 43 + "="):
        monkeypatch.setenv("MANYI_DATA_KEY", weak)
        with pytest.raises(SettingsError, match="MANYI_DATA_KEY"):
            load_settings()
    monkeypatch.setenv("MANYI_DATA_KEY", DATA_KEY)
    monkeypatch.delenv("MANYI_BLIND_INDEX_PEPPER")
    with pytest.raises(SettingsError, match="MANYI_BLIND_INDEX_PEPPER"):
        load_settings()
    for weak in ("", "short-pepper", "p" * 64):
        monkeypatch.setenv("MANYI_BLIND_INDEX_PEPPER", weak)
        with pytest.raises(SettingsError, match="MANYI_BLIND_INDEX_PEPPER"):
            load_settings()
    monkeypatch.setenv("MANYI_BLIND_INDEX_PEPPER", PEPPER)
    old = "2025:" + "11" * 16 + "2233445566778899aabbccddeeff0011"
    monkeypatch.setenv("MANYI_DATA_RETIRED_KEYS", old)
    keys = load_settings().data_keys
    assert keys.current_id == "bank2026" and set(keys.keys) == {"bank2026", "2025"}
    assert keys.pepper == PEPPER.encode()
    info = load_settings().session_info
    assert info[sealed.SESSION_INFO_KEY] == keys


def test_two_data_keys_with_one_id_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_DATA_KEY", DATA_KEY)
    monkeypatch.setenv("MANYI_DATA_RETIRED_KEYS", "bank2026:" + "ab" * 32)
    with pytest.raises(SettingsError, match="MANYI_DATA_RETIRED_KEYS"):
        load_settings()


def test_development_has_clear_default_data_keys() -> None:
    settings = load_settings()
    assert settings.data_keys == sealed.DEVELOPMENT_DATA_KEYS
    assert settings.data_keys.current_id == "dev"
    assert "do-not-use" in settings.blind_index_pepper


def test_development_has_a_clear_default_audit_key() -> None:
    from manyi.audit.keys import DEVELOPMENT_AUDIT_KEY

    settings = load_settings()
    assert settings.audit_key == DEVELOPMENT_AUDIT_KEY and "do-not-use" in DEVELOPMENT_AUDIT_KEY


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    Path(str(tmp_path), ".env").write_text("MANYI_PORT=8123\nMANYI_TIMEZONE=Asia/Urumqi\n")
    settings = load_settings()
    assert settings.port == 8123 and settings.timezone == "Asia/Urumqi"


def test_plain_postgres_url_uses_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().database_url == "postgresql+psycopg://u@h/db"


def test_cli_reports_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from manyi.cli import app
    from manyi.config import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("MANYI_TIMEZONE", "Nowhere/Town")
    result = CliRunner().invoke(app, ["audit", "verify"])
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert "MANYI_TIMEZONE" in result.output


def test_the_public_base_url_is_empty_by_default_and_kept_without_a_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().public_base_url == ""
    monkeypatch.setenv("MANYI_PUBLIC_BASE_URL", " https://manyi.example-bank.cn/ ")
    assert load_settings().public_base_url == "https://manyi.example-bank.cn"
    monkeypatch.setenv("MANYI_PUBLIC_BASE_URL", "http://10.8.1.20:8000/manyi")
    assert load_settings().public_base_url == "http://10.8.1.20:8000/manyi"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("http://127.0.0.1:8000", "a phone cannot open it"),
        ("http://localhost:8000", "a phone cannot open it"),
        ("http://[::1]:8000", "a phone cannot open it"),
        ("http://0.0.0.0:8000", "a phone cannot open it"),
        ("manyi.example-bank.cn", "not a web address"),
        ("ftp://manyi.example-bank.cn", "not a web address"),
        ("https://manyi.example-bank.cn/?x=1", "plain address"),
    ],
)
def test_a_public_base_url_a_phone_cannot_open_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, value: str, says: str
) -> None:
    monkeypatch.setenv("MANYI_PUBLIC_BASE_URL", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "MANYI_PUBLIC_BASE_URL" in str(caught.value) and says in str(caught.value)


def test_the_development_secret_is_refused_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16 #2: not only in production — whenever anything but this machine can connect."""
    anywhere = "0.0.0.0"  # noqa: S104 - the point of the test
    for host in (anywhere, "10.1.2.3", "::"):
        monkeypatch.setenv("MANYI_HOST", host)
        with pytest.raises(SettingsError, match="development key is public"):
            load_settings()
    for host in ("127.0.0.1", "localhost", "::1"):
        monkeypatch.setenv("MANYI_HOST", host)
        assert load_settings().host == host
    monkeypatch.setenv("MANYI_HOST", anywhere)
    monkeypatch.setenv("MANYI_SECRET_KEY", "a-real-secret-of-enough-length-0123456789")
    assert load_settings().host == anywhere


def test_production_refuses_the_simulated_counter_unless_a_pilot_allows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16 #6: no simulated core or devices in production by accident."""
    monkeypatch.setenv("MANYI_ENV", "production")
    monkeypatch.setenv("MANYI_SECRET_KEY", "a-real-secret-of-enough-length-0123456789")
    monkeypatch.setenv("MANYI_AUDIT_KEY", "k7Qp-2xVn9_Lm4Rt8Zs1Wc6Yb3Hd5Jf0Ge")
    _private_data_keys(monkeypatch)
    with pytest.raises(SettingsError, match="MANYI_COUNTER_ALLOW_SIMULATED"):
        load_settings()
    monkeypatch.setenv("MANYI_COUNTER_ALLOW_SIMULATED", "true")
    settings = load_settings()
    assert settings.counter_adapters == "simulated" and not settings.demo_mode
