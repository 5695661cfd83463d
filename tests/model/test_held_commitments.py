"""Held re-solves (runner-ups, deadline and latency what-ifs of a portfolio) must not keep paying
for commitments or own servers that only the re-solved workload drew on.

Each case has other workloads whose optimal plan is the same with or without the change, so the
held answer must equal the user's own full re-plan. Tiny catalogs (tests/model/tinycat.py).
"""

from __future__ import annotations

import pytest
from tinycat import MFU, SMALL_PARAMS, catalog, chat_service, offering

import planner
from planner.workloads import Budget, Cap, Constraints, TrainingRun

X_RATE = 14.4e18  # FLOPs per 8 x X1000 instance-hour at MFU 0.5


def run(name: str, **kw: object) -> TrainingRun:
    return TrainingRun(name=name, **({"params": SMALL_PARAMS, "mfu": MFU, "goodput": 1.0} | kw))


def with_run(b: Budget, name: str, **changes: object) -> Budget:
    workloads = [w.model_copy(update=changes) if w.name == name else w for w in b.workloads]
    return b.model_copy(update={"workloads": workloads})


def test_runner_up_drops_the_commitment_only_its_run_used():
    # a: 8,000 X1000 instance-hours in a year on one 1-year commitment (8,760 h x $40 = $350,400);
    # b: Y500 only, on demand (200 Y500 instance-hours x $48 = $9,600). Before the fix, a's
    # runner-ups on Y500 and off alpha kept paying for a's idle commitment ($350,400 more).
    cat = catalog(
        offering("alpha", "x8", "X1000", 80.0, reserved_1y=40.0), offering("beta", "y8", "Y500", 48.0)
    )
    a = run("a", flops=8000 * X_RATE, deadline_days=365)
    b = run("b", flops=100 * X_RATE, deadline_days=30, accelerators=["Y500"])
    budget = Budget(name="t", horizon_months=12, workloads=[a, b])
    plan = planner.plan(budget, cat, explain_workers=1)
    assert plan.total_cost_usd == pytest.approx(350_400 + 9_600, rel=1e-9)
    own = planner.plan(with_run(budget, "a", accelerators=["Y500"]), cat, explain=False)
    for kind, label in (("accelerator", "Y500"), ("provider", "beta")):
        ru = next(r for r in plan.runner_ups if r.workload == "a" and r.kind == kind and r.label == label)
        assert ru.cost_usd == pytest.approx(own.total_cost_usd, rel=1e-4), (kind, ru.cost_usd)


def test_service_runner_up_and_latency_what_if_drop_the_services_own_commitment():
    cat = catalog(
        offering("alpha", "x8", "X1000", 80.0, spot=40.0, reserved_1y=52.0),
        offering("beta", "x1", "X1000", 11.0, gpus=1, reserved_1y=7.5),
        offering("gamma", "y8", "Y500", 44.0, spot=20.0, reserved_1y=30.0),
    )
    budget = Budget(
        name="caps",
        horizon_months=12,
        constraints=Constraints(caps=[Cap(accelerator="X1000", max_gpus=16)], max_spot_fraction=0.3),
        workloads=[
            run("a", flops=3000 * X_RATE, deadline_days=20),
            run("b", flops=2000 * X_RATE, deadline_days=40, start_month=4),
            chat_service(requests_per_s=40, growth_per_month=0.1, tpot_ms=12, min_replicas=2),
        ],
    )
    plan = planner.plan(budget, cat, explain_workers=1)
    [latency] = [w for w in plan.what_ifs if w.name == "latency:chat:X1000"]
    [fleet] = [r for r in plan.runner_ups if r.workload == "chat" and r.label == "X1000"]
    relaxed = planner.plan(with_run(budget, "chat", tpot_ms=14), cat, explain=False)
    only_x = planner.plan(with_run(budget, "chat", accelerators=["X1000"]), cat, explain=False)
    # Both re-plans keep a and b as planned (their allocations equal the plan's), so held = re-plan.
    assert latency.cost_usd == pytest.approx(relaxed.total_cost_usd, rel=1e-4)
    assert fleet.cost_usd == pytest.approx(only_x.total_cost_usd, rel=1e-4)


def test_deadline_what_ifs_keep_the_plans_horizon():
    # No horizon_months: the run's 390-day deadline sets the horizon (13 months) and the service
    # runs to its end. Moving the deadline must not move the horizon (and the service's months):
    # -25% then cost 32,120 less (3 months of serving dropped) and +25% read "infeasible" (the held
    # service had no columns for the added months).
    cat = catalog(offering("alpha", "x8", "X1000", 80.0), offering("gamma", "y8", "Y500", 44.0))
    budget = Budget(
        name="derived",
        workloads=[
            run("a", flops=6000 * X_RATE, deadline_days=390),
            chat_service(requests_per_s=40, tpot_ms=20, min_replicas=1),
        ],
    )
    plan = planner.plan(budget, cat, explain_workers=1)
    shorter = next(w for w in plan.what_ifs if w.name == "deadline:a:-25%")
    longer = next(w for w in plan.what_ifs if w.name == "deadline:a:+25%")
    assert shorter.status == "optimal" and shorter.delta_usd >= -1e-6 * plan.total_cost_usd
    assert longer.status == "not_solved" and "past the horizon of 13 months" in longer.description
