"""Complaint workflow rules: states, actions, who may do what, and assignment.

Pure domain code. A complaint moves through

    registered → assigned → investigating → decided → closed

and may also be withdrawn (撤诉) before a decision, transferred to another
unit (back to registered there), reopened after a decision or closure, and
handed back when its handler declares a conflict of interest (回避).
Extensions and consultations do not change the state; they are actions on
an open case and land on the timeline like every transition.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class State(enum.StrEnum):
    REGISTERED = "registered"  # 已登记
    ASSIGNED = "assigned"  # 已分派
    INVESTIGATING = "investigating"  # 调查处理中
    DECIDED = "decided"  # 已答复
    CLOSED = "closed"  # 已办结
    WITHDRAWN = "withdrawn"  # 已撤诉


# Cases whose regulatory clock runs (the deadline scan looks at these only).
OPEN_STATES = frozenset({State.REGISTERED, State.ASSIGNED, State.INVESTIGATING})
FINISHED_STATES = frozenset({State.CLOSED, State.WITHDRAWN})


class Action(enum.StrEnum):
    REGISTER = "register"
    ASSIGN = "assign"  # also reassign
    START = "start"  # the handler accepts the case and starts investigating
    DECIDE = "decide"  # decision made and the reply sent
    CLOSE = "close"  # customer accepted, or no answer in time
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"  # to another responsible unit
    DECLARE_CONFLICT = "declare_conflict"  # 回避: the handler steps aside
    EXTEND = "extend"  # request (and, for the first stage, grant) an extension
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    CONSULT = "consult"  # ask an expert
    OPINION = "opinion"  # the expert answers
    NOTE = "note"  # a note on the timeline
    SUPERVISE = "supervise"  # 督办 record by a higher-level unit
    ATTACH = "attach"
    CLASSIFY = "classify"  # set or correct the three axes and the flags


# Which states each state-changing action may start from, and where it ends.
TRANSITIONS: Mapping[Action, tuple[frozenset[State], State | None]] = {
    Action.ASSIGN: (OPEN_STATES, State.ASSIGNED),
    Action.START: (frozenset({State.ASSIGNED}), State.INVESTIGATING),
    Action.DECIDE: (frozenset({State.INVESTIGATING}), State.DECIDED),
    Action.CLOSE: (frozenset({State.DECIDED}), State.CLOSED),
    Action.REOPEN: (frozenset({State.DECIDED, State.CLOSED}), State.INVESTIGATING),
    Action.WITHDRAW: (OPEN_STATES, State.WITHDRAWN),
    Action.TRANSFER: (OPEN_STATES, State.REGISTERED),
    Action.DECLARE_CONFLICT: (frozenset({State.ASSIGNED, State.INVESTIGATING}), State.REGISTERED),
    # Actions that keep the state, and where they are allowed.
    Action.EXTEND: (OPEN_STATES, None),
    Action.APPROVE_EXTENSION: (OPEN_STATES, None),
    Action.REJECT_EXTENSION: (OPEN_STATES, None),
    Action.CONSULT: (OPEN_STATES, None),
    Action.OPINION: (OPEN_STATES | {State.DECIDED}, None),
    Action.NOTE: (frozenset(State), None),
    Action.SUPERVISE: (OPEN_STATES, None),
    Action.ATTACH: (OPEN_STATES | {State.DECIDED}, None),
    Action.CLASSIFY: (frozenset(State), None),  # statistics need it even after closure
}


class TransitionError(ValueError):
    def __init__(self, action: Action, state: State) -> None:
        self.action = action
        self.state = state
        super().__init__(f"cannot {action.value} a complaint that is {state.value}")


def next_state(state: State, action: Action) -> State:
    """The state after `action`, or TransitionError when it is not allowed from `state`."""
    allowed, target = TRANSITIONS[action]
    if state not in allowed:
        raise TransitionError(action, state)
    return target if target is not None else state


def allowed_actions(state: State) -> list[Action]:
    return [action for action, (allowed, _) in TRANSITIONS.items() if state in allowed]


class CloseReason(enum.StrEnum):
    ACCEPTED = "accepted"  # the complainant accepted the decision
    NO_ANSWER = "no_answer"  # no answer within the configured days
    IMPORTED = "imported"  # closed in the system it was imported from


class Verdict(enum.StrEnum):
    """Whether the decision found the complaint justified (投诉是否成立)."""

    UPHELD = "upheld"  # 成立
    PARTLY = "partly"  # 部分成立
    NOT_UPHELD = "not_upheld"  # 不成立


class RootCause(enum.StrEnum):
    """The kind of root cause a decision records (what has to change so it does not recur)."""

    PERSON = "person"  # 人员: a member of staff's conduct or skill
    PROCESS = "process"  # 流程: how the work is organised
    PRODUCT = "product"  # 产品: the product's design, terms or price
    SYSTEM = "system"  # 系统: IT systems and equipment
    POLICY = "policy"  # 制度: the bank's rules or an outside regulation

    @property
    def name_zh(self) -> str:
        return _ROOT_CAUSE_NAMES[self][0]

    @property
    def name_en(self) -> str:
        return _ROOT_CAUSE_NAMES[self][1]


_ROOT_CAUSE_NAMES: dict[RootCause, tuple[str, str]] = {
    RootCause.PERSON: ("人员", "Person"),
    RootCause.PROCESS: ("流程", "Process"),
    RootCause.PRODUCT: ("产品", "Product"),
    RootCause.SYSTEM: ("系统", "System"),
    RootCause.POLICY: ("制度", "Policy"),
}


class ReplyChannel(enum.StrEnum):
    PHONE = "phone"
    SMS = "sms"
    LETTER = "letter"
    EMAIL = "email"
    IN_PERSON = "in_person"
    ONLINE = "online"  # the public status page


# --- Assignment -------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A staff member who could handle a case in a unit, with their open caseload."""

    staff_id: int
    unit_depth: int  # 0 = the responsible unit itself, 1 = its parent, …
    open_cases: int


