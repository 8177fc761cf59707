"""Pure organisation rules: placement, roles, passwords, CSV parsing, chain."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.audit.chain import GENESIS_HASH, ChainRecord, seal, verify_chain
from manyi.audit.keys import DEVELOPMENT_AUDIT_KEY as DEVELOPMENT_KEYS_SECRET
from manyi.audit.keys import DEVELOPMENT_KEYS, AuditKeys
from manyi.org.model import (
    Permission,
    PlacementError,
    Role,
    Scope,
    UnitLevel,
    check_placement,
    check_role_level,
    child_path,
    parse_level,
    permissions_for,
)
from manyi.org.passwords import LockoutPolicy, WeakPasswordError, check_policy
from manyi.org.unit_csv import parse_units_csv


def test_placement_rules() -> None:
    check_placement(UnitLevel.HEAD_OFFICE, None)
    check_placement(UnitLevel.OUTLET, UnitLevel.TIER2_BRANCH)
    check_placement(UnitLevel.OUTLET, UnitLevel.TIER1_BRANCH)
    with pytest.raises(PlacementError):
        check_placement(UnitLevel.TIER2_BRANCH, UnitLevel.HEAD_OFFICE)
    with pytest.raises(PlacementError):
        check_placement(UnitLevel.OUTLET, None)
    with pytest.raises(PlacementError):
        check_placement(UnitLevel.HEAD_OFFICE, UnitLevel.TIER1_BRANCH)


def test_level_aliases() -> None:
    assert parse_level("网点") is UnitLevel.OUTLET
    assert parse_level(" Tier1_Branch ") is UnitLevel.TIER1_BRANCH
    with pytest.raises(ValueError, match="unknown level"):
        parse_level("department")


def test_roles_and_permissions() -> None:
    assert permissions_for([Role.TELLER]) == {
        Permission.LOBBY_VIEW,
        Permission.LOBBY_OPERATE,
        Permission.COUNTER_OPERATE,
        # A relative's call about a customer who cannot come in (特事特办) reaches a teller too.
        Permission.VISITS_VIEW,
        Permission.VISITS_REQUEST,
    }
    assert Permission.UNITS_MANAGE in permissions_for([Role.ADMINISTRATOR])
    both = permissions_for([Role.BRANCH_HEAD, Role.INSPECTOR])
    assert {Permission.DEVICES_MANAGE, Permission.AUDIT_VIEW} <= both
    check_role_level(Role.TELLER, UnitLevel.OUTLET)
    with pytest.raises(PlacementError):
        check_role_level(Role.TELLER, UnitLevel.TIER1_BRANCH)
    with pytest.raises(PlacementError):
        check_role_level(Role.HO_SERVICE_MANAGER, UnitLevel.OUTLET)


def test_scope_is_a_subtree() -> None:
    root = child_path(None, 1)
    branch = child_path(root, 4)
    outlet = child_path(branch, 9)
    other = child_path(root, 40)
    scope = Scope(4, branch)
    assert scope.contains(outlet) and scope.contains(branch)
    assert not scope.contains(root) and not scope.contains(other)
    # "/1/4/" must not match "/1/40/": the trailing slash guards that.
    assert not Scope(4, branch).contains(child_path(other, 2))


def test_the_sql_scope_gives_the_same_answers_as_the_python_one() -> None:
    from sqlalchemy import create_engine, literal, select

    from manyi.org.model import path_in_scope
    from manyi.org.scope import in_scope

    engine = create_engine("sqlite://")
    cases = [("/1/4/", "/1/4/9/"), ("/1/4/", "/1/4/"), ("/1/4/", "/1/40/"), ("/1/4/", "/1/")]
    cases += [("/1/_/", "/1/4/"), ("/1/%/", "/1/4/")]  # LIKE wildcards are escaped
    with engine.connect() as conn:
        for scope, path in cases:
            answer = conn.scalar(select(in_scope(literal(path), scope)))
            assert bool(answer) is path_in_scope(scope, path), (scope, path)
    engine.dispose()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "at least 10"),
        ("onlyletterslong", "letters and digits"),
        ("1234567890123", "letters and digits"),
        ("password123", "too common"),
        ("teller.a-2026x", "username"),
    ],
)
def test_weak_passwords(password: str, reason: str) -> None:
    with pytest.raises(WeakPasswordError, match=reason):
        check_policy(password, "teller.a")


def test_lockout_policy() -> None:
    now = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)
    policy = LockoutPolicy(threshold=3, minutes=15)
    # One address at one account: 30 s after the 3rd failure, doubling, never past 15 minutes.
    waits = [policy.backoff_until(f, policy.threshold, now) for f in range(1, 11)]
    assert waits[:2] == [None, None]
    seconds = [(w - now).total_seconds() for w in waits[2:] if w is not None]
    assert seconds == [30, 60, 120, 240, 480, 900, 900, 900]
    # The account, from anywhere: only after four times as many.
    assert policy.locked_until_after_failure(11, now) is None
    assert policy.locked_until_after_failure(12, now) == now + dt.timedelta(seconds=30)
    assert policy.locked_until_after_failure(10_000, now) == now + dt.timedelta(minutes=15)


CSV_HEADER = "code,parent_code,level,name_zh,name_en,timezone,address,customers_served\n"


def test_csv_good_file() -> None:
    text = CSV_HEADER + (
        "BR9,HQ,tier1_branch,九分行,Branch 9,,地址,\n"
        'OUT9,BR9,网点,九号网点,,Asia/Urumqi,地址,"12,000"\n'
    )
    parsed = parse_units_csv("\ufeff" + text, {"HQ": UnitLevel.HEAD_OFFICE}, "Asia/Shanghai")
    assert not parsed.errors
    assert [r.code for r in parsed.rows] == ["BR9", "OUT9"]
    assert parsed.rows[1].customers_served == 12000
    assert parsed.rows[1].timezone == "Asia/Urumqi"
    assert parsed.rows[0].timezone == "Asia/Shanghai"


def test_csv_bad_lines_are_named_with_line_and_field() -> None:
    text = CSV_HEADER + (
        "OK1,HQ,tier1_branch,好分行,,,,\n"  # line 2: fine
        "OK1,HQ,tier1_branch,重复,,,,\n"  # line 3: duplicate in file
        "HQ,,head_office,总行二,,,,\n"  # line 4: already exists
        "X1,NOPE,outlet,孤儿,,,,\n"  # line 5: unknown parent
        "X2,HQ,outlet,错层,,,,\n"  # line 6: outlet under head office
        "X3,HQ,galaxy,怪,,,,\n"  # line 7: bad level
        "X4,HQ,tier1_branch,,,,,\n"  # line 8: missing name
        "X5,HQ,tier1_branch,钟,,Moon/Base,,\n"  # line 9: bad zone
        "X6,HQ,tier1_branch,数,,,,-5\n"  # line 10: negative number
        "bad code!,HQ,tier1_branch,码,,,,\n"  # line 11: bad code
        "X7,HQ,tier1_branch,多,,,,,extra\n"  # line 12: too many cells
    )
    parsed = parse_units_csv(text, {"HQ": UnitLevel.HEAD_OFFICE}, "Asia/Shanghai")
    found = {(e.line, e.field) for e in parsed.errors}
    assert found == {
        (3, "code"),
        (4, "code"),
        (5, "parent_code"),
        (6, "level"),
        (7, "level"),
        (8, "name_zh"),
        (9, "timezone"),
        (10, "customers_served"),
        (11, "code"),
        (12, ""),
    }
    assert "line 5, parent_code: unknown parent NOPE" in [str(e) for e in parsed.errors][2]


def test_csv_missing_columns() -> None:
    parsed = parse_units_csv("code,name_zh\nA,甲\n", {}, "Asia/Shanghai")
    assert parsed.errors and "missing column" in parsed.errors[0].message


def _chain(n: int) -> list[ChainRecord]:
    records = []
    prev = GENESIS_HASH
    when = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)
    for seq in range(1, n + 1):
        fields = dict(
            seq=seq,
            occurred_at=when,
            actor_id=1,
            actor="a",
            unit_id=1,
            unit_path="/1/",
            entity_type="t",
            entity_id=str(seq),
            action="x",
            summary="{}",
            prev_hash=prev,
            key_id=DEVELOPMENT_KEYS.current_id,
        )
        digest = seal(DEVELOPMENT_KEYS, **fields)
        records.append(ChainRecord(**fields, hash=digest))  # type: ignore[arg-type]
        prev = digest
    return records


def test_chain_pure_verification() -> None:
    records = _chain(5)
    assert verify_chain(records, DEVELOPMENT_KEYS, head_seq=5) is None
    problem = verify_chain(records[:2] + records[3:], DEVELOPMENT_KEYS, head_seq=5)
    assert problem is not None and (problem.seq, problem.kind) == (3, "missing")
    problem = verify_chain(records[:4], DEVELOPMENT_KEYS, head_seq=5)
    assert problem is not None and problem.kind == "missing" and problem.seq == 5
    from dataclasses import replace

    altered = records[:]
    altered[1] = replace(altered[1], action="y")
    problem = verify_chain(altered, DEVELOPMENT_KEYS, head_seq=5)
    assert problem is not None and (problem.seq, problem.kind) == (2, "altered")
    # Who may see a row is sealed too: moving it to another unit's view is an alteration.
    moved = records[:]
    moved[3] = replace(moved[3], unit_path="/2/")
    problem = verify_chain(moved, DEVELOPMENT_KEYS, head_seq=5)
    assert problem is not None and (problem.seq, problem.kind) == (4, "altered")
    # A chain recomputed under another key (without ours) does not verify; nor does one
    # whose key is not given at all.
    other = AuditKeys.of("someone-elses-key-" + "x" * 20)
    problem = verify_chain(records, other, head_seq=5)
    assert problem is not None and (problem.seq, problem.kind) == (1, "unknown_key")
    # Rotation: a chain sealed with a retired key verifies when that key is given as retired.
    rotated = AuditKeys.of("the-new-key-" + "y" * 30, retired=[DEVELOPMENT_KEYS_SECRET])
    assert verify_chain(records, rotated, head_seq=5) is None
