"""The bank's own words for each customer message: read (falling back to the default), edited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from manyi import audit
from manyi.errors import InvalidInput
from manyi.reach.domain.messages import LANGS, RULES, Kind, check_lang, check_template, default_text
from manyi.reach.tables import ReachTemplate


@dataclass(frozen=True)
class TemplateRow:
    kind: Kind
    lang: str
    text: str
    default: str
    names: tuple[str, ...]
    edited: bool


def text_for(session: Session, kind: Kind, lang: str) -> str:
    row = session.get(ReachTemplate, (kind.value, lang))
    return row.text if row is not None else default_text(kind, lang)


def all_templates(session: Session) -> list[TemplateRow]:
    edited = {(r.kind, r.lang): r.text for r in session.scalars(select(ReachTemplate))}
    rows = []
    for kind in Kind:
        for lang in LANGS:
            default = default_text(kind, lang)
            text = edited.get((kind.value, lang))
            rows.append(
                TemplateRow(
                    kind, lang, text or default, default, RULES[kind].names, text is not None
                )
            )
    return rows


def save(
    session: Session, actor: audit.Actor, kind: str, lang: str, text: str, now: dt.datetime
) -> None:
    """Store the bank's words for a kind and language (checked); empty text restores the
    default. Audited with the old and new words."""
    try:
        chosen = Kind(kind)
    except ValueError:
        raise InvalidInput("unknown message kind {kind}", "kind", kind=kind) from None
    check_lang(lang)
    row = session.get(ReachTemplate, (chosen.value, lang))
    before = row.text if row is not None else None
    if not text.strip():
        if row is not None:
            session.delete(row)
        after = None
    else:
        after = check_template(chosen, text)
        if row is None:
            session.add(
                ReachTemplate(
                    kind=chosen.value, lang=lang, text=after, updated_by_id=actor.id, updated_at=now
                )
            )
        else:
            row.text, row.updated_by_id, row.updated_at = after, actor.id, now
    audit.record(
        session,
        actor,
        entity_type="reach_template",
        entity_id=f"{chosen.value}/{lang}",
        action="reach.template_saved",
        summary={"before": before, "after": after},
        now=now,
    )
