"""Near the outlet: the check-in by the link asks where the customer is (pure).

The issue asks for a check-in "by the link when near the outlet". Near is a distance: the
great-circle distance (haversine, on a sphere of the mean Earth radius 6,371.0088 km) from the
position the customer's browser gives to the outlet's position, at most the outlet's
`checkin_radius_m`. The sphere is off by at most about 0.5 % from the WGS-84 ellipsoid, a few
metres at a radius of 500 m, far less than a phone's fix indoors (tens of metres).

Worked example: 中关村 (39.98370, 116.31560) to 陆家嘴 (31.23790, 121.49940) is about
1,079 km; two points 0.0045° of latitude apart are about 500 m apart anywhere.

Never a trap: the rule only asks for a position when there is something to compare it with.

- radius 0 or an outlet with no position: time only (the window, as before);
- a position within the radius: checked in;
- a position farther away: refused with the distance, nothing stored (the kiosk still works);
- no position (refused by the customer, no fix, no browser support): refused with a message
  sending the customer to the kiosk, which is the place-bound path.

A browser's position is the customer's to give and easy to fake; the rule keeps honest
customers from checking in from home by mistake, not a determined one. Only the rounded
distance is kept (in the audit event), never the customer's coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from manyi.errors import InvalidInput

__all__ = [
    "EARTH_RADIUS_M",
    "Nearness",
    "Position",
    "Verdict",
    "distance_m",
    "nearness",
    "position_of",
]

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG), metres


@dataclass(frozen=True)
class Position:
    """A point in WGS-84 degrees, as browsers (navigator.geolocation) give it."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not _within(self.latitude, 90):
            raise InvalidInput(
                "the latitude must be a number from -90 to 90",
                "latitude",
                error_code="bad_position",
            )
        if not _within(self.longitude, 180):
            raise InvalidInput(
                "the longitude must be a number from -180 to 180",
                "longitude",
                error_code="bad_position",
            )


def _within(value: object, limit: float) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and -limit <= value <= limit
    )


def position_of(latitude: object, longitude: object) -> Position | None:
    """A position from two typed or posted values; None when both are empty; refused
    (`bad_position`, naming the field) when one is missing or either is not a number."""
    texts = ["" if v is None else str(v).strip() for v in (latitude, longitude)]
    if texts == ["", ""]:
        return None
    numbers: list[float] = []
    for name, text in zip(("latitude", "longitude"), texts, strict=True):
        try:
            numbers.append(float(text))
        except ValueError:
            raise InvalidInput(
                "give both latitude and longitude as numbers",
                name,
                error_code="bad_position",
            ) from None
    return Position(numbers[0], numbers[1])


def distance_m(a: Position, b: Position) -> float:
    """The great-circle distance in metres (haversine; stable for short distances)."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    dphi = phi2 - phi1
    dlam = math.radians(b.longitude - a.longitude)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class Nearness(StrEnum):
    NOT_ASKED = "not_asked"  # radius 0 or the outlet has no position: time only
    NEAR = "near"
    FAR = "far"
    UNKNOWN = "unknown"  # the outlet has a position, the customer gave none


@dataclass(frozen=True)
class Verdict:
    nearness: Nearness
    distance_m: int | None = None  # rounded; None unless a position was compared

    @property
    def may_check_in(self) -> bool:
        return self.nearness in (Nearness.NOT_ASKED, Nearness.NEAR)


def nearness(outlet: Position | None, customer: Position | None, radius_m: int) -> Verdict:
    """Whether the link may check in from `customer` (see the module's rule)."""
    if radius_m <= 0 or outlet is None:
        return Verdict(Nearness.NOT_ASKED)
    if customer is None:
        return Verdict(Nearness.UNKNOWN)
    metres = distance_m(outlet, customer)
    return Verdict(Nearness.NEAR if metres <= radius_m else Nearness.FAR, round(metres))
