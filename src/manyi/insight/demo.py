"""The demo bank's complaint intelligence: its prominent-issue categories."""

from __future__ import annotations

import datetime as dt

from manyi.db import Database
from manyi.insight import issues
from manyi.insight.domain.issues import DEMO_SET


def seed(database: Database, now: dt.datetime) -> list[str]:
    """Seeds what is missing (idempotent); returns lines for `manyi demo seed` to print."""
    del now  # the history to come is dated from it
    with database.session() as session:
        added = issues.seed(session, DEMO_SET)
    return [f"complaint intelligence: {added} prominent-issue categories added"]
