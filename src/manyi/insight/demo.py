"""The demo bank's complaint intelligence: its prominent-issue categories, a few opinions and
suggestions (`demo_opinions`), and the emerging-issue detector run over the last complete week
(alerts appear once the demo has complaint history)."""

from __future__ import annotations

import datetime as dt

from manyi.db import Database
from manyi.insight import demo_opinions, detection, issues
from manyi.insight.domain.issues import DEMO_SET


def seed(database: Database, now: dt.datetime) -> list[str]:
    """Seeds what is missing (idempotent); returns lines for `manyi demo seed` to print."""
    with database.session() as session:
        added = issues.seed(session, DEMO_SET)
    with database.session() as session:
        opinions = demo_opinions.seed(session, now)
    report = detection.scan(database, now)
    return [
        f"complaint intelligence: {added} prominent-issue categories added",
        f"opinions and suggestions: {opinions} added",
        f"complaint intelligence: {report.stored} emerging-issue alerts stored "
        f"(week of {report.week.isoformat()})",
    ]
