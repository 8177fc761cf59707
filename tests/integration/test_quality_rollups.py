"""The satisfaction roll-ups (`quality.rollups`) and the reports that read them agree exactly
with the raw rows: after a pass, with new responses not rolled up yet, with dirty months, after
re-running, and for every grouping, subtree and period (both engines)."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from manyi.db import Database
from manyi.quality import reports, rollups
from manyi.quality.domain.aggregate import Aggregate
from manyi.quality.store import NewResponse, insert_responses, outlet_ref
from manyi.quality.tables import QualityMonthly, QualityRollupDirty
from tests.conftest import FIXED_NOW, Bank

TZ = "Europe/Berlin"  # summer time ends on 25 October 2026: month starts move
OUTLETS = ("OUT-A", "OUT-B")
# Subtrees and periods: whole months, part-months at either end, open ends. A period without a
# whole month is read raw (test_whole_months_of_a_period).
SCOPES = ("HQ", "BR-A", "OUT-B")
D = dt.date
PERIODS = [
    (None, None),
    (D(2026, 9, 1), D(2026, 10, 31)),
    (D(2026, 9, 15), D(2026, 11, 3)),
    (None, D(2026, 10, 10)),
    (D(2026, 10, 31), None),
]


def responses(bank: Bank, db: Database, n: int, prefix: str, seed: int) -> list[NewResponse]:
    rng = random.Random(seed)
    with db.session() as session:
        refs = {code: outlet_ref(session, code) for code in OUTLETS}
    found = []
    for k in range(n):
        outlet_id, path = refs[rng.choice(OUTLETS)]
        found.append(
            NewResponse(
                source=rng.choice(["survey", "rating_pad", "import"]),
                external_id=f"{prefix}{k}",
                outlet_id=outlet_id,
                unit_path=path,
                channel=rng.choice(["counter", "lobby"]),
                answered_at=FIXED_NOW - dt.timedelta(minutes=rng.randrange(60 * 24 * 120)),
                csat=rng.choice([None, 1, 2, 3, 4, 5]),
                nps=rng.choice([None, *range(11)]),
                ces=rng.choice([None, *range(1, 8)]),
            )
        )
    return found


def expected(
    rows: list[NewResponse],
    codes: dict[int, str],
    paths: dict[str, str],
    by: str | None,
    **f: object,
) -> dict[str | None, Aggregate]:
    """The report computed in Python from the rows themselves."""
    zone = zoneinfo.ZoneInfo(TZ)
    scope, start, end = paths[str(f["scope"])], f["start"], f["end"]
    groups: dict[str | None, Aggregate] = defaultdict(Aggregate)
    for r in rows:
        local = r.answered_at.astimezone(zone)
        if not r.unit_path.startswith(scope):
            continue
        if (start is not None and local.date() < start) or (end is not None and local.date() > end):
            continue
        key = {None: None, "outlet": codes[r.outlet_id], "month": f"{local:%Y-%m}"}[by]
        groups[key] = groups[key] + Aggregate.of(r.csat, r.nps, r.ces)
    return dict(groups)


def check_reports(db: Database, bank: Bank, rows: list[NewResponse]) -> None:
    with db.read() as session:
        paths = {code: reports.unit_path(session, code) or "" for code in SCOPES}
        codes = {outlet_ref(session, c)[0]: c for c in OUTLETS}
        for scope in SCOPES:
            for start, end in PERIODS:
                f = {"scope": scope, "start": start, "end": end}
                args = {"tz": TZ, "scope_path": paths[scope], "start": start, "end": end}
                for by in (reports.By.OUTLET, reports.By.MONTH):
                    found = {r.key: r.aggregate for r in reports.report(session, by, **args)}
                    assert found == expected(rows, codes, paths, by.value, **f), (by, f)
                children = {r.key: r.aggregate for r in reports.by_child(session, **args)}
                outlets = expected(rows, codes, paths, "outlet", **f)
                tier1 = {"OUT-A": "BR-A", "OUT-B": "BR-B"}
                want = {tier1[k] if scope == "HQ" else k: v for k, v in outlets.items()}
                if scope == "BR-A":
                    want = {"SUB-A": outlets["OUT-A"]} if "OUT-A" in outlets else {}
                assert children == want, f
                whole = expected(rows, codes, paths, None, **f).get(None, Aggregate())
                assert reports.total(session, **args) == whole, f
                raw_only = (reports.By.TELLER, reports.By.SERVICE, reports.By.CHANNEL)
                for by in raw_only if scope == "HQ" else ():
                    grouped = reports.report(session, by, **args)
                    assert Aggregate.total(r.aggregate for r in grouped) == whole, (by, f)


def monthly(db: Database) -> dict[tuple[int, str, str], Aggregate]:
    fields = [getattr(QualityMonthly, name) for name in Aggregate.__dataclass_fields__]
    with db.read() as session:
        found = session.execute(
            select(
                QualityMonthly.outlet_id, QualityMonthly.unit_path, QualityMonthly.month, *fields
            )
        ).all()
    return {(r[0], r[1], r[2]): Aggregate(*map(int, r[3:])) for r in found}


def monthly_expected(rows: list[NewResponse]) -> dict[tuple[int, str, str], Aggregate]:
    zone = zoneinfo.ZoneInfo(TZ)
    found: dict[tuple[int, str, str], Aggregate] = defaultdict(Aggregate)
    for r in rows:
        key = (r.outlet_id, r.unit_path, f"{r.answered_at.astimezone(zone):%Y-%m}")
        found[key] = found[key] + Aggregate.of(r.csat, r.nps, r.ces)
    return dict(found)


def test_rollups_and_reports_equal_the_raw_rows_at_every_step(db: Database, bank: Bank) -> None:
    first = responses(bank, db, 300, "a", 17)
    with db.session() as session:
        insert_responses(session, first)
    check_reports(db, bank, first)  # no roll-ups yet: the raw query

    done = rollups.run_pass(db, TZ)
    assert done.marked > 0 and done.months >= 4
    assert monthly(db) == monthly_expected(first)
    check_reports(db, bank, first)

    # New responses, some in old months, not rolled up yet: read raw above the watermark.
    second = responses(bank, db, 150, "b", 18)
    with db.session() as session:
        insert_responses(session, second)
    check_reports(db, bank, first + second)

    # Months marked dirty for a re-run: read raw until recomputed.
    with db.session() as session:
        assert rollups.mark_months(session, TZ, ["2026-09", "2026-10"]) > 0
    check_reports(db, bank, first + second)

    done = rollups.run_pass(db, TZ)
    assert done.marked > 0 and done.months >= 4
    assert monthly(db) == monthly_expected(first + second)
    check_reports(db, bank, first + second)

    # Re-running changes nothing; re-running a month gives the same rows.
    assert rollups.run_pass(db, TZ).done == 0
    with db.session() as session:
        rollups.mark_months(session, TZ, ["2026-10"])
    assert rollups.run_pass(db, TZ).months == 1
    assert monthly(db) == monthly_expected(first + second)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(QualityRollupDirty)) == 0


def test_another_zone_rebuilds_and_reports_stay_exact(db: Database, bank: Bank) -> None:
    rows = responses(bank, db, 120, "z", 19)
    with db.session() as session:
        insert_responses(session, rows)
    rollups.run_pass(db, "Asia/Shanghai")
    # Roll-ups in another zone's months are not used: the report reads the raw rows.
    check_reports(db, bank, rows)
    rollups.run_pass(db, TZ)
    assert monthly(db) == monthly_expected(rows)
    check_reports(db, bank, rows)


def test_the_worker_job_reports_what_it_did(db: Database, bank: Bank) -> None:
    from manyi.config import Settings
    from manyi.quality.jobs import JOBS

    with db.session() as session:
        insert_responses(session, responses(bank, db, 10, "w", 20))
    settings = Settings(timezone=TZ)
    result = JOBS[0].run(db, settings, FIXED_NOW)
    assert result.done > 0 and "months recomputed" in result.summary
    assert JOBS[0].run(db, settings, FIXED_NOW).done == 0


@pytest.mark.parametrize(
    ("start", "end", "window"),
    [
        (D(2026, 9, 1), D(2026, 10, 31), ("2026-09", "2026-10")),
        (D(2026, 9, 2), D(2026, 12, 30), ("2026-10", "2026-11")),
        (D(2026, 9, 2), D(2026, 9, 30), None),
        (None, D(2026, 2, 28), (None, "2026-02")),
        (D(2026, 12, 31), None, ("2027-01", None)),
    ],
)
def test_whole_months_of_a_period(
    start: dt.date | None, end: dt.date | None, window: tuple[str | None, str | None] | None
) -> None:
    from manyi.quality.report_sql import _whole_months

    assert _whole_months(start, end) == window


@pytest.mark.postgres
def test_the_watermark_waits_for_responses_being_inserted(db: Database, bank: Bank) -> None:
    """A response inserted by a transaction still open when the worker passes must not fall
    below the watermark unseen: the pass waits (2 s at most), then leaves it for next time."""
    from dataclasses import asdict

    from sqlalchemy import insert

    from manyi.quality.tables import QualityResponse

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    row = responses(bank, db, 1, "open", 21)[0]
    with db.engine.connect() as conn, conn.begin():
        conn.execute(insert(QualityResponse).values(**asdict(row)))
        done = rollups.run_pass(db, TZ)
        assert done.busy and done.marked == 0 and "next round" in done.line()
    done = rollups.run_pass(db, TZ)
    assert not done.busy and done.marked == 1
    assert monthly(db) == monthly_expected([row])


def test_a_pass_between_the_reads_does_not_count_twice(
    db: Database, bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker raises the watermark just after the report read it: the report's statement
    then sees roll-ups newer than its watermark, and must run again rather than count the
    rolled-up rows twice (PostgreSQL; SQLite's read keeps one snapshot throughout)."""
    from manyi.quality import report_sql

    first = responses(bank, db, 80, "p", 22)
    with db.session() as session:
        insert_responses(session, first)
    rollups.run_pass(db, TZ)
    second = responses(bank, db, 40, "q", 23)
    with db.session() as session:
        insert_responses(session, second)
    real = report_sql._watermark
    calls: list[int | None] = []

    def watermark_then_a_pass(session: object, tz: str) -> int | None:
        calls.append(real(session, tz))  # type: ignore[arg-type]
        if len(calls) == 1:
            rollups.run_pass(db, TZ)
        return calls[-1]

    monkeypatch.setattr(report_sql, "_watermark", watermark_then_a_pass)
    with db.read() as session:
        found = reports.total(session, tz=TZ, scope_path="/")
    assert found == Aggregate.total(Aggregate.of(r.csat, r.nps, r.ces) for r in first + second)
    if db.engine.dialect.name == "postgresql":
        assert len(calls) == 4 and calls[0] != calls[1]  # moved, so run again
