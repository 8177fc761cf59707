"""Proposed deadline-policy changes as the settings page shows them (maker-checker).

Each pending change in words, with the difference it makes: a new policy's rules as a handler
would read them, or the value before and after.
"""

from __future__ import annotations

from typing import Any

from manyi.approvals.tables import PendingChange
from manyi.complaints import policy_store
from manyi.complaints.domain.policies import policy_from_dict
from manyi.web.i18n import Translate


def describe(
    change: PendingChange,
    me: int,
    _: Translate,
    in_words: Any,
    lang: str = "zh-CN",
) -> dict[str, Any]:
    """What the page shows of one pending change; `in_words(policy, days, _)` words a policy."""
    summary = change.summary
    if change.kind == policy_store.ADD:
        policy = policy_from_dict(change.payload["definition"])
        name = policy.name_en if lang == "en" else policy.name_zh
        title = _("New deadline policy {name} ({code})").format(name=name, code=change.subject)
        lines = in_words(policy, int(change.payload["close_after_days"]), _)
    elif change.kind == policy_store.CLOSE_AFTER:
        title = _("Closing rule of {code}").format(code=change.subject)
        lines = [
            _("Close after {before} → {after} days without an answer").format(
                before=summary.get("before"), after=summary.get("after")
            )
        ]
    else:
        title = _("Default policy")
        lines = [
            _("{before} → {after} (new complaints only)").format(
                before=summary.get("before") or "—", after=summary.get("after")
            )
        ]
    return {
        "id": change.id,
        "title": title,
        "lines": lines,
        "proposed_by": change.proposed_by,
        "proposed_at": change.proposed_at,
        "mine": change.proposed_by_id == me,
    }
