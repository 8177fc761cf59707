"""The life of a bundle at the counter, as a small state machine (pure).

::

    draft ──confirm──▶ confirmed ──check_identity──▶ identity_checked
      ▲                    │                              │
      └──────correct───────┴──────────────────────────────┘
                           │ request_authorisation        │
                           ▼                              ▼
                  awaiting_authorisation ──approve──▶ authorised
                           │ reject
                           ▼
                        rejected

    confirmed | identity_checked | authorised ──run──▶ done | partial | failed | interrupted
                                                        | pin_retry
    interrupted | pin_retry ──retry──▶ done | partial | failed | interrupted | pin_retry
    done | partial | failed ──sign──▶ signed ──archive──▶ archived
    draft | confirmed | identity_checked | awaiting_authorisation ──cancel──▶ cancelled

- A teller's **correction** sends the bundle back to *draft*: the customer must confirm the
  form again, and the identity check is done again (the correction may have been the ID
  number). Once authorisation is requested nothing can be corrected: the supervisor approved
  exactly these values; the teller cancels and starts a new bundle instead.
- **Run** needs more than a state: when an item asks for an ID-card check, a matching card
  must have been read since the last correction, and a bundle that needs authorisation must
  be *authorised*; an authorisation request too needs that card read first.
  `check_request` and `check_run` say what is missing.
- The outcome of a run is the execution's (`RunStatus`): every item posted → *done*; some →
  *partial*; none → *failed*; an item whose answer was lost → *interrupted*, and only
  `retry` (same idempotency keys) leaves it.
- A **wrong PIN** → *pin_retry*: nothing of that item posted, the customer types the PIN
  again and `retry` sends it under the same key. A retry needs neither a new authorisation
  nor a new card read: the supervisor approved these values, and they cannot change after
  the request.
- *rejected*, *cancelled* and *archived* are final. Nothing is ever posted after a
  rejection or a cancellation, and a bundle that posted anything cannot be cancelled.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from manyi.counter.domain.authorisation_rules import Level
from manyi.counter.domain.execution import RunStatus
from manyi.errors import Conflict, Term

__all__ = [
    "FINAL",
    "Action",
    "BundleState",
    "after_run",
    "allowed_actions",
    "check_request",
    "check_run",
    "next_state",
]


class BundleState(StrEnum):
    DRAFT = "draft"  # opened at the counter; the customer has not confirmed it (again)
    CONFIRMED = "confirmed"  # the customer confirmed every value
    IDENTITY_CHECKED = "identity_checked"  # the ID card on the reader matches the bundle
    AWAITING_AUTHORISATION = "awaiting_authorisation"
    AUTHORISED = "authorised"
    REJECTED = "rejected"
    INTERRUPTED = "interrupted"  # an item's answer was lost: retry with the same keys
    PIN_RETRY = "pin_retry"  # the core refused the PIN: the customer types it again
    DONE = "done"  # every item posted
    PARTIAL = "partial"  # some posted, some failed or were skipped
    FAILED = "failed"  # nothing posted
    SIGNED = "signed"  # the customer signed the results
    ARCHIVED = "archived"  # the e-voucher is stored
    CANCELLED = "cancelled"


class Action(StrEnum):
    CORRECT = "correct"
    CONFIRM = "confirm"
    CHECK_IDENTITY = "check_identity"
    REQUEST_AUTHORISATION = "request_authorisation"
    APPROVE = "approve"
    REJECT = "reject"
    RUN = "run"
    RETRY = "retry"
    SIGN = "sign"
    ARCHIVE = "archive"
    CANCEL = "cancel"


S = BundleState
_BEFORE_AUTHORISATION: Final = frozenset({S.DRAFT, S.CONFIRMED, S.IDENTITY_CHECKED})
_RAN: Final = frozenset({S.DONE, S.PARTIAL, S.FAILED})
FINAL: Final = frozenset({S.REJECTED, S.CANCELLED, S.ARCHIVED})

# Action → (the states it may start from, the state it leads to; None: decided by the run).
_TRANSITIONS: Final[dict[Action, tuple[frozenset[BundleState], BundleState | None]]] = {
    Action.CORRECT: (_BEFORE_AUTHORISATION, S.DRAFT),
    Action.CONFIRM: (frozenset({S.DRAFT}), S.CONFIRMED),
    # Reading the card again (another card, a second try) keeps the bundle checked.
    Action.CHECK_IDENTITY: (frozenset({S.CONFIRMED, S.IDENTITY_CHECKED}), S.IDENTITY_CHECKED),
    Action.REQUEST_AUTHORISATION: (
        frozenset({S.CONFIRMED, S.IDENTITY_CHECKED}),
        S.AWAITING_AUTHORISATION,
    ),
    Action.APPROVE: (frozenset({S.AWAITING_AUTHORISATION}), S.AUTHORISED),
    Action.REJECT: (frozenset({S.AWAITING_AUTHORISATION}), S.REJECTED),
    Action.RUN: (frozenset({S.CONFIRMED, S.IDENTITY_CHECKED, S.AUTHORISED}), None),
    Action.RETRY: (frozenset({S.INTERRUPTED, S.PIN_RETRY}), None),
    Action.SIGN: (_RAN, S.SIGNED),
    Action.ARCHIVE: (frozenset({S.SIGNED}), S.ARCHIVED),
    Action.CANCEL: (_BEFORE_AUTHORISATION | {S.AWAITING_AUTHORISATION}, S.CANCELLED),
}

_AFTER_RUN: Final = {
    RunStatus.COMPLETED: S.DONE,
    RunStatus.PARTIAL: S.PARTIAL,
    RunStatus.FAILED: S.FAILED,
    RunStatus.NEEDS_RETRY: S.INTERRUPTED,
    RunStatus.PIN_WRONG: S.PIN_RETRY,
}


def _refuse(state: BundleState, action: Action) -> Conflict:
    return Conflict(
        "a bundle that is {state} cannot {action}",
        "state",
        error_code="bundle_state",
        state=Term(state.value),
        action=Term(action.value),
    )


def next_state(state: BundleState | str, action: Action) -> BundleState:
    """The state after `action`; raises `Conflict` when the state does not allow it.

    RUN and RETRY lead to the state their outcome decides: use `after_run` for it.
    """
    current = BundleState(state)
    starts, target = _TRANSITIONS[action]
    if current not in starts:
        raise _refuse(current, action)
    return current if target is None else target


def allowed_actions(state: BundleState | str) -> frozenset[Action]:
    """What can be done next: for the teller's screen (guards of `check_run` aside)."""
    current = BundleState(state)
    return frozenset(action for action, (starts, _) in _TRANSITIONS.items() if current in starts)


