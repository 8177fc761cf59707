"""The demo bank's supervision, in the order each part reads the one before: rectification
tasks, inspections (their critical failures become tasks), inspection plans, misconduct cases
and the cases and task opened from a demo complaint (`demo_links`), then the service stars
(scored from the pad's history, inspections and sanctions). Each part seeds idempotently in
its own unit of work."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from manyi.db import Database
from manyi.supervision import (
    demo_inspections,
    demo_links,
    demo_misconduct,
    demo_plans,
    demo_rect,
    demo_stars,
)


def seed(database: Database, now: dt.datetime, var_dir: Path) -> list[str]:
    """Seed every part; one line per part for `manyi demo seed` to print."""
    with database.session() as session:
        tasks = demo_rect.seed(session, now, var_dir)
    with database.session() as session:
        visits = demo_inspections.seed(session, now, var_dir)
    with database.session() as session:
        planned = demo_plans.seed(session, now)
    with database.session() as session:
        cases = demo_misconduct.seed(session, now)
    with database.session() as session:
        linked = demo_links.seed(session, now)
    with database.session() as session:
        awarded = demo_stars.seed(session, now)
    return [
        f"rectification: {tasks} tasks added",
        f"inspections: {visits} visits added",
        f"inspection plans: {', '.join(planned.added) or 'nothing'} added",
        f"misconduct: {cases} cases added",
        f"misconduct from findings: {linked} cases added (deadlines at risk and overdue)",
        f"service stars: {awarded} stars awarded in this quarter's programme",
    ]
