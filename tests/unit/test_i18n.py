"""Every message the UI shows has a Chinese translation; coded keys have English words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from manyi.lobby.domain.model import Outcome, TicketState
from manyi.org.device_tokens import DeviceKind
from manyi.org.model import Role, UnitLevel
from manyi.reach.adapters.gateway import Channel as MessageChannel
from manyi.reach.contacts import CONSENT_SOURCES
from manyi.reach.domain.messages import Kind as MessageKind
from manyi.reach.domain.messages import Purpose as MessagePurpose
from manyi.reach.tables import MESSAGE_STATES
from manyi.supervision.domain.rectification import Source, TaskState
from manyi.supervision.web import inspection_words
from manyi.web.i18n import catalogue, translator
from manyi.web.templating import NAVIGATION

SRC = Path(__file__).resolve().parents[2] / "src" / "manyi"
MESSAGE = re.compile(r"""\b_\(\s*(["'])((?:(?!\1).)+)\1\s*\)""")


def used_messages() -> set[str]:
    found: set[str] = set()
    for path in [*SRC.rglob("*.html"), *SRC.rglob("*.py")]:
        for match in MESSAGE.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(2))
    return found


ERRORS = {"InvalidInput", "NotFound", "Conflict", "Forbidden", "ManyiError", "TooManyRequests"}
# Features whose error messages reach users translated (the org feature's are still English).
TRANSLATED_ERRORS = (
    "lobby",
    "guidance",
    "forecast",
    "complaints",
    "counter",
    "approvals",
    "supervision",
    "workdays",
    "insight",
    "reach",
    "cockpit",
)


def error_messages() -> set[str]:
    """First arguments of the errors raised in translated features (`Term` values too)."""
    found: set[str] = set()
    for feature in TRANSLATED_ERRORS:
        for path in (SRC / feature).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                first = node.args[0]
                if (
                    name in ERRORS | {"Term"}
                    and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                ):
                    found.add(first.value)
    found |= {s.value for s in TicketState} | {o.value for o in Outcome}
    return found


def notification_subjects() -> set[str]:
    """The subjects of the staff notifications manyi writes: `tell`'s fourth argument, a
    `subject=` keyword, or a `*_SUBJECT` constant; each is a message id shown translated."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "tell" and len(node.args) > 3:
                    values.append(node.args[3])
                if name in {"tell", "enqueue"}:
                    values += [k.value for k in node.keywords if k.arg == "subject"]
            elif isinstance(node, ast.Assign):
                names = [getattr(t, "id", "") for t in node.targets]
                if any(n.endswith("_SUBJECT") for n in names):
                    values.append(node.value)
            found |= {
                v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            }
    return found


def test_staff_notification_subjects_have_chinese() -> None:
    subjects = notification_subjects()
    assert "Complaint {reference} is at risk: due {due}" in subjects
    zh = catalogue("zh_CN")
    missing = sorted(s for s in subjects if s not in zh)
    assert not missing, f"notification subjects without zh_CN: {missing}"


def coded_keys() -> set[str]:
    keys = {f"role:{r.value}" for r in Role} | {f"level:{lv.value}" for lv in UnitLevel}
    keys |= {f"device:{k.value}" for k in DeviceKind}
    keys |= {f"token:{s}" for s in ("active", "revoked", "expired")}
    # Supervision's kinds and states, shown through coded keys on its pages.
    keys |= {f"source:{s.value}" for s in Source} | {f"task:{s.value}" for s in TaskState}
    for words in (inspection_words.KINDS, inspection_words.STATES, inspection_words.GROUPS):
        keys |= set(words.values())
    keys |= set(inspection_words.OUTCOMES.values())
    # Customer messages: their kinds, states and channels (reach's pages).
    keys |= {f"msgkind:{k.value}" for k in MessageKind} | {f"msgstate:{s}" for s in MESSAGE_STATES}
    keys |= {f"channel:{c.value}" for c in MessageChannel}
    keys |= {f"purpose:{p.value}" for p in MessagePurpose if p is not MessagePurpose.VERIFICATION}
    keys |= {f"consentfrom:{s}" for s in CONSENT_SOURCES}
    return keys


def test_every_message_has_chinese() -> None:
    zh = catalogue("zh_CN")
    needed = used_messages() | coded_keys() | error_messages() | {item.label for item in NAVIGATION}
    assert len(needed) > 100
    missing = sorted(m for m in needed if m not in zh)
    assert not missing, f"missing zh_CN translations: {missing}"


@pytest.mark.parametrize("key", sorted(coded_keys()))
def test_coded_keys_have_english_words(key: str) -> None:
    assert translator("en")(key) != key


def test_placeholders_survive_translation() -> None:
    zh = catalogue("zh_CN")
    for message, translated in zh.items():
        assert set(re.findall(r"{\w+}", message)) == set(re.findall(r"{\w+}", translated)), message


def test_upload_caps_have_chinese() -> None:
    from manyi.web.wiring import body_caps

    zh = catalogue("zh_CN")
    for cap in body_caps():
        assert cap.message in zh, cap.message
        assert zh[cap.message].format(**cap.params)  # every placeholder is filled
