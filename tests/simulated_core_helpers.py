"""Fixtures and small helpers for the simulated core banking tests: a session key, a clock the
test moves, the core with its demo customers, a PIN pad, amounts and balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from manyi.counter.adapters.core import ErrorCode, Outcome, PostingKind, PostingResult
from manyi.counter.adapters.pin_pad import PinBlock, SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import SimulatedCore

K = PostingKind
TODAY = dt.date(2026, 3, 10)
NEW_ID = "11010519491231002X"  # the widely published valid example


class Clock:
    def __init__(self) -> None:
        self.today = TODAY

    def __call__(self) -> dt.date:
        return self.today


@pytest.fixture(name="key")
def key_fixture() -> SessionKey:
    return SessionKey.generate()


@pytest.fixture(name="clock")
def clock_fixture() -> Clock:
    return Clock()


@pytest.fixture(name="core")
def core_fixture(key: SessionKey, clock: Clock) -> SimulatedCore:
    return SimulatedCore(key, seed=7, today=clock)


@pytest.fixture(name="demo")
def demo_fixture(core: SimulatedCore) -> dict[str, tuple[str, str]]:
    return core.seed_demo()


@pytest.fixture(name="pad")
def pad_fixture(key: SessionKey) -> SimulatedPinPad:
    return SimulatedPinPad(key)


def pin(pad: SimulatedPinPad, card: str, digits: str) -> PinBlock:
    pad.customer_types(digits)
    return pad.enter_pin(card, "enter PIN")


def money(text: str) -> Decimal:
    return Decimal(text)


def balance(core: SimulatedCore, account: str) -> Decimal:
    return core.balance(account).balance


def failed(result: PostingResult, code: ErrorCode) -> bool:
    return result.outcome is Outcome.FAILED and result.code is code
