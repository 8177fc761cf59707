"""Window-service standards (窗口服务规范) as a versioned checklist, and the bank's default one.

A checklist is a list of items, each in one of six groups, with a weight (how much it counts in
the score), whether a failure must be shown with a photo, and whether a failure is critical (it
flags the whole visit whatever the score). Head office publishes a new version to change it;
visits keep the version they were scored against, so an old score never changes meaning.

`check_items` is the one check of an edited checklist: a fault is named (item code and field),
nothing is half-accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from manyi.errors import InvalidInput
from manyi.parsing import ascii_int

# The groups, in the order the scorecard shows them (an inspector walks the outlet this way:
# the staff first, then the counter's process, then the hall).
GROUPS: tuple[str, ...] = (
    "appearance",  # 仪容仪表与挂牌
    "greeting",  # 接待礼仪
    "process",  # 业务办理
    "environment",  # 营业环境
    "elderly",  # 适老化设施
    "disclosure",  # 信息公示
)
MAX_ITEMS = 100
MAX_WEIGHT = 10
MAX_TEXT = 200
# A short code an inspector can say aloud and a task can name: "A1", "EL-2".
CODE = re.compile(r"[A-Z]{1,3}-?[0-9]{1,3}")


@dataclass(frozen=True)
class Item:
    code: str
    group: str
    text_zh: str
    text_en: str
    weight: int
    photo_required: bool  # a failure must be shown with a photo
    critical: bool  # a failure flags the visit, whatever the score

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" and self.text_en else self.text_zh

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "group": self.group,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "weight": self.weight,
            "photo_required": self.photo_required,
            "critical": self.critical,
        }


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def check_items(raw: Iterable[Mapping[str, Any]]) -> tuple[Item, ...]:
    """The checklist from its edited form (JSON or form fields), checked; in group order."""
    items: list[Item] = []
    seen: set[str] = set()
    for entry in raw:
        code = str(entry.get("code", "")).strip().upper()
        if not CODE.fullmatch(code):
            raise InvalidInput(
                "item code {code}: letters then digits, like A1 or EL-2", "code", code=code or "—"
            )
        if code in seen:
            raise InvalidInput("item code {code} appears twice", "code", code=code)
        seen.add(code)
        group = str(entry.get("group", "")).strip()
        if group not in GROUPS:
            raise InvalidInput(
                "item {code}: the group must be one of {groups}",
                "group",
                code=code,
                groups=", ".join(GROUPS),
            )
        text_zh = str(entry.get("text_zh", "")).strip()
        text_en = str(entry.get("text_en", "")).strip()
        if not text_zh or len(text_zh) > MAX_TEXT or len(text_en) > MAX_TEXT:
            raise InvalidInput(
                "item {code}: a Chinese text of 1 to {n} characters (English optional)",
                "text_zh",
                code=code,
                n=MAX_TEXT,
            )
        weight = ascii_int(str(entry.get("weight", ""))) or 0
        if not 1 <= weight <= MAX_WEIGHT:
            raise InvalidInput(
                "item {code}: the weight is a whole number from 1 to {n}",
                "weight",
                code=code,
                n=MAX_WEIGHT,
            )
        items.append(
            Item(
                code=code,
                group=group,
                text_zh=text_zh,
                text_en=text_en,
                weight=weight,
                photo_required=_flag(entry.get("photo_required", False)),
                critical=_flag(entry.get("critical", False)),
            )
        )
    if not items:
        raise InvalidInput("a checklist needs at least one item", "items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput("a checklist has at most {n} items", "items", n=MAX_ITEMS)
    order = {g: i for i, g in enumerate(GROUPS)}
    return tuple(sorted(items, key=lambda i: order[i.group]))  # stable: in-group order kept


def items_from_json(data: Iterable[Mapping[str, Any]]) -> tuple[Item, ...]:
    """A stored version's items (checked when published, so trusted)."""
    return tuple(
        Item(
            code=d["code"],
            group=d["group"],
            text_zh=d["text_zh"],
            text_en=d.get("text_en", ""),
            weight=int(d["weight"]),
            photo_required=bool(d.get("photo_required", False)),
            critical=bool(d.get("critical", False)),
        )
        for d in data
    )


def _i(
    code: str, group: str, zh: str, en: str, weight: int, *, photo: bool = False, crit: bool = False
) -> Item:
    return Item(code, group, zh, en, weight, photo, crit)


# The bank's window-service standard as first published: 18 items; a failure of the critical
# ones (badge, refusing service, the elderly's priority, the fee list) flags the visit.
DEFAULT_ITEMS: tuple[Item, ...] = (
    _i("A1", "appearance", "统一着装，整洁得体", "Uniform worn, clean and tidy", 4, photo=True),
    _i("A2", "appearance", "佩戴工号牌挂牌上岗", "Name badge worn at the counter", 6, crit=True),
    _i("A3", "appearance", "仪容端庄，精神饱满", "Neat appearance, attentive", 3),
    _i("G1", "greeting", "客户到柜主动起身或微笑问候", "Greets the customer on arrival", 5),
    _i("G2", "greeting", "使用文明用语，不推诿", "Polite language, no passing the buck", 6),
    _i("G3", "greeting", "业务办结后主动道别", "Says goodbye when the service ends", 3),
    _i(
        "P1",
        "process",
        "不拒绝、不刁难客户合理业务",
        "No refusal of a reasonable request",
        8,
        crit=True,
    ),
    _i("P2", "process", "一次性告知所需材料", "All required documents named at once", 5),
    _i(
        "P3",
        "process",
        "办理中离柜须放置暂停服务牌",
        "Pause sign shown when leaving the counter",
        4,
    ),
    _i("P4", "process", "提示客户核对回单并签字", "Customer asked to check and sign the slip", 4),
    _i(
        "E1", "environment", "营业厅整洁，无杂物堆放", "Hall clean, nothing piled up", 4, photo=True
    ),
    _i("E2", "environment", "自助设备运行正常并有引导", "Self-service machines work, with help", 5),
    _i("E3", "environment", "叫号系统与座椅充足可用", "Queue system and seats available", 3),
    _i(
        "EL1",
        "elderly",
        "设置爱心窗口并优先办理老年客户",
        "Priority counter for the elderly in use",
        6,
        crit=True,
    ),
    _i(
        "EL2",
        "elderly",
        "配备老花镜、轮椅等便民设施",
        "Reading glasses, wheelchair at hand",
        4,
        photo=True,
    ),
    _i(
        "D1",
        "disclosure",
        "收费项目与标准公示完整",
        "Fees and charges displayed in full",
        6,
        photo=True,
        crit=True,
    ),
    _i(
        "D2",
        "disclosure",
        "投诉电话与处理流程公示",
        "Complaint number and process displayed",
        5,
        photo=True,
    ),
    _i("D3", "disclosure", "营业时间与利率公告及时更新", "Opening hours and rates up to date", 3),
)
