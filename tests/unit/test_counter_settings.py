"""MANYI_COUNTER_ADAPTERS chooses the counter's adapters at start-up and fails fast."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from manyi.cli import app
from manyi.config import SettingsError, get_settings, load_settings
from manyi.counter.adapters import registry


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("MANYI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no stray .env file
    registry.reset()
    yield
    registry.reset()
    get_settings.cache_clear()


def test_the_simulation_is_the_default() -> None:
    assert load_settings().counter_adapters == "simulated"
    assert load_settings().counter_claim_minutes == 10


def test_the_banks_pin_tries_default_to_3_and_a_bad_value_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().counter_pin_tries == 3
    monkeypatch.setenv("MANYI_COUNTER_PIN_TRIES", "5")
    assert load_settings().counter_pin_tries == 5
    monkeypatch.setenv("MANYI_COUNTER_PIN_TRIES", "0")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "MANYI_COUNTER_PIN_TRIES" in str(caught.value)


def test_an_unknown_name_stops_start_up_naming_the_variable_and_the_known_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MANYI_COUNTER_ADAPTERS", "mainframe")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "MANYI_COUNTER_ADAPTERS" in message and "'mainframe'" in message
    assert "known: simulated" in message


def test_the_cli_refuses_an_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("MANYI_COUNTER_ADAPTERS", "mainframe")
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "MANYI_COUNTER_ADAPTERS" in result.output and "simulated" in result.output


def test_a_registered_factory_is_accepted_and_started(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[registry.Runtime] = []

    def bank() -> registry.Runtime:
        built = registry.simulated()
        built.name = "bank"
        made.append(built)
        return built

    monkeypatch.setitem(registry.FACTORIES, "bank", bank)
    monkeypatch.setenv("MANYI_COUNTER_ADAPTERS", "bank")
    settings = load_settings()
    first = registry.start(settings.counter_adapters)
    assert registry.current() is first and first.name == "bank"
    # A second app in the same process keeps the adapters already running.
    assert registry.start("bank") is first and len(made) == 1
    assert registry.start("simulated").name == "simulated"


def test_claim_minutes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANYI_COUNTER_CLAIM_MINUTES", "0")
    with pytest.raises(SettingsError, match="MANYI_COUNTER_CLAIM_MINUTES"):
        load_settings()
