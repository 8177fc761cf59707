"""The one place that decides who may reach a route.

Every route declares its access with exactly one of:

* `require(*permissions)` – a signed-in staff member holding the permissions;
  returns a `Principal` whose `scope` limits what the route may load;
* `public()` – anyone (sign-in page, health check, language switch);
* `device()` – a kiosk, board or rating pad holding a device token;
* `machine(check)` – a system outside the bank that signs each request itself
  (WeChat's servers pushing to the official account's server URL).

The first three check the CSRF token on unsafe methods when a browser cookie is
in play; `machine` reads no cookie and no session, so a forged cross-site
request gains nothing it could not sign. A test walks the app's routes and fails
if a route declares none, so no route can check permissions by hand or forget to.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from manyi import audit
from manyi.db import Session
from manyi.org.device_tokens import DeviceAuthError, authenticate_device, recall_device
from manyi.org.model import Permission, Role, Scope
from manyi.org.tables import DeviceToken, Staff
from manyi.web.hand_off import Threads

T = TypeVar("T")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
DEVICE_COOKIE = "manyi_device"


class NotSignedIn(Exception):
    pass


class PermissionDenied(Exception):
    pass


class CsrfFailed(Exception):
    pass


class MachineDenied(Exception):
    """A machine's request whose proof (its signature) does not hold: 403, logged."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeviceDenied(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    """The signed-in staff member, as routes and templates see them."""

    id: int
    username: str
    display_name: str
    unit_id: int
    unit_code: str
    unit_path: str
    unit_level: str
    unit_name_zh: str
    unit_name_en: str
    roles: tuple[Role, ...]
    permissions: frozenset[Permission]

    @classmethod
    def of(cls, staff: Staff) -> Principal:
        return cls(
            id=staff.id,
            username=staff.username,
            display_name=staff.display_name,
            unit_id=staff.unit_id,
            unit_code=staff.unit.code,
            unit_path=staff.unit.path,
            unit_level=staff.unit.level,
            unit_name_zh=staff.unit.name_zh,
            unit_name_en=staff.unit.name_en,
            roles=tuple(staff.roles),
            permissions=staff.permissions,
        )

    @property
    def scope(self) -> Scope:
        return Scope(unit_id=self.unit_id, path=self.unit_path)

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(
            id=self.id, name=self.username, unit_id=self.unit_id, unit_path=self.unit_path
        )

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def unit_name(self, lang: str) -> str:
        return self.unit_name_en if lang == "en" and self.unit_name_en else self.unit_name_zh


# --- Database session per request ----------------------------------------


READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session(request: Request) -> Iterator[Session]:
    """A unit of work per request, committed before the response is sent.

    A GET (HEAD, OPTIONS) only reads: it gets a read-only unit of work, which on SQLite never
    takes the write lock, so pages and screens do not queue behind the kiosks and tellers.
    """
    with unit_of_work(request) as session:
        yield session


def unit_of_work(request: Request) -> AbstractContextManager[Session]:
    """A read-only unit of work for a reading method, a writing one otherwise."""
    db = request.app.state.db
    return db.read() if request.method in READING_METHODS else db.session()  # type: ignore[no-any-return]


DbSession = Depends(db_session, scope="function")


# --- CSRF -------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_guard(request: Request) -> None:
    """Refuse an unsafe request whose token does not match the session's."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER, "")
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(expected, given):
        raise CsrfFailed()


# --- Staff ------------------------------------------------------------------


def load_staff(request: Request, session: Session) -> Staff | None:
    uid = request.session.get("uid")
    epoch = request.session.get("epoch")
    if not isinstance(uid, int) or not isinstance(epoch, int):
        return None
    staff = session.get(Staff, uid)
    if staff is None or not staff.active or staff.session_epoch != epoch:
        return None
    return staff


def sign_in_session(request: Request, staff: Staff) -> None:
    # A fresh session on sign-in: nothing from before survives (no fixation).
    request.session.clear()
    request.session.update({"uid": staff.id, "epoch": staff.session_epoch})
    csrf_token(request)


def _principal(request: Request, session: Session) -> Principal | None:
    """Who is signed in. A request that may write reads it in a read-only unit of work of its
    own, so the request's write transaction starts only when its handler first needs the
    database (after the form is parsed, a password hashed, a file read)."""
    own = request.method not in READING_METHODS
    with request.app.state.db.read() if own else nullcontext(session) as reading:
        staff = load_staff(request, reading)
        return None if staff is None else Principal.of(staff)


def _mark(func: Callable[..., Any], kind: str, permissions: tuple[Permission, ...] = ()) -> None:
    func.__manyi_access__ = (kind, permissions)  # type: ignore[attr-defined]


def require(*permissions: Permission) -> Any:
    """Dependency: a signed-in staff member holding every permission given."""

    def dependency(
        request: Request, _csrf: None = Depends(csrf_guard), session: Session = DbSession
    ) -> Principal:
        principal = _principal(request, session)
        if principal is None:
            raise NotSignedIn()
        request.state.principal = principal
        if any(p not in principal.permissions for p in permissions):
            raise PermissionDenied()
        return principal

    _mark(dependency, "staff", permissions)
    return Depends(dependency)


def public(identify: bool = True) -> Any:
    """Dependency: open to anyone; still CSRF-checked on unsafe methods.

    With `identify`, a signed-in visitor is recognised (so the page can show
    their name); without it the route never touches the database, which the
    health check needs to report a database that is down.
    """

    def dependency(
        request: Request, _csrf: None = Depends(csrf_guard), session: Session = DbSession
    ) -> Staff | None:
        staff = load_staff(request, session)
        if staff is not None:
            request.state.principal = Principal.of(staff)
        return staff

    async def anonymous(_csrf: None = Depends(csrf_guard)) -> None:
        return None

    chosen = dependency if identify else anonymous
    _mark(chosen, "public")
    return Depends(chosen)


def device() -> Any:
    """Dependency: a device holding a valid token, by header or pairing cookie.

    A token accepted moments ago is recognised without the database (see
    `org.devices`); otherwise it is checked in a unit of work of its own.
    """

    async def dependency(request: Request) -> DeviceToken:
        header = request.headers.get("authorization", "")
        secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not secret:
            secret = request.cookies.get(DEVICE_COOKIE, "")
            if secret:  # a paired browser: its cookie rides along on any site's request
                await csrf_guard(request)
        if not secret:
            raise DeviceDenied("device token required")
        token = recall_device(secret)
        if token is not None:
            return token
        try:
            return await run_in_threadpool(_authenticate, request.app.state.db, secret)
        except DeviceAuthError as exc:
            raise DeviceDenied(exc.message) from None

    _mark(dependency, "device")
    return Depends(dependency)


def machine(check: Callable[[Request], None]) -> Any:
    """Dependency: a system outside the bank proving each request by a signature that
    `check(request)` verifies, raising `MachineDenied` to refuse (before the body is read or
    the database touched). No cookie counts, no session is read and there is no CSRF token:
    the signature is the request's only authority, and a browser cannot make one."""

    async def dependency(request: Request) -> None:
        check(request)

    _mark(dependency, "machine")
    return Depends(dependency)


