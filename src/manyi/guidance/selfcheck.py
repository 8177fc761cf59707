"""The outlet head's daily self-check (网点负责人全天候管理): plan an outlet's rounds of a day,
submit a round (each item passed or failed, a note, a photo of a failure), and open a
rectification task for a failed item; each step audited, within the actor's scope.

- `plan_day`: the rounds of an outlet's local day as rows, with their times fixed then (the
  lobby's opening hours, the bank's calendar); planned by the worker ahead of the day's first
  round and by the first submission, whichever comes first (a unique row per outlet, day and
  round: planning twice, or by two at once, keeps one);
- `submit`: done by staff of the outlet itself who configure its lobby (the outlet head; an
  administrator there): the round must be open and not done, every item answered, a failure
  explained and, where the checklist asks, shown with a photo (JPEG, PNG or WebP, checked by
  its bytes, at most 10 MB each). Everything is checked before anything is stored;
- `open_task`: a failed item becomes a task of supervision's engine for the outlet (source
  `manual`, reference `selfcheck:<round>:<item>`), once: asked again, the same task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit, bulk
from manyi.complaints.domain.files import MAX_BYTES, clean_filename, sniff
from manyi.errors import Conflict, Forbidden, InvalidInput, NotFound, Term
from manyi.guidance.access import Who
from manyi.guidance.domain import selfcheck as rules
from manyi.guidance.domain.selfcheck import Answer, Hours, Planned, Round
from manyi.guidance.selfcheck_tables import SelfCheckAnswer, SelfCheckRound
from manyi.lobby import layouts
from manyi.lobby.tables import LobbySettings
from manyi.org.model import Permission, path_in_scope
from manyi.org.tables import Unit
from manyi.supervision import rectification
from manyi.workdays.calendars import bank_calendar

__all__ = ["Photo", "load_round", "open_task", "plan_day", "planned_of", "submit"]

IMAGE_KINDS = frozenset({"image/jpeg", "image/png", "image/webp"})
MAX_ROUND_BYTES = 30 * 1024 * 1024  # all of a round's photos together
TASK_DAYS = 5  # working days to rectify a failed item
ENTITY = "guidance_selfcheck_round"


@dataclass(frozen=True)
class Photo:
    """A photo as the entry point read it (at most MAX_BYTES + 1 bytes, so a larger one shows)."""

    filename: str
    data: bytes


def hours_of(session: Session, outlet: Unit) -> Hours | None:
    """The outlet's opening hours from its lobby settings; None when its lobby is not set up in
    manyi (nothing says when it opens: it has no self-check, and its branch no alerts)."""
    row = session.get(LobbySettings, outlet.id)
    if row is None:
        return None
    policy = layouts.policy_of(row, outlet.timezone)
    return Hours(policy.opens_at, policy.closes_at, policy.open_weekdays, policy.open_on_holidays)


def plan_day(session: Session, outlet: Unit, day: dt.date) -> list[SelfCheckRound]:
    """The outlet's rounds of its local `day`, planned now if they were not (none on a day it
    does not open, by its days and the bank's calendar, nor at an outlet whose lobby is not set
    up)."""
    hours = hours_of(session, outlet)
    planned = []
    if hours is not None:
        planned = rules.plan_day(
            day, outlet.timezone, hours, hours.open_on(day, bank_calendar(session))
        )
    if planned:
        bulk.insert_returning(
            session.connection(),
            SelfCheckRound.__table__,  # type: ignore[arg-type]
            [row_values(outlet, p) for p in planned],
            returning=["id"],
            skip_conflicts_on=["outlet_id", "local_day", "round"],
        )
    return list(
        session.scalars(
            select(SelfCheckRound)
            .where(SelfCheckRound.outlet_id == outlet.id, SelfCheckRound.local_day == day)
            .order_by(SelfCheckRound.due_at)
        )
    )


def row_values(outlet: Unit, planned: Planned) -> dict[str, object]:
    return {
        "outlet_id": outlet.id,
        "outlet_path": outlet.path,
        "local_day": planned.day,
        "round": planned.round.value,
        "version": rules.VERSION,
        "open_from": planned.open_from,
        "due_at": planned.due_at,
        "missed_at": planned.missed_at,
        "day_ends": planned.day_ends,
        "submitted_at": None,
        "submitted_by_id": None,
        "failed": 0,
        "alert_at": planned.missed_at,
        "alerted_at": None,
        "alerted": 0,
    }


def planned_of(row: SelfCheckRound) -> Planned:
    return Planned(
        Round(row.round), row.local_day, row.open_from, row.due_at, row.missed_at, row.day_ends
    )


def load_round(session: Session, who: Who, round_id: int, *, lock: bool = False) -> SelfCheckRound:
    """The round, when it is in `who`'s scope; elsewhere it does not exist."""
    statement = select(SelfCheckRound).where(SelfCheckRound.id == round_id)
    if lock:
        statement = statement.with_for_update()
    row = session.scalar(statement)
    if row is None or not path_in_scope(who.unit_path, row.outlet_path):
        raise NotFound("no self-check round {id}", "round", id=round_id)
    return row


@dataclass(frozen=True)
class _Checked:
    filename: str
    content_type: str
    data: bytes


