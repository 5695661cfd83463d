"""Business invariants of inference-service plans on random small catalogs (hypothesis).

Each comparison property changes one thing a user understands (more demand, one more offering, a
tighter latency target) and compares the two optimal costs, with the solver's relative MIP gap as
tolerance and "infeasible" as +infinity. Every plan made here is also checked, from its allocation
rows alone, for the spot-share cap and the availability floor, and must pass the independent
verifier. The last test checks capacity >= demand from an example's JSON alone (docs/inference.md).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tinycat import X1000, Y500, assert_explanation_is_monotone, catalog, offering, provider

import planner
from planner import compute, zoo
from planner.catalog.catalog import Catalog
from planner.workloads import Budget, Constraints, DailyProfile, InferenceService, RequestBucket

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GAP = 2e-6  # two solves, each within the default relative MIP gap of 1e-6
ABS_USD = 1e-3  # the objective's draw tie-break (1e-3 USD per GPU-hour drawn) is not in the cost
MODEL = "llama-3-8b"  # 16 GB of bf16 weights: fits one 80 GiB X1000 or Y500
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

ACCELERATORS = catalog(offering())  # for its X1000 and Y500 records
# (accelerator, GPUs per instance) of the offerings a random catalog draws from.
SHAPES = [("X1000", 1), ("X1000", 8), ("Y500", 1), ("Y500", 4)]
per_gpu_hour = st.floats(min_value=0.5, max_value=6.0).map(lambda x: round(x, 2))
discount = st.floats(min_value=0.3, max_value=0.8).map(lambda x: round(x, 2))


@st.composite
def offering_rows(draw: st.DrawFn, min_size: int = 1, max_size: int = 3) -> list[dict[str, Any]]:
    """1-3 offerings of X1000/Y500 instances with on-demand and optional spot and 1y/3y prices."""
    rows = []
    for i in range(draw(st.integers(min_size, max_size))):
        acc, gpus = draw(st.sampled_from(SHAPES))
        od = draw(per_gpu_hour) * gpus
        optional = {
            term: (round(od * draw(discount), 2) if draw(st.booleans()) else None)
            for term in ("spot", "reserved_1y", "reserved_3y")
        }
        rows.append(
            offering(
                draw(st.sampled_from(["alpha", "beta"])), f"i{i}", acc, round(od, 2), gpus=gpus, **optional
            )
        )
    return rows


def make_catalog(rows: list[dict[str, Any]]) -> Catalog:
    # Both providers always exist, so a catalog is valid whichever providers its offerings name.
    return Catalog.from_records([X1000, Y500], [provider("alpha"), provider("beta")], rows, name="random")


@st.composite
def services(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of a small random service (one bucket or a two-bucket request mix)."""
    spec: dict[str, Any] = {
        "name": "svc",
        "model": MODEL,
        "requests_per_s": draw(st.floats(0.5, 40.0).map(lambda x: round(x, 2))),
        "growth_per_month": draw(st.sampled_from([0.0, 0.1, 0.3])),
        "daily_profile": DailyProfile(
            peak_factor=draw(st.sampled_from([1.0, 2.0, 3.0])),
            peak_hours=draw(st.sampled_from([0.0, 4.0, 8.0])),
            base_factor=draw(st.sampled_from([0.3, 0.5, 1.0])),
        ),
        "tpot_ms": draw(st.sampled_from([None, 25.0, 40.0, 80.0])),
        "ttft_ms": draw(st.sampled_from([None, 500.0, 2000.0])),
        "min_replicas": draw(st.integers(0, 3)),
        "max_spot_fraction": draw(st.sampled_from([0.0, 0.2, 0.5, 1.0])),
        "whole_instances": draw(st.booleans()),
    }
    if draw(st.booleans()):
        spec["input_tokens"], spec["output_tokens"] = draw(st.sampled_from([(256, 128), (2048, 256)]))
    else:
        short = draw(st.sampled_from([0.5, 0.8]))
        spec["request_mix"] = [
            RequestBucket(input_tokens=256, output_tokens=128, share=short),
            RequestBucket(input_tokens=4096, output_tokens=512, share=round(1 - short, 2)),
        ]
    return spec


