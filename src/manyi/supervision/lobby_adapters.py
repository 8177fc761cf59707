"""Supervision behind the lobby's badge port (`lobby.ports.TellerBadgePort`), registered by the
application (`manyi.web.wiring.plug_features`): the teller's badge (挂牌上岗) on the rating pad and
the status page, and the teller's own progress towards a star on the console.

A badge shows every teller's name and staff number (工号, `Staff.staff_number`, none when the
bank has not given one: never the database id); the star level is the highest one awarded to
them whose validity (`StarNomination.valid_until`, the end of the period after the one it was
won in) has not ended and that no misconduct sanction has taken away since.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi.lobby import ports
from manyi.org.tables import Staff
from manyi.supervision import stars, stars_facts
from manyi.supervision.domain import stars as rules
from manyi.supervision.stars_tables import StarNomination, StarProgramme


def current_award(
    session: Session, staff_id: int, now: dt.datetime
) -> tuple[StarNomination, rules.Level | None] | None:
    """The highest star the staff member holds now, with its level."""
    today = now.astimezone(dt.UTC).date()
    rows = session.execute(
        select(StarNomination, StarProgramme)
        .join(StarProgramme, StarProgramme.id == StarNomination.programme_id)
        .where(
            StarNomination.staff_id == staff_id,
            StarNomination.state == rules.NominationState.AWARDED.value,
            StarNomination.valid_until >= today,
            StarNomination.awarded_at <= now,
        )
    ).all()
    best: tuple[StarNomination, rules.Level | None] | None = None
    for nomination, programme in rows:
        awarded_on = (
            nomination.awarded_at.astimezone(dt.UTC).date() if nomination.awarded_at else today
        )
        removed = stars_facts.star_removals(session, staff_id, awarded_on, today)
        if any(day >= awarded_on for day in removed):
            continue  # taken off the star list after the award (a misconduct sanction)
        level = stars.programme_of(programme).level(nomination.level_code)
        if best is None or (level and (best[1] is None or level.stars > best[1].stars)):
            best = (nomination, level)
    return best


class TellerBadges:
    def badge(self, session: Session, teller_id: int, now: dt.datetime) -> ports.TellerBadge | None:
        staff = session.get(Staff, teller_id)
        if staff is None:
            return None
        award = current_award(session, teller_id, now)
        level = award[1] if award else None
        number = staff.staff_number or ""
        if level is None:
            return ports.TellerBadge(staff.display_name, number)
        return ports.TellerBadge(
            staff.display_name, number, level.stars, level.name_zh, level.name_en
        )

    def progress(
        self, session: Session, teller_id: int, now: dt.datetime
    ) -> ports.TellerProgress | None:
        row = stars.current_programme(session, now.astimezone(dt.UTC).date())
        staff = session.get(Staff, teller_id)
        if row is None or staff is None:
            return None
        programme = stars.programme_of(row)
        facts = stars_facts.teller_facts_for(session, programme, staff)
        state = session.scalar(
            select(StarNomination.state).where(
                StarNomination.programme_id == row.id, StarNomination.staff_id == teller_id
            )
        )
        assessment = rules.assess(programme, facts)
        zh, en = rules.reason_texts(assessment.reasons)
        lines = tuple(
            ports.ProgressLine(
                *rules.CRITERION_NAMES[line.criterion],
                line.raw,
                line.score,
                line.weight,
                line.contribution,
                line.has_data,
            )
            for line in assessment.lines
        )
        level = assessment.level
        return ports.TellerProgress(
            programme_zh=row.name_zh,
            programme_en=row.name_en,
            total=assessment.total,
            lines=lines,
            eligible=assessment.eligible,
            reasons_zh=zh,
            reasons_en=en,
            level_zh=level.name_zh if level else "",
            level_en=level.name_en if level else "",
            nomination=state,
        )


def register() -> None:
    ports.register_teller_badges(TellerBadges())