def _authenticate(db: Any, secret: str) -> DeviceToken:
    with db.session() as session:
        return authenticate_device(session, secret)


# The hot units of work's threads (in_unit_of_work), for the whole process: their number is
# MANYI_UNIT_OF_WORK_THREADS (`size_units_of_work`, called as the app is made). Few on purpose:
# with forty, sixteen kiosks' threads queued for the interpreter between a ticket's statement and
# its COMMIT while holding the day's number, and a kiosk's p99 was 250 ms; with four, 70 ms.
UNIT_OF_WORK_THREADS = 4
_units_of_work = Threads(UNIT_OF_WORK_THREADS, "manyi-uow")
# Device units run on the loop's thread while at most this many are in the process
# (`in_hot_unit_of_work`). Measured at 16 kiosks + 8 pads (issue 22, docs/lobby.md "Tenth
# round"): all on the loop, a p99 of 160–260 ms on a busy machine; with this rule 75–117 ms.
INLINE_WHILE_AT_MOST = 4
_device_units = 0  # device units begun and not ended in this process (on the loop's thread)


def size_units_of_work(threads: int) -> None:
    """Give the units of work `threads` threads. The ones it replaces finish what they run."""
    global _units_of_work
    if threads != _units_of_work.size:  # none: refused by Threads
        old = _units_of_work
        _units_of_work = Threads(threads, "manyi-uow")
        old.stop()


async def in_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` in one unit of work on a worker thread: one hop off the event loop.

    For hot `async def` endpoints; ordinary endpoints take `DbSession` instead.
    """
    return await _off_the_loop(lambda: _run(unit_of_work(request), work))


async def in_hot_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """`in_unit_of_work` for the hottest writes (the lobby's device lane): the unit owns its
    connection's transaction (`Database.hot_session`); `work` must not commit inside it.

    On PostgreSQL (MANYI_DEVICE_LANE_INLINE, on by default) it runs here, on the event loop's
    thread, its waits bounded (`hot_lanes`: a lock 2 s, a statement 5 s): the hop to a thread
    and back cost a device's request about a fifth of its CPU (issue 22, docs/lobby.md). The
    loop serves nothing else meanwhile, a millisecond or two a request, so requests that
    arrive together would each wait for all those before them, their waits on the database
    included. So while more than `INLINE_WHILE_AT_MOST` device units are in this process
    (counted after one turn of the loop, so that requests read in the same turn count each
    other), a new one takes the hop instead, and its waits overlap the others'."""
    db = request.app.state.db
    if db.lanes is None or not request.app.state.settings.device_lane_inline:
        return await _off_the_loop(lambda: _run(db.hot_session(), work))
    global _device_units
    _device_units += 1
    try:
        await asyncio.sleep(0)
        if _device_units <= INLINE_WHILE_AT_MOST:
            return _run(db.hot_session(bounded=True), work)
        return await _off_the_loop(lambda: _run(db.hot_session(), work))
    finally:
        _device_units -= 1


def _run(unit: AbstractContextManager[Session], work: Callable[[Session], T]) -> T:
    with unit as session:
        return work(session)


async def _off_the_loop(run: Callable[[], T]) -> T:
    """`run` on a thread of the units of work (`hand_off.Threads`: a third of the cost of the
    standard library's pool, itself a third cheaper than anyio's; issue 22); the request's
    context (its id) goes along."""
    return await _units_of_work.run(run)


def access_of(func: Callable[..., Any]) -> tuple[str, tuple[Permission, ...]] | None:
    value = getattr(func, "__manyi_access__", None)
    return value if isinstance(value, tuple) else None
