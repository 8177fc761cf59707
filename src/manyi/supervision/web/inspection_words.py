"""How the inspection pages name kinds, states, groups and outcomes (English message ids,
translated in the templates)."""

from __future__ import annotations

KINDS = {
    "scheduled": "Scheduled inspection",
    "spot": "Spot check",
    "mystery": "Mystery shopping",
    "remote": "Remote spot check",
}
STATES = {"planned": "Planned", "in_progress": "In progress", "submitted": "Submitted"}
GROUPS = {
    "appearance": "Appearance and badge",
    "greeting": "Greeting",
    "process": "Service process",
    "environment": "Environment",
    "elderly": "Elderly-friendly facilities",
    "disclosure": "Information disclosure",
}
OUTCOMES = {"passed": "Pass", "failed": "Fail", "na": "N/A"}
TASK_STATES = {
    "open": "Open",
    "in_progress": "In progress",
    "submitted": "Evidence submitted",
    "verified": "Verified",
    "sent_back": "Sent back",
    "closed": "Closed",
}
TASK_URL = "/supervision/tasks/{id}"
