"""What an audit action id means, in words a reader of the audit log understands.

An action id is `family.verb` (`auth.signed_in`, `counter.bundle.sign`, `lobby.called`). The
log shows the family and the verb as message ids, translated when rendered; an id this table
does not know is shown as it is, so nothing recorded is ever hidden.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# Families, longest prefix first where one contains another.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("counter.authorisation.", "Counter authorisation"),
    ("counter.catalogue.", "Transaction catalogue"),
    ("counter.bundle.", "Counter bundle"),
    ("counter.prefill.", "Pre-fill"),
    ("complaint.category.", "Complaint categories"),
    ("complaint.policy.", "Deadline policy"),
    ("complaint.expert.", "Complaint experts"),
    ("complaint.", "Complaint"),
    ("auth.", "Sign-in"),
    ("staff.", "Staff account"),
    ("unit.", "Organisation unit"),
    ("device.", "Device"),
    ("lobby.", "Lobby"),
    ("notify.", "Notification"),
    ("audit.", "Audit chain"),
    ("personal_data.", "Personal data"),
    ("quality.", "Satisfaction"),
    ("misconduct.", "Misconduct"),
    ("special.visit.", "Home visit"),
    ("workload.", "Teller workload"),
    ("db.", "Database"),
    ("guidance.encounter.", "Triage at the door"),
    ("guidance.machine.", "Self-service machine"),
    ("guidance.case.", "Typical case"),
    ("guidance.training.", "Training"),
    ("guidance.outreach.", "Outreach event"),
    ("guidance.selfcheck.", "Outlet self-check"),
)

# What was done: the rest of the id after its family.
VERBS: dict[str, str] = {
    # sign-in and accounts
    "signed_in": "signed in",
    "signed_out": "signed out",
    "sign_in_failed": "sign-in failed",
    "sign_in_refused": "sign-in refused",
    "password_changed": "password changed",
    "directory_removed": "deactivated: the directory no longer vouches for the account",
    "directory_restored": "active again: back in the directory",
    "directory_linked": "linked to the directory account",
    "platform_signed_out": "signed out at the identity platform: sessions ended",
    "password_reset": "password reset",
    "roles_changed": "roles changed",
    "unlocked": "unlocked",
    "created": "created",
    "updated": "changed",
    "imported": "imported",
    "token_issued": "token issued",
    "token_revoked": "token revoked",
    "verified": "verified",
    "page_staff": "staff paged",
    # teller workload
    "service_weight": "service weight set",
    # the lobby
    "configured": "configured",
    "skills_set": "teller skills set",
    "issued": "ticket issued",
    "called": "customer called",
    "recalled": "customer called again",
    "started": "service started",
    "completed": "service completed",
    "no_show": "marked a no-show",
    "requeued": "put back in the queue",
    "transferred": "transferred",
    "cancelled": "ticket cancelled",
    "counter_opened": "counter opened",
    "counter_closed": "counter closed",
    "counter_paused": "counter paused",
    "counter_resumed": "counter resumed",
    "counter_services_changed": "counter services changed",
    # the counter
    "open": "opened",
    "confirm": "confirmed by the customer",
    "correct": "corrected",
    "check_identity": "identity checked",
    "run": "executed",
    "retry": "executed again",
    "stop_pin": "customer stopped entering the PIN",
    "sign": "signed by the customer",
    "archive": "e-voucher archived",
    "cancel": "cancelled",
    "withdraw": "withdrawn",
    "request": "requested",
    "approve": "approved",
    "reject": "rejected",
    "claim": "taken up",
    "release": "released",
    "release_stale": "released after waiting too long",
    "seed": "loaded",
    "edit": "edited",
    "submit": "submitted",
    # maker-checker (approve, reject and withdraw are above)
    "propose": "proposed for a second person's approval",
    # complaints
    "register": "registered",
    "start": "investigation started",
    "import": "imported",
    "assign": "assigned",
    "decide": "replied with the decision",
    "close": "closed",
    "reopen": "reopened",
    "transfer": "transferred to another unit",
    "declare_conflict": "handler stepped aside",
    "extend": "extension requested",
    "approve_extension": "extension approved",
    "reject_extension": "extension rejected",
    "consult": "expert asked",
    "opinion": "expert opinion given",
    "note": "note added",
    "supervise": "supervised",
    "attach": "file attached",
    "classify": "classified",
    "add": "added",
    "set": "set",
    "default": "made the default",
    "close_after": "closing rule set",
    "purge": "anonymised after the retention period",
    "resealed": "sealed again under the current key",
    # satisfaction surveys
    "survey_saved": "survey saved as a new version",
    "survey_rule_set": "survey sampling set",
    # misconduct cases (supervision)
    "opened": "case opened",
    "investigating": "investigation started",
    "findings": "findings recorded",
    "sanctions": "sanctions decided",
    "finalised": "case finalised",
    "dismissed": "case dismissed",
    "rectification": "rectification task opened",
    "bulletin": "bulletin issued",
    # home and hospital visits (request, approve, assign, close and cancel are above)
    "refuse": "refused",
    "schedule": "date agreed with the family",
    "arrive": "arrival recorded",
    "photo": "photo added",
    "bundle": "counter bundle opened",
    # lobby guidance (add, edit, submit, approve, assign, cancel and photo are above)
    "record": "recorded",
    "ticket": "ticket taken after all",
    "result": "result recorded",
    "service": "put in or out of service",
    "draft": "drafted",
    "return": "returned to the author",
    "create": "created",
    "publish": "published",
    "take": "training taken",
    "plan": "planned",
    "held": "recorded as held",
    "task": "rectification task opened",
    "missed": "missed, the branch alerted",
    # the database (manyi db restore)
    "restored": "restored from a backup",
}


def describe(action: str, translate: Callable[[str], str]) -> str:
    """`action` in words: "family · verb", translated; the id itself when it is unknown."""
    for prefix, family in FAMILIES:
        if action.startswith(prefix):
            verb = VERBS.get(action[len(prefix) :])
            if verb is None:
                return action
            return f"{translate(family)} · {translate(verb)}"
    return action


def pretty(summary: Any) -> str:
    """An event's details (stored as JSON text) indented, Chinese as written (not \\u escapes)."""
    value = summary
    if isinstance(summary, str):
        try:
            value = json.loads(summary)
        except ValueError:
            return summary  # not JSON: shown as it was stored
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
