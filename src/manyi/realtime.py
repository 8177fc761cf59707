"""Committed events, fanned out to live subscribers (boards, consoles, dashboards).

A use case *stages* an event on its session (`stage`). Only when that
session commits does the event reach anyone:

* in this process, the database's `Hub` hands it to every subscriber of its
  topic (an asyncio queue per Server-Sent Events stream);
* on PostgreSQL, the same commit carries a `NOTIFY` (sent in one message
  with the COMMIT, so PostgreSQL delivers it only if the transaction commits), and
  every other process's hub, listening on the channel, fans it out to its
  own subscribers. A process ignores the notifications it sent itself.

Nothing is lost when a notification is: the events are rows in the
database, every event has an increasing id, and a subscriber told of a
*gap* (the listener reconnected, or the subscriber fell behind) reads the
rows it missed. On SQLite, when several web processes share the file
(`manyi serve --workers N`), each hub watches the file's `PRAGMA
data_version` (it changes when another connection commits) a few times a
second and tells its subscribers of a gap when it does: they re-read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from manyi import pg_notify
from manyi.pg_notify import CHANNEL, NOTIFY_AT_COMMIT

log = logging.getLogger("manyi.realtime")

OUTGOING = "manyi.outgoing"
# In a session's info: the ids of staged events whose NOTIFY a statement of theirs sent.
NOTIFIED = "manyi.notified"
HUB = "manyi.hub"
# In the session info (settings.session_info): another fan-out between processes than NOTIFY,
# {"backend": name, ...its options}; a backend registers its hub with `register_backend`.
BACKEND_KEY = "manyi.realtime"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD = 7000
# A subscriber this far behind is told to re-read instead of queueing more.
MAX_BACKLOG = 1000
# How often a hub on SQLite shared by several processes looks for their commits.
WATCH_S = 0.25


@dataclass(frozen=True)
class Event:
    """One committed event. `topic` says who may see it (e.g. "lobby:12")."""

    topic: str
    id: int
    kind: str
    at: str  # ISO 8601, UTC
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "id": self.id, "kind": self.kind, "at": self.at, **self.data}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Event:
        data = {k: v for k, v in value.items() if k not in ("topic", "id", "kind", "at")}
        topic, kind, at = str(value["topic"]), str(value["kind"]), str(value["at"])
        return cls(topic, int(value["id"]), kind, at, data)


class Gap:
    """A marker in a subscriber's queue: events may have been missed; re-read them."""

    def __repr__(self) -> str:
        return "Gap()"


GAP = Gap()


