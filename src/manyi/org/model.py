"""Organisation rules: unit levels, roles, permissions and data scope.

Pure domain code: no web framework, no ORM.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from manyi.errors import Forbidden


class UnitLevel(enum.StrEnum):
    HEAD_OFFICE = "head_office"  # 总行
    TIER1_BRANCH = "tier1_branch"  # 一级分行
    TIER2_BRANCH = "tier2_branch"  # 二级分行 / 支行
    OUTLET = "outlet"  # 网点

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {
    UnitLevel.HEAD_OFFICE: 0,
    UnitLevel.TIER1_BRANCH: 1,
    UnitLevel.TIER2_BRANCH: 2,
    UnitLevel.OUTLET: 3,
}

# Which parent level each level may hang under. Some outlets report straight
# to a tier-1 branch (城区直属网点), so both are allowed for outlets.
ALLOWED_PARENTS: dict[UnitLevel, frozenset[UnitLevel]] = {
    UnitLevel.HEAD_OFFICE: frozenset(),
    UnitLevel.TIER1_BRANCH: frozenset({UnitLevel.HEAD_OFFICE}),
    UnitLevel.TIER2_BRANCH: frozenset({UnitLevel.TIER1_BRANCH}),
    UnitLevel.OUTLET: frozenset({UnitLevel.TIER1_BRANCH, UnitLevel.TIER2_BRANCH}),
}

# Spellings accepted in CSV files, besides the code names above.
LEVEL_ALIASES: dict[str, UnitLevel] = {
    "总行": UnitLevel.HEAD_OFFICE,
    "head office": UnitLevel.HEAD_OFFICE,
    "一级分行": UnitLevel.TIER1_BRANCH,
    "分行": UnitLevel.TIER1_BRANCH,
    "tier1": UnitLevel.TIER1_BRANCH,
    "二级分行": UnitLevel.TIER2_BRANCH,
    "支行": UnitLevel.TIER2_BRANCH,
    "tier2": UnitLevel.TIER2_BRANCH,
    "网点": UnitLevel.OUTLET,
}


def parse_level(text: str) -> UnitLevel:
    key = text.strip().lower()
    for level in UnitLevel:
        if key == level.value:
            return level
    if key in LEVEL_ALIASES:
        return LEVEL_ALIASES[key]
    raise ValueError(
        f"unknown level {text!r}; use head_office, tier1_branch, tier2_branch or outlet"
    )


class PlacementError(ValueError):
    pass


def check_placement(level: UnitLevel, parent_level: UnitLevel | None) -> None:
    """Raise `PlacementError` when a unit of `level` may not sit under `parent_level`."""
    allowed = ALLOWED_PARENTS[level]
    if parent_level is None:
        if allowed:
            raise PlacementError(f"a {level.value} needs a parent unit")
        return
    if parent_level not in allowed:
        names = ", ".join(sorted(p.value for p in allowed)) or "no parent"
        raise PlacementError(f"a {level.value} must sit under {names}, not {parent_level.value}")


class Role(enum.StrEnum):
    ADMINISTRATOR = "administrator"  # 系统管理员
    HO_SERVICE_MANAGER = "ho_service_manager"  # 总行服务管理部门
    BRANCH_HEAD = "branch_head"  # 网点负责人 / 机构负责人
    LOBBY_MANAGER = "lobby_manager"  # 大堂经理
    TELLER = "teller"  # 柜员
    SUPERVISOR = "supervisor"  # 授权主管
    COMPLAINT_HANDLER = "complaint_handler"  # 投诉处理岗
    COMPLAINT_MANAGER = "complaint_manager"  # 投诉督办
    INSPECTOR = "inspector"  # 检查员
    EXPERT = "expert"  # 专家


class Permission(enum.StrEnum):
    UNITS_VIEW = "org.units.view"
    UNITS_MANAGE = "org.units.manage"
    STAFF_VIEW = "org.staff.view"
    STAFF_MANAGE = "org.staff.manage"
    DEVICES_MANAGE = "org.devices.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_VERIFY = "audit.verify"
    LOBBY_VIEW = "lobby.view"  # see an outlet's live queue
    LOBBY_OPERATE = "lobby.operate"  # work a counter: sign on, call, serve
    LOBBY_MANAGE = "lobby.manage"  # lobby manager: any counter, priority tickets, re-queue
    LOBBY_CONFIGURE = "lobby.configure"  # services, counters and lobby settings
    COMPLAINTS_VIEW = "complaints.view"  # see complaints in scope (personal data masked)
    COMPLAINTS_REGISTER = "complaints.register"  # register a complaint from any channel
    COMPLAINTS_HANDLE = "complaints.handle"  # be assigned cases and work them
    COMPLAINTS_MANAGE = "complaints.manage"  # assign, transfer, approve extensions, supervise
    COMPLAINTS_PERSONAL = "complaints.personal"  # see complainants' names, phones, ID numbers
    COMPLAINTS_CONSULT = "complaints.consult"  # give expert opinions on cases one is asked about
    # Bank-wide complaint settings: categories and deadline policies (changed at head office
    # only: check_bank_wide_settings).
    COMPLAINTS_CONFIGURE = "complaints.configure"
    COMPLAINTS_EXPERTS = "complaints.experts"  # the expert roster of one's own scope
    COUNTER_VIEW = "counter.view"  # see bundles and the counter's measures in scope
    COUNTER_OPERATE = "counter.operate"  # serve pre-filled bundles at one's own outlet
    # Approve or reject a bundle: at one's own outlet (a supervisor at an outlet, 授权主管) or,
    # for a supervisor placed at a branch, the remote authorisation centre (远程授权中心) of
    # the outlets below that branch. Where the supervisor sits decides which; see
    # counter/authorisations.py.
    COUNTER_AUTHORISE = "counter.authorise"
    COUNTER_REMOTE_AUTHORISE = "counter.remote_authorise"  # claim from the centre's queue
    # Edit the transaction catalogue (new versions), bank-wide: at head office only.
    COUNTER_CONFIGURE = "counter.configure"
    # The satisfaction page (满意度): CSAT, NPS, CES and the rating pad in one's own scope.
    QUALITY_VIEW = "quality.view"
    # Survey definitions and their sampling, bank-wide: at head office only (issue 17).
    QUALITY_CONFIGURE = "quality.configure"
    # The suspicious survey and rating patterns flagged for the inspector (issue 17).
    QUALITY_INSPECT = "quality.inspect"
    # Supervision (issue 18). The rectification board and tasks in one's own scope.
    SUPERVISION_VIEW = "supervision.view"
    # Work the rectification tasks one's own unit is responsible for: start, submit evidence.
    SUPERVISION_RECTIFY = "supervision.rectify"
    # Open rectification tasks for units in scope; verify, send back, close the ones one issued.
    SUPERVISION_ISSUE = "supervision.issue"
    # Plan and carry out inspections, spot checks, mystery shopping and remote spot checks.
    SUPERVISION_INSPECT = "supervision.inspect"
    # Window-service standards (the checklists) and the star programmes, bank-wide: head office
    # only (check_bank_wide_settings).
    SUPERVISION_STANDARDS = "supervision.standards"
    # Nominate service stars of one's own outlet (the outlet's step).
    STARS_NOMINATE = "supervision.stars.nominate"
    # Approve nominations: at a branch (the branch's step) or at head office (the final step).
    STARS_APPROVE = "supervision.stars.approve"
    # Misconduct cases (confidential): open, investigate, sanction, bulletins, in one's scope.
    MISCONDUCT_MANAGE = "supervision.misconduct"
    # The holidays and make-up workdays every working-day count uses (issue 19), bank-wide:
    # read by administrators, changed at head office only (check_bank_wide_settings).
    WORKDAYS_CONFIGURE = "workdays.configure"
    # Complaint analysis (issue 19): periods, comparisons, roll-ups, the regulator's statistics,
    # in one's own scope.
    INSIGHT_VIEW = "insight.view"
    # Customer reach (issue 20): the messages sent to customers in one's scope (numbers masked).
    REACH_VIEW = "reach.view"
    # The words of customer messages, bank-wide: changed at head office only.
    REACH_CONFIGURE = "reach.configure"
    # Home and hospital visits (特事特办, issue 20): see the visits in one's scope; take a
    # request and carry out a visit one is assigned to; approve, assign and schedule (heads).
    # Teller workload (issue 21): per teller and day figures and the staff pulse survey's
    # results, in one's own scope (a teller sees their own figures with LOBBY_OPERATE).
    WORKLOAD_VIEW = "workload.view"
    VISITS_VIEW = "special.view"
    VISITS_REQUEST = "special.request"
    VISITS_APPROVE = "special.approve"
    # The cockpit (驾驶舱, issue 21): every outlet's rolled-up figures in one's own scope.
    COCKPIT_VIEW = "cockpit.view"
    # Lobby guidance and staff development (issue 23): guidance's figures and the training
    # results (completion, scores) of the staff in one's own scope; the outreach events and
    # their roll-up.
    GUIDANCE_VIEW = "guidance.view"
    # The typical-case library: write cases from the sources in one's scope and submit them.
    GUIDANCE_CASES = "guidance.cases"
    # Publish cases and training modules, and assign modules, bank-wide: head office only.
    GUIDANCE_PUBLISH = "guidance.publish"
    # Plan and record the financial-literacy outreach events (普及金融知识) of one's outlet.
    GUIDANCE_OUTREACH = "guidance.outreach"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission),
    Role.HO_SERVICE_MANAGER: frozenset(
        {
            Permission.UNITS_VIEW,
            Permission.STAFF_VIEW,
            Permission.AUDIT_VIEW,
            Permission.LOBBY_VIEW,
            Permission.COMPLAINTS_VIEW,
            Permission.COMPLAINTS_MANAGE,
            Permission.COMPLAINTS_CONFIGURE,
            Permission.COMPLAINTS_EXPERTS,
            Permission.INSIGHT_VIEW,
            Permission.COUNTER_VIEW,
            Permission.COUNTER_CONFIGURE,
            Permission.QUALITY_VIEW,
            Permission.QUALITY_CONFIGURE,
            Permission.QUALITY_INSPECT,
            Permission.SUPERVISION_VIEW,
            Permission.SUPERVISION_ISSUE,
            Permission.SUPERVISION_INSPECT,
            Permission.SUPERVISION_STANDARDS,
            Permission.STARS_APPROVE,
            Permission.MISCONDUCT_MANAGE,
            Permission.WORKDAYS_CONFIGURE,
            Permission.REACH_VIEW,
            Permission.REACH_CONFIGURE,
            Permission.VISITS_VIEW,
            Permission.WORKLOAD_VIEW,
            Permission.COCKPIT_VIEW,
            Permission.GUIDANCE_VIEW,
            Permission.GUIDANCE_CASES,
            Permission.GUIDANCE_PUBLISH,
        }
    ),
    Role.BRANCH_HEAD: frozenset(
        {
            Permission.UNITS_VIEW,
            Permission.STAFF_VIEW,
            Permission.DEVICES_MANAGE,
            Permission.LOBBY_VIEW,
            Permission.LOBBY_MANAGE,
            Permission.LOBBY_CONFIGURE,
            Permission.COMPLAINTS_VIEW,
            Permission.COMPLAINTS_REGISTER,
            Permission.COMPLAINTS_MANAGE,
            Permission.COUNTER_VIEW,
            Permission.INSIGHT_VIEW,
            Permission.QUALITY_VIEW,
            # The responsible manager of the units below: works its rectification tasks,
            # issues tasks to the outlets below, nominates (at an outlet) or approves (at a
            # branch) service stars, and sees the misconduct cases of its staff (accountable
            # one level up).
            Permission.SUPERVISION_VIEW,
            Permission.SUPERVISION_RECTIFY,
            Permission.SUPERVISION_ISSUE,
            Permission.STARS_NOMINATE,
            Permission.STARS_APPROVE,
            Permission.MISCONDUCT_MANAGE,
            Permission.REACH_VIEW,
            Permission.VISITS_VIEW,
            Permission.VISITS_REQUEST,
            Permission.VISITS_APPROVE,
            Permission.WORKLOAD_VIEW,
            Permission.COCKPIT_VIEW,
            Permission.GUIDANCE_VIEW,
            Permission.GUIDANCE_CASES,
            Permission.GUIDANCE_OUTREACH,
        }
    ),
    Role.LOBBY_MANAGER: frozenset(
        {
            Permission.VISITS_VIEW,
            Permission.VISITS_REQUEST,
            Permission.REACH_VIEW,
            Permission.DEVICES_MANAGE,
            Permission.LOBBY_VIEW,
            Permission.LOBBY_OPERATE,
            Permission.LOBBY_MANAGE,
            Permission.COMPLAINTS_VIEW,
            Permission.COMPLAINTS_REGISTER,
            Permission.SUPERVISION_VIEW,
            Permission.SUPERVISION_RECTIFY,
            Permission.GUIDANCE_VIEW,
            Permission.GUIDANCE_OUTREACH,
        }
    ),
    Role.TELLER: frozenset(
        {
            Permission.LOBBY_VIEW,
            Permission.LOBBY_OPERATE,
            Permission.COUNTER_OPERATE,
            Permission.VISITS_VIEW,
            Permission.VISITS_REQUEST,
        }
    ),
    # One role for both kinds of authorisation: at an outlet it authorises locally, at a
    # branch it is the remote centre for the outlets below (counter/authorisations.py).
    Role.SUPERVISOR: frozenset(
        {
            Permission.COUNTER_VIEW,
            Permission.COUNTER_AUTHORISE,
            Permission.COUNTER_REMOTE_AUTHORISE,
        }
    ),
    Role.COMPLAINT_HANDLER: frozenset(
        {
            Permission.COMPLAINTS_VIEW,
            Permission.COMPLAINTS_REGISTER,
            Permission.COMPLAINTS_HANDLE,
            Permission.COMPLAINTS_PERSONAL,
        }
    ),
    Role.COMPLAINT_MANAGER: frozenset(
        {
            Permission.UNITS_VIEW,
            Permission.COMPLAINTS_VIEW,
            Permission.COMPLAINTS_REGISTER,
            Permission.COMPLAINTS_HANDLE,
            Permission.COMPLAINTS_MANAGE,
            Permission.COMPLAINTS_PERSONAL,
            Permission.INSIGHT_VIEW,
            # Root-cause rectification of what complaints show (溯源整改).
            Permission.SUPERVISION_VIEW,
            Permission.SUPERVISION_ISSUE,
            Permission.GUIDANCE_CASES,
        }
    ),
    Role.INSPECTOR: frozenset(
        {
            Permission.UNITS_VIEW,
            Permission.STAFF_VIEW,
            Permission.AUDIT_VIEW,
            Permission.LOBBY_VIEW,
            Permission.COMPLAINTS_VIEW,
            Permission.COUNTER_VIEW,
            Permission.QUALITY_VIEW,
            Permission.QUALITY_INSPECT,
            Permission.SUPERVISION_VIEW,
            Permission.SUPERVISION_ISSUE,
            Permission.SUPERVISION_INSPECT,
            Permission.MISCONDUCT_MANAGE,
            Permission.GUIDANCE_CASES,
        }
    ),
    Role.EXPERT: frozenset({Permission.COMPLAINTS_CONSULT}),
}

# Roles that only make sense at certain levels of the organisation.
ROLE_LEVELS: dict[Role, frozenset[UnitLevel]] = {
    Role.HO_SERVICE_MANAGER: frozenset({UnitLevel.HEAD_OFFICE}),
    Role.TELLER: frozenset({UnitLevel.OUTLET}),
    Role.LOBBY_MANAGER: frozenset({UnitLevel.OUTLET}),
}


def check_bank_wide_settings(level: UnitLevel | str) -> None:
    """Refuse a change to a bank-wide setting unless the actor works at head office.

    Deadline policies, complaint categories and the transaction catalogue with its authorisation
    thresholds apply to every unit, so a branch's administrator (who holds every permission in
    their own subtree) may read them but not change them. The expert roster is not bank-wide:
    each administrator keeps their own scope's (`Permission.COMPLAINTS_EXPERTS`).
    """
    if UnitLevel(level) is not UnitLevel.HEAD_OFFICE:
        raise Forbidden(
            "only head-office administrators change bank-wide settings",
            error_code="head_office_only",
        )


def permissions_for(roles: Iterable[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def check_role_level(role: Role, level: UnitLevel) -> None:
    allowed = ROLE_LEVELS.get(role)
    if allowed is not None and level not in allowed:
        names = ", ".join(sorted(a.value for a in allowed))
        raise PlacementError(f"role {role.value} belongs at {names}, not {level.value}")


def parse_roles(values: Iterable[str]) -> list[Role]:
    roles: list[Role] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            role = Role(value)
        except ValueError:
            raise ValueError(f"unknown role {value!r}") from None
        if role not in roles:
            roles.append(role)
    return roles


# --- Data scope ------------------------------------------------------------
# Each unit stores a materialised path of ids, e.g. "/1/4/9/". A unit's
# subtree is every unit whose path starts with its own: one indexed LIKE
# query on both engines, no recursive CTE needed.


def child_path(parent_path: str | None, unit_id: int) -> str:
    return f"{parent_path or '/'}{unit_id}/"


def path_in_scope(scope_path: str, path: str) -> bool:
    return path.startswith(scope_path)


@dataclass(frozen=True)
class Scope:
    """The part of the organisation a staff member may see: one unit's subtree."""

    unit_id: int
    path: str

    def contains(self, path: str) -> bool:
        return path_in_scope(self.path, path)
