"""Envelopes for the analytics tests, and the roll-up computed the slow obvious way in Python
(the reference the SQL is checked against)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def ticket_envelopes(seed: int, tickets: int, day: dt.date) -> list[dict[str, Any]]:
    """Lobby events of `tickets` tickets at three outlets of two tier-1 branches on `day`."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    event_id = 1000
    for ticket in range(1, tickets + 1):
        outlet = rng.choice((11, 12, 21))
        base = {
            "source": "lobby",
            "outlet_id": outlet,
            "tier1_id": outlet // 10,
            "ticket_id": ticket,
            "counter_id": None,
            "staff_id": None,
        }
        payload = {"service_code": rng.choice("AB"), "klass": rng.choice(("normal", "vip"))}
        issued = dt.datetime.combine(day, dt.time(9), SHANGHAI) + dt.timedelta(
            minutes=rng.randrange(0, 480)
        )
        wait = rng.randrange(0, 1500)
        fate = rng.random()
        steps: list[tuple[str, dt.datetime, dict[str, Any]]] = [("issued", issued, {})]
        if fate < 0.1:
            ended = {"outcome": "cancelled"}
            steps.append(("cancelled", issued + dt.timedelta(seconds=wait // 2), ended))
        else:
            called = issued + dt.timedelta(seconds=wait)
            steps.append(("called", called, {"wait_s": wait}))
            if fate < 0.2:
                ended = {"outcome": "no_show"}
                steps.append(("no_show", called + dt.timedelta(seconds=90), ended))
            else:
                service = rng.randrange(60, 900)
                steps.append(
                    (
                        "finished",
                        called + dt.timedelta(seconds=service),
                        {"service_s": service, "outcome": "served"},
                    )
                )
        for kind, at, extra in steps:
            event_id += 1
            stamp = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            out.append(
                {
                    **base,
                    "id": f"lobby:{event_id}",
                    "kind": kind,
                    "at": stamp,
                    "data": {**payload, **extra},
                }
            )
    return out


def reference_daily(envelopes: list[dict[str, Any]], target_s: int) -> dict[tuple, dict]:
    """Per (outlet, tier1, local day): the roll-up's measures, counted one envelope at a time."""
    seen: dict[str, dict[str, Any]] = {e["id"]: e for e in envelopes}
    groups: dict[tuple, dict[str, Any]] = defaultdict(
        lambda: {"tickets": 0, "no_show": set(), "cancelled": set(), "waits": [], "services": []}
    )
    for e in seen.values():
        at = dt.datetime.fromisoformat(e["at"].replace("Z", "+00:00")).astimezone(SHANGHAI)
        g = groups[(e["outlet_id"], e["tier1_id"], at.date())]
        g["tickets"] += e["kind"] == "issued"
        if e["data"].get("outcome") in ("no_show", "cancelled"):
            g[e["data"]["outcome"]].add(e["ticket_id"])
        if "wait_s" in e["data"]:
            g["waits"].append(e["data"]["wait_s"])
        if "service_s" in e["data"]:
            g["services"].append(e["data"]["service_s"])
    result = {}
    for key, g in groups.items():
        waits = sorted(g["waits"])
        n = len(waits)
        rank = -(-9 * n // 10)  # nearest rank: the smallest k with k >= 0.9 n
        result[key] = {
            "tickets": g["tickets"],
            "no_shows": len(g["no_show"]),
            "cancellations": len(g["cancelled"]),
            "waits": n,
            "wait_mean_s": sum(waits) / n if n else None,
            "wait_p90_s": waits[rank - 1] if n else None,
            "service_level": sum(w <= target_s for w in waits) / n if n else None,
            "services": len(g["services"]),
            "service_mean_s": sum(g["services"]) / len(g["services"]) if g["services"] else None,
        }
    return result
