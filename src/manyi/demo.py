"""The demo bank: a head office, two tier-1 branches, four tier-2 branches,
five outlets and a staff member for every role where the role belongs.

Seeding is idempotent: units and staff that already exist are left alone
(passwords included), missing ones are created.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.lobby.demo_layout import seed_lobbies
from manyi.org import device_tokens
from manyi.org import service as unit_service
from manyi.org import staff as staff_service
from manyi.org.model import Role, UnitLevel
from manyi.org.tables import DeviceToken
from manyi.quality import surveys

DEMO_PASSWORD = "Manyi-demo-2026"  # noqa: S105 (demo only, printed on purpose)
DEMO_ACTOR = audit.Actor(id=None, name="demo-seed")


@dataclass(frozen=True)
class DemoUnit:
    code: str
    parent: str
    level: UnitLevel
    name_zh: str
    name_en: str
    address: str
    customers: int
    # WGS-84 (what browsers give), not a Chinese map's GCJ-02, which is offset by some
    # hundreds of metres: the appointment link's check-in measures from it.
    position: tuple[float, float] | None = None


UNITS = (
    DemoUnit(
        "HO",
        "",
        UnitLevel.HEAD_OFFICE,
        "满意银行总行",
        "Manyi Bank Head Office",
        "北京市西城区金融大街25号",
        0,
    ),
    DemoUnit(
        "BJ",
        "HO",
        UnitLevel.TIER1_BRANCH,
        "满意银行北京市分行",
        "Beijing Branch",
        "北京市东城区建国门内大街18号",
        0,
    ),
    DemoUnit(
        "SH",
        "HO",
        UnitLevel.TIER1_BRANCH,
        "满意银行上海市分行",
        "Shanghai Branch",
        "上海市浦东新区银城中路200号",
        0,
    ),
    DemoUnit(
        "BJ-HD",
        "BJ",
        UnitLevel.TIER2_BRANCH,
        "北京海淀支行",
        "Beijing Haidian Sub-branch",
        "北京市海淀区中关村南大街6号",
        0,
    ),
    DemoUnit(
        "BJ-CY",
        "BJ",
        UnitLevel.TIER2_BRANCH,
        "北京朝阳支行",
        "Beijing Chaoyang Sub-branch",
        "北京市朝阳区朝阳门外大街16号",
        0,
    ),
    DemoUnit(
        "SH-PD",
        "SH",
        UnitLevel.TIER2_BRANCH,
        "上海浦东支行",
        "Shanghai Pudong Sub-branch",
        "上海市浦东新区张杨路500号",
        0,
    ),
    DemoUnit(
        "SH-XH",
        "SH",
        UnitLevel.TIER2_BRANCH,
        "上海徐汇支行",
        "Shanghai Xuhui Sub-branch",
        "上海市徐汇区肇嘉浜路1065号",
        0,
    ),
    DemoUnit(
        "BJ-HD-ZGC",
        "BJ-HD",
        UnitLevel.OUTLET,
        "中关村营业室",
        "Zhongguancun Outlet",
        "北京市海淀区中关村大街27号",
        38_500,
        (39.98370, 116.31560),
    ),
    DemoUnit(
        "BJ-HD-WDK",
        "BJ-HD",
        UnitLevel.OUTLET,
        "五道口营业室",
        "Wudaokou Outlet",
        "北京市海淀区成府路28号",
        21_300,
        (39.99262, 116.33761),
    ),
    DemoUnit(
        "BJ-CY-WJ",
        "BJ-CY",
        UnitLevel.OUTLET,
        "望京营业室",
        "Wangjing Outlet",
        "北京市朝阳区望京街9号",
        29_800,
        (39.99654, 116.47052),
    ),
    DemoUnit(
        "SH-PD-LJZ",
        "SH-PD",
        UnitLevel.OUTLET,
        "陆家嘴营业室",
        "Lujiazui Outlet",
        "上海市浦东新区陆家嘴环路1000号",
        44_200,
        (31.23790, 121.49940),
    ),
    DemoUnit(
        "SH-XH-XJH",
        "SH-XH",
        UnitLevel.OUTLET,
        "徐家汇营业室",
        "Xujiahui Outlet",
        "上海市徐汇区漕溪北路88号",
        33_600,
        (31.19349, 121.43702),
    ),
)


@dataclass(frozen=True)
class DemoStaff:
    username: str
    name: str
    unit: str
    roles: tuple[Role, ...]


def _outlet_team(prefix: str, unit: str, names: list[str]) -> list[DemoStaff]:
    roles = [
        ("head", Role.BRANCH_HEAD),
        ("lobby", Role.LOBBY_MANAGER),
        ("teller1", Role.TELLER),
        ("teller2", Role.TELLER),
        ("supervisor", Role.SUPERVISOR),
        ("handler", Role.COMPLAINT_HANDLER),
        ("inspector", Role.INSPECTOR),
        ("expert", Role.EXPERT),
    ]
    return [
        DemoStaff(f"{prefix}.{suffix}", name, unit, (role,))
        for (suffix, role), name in zip(roles, names, strict=True)
    ]


STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("admin", "系统管理员", "HO", (Role.ADMINISTRATOR,)),
    # A second head-office administrator: approves what `admin` proposes (maker-checker).
    DemoStaff("admin2", "复核管理员", "HO", (Role.ADMINISTRATOR,)),
    DemoStaff("ho.service", "郑晓梅", "HO", (Role.HO_SERVICE_MANAGER,)),
    DemoStaff("ho.complaints", "冯建国", "HO", (Role.COMPLAINT_MANAGER,)),
    DemoStaff("ho.inspector", "韩雪", "HO", (Role.INSPECTOR,)),
    DemoStaff("ho.expert", "曹文博", "HO", (Role.EXPERT,)),
    DemoStaff("bj.admin", "北京分行管理员", "BJ", (Role.ADMINISTRATOR,)),
    DemoStaff("bj.head", "许志远", "BJ", (Role.BRANCH_HEAD,)),
    DemoStaff("bj.complaints", "邓丽华", "BJ", (Role.COMPLAINT_MANAGER,)),
    DemoStaff("bj.handler", "彭涛", "BJ", (Role.COMPLAINT_HANDLER,)),
    DemoStaff("bj.inspector", "萧红", "BJ", (Role.INSPECTOR,)),
    DemoStaff("bj.expert", "田宇", "BJ", (Role.EXPERT,)),
    DemoStaff("bj.supervisor", "董海燕", "BJ", (Role.SUPERVISOR,)),
    DemoStaff("hd.complaints", "孟凡", "BJ-HD", (Role.COMPLAINT_MANAGER,)),
    DemoStaff("sh.complaints", "袁芳", "SH", (Role.COMPLAINT_MANAGER,)),
    # The Shanghai branch's head: approves its outlets' service stars (the branch step).
    DemoStaff("sh.head", "沈立群", "SH", (Role.BRANCH_HEAD,)),
    *_outlet_team(
        "zgc", "BJ-HD-ZGC", ["王建华", "李静", "张伟", "刘洋", "陈明", "杨帆", "赵敏", "黄磊"]
    ),
    *_outlet_team(
        "ljz", "SH-PD-LJZ", ["周慧", "吴昊", "徐婷", "孙浩", "马丽", "朱军", "胡晓", "郭宁"]
    ),
    DemoStaff("wdk.teller1", "林晨", "BJ-HD-WDK", (Role.TELLER,)),
    DemoStaff("wj.teller1", "何佳", "BJ-CY-WJ", (Role.TELLER,)),
    DemoStaff("xjh.teller1", "罗斌", "SH-XH-XJH", (Role.TELLER,)),
)


def staff_numbers() -> dict[str, str]:
    """Each demo staff member's staff number (工号): the region's letters (HO, BJ, SH) and a
    five-digit number, e.g. BJ01024."""
    numbers: dict[str, str] = {}
    counts: dict[str, int] = {}
    for person in STAFF:
        region = person.unit.split("-")[0]
        n = counts.get(region, 0)
        counts[region] = n + 1
        numbers[person.username] = f"{region}{1001 + 23 * n:05d}"
    return numbers


@dataclass
class SeedReport:
    units_created: int = 0
    staff_created: int = 0
    lobbies_configured: int = 0
    devices_created: int = 0


def seed(session: Session, password: str = DEMO_PASSWORD) -> SeedReport:
    report = SeedReport()
    codes: dict[str, int] = {}
    for item in UNITS:
        existing = unit_service.unit_by_code(session, item.code)
        if existing is None:
            parent_id = codes.get(item.parent) if item.parent else None
            existing = unit_service.create_unit(
                session,
                DEMO_ACTOR,
                unit_service.UnitFields(
                    code=item.code,
                    level=item.level,
                    name_zh=item.name_zh,
                    parent_id=parent_id,
                    name_en=item.name_en,
                    timezone="Asia/Shanghai",
                    address=item.address,
                    customers_served=item.customers,
                    latitude=item.position[0] if item.position else None,
                    longitude=item.position[1] if item.position else None,
                ),
            )
            report.units_created += 1
        elif item.position and existing.latitude is None:  # a demo bank seeded before positions
            latitude, longitude = item.position
            unit_service.update_unit(
                session, DEMO_ACTOR, existing.id, {"latitude": latitude, "longitude": longitude}
            )
        codes[item.code] = existing.id
    numbers = staff_numbers()
    for person in STAFF:
        known = staff_service.by_username(session, person.username)
        if known is not None:
            if known.staff_number is None:  # a demo bank seeded before staff numbers
                staff_service.update_staff(
                    session, DEMO_ACTOR, known.id, staff_number=numbers[person.username]
                )
            continue
        staff_service.create_staff(
            session,
            DEMO_ACTOR,
            username=person.username,
            display_name=person.name,
            unit_id=codes[person.unit],
            roles=list(person.roles),
            password=password,
            staff_number=numbers[person.username],
        )
        report.staff_created += 1
    report.lobbies_configured = seed_lobbies(session, DEMO_ACTOR)
    report.devices_created = _seed_devices(session, codes)
    surveys.seed_defaults(session)  # each trigger's default survey as version 1 (quality)
    return report


# The demo's screens at 中关村, paired with these printed tokens (demo only, like the
# demo password): a kiosk, a display board and the rating pad of counter 3.
DEMO_DEVICES = (
    ("BJ-HD-ZGC", "kiosk", "中关村 取号机", "mdt_demo-zgc-kiosk", None),
    ("BJ-HD-ZGC", "display", "中关村 叫号屏", "mdt_demo-zgc-board", None),
    ("BJ-HD-ZGC", "rating_pad", "中关村 3号窗口评价器", "mdt_demo-zgc-rating-3", 3),
)


def _seed_devices(session: Session, codes: dict[str, int]) -> int:
    created = 0
    for outlet, kind, name, secret, counter in DEMO_DEVICES:
        known = session.scalar(
            select(DeviceToken).where(DeviceToken.token_hash == device_tokens.hash_token(secret))
        )
        if known is None:
            device_tokens.issue_token(
                session,
                DEMO_ACTOR,
                outlet_id=codes[outlet],
                kind=kind,
                name=name,
                valid_days=None,
                secret=secret,
                counter=counter,
            )
            created += 1
        elif known.counter_number is None and counter is not None:
            known.counter_number = counter  # a demo seeded before pads were bound
    return created


def sign_in_table() -> list[tuple[str, str, str, str]]:
    """(username, name, unit code, roles) for printing and the README."""
    return [(p.username, p.name, p.unit, ", ".join(r.value for r in p.roles)) for p in STAFF]
