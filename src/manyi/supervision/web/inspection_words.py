"""How the inspection pages name kinds, states, groups and outcomes: coded message ids
(`visit_kind:spot`), translated in the templates — Chinese in zh_CN, English words in the `en`
catalogue, as the roles and unit levels are."""

from __future__ import annotations

from manyi.supervision.domain.scorecard import Outcome
from manyi.supervision.domain.standards import GROUPS as GROUP_KEYS
from manyi.supervision.domain.visits import VisitKind, VisitState

KINDS = {k.value: f"visit_kind:{k.value}" for k in VisitKind}
STATES = {s.value: f"visit_state:{s.value}" for s in VisitState}
GROUPS = {g: f"checklist_group:{g}" for g in GROUP_KEYS}
OUTCOMES = {o.value: f"scorecard:{o.value}" for o in Outcome}
TASK_STATES = {
    s: f"finding_task:{s}"
    for s in ("open", "in_progress", "submitted", "verified", "sent_back", "closed")
}
TASK_URL = "/supervision/tasks/{id}"