def solve(
    rows: list[dict[str, Any]],
    spec: dict[str, Any],
    months: int,
    credit: bool = False,
    time_limit_s: float | None = None,
) -> planner.Plan:
    """Plan the service; `credit`: count only the in-horizon months of commitments. With a time
    limit, a plan stopped by it (status "feasible") is checked like an optimal one."""
    svc = InferenceService(**spec)
    constraints = Constraints(credit_reserved_beyond_horizon=credit)
    budget = Budget(name="prop", horizon_months=months, workloads=[svc], constraints=constraints)
    limit = {} if time_limit_s is None else {"time_limit_s": time_limit_s}
    plan = planner.plan(budget, catalog=make_catalog(rows), explain=False, **limit)
    if plan.status != "infeasible":
        check_plan(plan, svc, rows, proven=time_limit_s is None)
    return plan


def cost(plan: planner.Plan) -> float:
    return math.inf if plan.status == "infeasible" else float(plan.total_cost_usd or 0.0)


def no_more(a: float, b: float) -> bool:
    """a <= b within the solver gap (infinities compare exactly)."""
    if math.isinf(a) or math.isinf(b):
        return a <= b
    return a <= b * (1 + GAP) + ABS_USD


# --------------------------------------------------------------------------- invariants of every plan


def replicas_per_instance(svc: InferenceService, row: dict[str, Any]) -> int:
    """Replicas one instance runs (planner.compute at the targets, first bucket it can serve)."""
    acc = ACCELERATORS.accelerator(row["accelerator"])
    arch = zoo.get_model(MODEL)
    for b in svc.buckets:
        est = compute.estimate_inference(
            arch, acc, int(row["gpus_per_instance"]), svc.precision,
            b.input_tokens, b.output_tokens, svc.tpot_ms, svc.ttft_ms,
        )  # fmt: skip
        if est.feasible:
            return est.replicas_per_instance
    return 0


def check_plan(plan: planner.Plan, svc: InferenceService, rows: list[dict[str, Any]], proven: bool) -> None:
    """Spot share and availability floor from the allocation rows; the verifier passed. `proven`:
    the plan must be optimal; else a plan the time limit stopped must say so, with its gap."""
    if proven or plan.status != "feasible":
        assert plan.status == "optimal"
    else:
        assert plan.solver.termination == "time limit reached"
        assert plan.solver.mip_gap is not None and plan.solver.mip_gap > 0
    assert plan.verification.ok, plan.verification.failures()
    names = {c.name for c in plan.verification.checks}
    assert {
        "service svc: capacity meets demand in every slot",
        "service svc: latency targets met by every replica type used",
        "service svc: spot share",
    } <= names
    used = [r for r in plan.allocations.to_dict(orient="records") if r["row_type"] in ("rent", "draw")]
    total_gpu_h = sum(r["gpu_hours"] for r in used)
    spot_gpu_h = sum(r["gpu_hours"] for r in used if r["term"] == "spot")
    assert spot_gpu_h <= svc.max_spot_fraction * total_gpu_h * (1 + 1e-6) + 1e-6
    if svc.min_replicas == 0:
        return
    # Non-spot instances per (month, snapshot, offering, on-demand or committed): the floor is whole
    # instances, each counting for at most min_replicas replicas.
    held: dict[tuple[int, str], dict[tuple[str, str, bool], float]] = defaultdict(lambda: defaultdict(float))
    for r in used:
        if r["term"] != "spot":
            key = (r["instance_type"], r["provider"], r["row_type"] == "draw")
            held[int(r["start_month"]), r["snapshot"]][key] += r["instances"]
    reps = {r["instance_type"]: replicas_per_instance(svc, r) for r in used}
    months = range(plan.horizon_months)
    snapshots = [s.name for s in svc.daily_snapshots()]
    for m in months:
        for s in snapshots:
            floor = sum(
                math.floor(n + 1e-6) * min(reps[key[0]], svc.min_replicas) for key, n in held[m, s].items()
            )
            assert floor >= svc.min_replicas, (m, s, dict(held[m, s]))


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(
    rows=offering_rows(),
    spec=services(),
    months=st.integers(1, 4),
    more=st.sampled_from(["requests_per_s", "growth_per_month", "peak_factor"]),
    factor=st.sampled_from([1.3, 2.0, 5.0]),
)
def test_more_demand_never_costs_less(rows, spec, months, more, factor):
    bigger = dict(spec)
    prof = spec["daily_profile"]
    if more == "peak_factor" and spec["whole_instances"] and prof.peak_hours == 0:
        # A new 4-hour peak snapshot would also split the day finer, which relaxes whole-instance
        # rounding (one spot instance for 4 of 24 hours fits a 20% spot cap that 8 hours do not:
        # $669 against $730 for one month of a 1 request/s service). Grow the rate instead.
        more = "requests_per_s"
    if more == "requests_per_s":
        bigger["requests_per_s"] = spec["requests_per_s"] * factor
    elif more == "growth_per_month":
        bigger["growth_per_month"] = spec["growth_per_month"] + factor / 10
    else:
        bigger["daily_profile"] = prof.model_copy(
            update={"peak_factor": prof.peak_factor * factor, "peak_hours": max(prof.peak_hours, 4.0)}
        )
        # More peak hours at a higher factor takes hours from the shoulder (factor 1): more demand.
    # 10 s each, compared by proven bounds: see test_tighter_latency_never_costs_less.
    low, high = solve(rows, spec, months, time_limit_s=10.0), solve(rows, bigger, months, time_limit_s=10.0)
    assert no_more(lower_bound(low), cost(high)), (cost(low), cost(high))
    # Demand never decides whether an offering can serve: both plans exist or neither does.
    assert (low.status == "infeasible") == (high.status == "infeasible")