class Subscription:
    """A live subscriber to one topic, consumed by one asyncio task."""

    def __init__(self, hub: Hub, topic: str, loop: asyncio.AbstractEventLoop) -> None:
        self.hub = hub
        self.topic = topic
        self.loop = loop
        self.queue: asyncio.Queue[Event | Gap] = asyncio.Queue()
        self._behind = False

    def _deliver(self, items: Sequence[Event | Gap]) -> None:  # on the subscriber's loop
        if self._behind:
            return
        if self.queue.qsize() + len(items) > MAX_BACKLOG:
            # Drop the backlog: the reader re-reads from the database instead.
            self._behind = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(GAP)
            return
        for item in items:
            self.queue.put_nowait(item)

    async def get(self, timeout: float) -> Event | Gap | None:
        """The next event or gap; None when nothing came within `timeout` seconds."""
        try:
            item = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None
        if isinstance(item, Gap):
            self._behind = False
        return item

    def drain(self) -> None:
        """Drop whatever is queued (a reader that re-reads the state anyway)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self._behind = False

    def close(self) -> None:
        self.hub.unsubscribe(self)


class Hub:
    """Fan-out of one database's committed events to this process's subscribers."""

    def __init__(self, url: str, *, watch_sqlite: bool = False) -> None:
        self.url = url
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.postgres = url.startswith("postgresql")
        self.watch_sqlite = watch_sqlite and url.startswith("sqlite")
        self._subscribers: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        self.listening = threading.Event()  # set while LISTEN is in effect

    # --- subscribing --------------------------------------------------------------

    def subscribe(self, topic: str) -> Subscription:
        """Call from the event loop that will read the subscription."""
        sub = Subscription(self, topic, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.setdefault(topic, set()).add(sub)
        if self.postgres:
            self._ensure_listener(self._listen_forever)
        elif self.watch_sqlite:
            self._ensure_listener(self._watch_sqlite)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subscribers.get(sub.topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[sub.topic]

    def subscriber_count(self, topic: str | None = None) -> int:
        with self._lock:
            if topic is not None:
                return len(self._subscribers.get(topic, ()))
            return sum(len(s) for s in self._subscribers.values())

    # --- publishing ---------------------------------------------------------------

    def publish(self, events: Sequence[Event]) -> None:
        """Hand committed events to this process's subscribers; safe from any thread."""
        by_topic: dict[str, list[Event | Gap]] = {}
        for e in events:
            by_topic.setdefault(e.topic, []).append(e)
        self._dispatch(by_topic)

    def committed(self, events: Sequence[Event]) -> None:
        """`events` were just committed here: this process's subscribers get them (other
        processes hear of them through NOTIFY, sent before the commit); a backend that fans out
        otherwise (`manyi.stream.live`) sends them on from here too."""
        self.publish(events)

    def gap(self) -> None:
        """Tell every subscriber it may have missed events."""
        with self._lock:
            topics = list(self._subscribers)
        self._dispatch({t: [GAP] for t in topics})

    def _dispatch(self, by_topic: dict[str, list[Event | Gap]]) -> None:
        with self._lock:
            targets = [
                (sub, items)
                for topic, items in by_topic.items()
                for sub in self._subscribers.get(topic, ())
            ]
        for sub, items in targets:
            try:
                sub.loop.call_soon_threadsafe(sub._deliver, items)
            except RuntimeError:  # its loop has closed: the stream is gone
                self.unsubscribe(sub)

    def notify_payloads(self, events: Sequence[Event]) -> list[str]:
        """The NOTIFY payloads for `events`, each under PostgreSQL's size limit."""
        payloads: list[str] = []
        batch: list[str] = []  # each event's JSON, encoded once
        size = 0
        for e in events:
            item = orjson.dumps(e.as_json(), option=orjson.OPT_NON_STR_KEYS).decode()
            item_size = len(item.encode())
            if batch and size + item_size > MAX_PAYLOAD:
                payloads.append(self._payload(batch))
                batch, size = [], 0
            batch.append(item)
            size += item_size + 1
        if batch:
            payloads.append(self._payload(batch))
        return payloads

    def _payload(self, items: list[str]) -> str:
        origin = json.dumps(self.origin)
        return '{"origin": ' + origin + ', "events": [' + ", ".join(items) + "]}"

    # --- PostgreSQL LISTEN --------------------------------------------------------

    def _ensure_listener(self, target: Callable[[], None]) -> None:
        with self._lock:
            if self._listener is not None and self._listener.is_alive():
                return
            self._stop.clear()
            self._listener = threading.Thread(target=target, name="manyi-listen", daemon=True)
            self._listener.start()

    def _listen_forever(self) -> None:
        import psycopg

        dsn = _libpq_url(self.url)
        backoff = 0.2
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    backoff = 0.2
                    # Whatever was committed before LISTEN took effect, subscribers re-read.
                    self.gap()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self._received(note.payload)
            except Exception as exc:  # the connection broke; reconnect
                if not self._stop.is_set():
                    log.warning("event listener lost its connection: %s", exc)
            finally:
                self.listening.clear()
            if not self._stop.wait(backoff):
                backoff = min(backoff * 2, 5.0)

    # --- SQLite shared by several processes -------------------------------------------

    def _watch_sqlite(self) -> None:
        """Tell subscribers of a gap whenever another connection has committed.

        At most one gap per `WATCH_S`, however many commits: each subscriber re-reads once.
        Commits of this process count too (the pragma cannot tell them apart); they cost a
        re-read that finds what was already delivered.
        """
        path = self.url.split("///", 1)[-1]
        try:
            conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
        except sqlite3.Error as exc:
            log.warning("cannot watch %s for other processes' events: %s", path, exc)
            return
        try:
            self.listening.set()
            seen = conn.execute("PRAGMA data_version").fetchone()[0]
            while not self._stop.wait(WATCH_S):
                try:
                    version = conn.execute("PRAGMA data_version").fetchone()[0]
                except sqlite3.Error as exc:
                    log.warning("watching for other processes' events: %s", exc)
                    continue
                if version != seen:
                    seen = version
                    self.gap()
        finally:
            self.listening.clear()
            conn.close()

    def _received(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            if message.get("origin") == self.origin:
                return
            events = [Event.from_json(item) for item in message["events"]]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event notification")
            return
        self.publish(events)

    def close(self) -> None:
        self._stop.set()
        listener = self._listener
        if listener is not None:
            listener.join(timeout=3)


def _libpq_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- staging on a session ------------------------------------------------------------


def stage(session: Session, item: Event, *, notified: bool = False) -> None:
    """Queue `item` for delivery when `session` commits (dropped if it rolls back).
    `notified`: a statement of its own sent its NOTIFY and committed it (a unit whose
    statements commit alone, `manyi.hot_unit`): the commit sends it to no other process again,
    and it reaches this one's subscribers however the unit ends."""
    session.info.setdefault(OUTGOING, []).append(item)
    if notified:
        session.info.setdefault(NOTIFIED, set()).add(id(item))


def payload_for(session: Session, template: Event) -> str | None:
    """The NOTIFY payload of `template` for a statement that sends it itself
    (`pg_notify.in_statement`, its unknown values marked with `pg_notify.mark`), when the
    session's hub hears other processes through NOTIFY; None when nothing is to be sent."""
    hub: Hub | None = session.info.get(HUB)
    if hub is None or not hub.postgres:
        return None
    (payload,) = hub.notify_payloads([template])  # one event: far under the size limit
    return payload


_backends: dict[str, Callable[[str, dict[str, Any]], Hub]] = {}


def register_backend(name: str, factory: Callable[[str, dict[str, Any]], Hub]) -> None:
    """Offer another fan-out between processes: `factory(database_url, options)` makes the hub."""
    _backends[name] = factory


def make_hub(url: str, options: object = None, *, watch_sqlite: bool = False) -> Hub:
    """The hub for a database: NOTIFY (or SQLite's watch) unless `options` (the session info's
    BACKEND_KEY) names a registered backend."""
    if not isinstance(options, dict):
        return Hub(url, watch_sqlite=watch_sqlite)
    name = str(options.get("backend"))
    factory = _backends.get(name)
    if factory is None:
        raise RuntimeError(
            f"MANYI_REALTIME={name}: no such fan-out is registered (manyi.cli and manyi.web.app"
            " register the NATS one, manyi.stream.live)"
        )
    return factory(url, options)


def install(factory: sessionmaker[Session], hub: Hub) -> None:
    """Make sessions from `factory` deliver their staged events through `hub`."""
    factory.kw.setdefault("info", {})[HUB] = hub
    event.listen(factory, "before_commit", before_commit)
    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_rollback", after_rollback)
    engine = factory.kw.get("bind")
    if hub.postgres and isinstance(engine, Engine):
        pg_notify.notify_with_commit(engine)


# The three steps of a commit, for the sessions of `install`'s factory and for a unit of work
# that commits its connection itself (`manyi.hot_unit`). The hub is the session's (its info).


def before_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: not the commit yet
        return
    outgoing: list[Event] = session.info.get(OUTGOING) or []
    notified: set[int] | None = session.info.get(NOTIFIED)
    if notified:
        outgoing = [e for e in outgoing if id(e) not in notified]
    hub: Hub | None = session.info.get(HUB)
    if outgoing and hub is not None and hub.postgres:
        # Sent with the COMMIT itself (`_commit_with_notify`): one round trip, not two.
        session.connection().info[NOTIFY_AT_COMMIT] = hub.notify_payloads(outgoing)


def after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # SQLAlchemy says so for a SAVEPOINT released too
        return
    outgoing: list[Event] = session.info.pop(OUTGOING, None) or []
    session.info.pop(NOTIFIED, None)
    hub: Hub | None = session.info.get(HUB)
    if outgoing and hub is not None:
        hub.committed(outgoing)


def after_rollback(session: Session) -> None:
    outgoing: list[Event] = session.info.pop(OUTGOING, None) or []
    notified: set[int] | None = session.info.pop(NOTIFIED, None)
    hub: Hub | None = session.info.get(HUB)
    if notified and hub is not None:  # committed by their own statements: they stand
        kept = [e for e in outgoing if id(e) in notified]
        if kept:
            hub.committed(kept)
