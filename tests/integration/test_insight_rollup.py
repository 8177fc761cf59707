"""The analysis roll-up (insight.rollup) on both engines: the head-office and tier-1 reports
it serves equal the raw computation, for every kept dimension, comparison and period kind; a
case or unit changed after a pass makes its months read raw until the next pass; recomputing
is idempotent; the reports it cannot serve exactly are left to the raw cases."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from sqlalchemy import func, select, update

from manyi.complaints.tables import Complaint
from manyi.db import Database
from manyi.insight import analysis_report, rollup, rollup_report
from manyi.insight.analysis import Dimension, units_in_scope
from manyi.insight.analysis_report import Query
from manyi.insight.domain.measures import Level
from manyi.insight.domain.periods import Compare, PeriodKind
from manyi.insight.tables import ComplaintRollup, ComplaintRollupMonth
from manyi.org.tables import Unit
from tests.analysis_helpers import Case, add_cases
from tests.conftest import Bank

pytestmark = pytest.mark.usefixtures("frozen_clock")

D = dt.date
ZONE = "Asia/Shanghai"
BUSINESS = ["savings.demand", "cards.debit", "loans.mortgage", None]
CAUSES = ["service_quality.waiting", "fees.charges", None]
CHANNELS = [None, "counter", "mobile"]
APPEALS = [None, "monetary.refund", "apology"]
ISSUES = [None, "waiting_time", "fees"]
VERDICTS = [None, "upheld", "partly", "not_upheld"]
UNITS = ["OUT-A", "OUT-B", "SUB-B", "BR-A", "HQ", "OUT-A"]


@pytest.fixture
def cases(db: Database, bank: Bank) -> Bank:
    """Cases over January 2025 – June 2026 at every level (head office and tier-1 branches
    included), some at 00:30 local time on the 1st (the month before in UTC), every axis,
    verdict and outcome mixed; March 2026 has none."""
    found, k = [], 0
    for month in rollup.months_between(D(2025, 1, 1), D(2026, 6, 30)):
        if month == D(2026, 3, 1):
            continue
        for n in range(3 + month.month % 4):
            k += 1
            found.append(
                Case(
                    UNITS[k % len(UNITS)],
                    month + dt.timedelta(days=(n * 9) % 28),
                    hour=0 if n == 0 else 10,
                    business=BUSINESS[k % 4],
                    cause=CAUSES[k % 3],
                    channel=CHANNELS[k % 3],
                    appeal=APPEALS[(k // 2) % 3],
                    issue=ISSUES[(k // 3) % 3],
                    verdict=VERDICTS[k % 4],
                    breached=k % 5 == 0,
                    reopen_count=k % 7 == 0,
                    intake="hotline" if k % 2 else "counter",
                )
            )
    add_cases(db, found)
    return bank


def raw(db: Database, scope: str, query: Query) -> analysis_report.Report:
    with db.session() as session:
        units = units_in_scope(session, scope)
        return analysis_report._raw(session, scope, query, ZONE, "zh", units)


def fast(db: Database, scope: str, query: Query) -> rollup_report.Parts | None:
    with db.session() as session:
        q, units = query, units_in_scope(session, scope)
        return rollup_report.parts(
            session, scope, q.start, q.end, q.kind, q.compare, q.level, q.dimension, ZONE, "zh",
            units,
        )  # fmt: skip


def same(db: Database, scope: str, query: Query) -> None:
    found = fast(db, scope, query)
    assert found is not None, query
    expected = raw(db, scope, query)
    assert found == (expected.trend, expected.breakdown, expected.league), query
    with db.session() as session:  # the page's service takes the roll-up and agrees
        built = analysis_report.build(session, scope, query, ZONE, "zh")
    assert built.total == expected.total


def pass_later(db: Database, machine: time_machine.TimeMachineFixture) -> rollup.Pass:
    machine.shift(dt.timedelta(minutes=10))
    return rollup.run_pass(db, ZONE, dt.datetime.now(dt.UTC))


def fill(db: Database, machine: time_machine.TimeMachineFixture) -> None:
    while pass_later(db, machine).recomputed:
        pass


def path(db: Database, code: str) -> str:
    with db.session() as session:
        return session.scalars(select(Unit.path).where(Unit.code == code)).one()


QUERIES = (
    [
        Query(D(2026, 1, 1), D(2026, 6, 30), kind, compare, level, dimension)
        for kind, compare, level, dimension in itertools.product(
            [PeriodKind.MONTH, PeriodKind.QUARTER],
            [Compare.YOY, Compare.MOM, None],
            [Level.TIER1, Level.HEAD],
            [Dimension.BUSINESS_TYPE, Dimension.UNIT],
        )
    ]
    + [
        Query(D(2026, 1, 1), D(2026, 6, 30), PeriodKind.MONTH, Compare.YOY, Level.TIER1, dimension)
        for dimension in rollup.DIMENSIONS
    ]
    + [
        Query(D(2025, 1, 1), D(2026, 6, 30), PeriodKind.YEAR, Compare.YOY, Level.TIER1),
        Query(D(2025, 7, 1), D(2025, 7, 31), PeriodKind.MONTH, Compare.MOM, Level.TIER1),
    ]
)


def test_the_rollup_gives_the_raw_figures_at_head_office_and_tier1(
    db: Database, cases: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    query = QUERIES[0]
    assert fast(db, "/", query) is None  # nothing counted yet: the raw cases
    assert pass_later(db, time_machine) == rollup.Pass(6, 0)  # the latest six of 18 months
    assert pass_later(db, time_machine) == rollup.Pass(6, 6)
    assert pass_later(db, time_machine) == rollup.Pass(6, 12)
    assert pass_later(db, time_machine) == rollup.Pass(0, 18)
    for query in QUERIES:
        same(db, "/", query)
    for scope in [path(db, "HQ"), path(db, "BR-A"), path(db, "BR-B")]:
        for query in QUERIES[::5]:
            same(db, scope, query)


def test_a_case_changed_after_a_pass_is_read_raw_until_the_next(
    db: Database, cases: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    fill(db, time_machine)
    query = Query(D(2026, 1, 1), D(2026, 6, 30), compare=Compare.YOY, level=Level.TIER1)
    with db.session() as session:
        february = session.scalars(
            select(Complaint)
            .where(Complaint.received_at >= dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
            .where(Complaint.received_at < dt.datetime(2026, 2, 28, tzinfo=dt.UTC))
            .order_by(Complaint.id)
        ).all()
        first, second = february[0], february[1]
        first.verdict, first.reopen_count = "upheld", 2
        moved_to = session.scalars(select(Unit).where(Unit.code == "OUT-B")).one()
        first.responsible_unit_id, first.responsible_unit_path = moved_to.id, moved_to.path
        session.commit()
        session.execute(update(Complaint).where(Complaint.id == second.id).values(breached=True))
        session.commit()
        stale = rollup.stale_months(
            session, ZONE, rollup.months_between(D(2025, 1, 1), D(2026, 6, 30))
        )
    assert stale == {D(2026, 2, 1)}
    same(db, "/", query)  # February from the raw cases, the rest from the roll-up
    assert pass_later(db, time_machine) == rollup.Pass(1, 17)
    same(db, "/", query)


def test_a_unit_changed_makes_every_month_stale(
    db: Database, cases: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    fill(db, time_machine)
    with db.session() as session:
        unit = session.scalars(select(Unit).where(Unit.code == "SUB-B")).one()
        unit.customers_served += 1
        session.commit()
    assert fast(db, "/", QUERIES[0]) is None
    assert pass_later(db, time_machine).recomputed == rollup.MONTHS_PER_PASS


def test_recomputing_a_month_is_idempotent(
    db: Database, cases: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    def rows() -> list[tuple[object, ...]]:
        with db.session() as session:
            return sorted(tuple(r) for r in session.execute(select(ComplaintRollup.__table__)))

    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        rollup.recompute_month(session, ZONE, D(2026, 1, 1), now)
        session.commit()
    once = rows()
    with db.session() as session:
        rollup.recompute_month(session, ZONE, D(2026, 1, 1), now)
        session.commit()
        months = session.scalars(select(ComplaintRollupMonth.month)).all()
    assert rows() == once and len(once) > 10 and months == [D(2026, 1, 1)]
    totals = [r for r in once if r[3] == rollup.TOTAL]
    assert sum(int(r[6]) for r in totals) == 3 + 1 % 4  # January 2026: its four cases


def test_reports_it_cannot_serve_exactly_are_left_to_the_raw_cases(
    db: Database, cases: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    fill(db, time_machine)
    month = Query(D(2026, 1, 1), D(2026, 6, 30))
    assert fast(db, "/", month) is not None
    assert fast(db, path(db, "SUB-B"), month) is None  # a tier-2 scope
    assert fast(db, "/", Query(D(2026, 1, 1), D(2026, 6, 30), level=Level.TIER2)) is None
    product = Query(D(2026, 1, 1), D(2026, 6, 30), dimension=Dimension.PRODUCT)
    assert fast(db, "/", product) is None
    assert fast(db, "/", Query(D(2026, 1, 1), D(2026, 6, 29))) is None  # not whole months
    assert fast(db, "/", Query(D(2026, 1, 1), D(2026, 6, 30), PeriodKind.WEEK)) is None


def test_a_case_added_back_dated_after_a_pass_is_seen(
    db: Database, cases: Bank, time_machine: time_machine.TimeMachineFixture
) -> None:
    fill(db, time_machine)
    old = dt.datetime(2025, 5, 20, tzinfo=dt.UTC)  # history loaded with its own times
    add_cases(db, [Case("OUT-B", D(2025, 5, 19), extra={"updated_at": old, "registered_at": old})])
    with db.session() as session:
        stale = rollup.stale_months(
            session, ZONE, rollup.months_between(D(2025, 1, 1), D(2026, 6, 30))
        )
    assert stale == {D(2025, 5, 1)}
    same(db, "/", Query(D(2026, 1, 1), D(2026, 6, 30)))  # May 2025 compared, from the raw cases
    assert pass_later(db, time_machine) == rollup.Pass(1, 17)
    with db.session() as session:  # every month now vouches for the cases up to the newest
        newest = session.scalar(select(func.max(Complaint.id)))
        checked = session.scalars(select(ComplaintRollupMonth.ids_as_of)).all()
    assert set(checked) == {newest}
