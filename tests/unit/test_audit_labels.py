"""Every audit action manyi records reads as words in the log (issue 15 #14)."""

from __future__ import annotations

import pytest

from manyi.audit.labels import describe, pretty
from manyi.complaints.domain.model import Action
from manyi.web.i18n import translator

# The ids manyi records, by family (grep `action=` and each family's `record` helper).
RECORDED = (
    [f"complaint.{a.value}" for a in Action]
    + ["workload.service_weight"]
    + [
        f"lobby.{k}"
        for k in [
            "configured",
            "skills_set",
            "issued",
            "called",
            "recalled",
            "started",
            "completed",
            "no_show",
            "requeued",
            "transferred",
            "cancelled",
            "counter_opened",
            "counter_closed",
            "counter_paused",
            "counter_resumed",
            "counter_services_changed",
        ]
    ]
    + [
        f"counter.bundle.{k}"
        for k in [
            "open",
            "confirm",
            "correct",
            "check_identity",
            "run",
            "retry",
            "sign",
            "archive",
            "cancel",
            "withdraw",
            "stop_pin",
        ]
    ]
    + [
        f"counter.authorisation.{k}"
        for k in ["request", "approve", "reject", "claim", "release", "release_stale"]
    ]
    + [
        "auth.signed_in",
        "auth.signed_out",
        "auth.sign_in_failed",
        "auth.sign_in_refused",
        "auth.password_changed",
        "staff.created",
        "staff.updated",
        "staff.roles_changed",
        "staff.password_reset",
        "staff.unlocked",
        "unit.created",
        "unit.updated",
        "unit.imported",
        "device.token_issued",
        "device.token_revoked",
        "notify.page_staff",
        "audit.verified",
        "audit.resealed",
        "personal_data.resealed",
        "counter.catalogue.seed",
        "counter.catalogue.edit",
        "counter.prefill.submit",
        "complaint.import",
        "complaint.expert.set",
        "complaint.category.add",
        "complaint.policy.add",
        "complaint.policy.default",
        "complaint.policy.close_after",
        "complaint.purge",
        "quality.import",
        "quality.survey_saved",
        "quality.survey_rule_set",
    ]
    # Maker-checker on deadline policies and the catalogue's authorisation rules.
    + [
        f"{family}.{k}"
        for family in ("complaint.policy", "counter.catalogue")
        for k in ["propose", "approve", "reject", "withdraw"]
    ]
)


@pytest.mark.parametrize("action", RECORDED)
def test_every_recorded_action_reads_in_chinese(action: str) -> None:
    words = describe(action, translator("zh-CN"))
    assert words != action and "." not in words and "_" not in words
    assert all(not ("a" <= ch <= "z") for ch in words), words  # no English left in zh-CN


def test_examples_in_both_languages() -> None:
    assert describe("auth.signed_in", translator("zh-CN")) == "登录 · 登录成功"
    assert describe("counter.bundle.sign", translator("zh-CN")) == "柜面业务 · 客户签名"
    assert describe("complaint.supervise", translator("en")) == "Complaint · supervised"


def test_an_unknown_action_is_shown_as_it_is() -> None:
    assert describe("quality.survey_sent", translator("zh-CN")) == "quality.survey_sent"
    assert describe("lobby.teleported", translator("zh-CN")) == "lobby.teleported"


def test_details_keep_chinese_as_written() -> None:
    text = pretty({"name": "李秀英", "amount": 60000})
    assert "李秀英" in text and "\\u" not in text and text.startswith("{\n")
    stored = '{"name": "\\u674e\\u79c0\\u82f1"}'  # as the audit table keeps it
    assert pretty(stored) == '{\n  "name": "李秀英"\n}'
    assert pretty("not json") == "not json"
