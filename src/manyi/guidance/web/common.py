"""What guidance's pages share: who acts, as the use cases take them."""

from __future__ import annotations

from manyi.guidance.access import Who
from manyi.web.security import Principal


def who_of(principal: Principal) -> Who:
    return Who(
        principal.id,
        principal.display_name,
        principal.unit_id,
        principal.unit_path,
        principal.permissions,
        principal.unit_level,
    )
