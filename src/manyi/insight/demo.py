"""The demo bank's complaint intelligence: its prominent-issue categories, and two years of
complaint history with the rectification tasks its story turns on (`demo_history`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from manyi.db import Database
from manyi.insight import demo_history, issues
from manyi.insight.domain.issues import DEMO_SET


def seed(database: Database, now: dt.datetime, var_dir: Path) -> list[str]:
    """Seeds what is missing (idempotent); returns lines for `manyi demo seed` to print."""
    with database.session() as session:
        added = issues.seed(session, DEMO_SET)
    with database.session() as session:
        history = demo_history.seed(session, now, var_dir)
    return [
        f"complaint intelligence: {added} prominent-issue categories added",
        f"complaint history: {history.cases} closed complaints over two years and "
        f"{history.tasks} closed rectification tasks for prominent issues added",
    ]
