"""Home and hospital visits read in Chinese: every refusal special raises, its states, actions
and sources (shown through coded keys) have zh-CN words, and the coded keys English ones."""

from __future__ import annotations

import ast
from pathlib import Path

from manyi.audit.labels import describe
from manyi.special.domain.requests import Action, State
from manyi.special.tables import SOURCES
from manyi.web.i18n import catalogue, translator

SPECIAL = Path(__file__).resolve().parents[2] / "src" / "manyi" / "special"
ERRORS = {"InvalidInput", "NotFound", "Conflict", "Forbidden", "Term"}


def raised() -> set[str]:
    found: set[str] = set()
    for path in SPECIAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                first = node.args[0]
                if name in ERRORS and isinstance(first, ast.Constant):
                    found.add(str(first.value))
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MISSING":
                assert isinstance(node.value, ast.Dict)
                found |= {str(v.value) for v in node.value.values if isinstance(v, ast.Constant)}
    return found


def coded() -> set[str]:
    keys = {f"visit:{s.value}" for s in State} | {f"visit_action:{a.value}" for a in Action}
    return keys | {f"visit_source:{s}" for s in SOURCES}


def test_every_refusal_of_special_has_chinese() -> None:
    messages = raised()
    assert "a visit needs two staff, never one" in messages
    zh = catalogue("zh_CN")
    assert not sorted(m for m in messages if m not in zh)
    assert "{name} ({code}) cannot be done away from the counter" in zh


def test_coded_keys_have_both_languages() -> None:
    zh, en = catalogue("zh_CN"), catalogue("en")
    assert not sorted(k for k in coded() if k not in zh)
    assert not sorted(k for k in coded() if k not in en)


VISIT_ACTIONS = (
    "request", "approve", "refuse", "cancel", "assign", "schedule", "arrive", "photo", "bundle",
    "close",
)  # fmt: skip


def test_every_visit_step_reads_in_chinese_in_the_audit_log() -> None:
    zh = translator("zh-CN")
    for action in VISIT_ACTIONS:
        words = describe(f"special.visit.{action}", zh)
        assert words.startswith("上门服务 · ") and not any("a" <= ch <= "z" for ch in words)
    assert describe("special.visit.arrive", translator("en")) == "Home visit · arrival recorded"