def pick_handler(candidates: Iterable[Candidate], excluded: Iterable[int]) -> int | None:
    """The handler for a case: nearest unit first, then fewest open cases, then lowest id.

    `excluded` holds staff named in the complaint and those who declared a
    conflict on it (回避); they are never chosen.
    """
    barred = set(excluded)
    eligible = [c for c in candidates if c.staff_id not in barred]
    if not eligible:
        return None
    best = min(eligible, key=lambda c: (c.unit_depth, c.open_cases, c.staff_id))
    return best.staff_id


def ancestor_ids(path: str) -> list[int]:
    """Unit ids from the unit itself up to the root, from a materialised path ("/1/4/9/")."""
    return [int(part) for part in reversed(path.strip("/").split("/")) if part]


# --- Escalation -------------------------------------------------------------------------

SUPERVISION_DAYS = 3  # a supervised case gets this many days to be put right before the next level


def escalation_unit(path: str, level: int) -> int | None:
    """The unit that supervises at escalation `level` (1 = parent of the responsible unit)."""
    chain = ancestor_ids(path)
    return chain[level] if level < len(chain) else None


# --- Who may act ------------------------------------------------------------------------

# Only the case's own handler does these: the person who investigates decides.
HANDLER_ACTIONS = frozenset({Action.START, Action.DECIDE, Action.DECLARE_CONFLICT, Action.CONSULT})
# The handler, or a complaint manager whose scope holds the case.
HANDLER_OR_MANAGER_ACTIONS = frozenset(
    {Action.EXTEND, Action.CLOSE, Action.WITHDRAW, Action.NOTE, Action.ATTACH, Action.CLASSIFY}
)
# Managers only (approving extensions also needs a unit above the responsible one).
MANAGER_ACTIONS = frozenset(
    {
        Action.ASSIGN,
        Action.TRANSFER,
        Action.REOPEN,
        Action.APPROVE_EXTENSION,
        Action.REJECT_EXTENSION,
        Action.SUPERVISE,
    }
)


def may(action: Action, *, is_handler: bool, is_manager: bool) -> bool:
    if action in HANDLER_ACTIONS:
        return is_handler
    if action in HANDLER_OR_MANAGER_ACTIONS:
        return is_handler or is_manager
    if action in MANAGER_ACTIONS:
        return is_manager
    return False