def after_run(status: RunStatus) -> BundleState:
    return _AFTER_RUN[status]


def _need_identity(identity_required: bool, identity_checked: bool) -> None:
    if identity_required and not identity_checked:
        raise Conflict(
            "check the customer's ID card first", "identity", error_code="identity_required"
        )


def check_request(
    state: BundleState | str, *, identity_required: bool, identity_checked: bool
) -> None:
    """Refuse an authorisation request before the identity check the items need: the
    supervisor approves a customer whose card was read."""
    next_state(state, Action.REQUEST_AUTHORISATION)
    _need_identity(identity_required, identity_checked)


def check_run(
    state: BundleState | str,
    *,
    identity_required: bool,
    identity_checked: bool,
    level: Level,
    retry: bool = False,
) -> None:
    """Refuse a run (or a retry) that the state, the identity check or authorisation forbid.

    `identity_checked`: a card matching the bundle was read since the last correction.
    """
    next_state(state, Action.RETRY if retry else Action.RUN)
    if retry:
        return
    _need_identity(identity_required, identity_checked)
    if level > Level.NONE and BundleState(state) is not S.AUTHORISED:
        raise Conflict(
            "this bundle needs {level} authorisation first",
            "authorisation",
            error_code="authorisation_required",
            level=Term(level.code),
        )
