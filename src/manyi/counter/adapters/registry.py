"""Which counter adapters this process uses: the core-banking port, ID-card readers and PIN
pads. The one place to change them.

The services never build adapters: the entry point (page, API, CLI) takes them from
`current()` and passes them in (`runner.run(..., pin_pad=..., core=...)`,
`bundles.check_identity(..., reader)`). Today every process runs the simulation
(`simulated()`): one `SimulatedCore` and, per counter station, a simulated reader and pad
that share the core's session key, as an encrypting PIN pad shares keys with the bank's HSM.

Stations. Real readers and pads are wired to one counter window each; `Runtime.pin_pad(station)`
and `Runtime.id_reader(station)` return the devices of a station (the web layer names it,
e.g. "BJ-HD-ZGC/3" for counter 3 of 中关村), created on first use by the runtime's factories.

The simulated core keeps its accounts in memory and is seeded from `core_sim.DEMO_CUSTOMERS`
with a fixed seed, so every process (the web server, the CLI) derives the same account and
card numbers; its postings live as long as the process.

Adding a bank's adapters (the recipe):

1. write a class with `post` and `balance` that honours the contract in `core.py`, and
   reader and pad classes with the `IdCardReader` / `PinPad` protocols of `devices.py`;
2. write a factory returning a `Runtime` built from them, and add it to `FACTORIES` under a
   name;
3. name it in the `MANYI_COUNTER_ADAPTERS` setting (default "simulated"; an unknown name
   stops start-up with a `SettingsError` listing the names in `FACTORIES`): the web app
   (`create_app`) and the CLI call `start(settings.counter_adapters)`, which is
   `use(build(name))` unless the process already runs adapters of that name (so several
   apps in one process, as in the tests, share one core); tests call `use(...)` with
   their own runtime and `reset()` after.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from manyi.counter.adapters.core import CoreBanking
from manyi.counter.adapters.id_reader import IdCardReader, SimulatedIdCardReader
from manyi.counter.adapters.pin_pad import PinPad, SessionKey, SimulatedPinPad
from manyi.counter.adapters.simulated_core import SimulatedCore

__all__ = [
    "DEMO_CORE_SEED",
    "FACTORIES",
    "Runtime",
    "build",
    "current",
    "reset",
    "simulated",
    "start",
    "use",
]

DEMO_CORE_SEED: Final = 2026


@dataclass
class Runtime:
    core: CoreBanking
    make_pin_pad: Callable[[str], PinPad]
    make_id_reader: Callable[[str], IdCardReader]
    name: str = "custom"
    # Demo customers' accounts in the simulated core: short name → (account, card).
    demo_accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Demo customers' cards sent by post, to activate: short name → card.
    demo_mailed_cards: dict[str, str] = field(default_factory=dict)
    _pads: dict[str, PinPad] = field(default_factory=dict, repr=False)
    _readers: dict[str, IdCardReader] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pin_pad(self, station: str) -> PinPad:
        with self._lock:
            if station not in self._pads:
                self._pads[station] = self.make_pin_pad(station)
            return self._pads[station]

    def id_reader(self, station: str) -> IdCardReader:
        with self._lock:
            if station not in self._readers:
                self._readers[station] = self.make_id_reader(station)
            return self._readers[station]


def simulated(seed: int = DEMO_CORE_SEED) -> Runtime:
    """The simulated core with the demo customers, and simulated devices per station."""
    key = SessionKey.generate()  # shared by the pads and the core's HSM, for this process
    core = SimulatedCore(key, seed=seed)
    accounts = core.seed_demo()
    return Runtime(
        core=core,
        make_pin_pad=lambda station: SimulatedPinPad(key),
        make_id_reader=lambda station: SimulatedIdCardReader(),
        name="simulated",
        demo_accounts=accounts,
        demo_mailed_cards=dict(core.mailed_cards),
    )


FACTORIES: Final[dict[str, Callable[[], Runtime]]] = {"simulated": simulated}

_current: Runtime | None = None
_guard = threading.Lock()


def build(name: str) -> Runtime:
    try:
        return FACTORIES[name]()
    except KeyError:
        known = ", ".join(sorted(FACTORIES))
        raise ValueError(f"unknown counter adapters {name!r}; known: {known}") from None


def start(name: str) -> Runtime:
    """The adapters the settings name, for this process: built once, then kept."""
    global _current
    with _guard:
        if _current is not None and _current.name == name:
            return _current
    return use(build(name))


def current() -> Runtime:
    """The process's runtime, the simulation unless `use` chose another."""
    global _current
    with _guard:
        if _current is None:
            _current = simulated()
        return _current


def use(runtime: Runtime) -> Runtime:
    global _current
    with _guard:
        _current = runtime
    return runtime


def reset() -> None:
    global _current
    with _guard:
        _current = None