@SETTINGS
@given(
    rows=offering_rows(),
    extra=offering_rows(min_size=1, max_size=1),
    spec=services(),
    months=st.integers(1, 4),
)
def test_adding_an_offering_never_costs_more(rows, extra, spec, months):
    extra = [{**extra[0], "instance_type": "extra"}]
    more, fewer = (solve(r, spec, months, time_limit_s=10.0) for r in (rows + extra, rows))
    assert no_more(lower_bound(more), cost(fewer))


@SETTINGS
@given(
    rows=offering_rows(),
    spec=services(),
    months=st.integers(1, 3),
    tpot=st.lists(st.sampled_from([None, 9.0, 12.0, 20.0, 40.0, 80.0]), min_size=2, max_size=2, unique=True),
)
def test_tighter_latency_never_costs_less(rows, spec, months, tpot):
    """A tighter TPOT (None = no target) or an added TTFT never lowers the cost.

    Whole instances under a spot share can be a knapsack HiGHS does not close (a 9 ms TPOT over a
    request mix: 0.06% gap after 120 s): each solve gets 10 s, and the looser plan is compared by
    its proven lower bound, which no tighter plan can undercut."""
    loose, tight = sorted(tpot, key=lambda t: -math.inf if t is None else -t)
    plans = [solve(rows, {**spec, "tpot_ms": t}, months, time_limit_s=10.0) for t in (loose, tight)]
    assert no_more(lower_bound(plans[0]), cost(plans[1])), (loose, tight, [cost(p) for p in plans])
    if spec["ttft_ms"] is None:
        ttft = solve(rows, {**spec, "tpot_ms": loose, "ttft_ms": 300.0}, months, time_limit_s=10.0)
        assert no_more(lower_bound(plans[0]), cost(ttft))


def lower_bound(plan: planner.Plan) -> float:
    """The cost the plan's optimum is proven not to undercut: its cost less the proven gap."""
    if plan.status != "feasible":
        return cost(plan)
    return cost(plan) * (1 - (plan.solver.mip_gap or 0.0))


