"""An outlet as the lobby's use cases read it (issue 22).

A device's every request names its outlet by id. Reading it as the ORM's `Unit`, even from this
process's cache, meant merging that object into each unit of work's session (`Session.merge`:
its identity map, its state copied, later its cleanup at close) and reading its columns through
the ORM's instrumented attributes some dozens of times a request: about 80 µs of CPU of a
device's request of about 1,000 (measured in one process). `Outlet` is the few columns the use
cases read, as a plain frozen value that every unit of work of the process can share.

Functions that are handed an outlet either way (`Outlet` on the devices' and staff's use cases,
the ORM's `Unit` elsewhere) take `OutletLike`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class OutletLike(Protocol):
    """What the lobby reads of an outlet: `Outlet`, or the ORM's `Unit`."""

    @property
    def id(self) -> int: ...

    @property
    def code(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def name_zh(self) -> str: ...

    @property
    def name_en(self) -> str: ...

    @property
    def timezone(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Outlet:
    id: int
    code: str
    path: str
    name_zh: str
    name_en: str
    timezone: str

    @classmethod
    def of(cls, unit: OutletLike) -> Outlet:
        return cls(unit.id, unit.code, unit.path, unit.name_zh, unit.name_en, unit.timezone)
