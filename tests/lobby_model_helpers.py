"""Small builders for the lobby model's rule tests: a service and a fixed clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from manyi.lobby.domain.model import Service

UTC = dt.UTC
# 10:00 in Shanghai.
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def sec(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def service(**kw: Any) -> Service:
    fields: dict[str, Any] = {
        "code": "DEP",
        "name_zh": "存款",
        "prefix": "A",
        "expected_service_s": 300,
    }
    fields.update(kw)
    return Service(**fields)