# Found by this test: whole instances in 27 alike slots under a global spot share are a knapsack
# HiGHS does not close (0.3% gap after 120 s; 0.4 s with another seed). The plan it stops with
# must still keep every invariant and say it was stopped.
HARD_FOR_HIGHS = (
    [
        offering("alpha", "i0", "X1000", 2.11, gpus=1, spot=1.03, reserved_3y=1.62),
        offering("alpha", "i1", "Y500", 0.5, gpus=1, spot=0.17, reserved_1y=0.35, reserved_3y=0.22),
        offering("beta", "i2", "X1000", 2.68, gpus=1),
        offering("beta", "i3", "X1000", 0.56, gpus=1, spot=0.31, reserved_3y=0.18),
    ],
    {
        "name": "svc",
        "model": MODEL,
        "requests_per_s": 30.58,
        "daily_profile": DailyProfile(peak_factor=1.0, peak_hours=8.0, base_factor=1.0, base_hours=8.0),
        "tpot_ms": 40.0,
        "ttft_ms": 2000.0,
        "min_replicas": 2,
        "max_spot_fraction": 0.2,
        "whole_instances": True,
        "input_tokens": 2048,
        "output_tokens": 256,
    },
    9,
    False,
)


@SETTINGS
@given(rows=offering_rows(max_size=4), spec=services(), months=st.integers(1, 12), credit=st.booleans())
@example(*HARD_FOR_HIGHS)
def test_every_plan_keeps_spot_cap_floor_and_passes_the_verifier(rows, spec, months, credit):
    # check_plan (called by solve) asserts the invariants; here: a plan exists whenever some
    # offering meets the targets and the model fits (no caps or budget in these instances).
    plan = solve(rows, spec, months, credit, time_limit_s=5.0)
    if plan.status == "infeasible":
        assert not plan.exclusions.empty
        assert set(plan.exclusions["code"]) <= {"latency", "memory", "dominated", "no_price"}


@settings(SETTINGS, max_examples=60)
@given(rows=offering_rows(max_size=4), spec=services(), months=st.integers(1, 6))
def test_an_explained_service_plan_is_monotone(rows, spec, months):
    """Its what-ifs (spot, latency targets) and runner-ups (one accelerator only) move the cost the
    way their change must (tinycat.assert_explanation_is_monotone), and each runner-up costs what
    re-planning the service on its accelerator costs."""
    budget = Budget(name="prop", horizon_months=months, workloads=[InferenceService(**spec)])
    plan = planner.plan(budget, catalog=make_catalog(rows))
    if plan.status == "infeasible":
        return
    assert_explanation_is_monotone(plan)
    # A single-accelerator runner-up is what the user's own re-plan on that accelerator costs, even
    # where the plan's pruning dropped some of its columns for another accelerator's.
    for r in plan.runner_ups:
        if r.status == "optimal":
            own = planner.plan(
                Budget(
                    name="prop",
                    horizon_months=months,
                    workloads=[InferenceService(**{**spec, "accelerators": [r.label]})],
                ),
                catalog=make_catalog(rows),
                explain=False,
            )
            assert r.cost_usd == pytest.approx(own.total_cost_usd, rel=2e-4, abs=1e-6), r


# --------------------------------------------------------------------------- capacity >= demand from JSON


@pytest.mark.parametrize("example", ["chat-70b-growing", "chat-mixed-gpus"])
def test_capacity_meets_demand_from_the_json_alone(example):
    """Sum of tokens_per_s over a service's rent and draw rows in a (month, snapshot) >= the
    workload entry's output_tokens_per_s there; nothing but the JSON is read."""
    doc = planner.plan(planner.load_budget(EXAMPLES / f"{example}.yaml"), explain=False).to_dict(
        timings=False
    )
    assert doc["status"] == "optimal"
    services_json = [w for w in doc["workloads"] if w["kind"] == "inference"]
    assert services_json
    for w in services_json:
        supplied: dict[tuple[int, str], float] = defaultdict(float)
        for row in doc["allocations"]:
            if row["workload"] == w["name"] and row["row_type"] in ("rent", "draw"):
                supplied[row["start_month"], row["snapshot"]] += row["tokens_per_s"]
        demand = {(d["month"], d["snapshot"]): d["output_tokens_per_s"] for d in w["demand"]}
        assert len(demand) == 12 * 3  # 12 months x (peak, shoulder, base)
        for slot, tokens_per_s in demand.items():
            assert supplied[slot] >= tokens_per_s * (1 - 1e-6), (slot, supplied[slot], tokens_per_s)
        # Rows exist only where the service runs.
        assert set(supplied) <= set(demand)
