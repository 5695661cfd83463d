"""The verifier's availability floor: whole non-spot instances, as the model promises.

The model (planner.model.inference.define_min_replicas) meets a floor of R replicas with whole
instances held all month on one kind (on-demand or committed), each counting min(replicas, R);
with whole_instances, per slice. The verifier recomputes this from the plan's rows only, so real
plans pass, and plans whose rows are tampered (a fraction of an instance, spot for on-demand, an
instance that moves between offerings or kinds within a month) fail with the month and the shortfall.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "model"))
from tinycat import catalog, offering

import planner
from planner.catalog.catalog import Catalog
from planner.compute import DEFAULT_SPOT_OVERHEAD as RHO
from planner.result import Check
from planner.verify import verify_plan
from planner.workloads import Budget, InferenceService, Snapshot

EXACT = {"rel": 1e-9}
HOURS_PER_MONTH = 730.0
PEAK, BASE = 0, 1  # slices: the timeline lays out the highest factor first
HALF_DAY = [
    Snapshot(name="peak", hours_per_day=12, factor=2.0),
    Snapshot(name="base", hours_per_day=12, factor=1.0),
]


def solve(tmp_path: Path, cat: Catalog, months: int = 1, **kw: Any) -> tuple[planner.Plan, Budget]:
    """1 request/s x 100 output tokens (200 tok/s at peak); one replica on one X1000 GPU serves 1,000
    tok/s (measured), so an 8-GPU instance runs 8 replicas and demand alone needs a sliver of one."""
    table = tmp_path / "measured.csv"
    table.write_text("accelerator,gpus,input_tokens,output_tokens,tokens_per_s\nX1000,1,100,100,1000\n")
    spec: dict[str, Any] = {
        "name": "chat",
        "model": "llama-3-8b",
        "input_tokens": 100,
        "output_tokens": 100,
        "requests_per_s": 1,
        "snapshots": HALF_DAY,
        "throughput_table": str(table),
    }
    budget = Budget(name="floor", horizon_months=months, workloads=[InferenceService(**(spec | kw))])
    plan = planner.plan(budget, catalog=cat, explain=False)
    assert plan.status == "optimal"
    return plan, budget


def floor_check(checks: list[Check]) -> Check:
    [check] = [c for c in checks if c.name == "service chat: availability floor"]
    return check


def tamper(
    plan: planner.Plan, month: int, slice_: int, edit: Callable[[dict[str, Any]], float]
) -> planner.Plan:
    """A copy of the plan whose service rows in (month, slice) are changed by `edit`, which returns the
    factor by which the row's delivered capacity changed: the serving rows of that offering and slot
    scale with it (so the served load still fits) and the total is the sum of the rows again."""
    rows = plan.allocations.to_dict(orient="records")
    serving = plan.serving.to_dict(orient="records")
    for r in rows:
        if r["row_type"] in ("rent", "draw") and (r["month"], r["slice"]) == (month, slice_):
            where = (r["provider"], r["region"], r["instance_type"])
            factor = edit(r)
            for s in serving:
                if (s["provider"], s["region"], s["instance_type"], s["month"], s["slice"]) == (
                    *where, month, slice_,
                ):  # fmt: skip
                    s["tokens_per_s"] *= factor
    return dataclasses.replace(
        plan,
        allocations=pd.DataFrame(rows),
        serving=pd.DataFrame(serving),
        total_cost_usd=sum(r["cost_usd"] for r in rows),
    )


def failures(plan: planner.Plan, budget: Budget, cat: Catalog) -> list[Check]:
    return verify_plan(plan, budget, cat).failures()


def time_averaged_replicas(plan: planner.Plan, replicas_per_instance: int) -> dict[tuple[int, int], float]:
    """The old, weaker measure: non-spot instances x replicas per (month, slice), averaged over time."""
    out: dict[tuple[int, int], float] = {}
    for r in plan.allocations.to_dict(orient="records"):
        if r["row_type"] in ("rent", "draw") and r["term"] != "spot":
            key = (int(r["month"]), int(r["slice"]))
            out[key] = out.get(key, 0.0) + r["instances"] * replicas_per_instance
    return out


# --------------------------------------------------------------------------- real plans pass


def x1(**kw: Any) -> dict[str, Any]:
    return offering("alpha", "x1", "X1000", 10.0, gpus=1, **kw)


def test_floor_of_two_one_replica_instances(tmp_path):
    # Demand needs 0.2 instance at peak; a floor of 2 needs 2 whole on-demand instances all month.
    cat = catalog(x1())
    plan, _ = solve(tmp_path, cat, months=2, min_replicas=2)
    assert plan.total_cost_usd == pytest.approx(2 * 10.0 * 2 * HOURS_PER_MONTH, **EXACT)
    rows = plan.allocations.to_dict(orient="records")
    assert sorted((r["month"], r["slice"], r["term"], r["instances"]) for r in rows) == [
        (m, k, "on_demand", 2.0) for m in (0, 1) for k in (PEAK, BASE)
    ]
    assert plan.verification.ok, plan.verification.failures()
    assert floor_check(plan.verification.checks).detail == "2 non-spot replicas"


def test_floor_with_whole_instances(tmp_path):
    cat = catalog(x1())
    plan, _ = solve(tmp_path, cat, min_replicas=2, whole_instances=True)
    assert plan.total_cost_usd == pytest.approx(2 * 10.0 * HOURS_PER_MONTH, **EXACT)
    assert plan.verification.ok, plan.verification.failures()
    assert floor_check(plan.verification.checks).ok


def test_one_eight_replica_instance_meets_a_floor_of_two(tmp_path):
    # 8 replicas per 8-GPU instance: one whole instance ($80/h) holds the floor of 2.
    cat = catalog(offering("alpha", "x8", "X1000", 80.0))
    plan, _ = solve(tmp_path, cat, min_replicas=2)
    assert plan.total_cost_usd == pytest.approx(80.0 * HOURS_PER_MONTH, **EXACT)
    assert plan.verification.ok, plan.verification.failures()


def test_floor_held_on_a_commitment(tmp_path):
    # $6/h committed for the year beats $10/h on demand: the floor is one committed instance.
    cat = catalog(x1(reserved_1y=6.0))
    plan, _ = solve(tmp_path, cat, months=12, min_replicas=1)
    assert plan.total_cost_usd == pytest.approx(6.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert {r["row_type"] for r in plan.allocations.to_dict(orient="records")} == {"commitment", "draw"}
    assert plan.verification.ok, plan.verification.failures()


# --------------------------------------------------------------------------- tampered rows fail


def test_a_fraction_of_an_instance_in_one_slice_fails(tmp_path):
    cat = catalog(x1())
    plan, budget = solve(tmp_path, cat, min_replicas=2)

    def half_less(r: dict[str, Any]) -> float:
        r["instances"] = 1.5
        return 1.5 / 2.0

    bad = failures(tamper(plan, 0, PEAK, half_less), budget, cat)
    assert [(c.name, c.detail) for c in bad] == [
        (
            "service chat: availability floor",
            "m0: 1 of 2 replicas on whole non-spot instances held all month "
            "(1 on_demand alpha/r1/x1 at 1 per instance)",
        )
    ]


def test_a_fraction_in_one_slice_fails_with_whole_instances(tmp_path):
    cat = catalog(x1())
    plan, budget = solve(tmp_path, cat, min_replicas=2, whole_instances=True)

    def one_less(r: dict[str, Any]) -> float:
        r["instances"] = 1.5
        return 1.0  # whole instances serve just the demand (100 tok/s): it still fits

    bad = failures(tamper(plan, 0, BASE, one_less), budget, cat)
    assert [c.detail for c in bad] == [
        "m0 k1: 1 of 2 replicas on whole non-spot instances held in the slice "
        "(1 on_demand alpha/r1/x1 at 1 per instance)"
    ]


def test_spot_in_place_of_on_demand_fails(tmp_path):
    # Spot is allowed (any share) and its costs are repriced, so only the floor can object.
    cat = catalog(x1(spot=4.0))
    plan, budget = solve(tmp_path, cat, min_replicas=2, max_spot_fraction=1.0)
    assert {r["term"] for r in plan.allocations.to_dict(orient="records")} == {"on_demand"}

    def to_spot(r: dict[str, Any]) -> float:
        r["term"], r["price_per_hour_usd"] = "spot", 4.0
        r["cost_usd"] = r["gpu_hours"] * 4.0
        return 1 - RHO  # spot capacity is derated by its restart overhead

    bad = failures(tamper(plan, 0, BASE, to_spot), budget, cat)
    assert [c.detail for c in bad] == [
        "m0: 0 of 2 replicas on whole non-spot instances held all month (none)"
    ]


# --------------------------------------------------------------------------- time averages pass, whole instances fail


def test_half_of_an_eight_replica_instance_is_no_replica(tmp_path):
    # 0.5 instance x 8 replicas = 4 >= 2 averaged over time in every slice, but no whole instance.
    cat = catalog(offering("alpha", "x8", "X1000", 80.0))
    plan, budget = solve(tmp_path, cat, min_replicas=2)

    def half(r: dict[str, Any]) -> float:
        r["instances"] = 0.5
        return 0.5

    tampered = tamper(tamper(plan, 0, PEAK, half), 0, BASE, half)
    assert time_averaged_replicas(tampered, 8) == {(0, PEAK): 4.0, (0, BASE): 4.0}
    bad = failures(tampered, budget, cat)
    assert [c.detail for c in bad] == [
        "m0: 0 of 2 replicas on whole non-spot instances held all month (none)"
    ]


def test_an_instance_that_moves_between_offerings_is_not_held_all_month(tmp_path):
    # Two identical offerings: one instance of alpha at peak and one of beta at base is a replica
    # in every slice, but neither offering holds a whole instance all month.
    cat = catalog(x1(), offering("beta", "x1", "X1000", 10.0, gpus=1))
    plan, budget = solve(tmp_path, cat, min_replicas=1)
    [used] = {r["provider"] for r in plan.allocations.to_dict(orient="records")}
    other = {"alpha": "beta", "beta": "alpha"}[used]

    def move(r: dict[str, Any]) -> float:
        r["provider"] = other
        return 1.0

    rows = tamper(plan, 0, BASE, move)
    serving = rows.serving.to_dict(orient="records")
    for s in serving:  # the base slice's tokens now come from the other offering
        if s["slice"] == BASE:
            s["provider"] = other
    tampered = dataclasses.replace(rows, serving=pd.DataFrame(serving))
    assert time_averaged_replicas(tampered, 1) == {(0, PEAK): 1.0, (0, BASE): 1.0}
    bad = failures(tampered, budget, cat)
    assert [c.detail for c in bad] == [
        "m0: 0 of 1 replicas on whole non-spot instances held all month (none)"
    ]


def test_an_instance_that_switches_from_committed_to_on_demand_is_not_held_all_month(tmp_path):
    # The committed instance serves the base slice of month 0, an on-demand one the peak: one
    # non-spot instance in every slice, but neither kind holds one all month (one instance is
    # not both at once).
    cat = catalog(x1(reserved_1y=6.0))
    plan, budget = solve(tmp_path, cat, months=12, min_replicas=1)

    def rent(r: dict[str, Any]) -> float:
        r["row_type"], r["term"], r["price_per_hour_usd"] = "rent", "on_demand", 10.0
        r["cost_usd"] = r["gpu_hours"] * 10.0
        return 1.0

    tampered = tamper(plan, 0, PEAK, rent)
    usage = plan.usage[~((plan.usage["month"] == 0) & (plan.usage["slice"] == PEAK))]
    tampered = dataclasses.replace(tampered, usage=usage)
    assert time_averaged_replicas(tampered, 1)[0, PEAK] == 1.0
    assert time_averaged_replicas(tampered, 1)[0, BASE] == 1.0
    bad = failures(tampered, budget, cat)
    assert [c.detail for c in bad] == [
        "m0: 0 of 1 replicas on whole non-spot instances held all month (none)"
    ]
