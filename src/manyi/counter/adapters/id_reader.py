"""The ID-card reader: what a resident ID card holds (`IdCardData`), the reader port and the
simulated reader the demo and the tests place cards on.

`IdCardData` checks the card against its own number (birth date, sex) when it is built, and
keeps the personal data masked in logs and tracebacks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from manyi.counter.adapters.devices import DeviceError
from manyi.errors import InvalidInput
from manyi.personal import check_resident_id, mask_id, mask_name

__all__ = ["IdCardData", "IdCardReader", "NoCardOnReader", "SimulatedIdCardReader"]


class NoCardOnReader(DeviceError):
    error_code = "no_id_card"


@dataclass(frozen=True)
class IdCardData:
    """What a second-generation resident ID card's chip holds (居民身份证)."""

    name: str
    id_number: str
    sex: str  # "M" or "F"
    birth_date: dt.date
    address: str
    issuing_authority: str  # 签发机关
    valid_from: dt.date
    valid_until: dt.date | None  # None: long-term (长期), issued from age 46 on

    def __post_init__(self) -> None:
        try:
            number = check_resident_id(self.id_number, today=self.valid_from)
        except ValueError as exc:
            raise InvalidInput("ID card number: {reason}", "id_number", reason=str(exc)) from None
        # The number encodes the birth date and, in its 17th digit, the sex (odd: male).
        if number[6:14] != self.birth_date.strftime("%Y%m%d"):
            raise InvalidInput("ID card birth date does not match the number", "birth_date")
        if self.sex != ("M" if int(number[16]) % 2 else "F"):
            raise InvalidInput("ID card sex does not match the number", "sex")
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise InvalidInput("ID card validity ends before it starts", "valid_until")
        object.__setattr__(self, "id_number", number)

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def age_on(self, day: dt.date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday

    def __repr__(self) -> str:  # personal data stays masked in logs and tracebacks
        return f"IdCardData(name={mask_name(self.name)!r}, id_number={mask_id(self.id_number)!r})"


class IdCardReader(Protocol):
    def read(self) -> IdCardData:
        """Read the card on the reader; raise `NoCardOnReader` when there is none."""
        ...


class SimulatedIdCardReader:
    """A reader whose card the demo or a test places and removes."""

    def __init__(self, card: IdCardData | None = None) -> None:
        self._card = card

    def place(self, card: IdCardData) -> None:
        self._card = card

    def remove(self) -> None:
        self._card = None

    def read(self) -> IdCardData:
        if self._card is None:
            raise NoCardOnReader("no ID card on the reader: ask the customer to place the card")
        return self._card
