"""Business invariants of the training planner on random small catalogs (hypothesis).

Each property compares two plans that differ in one way a user understands (more FLOPs, a shorter
deadline, one more offering, pruning on or off) or compares the optimum with an enumeration
written here without the model. Costs are compared with the solver's relative MIP gap (1e-6) as
tolerance; "infeasible" counts as +infinity.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinycat import assert_explanation_is_monotone, catalog, offering, verified_cost

import planner
from planner import compute
from planner.catalog.catalog import Catalog
from planner.enums import Term
from planner.model.candidates import MAX_CLUSTER_GPUS
from planner.workloads import Budget, Cap, Constraints, TrainingRun

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GAP = 2e-6  # two solves, each within the default relative MIP gap of 1e-6
MFU = 0.4

# Made-up accelerators: (peak bf16 TFLOPS, memory GiB).
ACCELERATORS = {"A": (200.0, 24.0), "B": (500.0, 80.0), "C": (1000.0, 141.0)}


def accelerator_records() -> list[dict[str, Any]]:
    return [
        {
            "id": name,
            "vendor": "Acme",
            "memory_gib": memory,
            "memory_bandwidth_gb_per_s": 1000,
            "peak_tflops": {"bf16": peak},
            "source": "made up",
            "as_of": "2026-01",
        }
        for name, (peak, memory) in ACCELERATORS.items()
    ]


def make_catalog(rows: list[dict[str, Any]]) -> Catalog:
    # Both providers are always known, so a cap naming one stays valid when its offerings go.
    return Catalog.from_records(
        accelerator_records(),
        [
            {"id": p, "name": p, "kind": "neocloud", "source": "made up", "as_of": "2026-01"}
            for p in ("p1", "p2")
        ],
        rows,
        name="random",
    )


assert catalog  # the hand-test helper builds X1000/Y500 catalogs; these tests use their own accelerators

money = st.floats(min_value=0.5, max_value=8.0).map(lambda x: round(x, 2))  # USD per GPU-hour
share = st.floats(min_value=0.2, max_value=0.9).map(lambda x: round(x, 2))


@st.composite
def offering_rows(draw: st.DrawFn, with_commitments: bool = True) -> list[dict[str, Any]]:
    """2–5 offerings over 1–3 accelerators, with optional spot and reserved prices, fabric, capacity."""
    accs = draw(st.lists(st.sampled_from(sorted(ACCELERATORS)), min_size=1, max_size=3, unique=True))
    rows = []
    for i in range(draw(st.integers(2, 5))):
        gpus = draw(st.sampled_from([1, 2, 4, 8]))
        od = draw(money) * gpus
        row = offering(
            draw(st.sampled_from(["p1", "p2"])),
            f"type{i}",
            draw(st.sampled_from(accs)),
            round(od, 4),
            gpus=gpus,
            region=draw(st.sampled_from(["r1", "r2"])),
            spot=draw(st.none() | share.map(lambda s, od=od: round(od * s, 4))),
            reserved_1y=(
                draw(st.none() | share.map(lambda s, od=od: round(od * s, 4))) if with_commitments else None
            ),
            reserved_3y=(
                draw(st.none() | share.map(lambda s, od=od: round(od * s * 0.7, 4)))
                if with_commitments
                else None
            ),
            fabric=draw(st.booleans()),
            capacity=draw(st.none() | st.sampled_from([1, 2, 4, 16])),
        )
        rows.append(row)
    return rows


@st.composite
def training_runs(draw: st.DrawFn, count: tuple[int, int] = (1, 2), busy: bool = True) -> list[TrainingRun]:
    """1–2 runs. A "busy" run keeps 4–16 GPUs of accelerator B (500 TFLOPS) 50–95% busy over a
    60–330-day window, so that commitments can pay off; the others are small (1e20–1e22 FLOPs)."""
    runs = []
    for i in range(draw(st.integers(*count))):
        if busy and draw(st.booleans()):
            deadline_days = draw(st.floats(min_value=60.0, max_value=330.0))
            gpus = draw(st.sampled_from([4, 8, 16]))
            busy_share = draw(st.floats(min_value=0.5, max_value=0.95))
            flops = busy_share * deadline_days * 24 * gpus * 500e12 * MFU * 3600
        else:
            deadline_days = draw(st.floats(min_value=2.0, max_value=150.0))
            flops = 10 ** draw(st.floats(min_value=20.0, max_value=22.0))
        runs.append(
            TrainingRun(
                name=f"run{i}",
                params=draw(st.sampled_from([1e9, 7e9, 30e9, 70e9])),
                flops=flops,
                mfu=MFU,
                goodput=draw(st.sampled_from([1.0, 0.9])),
                deadline_days=deadline_days,
                start_month=draw(st.integers(0, 8)),
            )
        )
    return runs


@st.composite
def budgets(draw: st.DrawFn) -> Budget:
    caps = []
    if draw(st.booleans()):
        caps.append(Cap(provider=draw(st.sampled_from(["p1", "p2"])), max_gpus=draw(st.integers(8, 256))))
    constraints = Constraints(max_spot_fraction=draw(st.sampled_from([0.0, 0.3, 0.8])), caps=caps)
    return Budget(name="random", workloads=draw(training_runs()), constraints=constraints)


def cost(budget: Budget, rows: list[dict[str, Any]], **options: Any) -> float:
    """Optimal cost, +inf when infeasible; every feasible plan must pass the verifier."""
    return verified_cost(planner.plan(budget, catalog=make_catalog(rows), explain=False, **options))


def no_more_than(a: float, b: float) -> bool:
    """a <= b up to the MIP gap (inf <= inf)."""
    return a == b or a <= b + GAP * max(1.0, abs(b))


def with_run(budget: Budget, **changes: Any) -> Budget:
    first = budget.workloads[0].model_copy(update=changes)
    return budget.model_copy(update={"workloads": [first, *budget.workloads[1:]]})


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(rows=offering_rows(), budget=budgets(), factor=st.floats(min_value=1.0, max_value=3.0))
def test_more_flops_never_costs_less(rows, budget, factor):
    base = cost(budget, rows)
    more = cost(with_run(budget, flops=budget.workloads[0].flops * factor), rows)
    assert no_more_than(base, more), (base, more)


@SETTINGS
@given(rows=offering_rows(), budget=budgets(), factor=st.floats(min_value=0.2, max_value=1.0))
def test_shorter_deadline_never_costs_less(rows, budget, factor):
    base = cost(budget, rows)
    shorter = cost(with_run(budget, deadline_days=budget.workloads[0].deadline_days * factor), rows)
    assert no_more_than(base, shorter), (base, shorter)


@SETTINGS
@given(rows=offering_rows(), budget=budgets())
def test_adding_an_offering_never_costs_more(rows, budget):
    fewer = cost(budget, rows[:-1])
    more = cost(budget, rows)
    assert no_more_than(more, fewer), (more, fewer)


@SETTINGS
@given(rows=offering_rows(), budget=budgets())
def test_allowing_commitments_and_spot_never_costs_more(rows, budget):
    on_demand_only = budget.model_copy(
        update={"constraints": budget.constraints.model_copy(update={"terms": [Term.ON_DEMAND]})}
    )
    every_term = cost(budget, rows)
    assert no_more_than(every_term, cost(on_demand_only, rows))


@settings(SETTINGS, max_examples=10)
@given(rows=offering_rows(), budget=budgets())
def test_every_explained_plan_passes_the_verifier(rows, budget):
    # plan() raises VerificationError on a failed check; explanations re-solve and restore the model.
    plan = planner.plan(budget, catalog=make_catalog(rows))
    if plan.status == "infeasible":
        assert plan.diagnosis, "an infeasible plan must say what to move"
        return
    assert plan.verification.ok and plan.verification.checks
    rows_total = plan.allocations["cost_usd"].sum()
    assert math.isclose(rows_total, plan.total_cost_usd, rel_tol=1e-9, abs_tol=1e-6)
    chosen = {w["name"]: w["cluster"]["option"] for w in plan.workloads}
    for b in plan.binding:
        assert b.unit and b.explanation
        if b.family in ("flops", "deadline", "memory", "cluster_size", "spot_share"):
            # Rows of options the plan did not choose say nothing about it, even if numerically tight.
            assert b.name.split(":")[2] == chosen[b.workload], b.name  # family:workload:option[:period]
    for w in plan.what_ifs:
        assert w.delta_usd is None or math.isclose(
            w.delta_usd, w.cost_usd - plan.total_cost_usd, rel_tol=1e-9, abs_tol=1e-6
        )
    assert_explanation_is_monotone(plan)


@SETTINGS
@given(rows=offering_rows(), budget=budgets())
def test_pruning_keeps_the_optimal_cost(rows, budget):
    # Duplicate a random offering at a higher price in another region so pruning has work to do.
    dearer = {**rows[0], "region": "r9", "on_demand_usd_per_hour": rows[0]["on_demand_usd_per_hour"] * 1.5}
    rows = [*rows, dearer]
    pruned = cost(budget, rows)
    full = cost(budget, rows, prune_dominated=False)
    assert no_more_than(pruned, full) and no_more_than(full, pruned), (pruned, full)


# --------------------------------------------------------------------------- brute force


def tier_top(gpus: int) -> int:
    """Smallest power of two >= gpus: throughput is charged at this size's scaling efficiency."""
    return 1 << (gpus - 1).bit_length()


