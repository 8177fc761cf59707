"""What keys the caches a process keeps per database (an outlet's layout, its predictors)."""

from __future__ import annotations

import weakref

from sqlalchemy import Engine
from sqlalchemy.orm import Session

_URL_TEXTS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def database_key(session: Session) -> str:
    """The session's database as text (its URL). Rendered once per engine: rendering the URL on
    each look-up cost more than the look-up (issue 22)."""
    engine = session.get_bind().engine
    key = _URL_TEXTS.get(engine)
    if key is None:
        key = _URL_TEXTS[engine] = str(engine.url)
    return key
