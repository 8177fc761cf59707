"""The demo bank's complaint intelligence: its prominent-issue categories, a few opinions and
suggestions (`demo_opinions`), two years of complaint history with the rectification tasks its
story turns on (`demo_history`), and the emerging-issue detector run over the last complete week
(the history's jump at 望京 raises an alert)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from manyi.db import Database
from manyi.insight import demo_history, demo_opinions, detection, issues
from manyi.insight.domain.issues import DEMO_SET


def seed(database: Database, now: dt.datetime, var_dir: Path) -> list[str]:
    """Seeds what is missing (idempotent); returns lines for `manyi demo seed` to print."""
    with database.session() as session:
        added = issues.seed(session, DEMO_SET)
    with database.session() as session:
        opinions = demo_opinions.seed(session, now)
    with database.session() as session:
        history = demo_history.seed(session, now, var_dir)
    report = detection.scan(database, now)
    return [
        f"complaint intelligence: {added} prominent-issue categories added",
        f"opinions and suggestions: {opinions} added",
        f"complaint history: {history.cases} closed complaints over two years and "
        f"{history.tasks} closed rectification tasks for prominent issues added",
        f"complaint intelligence: {report.stored} emerging-issue alerts stored "
        f"(week of {report.week.isoformat()})",
    ]