def brute_force_on_demand(rows: list[dict[str, Any]], run: TrainingRun) -> float:
    """Cheapest on-demand cluster for one run, enumerating every offering and every cluster size."""
    best = math.inf
    window_h = run.deadline_days * 24
    assert run.params is not None and run.flops is not None and run.mfu is not None
    goodput = run.goodput if run.goodput is not None else compute.DEFAULT_GOODPUT
    state_bytes = 16 * run.params
    for row in rows:
        price = row["on_demand_usd_per_hour"]
        if price is None:
            continue
        peak, memory_gib = ACCELERATORS[row["accelerator"]]
        g = row["gpus_per_instance"]
        per_gpu = memory_gib * 2**30 * compute.DEFAULT_USABLE_MEMORY_FRACTION
        n_min = math.ceil(math.ceil(state_bytes / per_gpu - 1e-9) / g)
        n_max = MAX_CLUSTER_GPUS // g if row["cluster_interconnect"] else 1
        if row["capacity_max_instances"] is not None:
            n_max = min(n_max, row["capacity_max_instances"])
        for n in range(n_min, min(n_max, 4096) + 1):
            flops_per_instance_hour = peak * 1e12 * run.mfu * goodput * 3600 * g
            hours = run.flops / (flops_per_instance_hour * compute.scaling_efficiency(tier_top(n * g)))
            if hours <= n * window_h * (1 + 1e-9):
                best = min(best, hours * price)
    return best


@settings(SETTINGS, max_examples=40)
@given(rows=offering_rows(with_commitments=False), runs=training_runs(count=(1, 1), busy=False))
def test_single_run_on_demand_matches_brute_force(rows, runs):
    [run] = runs
    assert run.flops is not None and run.flops / (200e12 * MFU * 0.9 * 3600) / (run.deadline_days * 24) < 4096
    budget = Budget(name="bf", workloads=[run], constraints=Constraints(terms=["on_demand"]))
    expected = brute_force_on_demand(rows, run)
    got = cost(budget, rows)
    if math.isinf(expected):
        assert math.isinf(got)
    else:
        assert math.isclose(got, expected, rel_tol=GAP), (got, expected)