def _check_photos(photos: Mapping[str, Photo]) -> dict[str, _Checked]:
    checked: dict[str, _Checked] = {}
    for code, photo in photos.items():
        if not photo.data:
            raise InvalidInput("{code}: the photo is empty", code, code=code)
        if len(photo.data) > MAX_BYTES:
            raise InvalidInput(
                "{code}: a photo may have at most {mb} MB", code, code=code, mb=MAX_BYTES >> 20
            )
        kind = sniff(photo.data)
        if kind not in IMAGE_KINDS:
            raise InvalidInput(
                "{code}: only JPEG, PNG and WebP photos are accepted", code, code=code
            )
        checked[code] = _Checked(clean_filename(photo.filename, "photo"), kind, photo.data)
    if sum(len(p.data) for p in checked.values()) > MAX_ROUND_BYTES:
        raise InvalidInput(
            "the photos may have at most {mb} MB together", "photos", mb=MAX_ROUND_BYTES >> 20
        )
    return checked


def photo_path(var_dir: Path, sha256: str) -> Path:
    return var_dir / "guidance" / "selfcheck" / sha256[:2] / sha256


def _keep(var_dir: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = photo_path(var_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file
    return digest


def submit(
    session: Session,
    who: Who,
    outlet: Unit,
    round_name: str,
    answers: Mapping[str, Answer],
    photos: Mapping[str, Photo],
    *,
    var_dir: Path,
    now: dt.datetime,
) -> SelfCheckRound:
    """Record a round of today's self-check at `outlet`; refuses, naming the item, what does not
    hold together, and then stores nothing (no round, no answer, no photo, no audit record)."""
    if Permission.LOBBY_CONFIGURE not in who.permissions or who.unit_id != outlet.id:
        raise Forbidden("the self-check is done by the outlet's own head", error_code="forbidden")
    rnd = rules.round_of(round_name)
    day = rules.local_day(now, outlet.timezone)
    if not any(r.round == rnd.value for r in plan_day(session, outlet, day)):
        raise Conflict(
            "there is no {round} round today", "round", round=Term(rules.ROUND_WORDS[rnd])
        )
    row = session.scalars(
        select(SelfCheckRound)
        .where(
            SelfCheckRound.outlet_id == outlet.id,
            SelfCheckRound.local_day == day,
            SelfCheckRound.round == rnd.value,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    rules.check_window(planned_of(row), row.submitted_at is not None, now)
    checked_photos = _check_photos({c: p for c, p in photos.items() if p.filename or p.data})
    answered = {code: replace(a, has_photo=code in checked_photos) for code, a in answers.items()}
    for code in checked_photos:
        if code not in answered:
            raise InvalidInput("there is no item {code} in this round", code, code=code[:20])
    checked = rules.check_answers(rnd, answered, row.version)
    failed = sum(1 for c in checked if not c.passed)
    for item in checked:
        kept = []
        photo = checked_photos.get(item.code)
        if photo is not None:
            digest = _keep(var_dir, photo.data)
            kept.append(
                {
                    "sha256": digest,
                    "filename": photo.filename,
                    "content_type": photo.content_type,
                    "size": len(photo.data),
                }
            )
        session.add(
            SelfCheckAnswer(
                round_id=row.id, code=item.code, passed=item.passed, note=item.note, photos=kept
            )
        )
    row.submitted_at, row.submitted_by_id, row.failed, row.alert_at = (
        now,
        who.staff_id,
        failed,
        None,
    )
    session.flush()
    state = rules.status(planned_of(row), now, now)
    _audit(
        session, who.actor, row, "submit", now, round=rnd.value, state=state.value, failed=failed
    )
    return row


def open_task(session: Session, who: Who, round_id: int, code: str, now: dt.datetime) -> int:
    """Make a failed item of a submitted round a rectification task for the outlet; returns the
    task's id. Asked twice, it returns the task made the first time."""
    if Permission.SUPERVISION_ISSUE not in who.permissions:
        raise Forbidden("only who issues rectification tasks opens one", error_code="forbidden")
    row = load_round(session, who, round_id)
    answer = session.scalar(
        select(SelfCheckAnswer)
        .where(SelfCheckAnswer.round_id == row.id, SelfCheckAnswer.code == code)
        .with_for_update()
    )
    item = next((i for i in rules.checklist(row.version) if i.code == code), None)
    if answer is None or item is None:
        raise InvalidInput("there is no item {code} in this round", "item", code=code[:20])
    if answer.passed:
        raise Conflict("item {code} did not fail: there is nothing to rectify", "item", code=code)
    if answer.task_id is not None:
        return answer.task_id
    outlet = session.get_one(Unit, row.outlet_id)
    round_zh = ROUND_ZH[Round(row.round)]
    task_id = rectification.open_task(
        session,
        who.actor,
        rectification.NewTask(
            source=rectification.Source.MANUAL,
            source_ref=f"selfcheck:{row.id}:{item.code}",
            title=f"整改：{item.text_zh}",
            detail=f"网点自查 {row.local_day.isoformat()} {round_zh} {outlet.name_zh}："
            f"{item.text_zh}\n自查记录：{answer.note}",
            unit_id=row.outlet_id,
            owner_id=None,
            evidence_required="整改后的现场照片及说明" if item.photo_on_fail else "整改说明",
            due_days=TASK_DAYS,
            working_days=True,
        ),
        now=now,
    )
    answer.task_id = task_id
    session.flush()
    _audit(session, who.actor, row, "task", now, item=item.code, task_id=task_id)
    return task_id


ROUND_ZH = {Round.OPENING: "营业前检查", Round.MIDDAY: "午间巡查", Round.CLOSING: "营业终了检查"}


def _audit(
    session: Session,
    actor: audit.Actor,
    row: SelfCheckRound,
    action: str,
    now: dt.datetime,
    **summary: object,
) -> None:
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=str(row.id),
        action=f"guidance.selfcheck.{action}",
        summary={"day": row.local_day.isoformat(), **summary},
        unit_id=row.outlet_id,
        unit_path=row.outlet_path,
        now=now,
    )
