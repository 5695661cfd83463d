"""The model's size reductions for inference services change nothing but the model's size (hypothesis).

Two reductions are checked against the plain formulation on random small portfolios:
- dominance pruning (planner/model/prune.py, option ``prune_dominated``): whole groups, services'
  rented terms and services' committed terms (the generators make each fire: a dearer copy of an
  offering, and a twin whose commitments are dearer but whose on-demand price or egress is not,
  next to training runs that may share pools, budget caps and 1y/3y prices), and
- the compact formulation (planner/model/inference.py ``link_capacity``: served tokens equal to
  capacity when one bucket and no egress), ``compact_model``.
The optimal cost must be identical (within the two solves' MIP gaps) and both plans must pass the
independent verifier.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tinycat import catalog, offering, verified_cost

import planner
from planner.api import prepare
from planner.model.candidates import generate_candidates
from planner.workloads import Budget, Cap, Constraints, InferenceService, RequestBucket, Snapshot, TrainingRun

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GAP = 2e-6  # two solves, each within the default relative MIP gap of 1e-6
SHORT, LONG = (100, 100), (1000, 1000)  # (input, output) tokens of the two request shapes
# Measured output tokens/s of one 1-GPU replica: X1000 is faster, more so on long requests.
TOKENS_PER_S = {("X1000", SHORT): 1000, ("X1000", LONG): 600, ("Y500", SHORT): 400, ("Y500", LONG): 150}
TABLE = Path(tempfile.mkdtemp(prefix="planner-equiv-")) / "measured.csv"
TABLE.write_text(
    "accelerator,gpus,input_tokens,output_tokens,tokens_per_s\n"
    + "".join(f"{acc},1,{i},{o},{tps}\n" for (acc, (i, o)), tps in TOKENS_PER_S.items())
)
DAY = [
    Snapshot(name="peak", hours_per_day=6, factor=2.5),
    Snapshot(name="day", hours_per_day=10, factor=1.0),
    Snapshot(name="night", hours_per_day=8, factor=0.4),
]
per_gpu_hour = st.floats(min_value=0.5, max_value=6.0).map(lambda x: round(x, 2))
share = st.floats(min_value=0.2, max_value=0.9).map(lambda x: round(x, 2))
share_3y = st.floats(min_value=0.15, max_value=0.6).map(lambda x: round(x, 2))


@st.composite
def offering_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    """1–4 offerings, a dearer copy of the first (whole-group pruning) and a twin of one in region r8
    (maybe on the slower Y500) whose commitments are dearer while its on-demand price or egress is
    lower (so only the committed-term pruning can drop its commitments)."""
    rows = []
    for i in range(draw(st.integers(1, 4))):
        gpus = draw(st.sampled_from([1, 2, 8]))
        od = round(draw(per_gpu_hour) * gpus, 4)
        row = offering(
            draw(st.sampled_from(["alpha", "beta"])),
            f"type{i}",
            draw(st.sampled_from(["X1000", "Y500"])),
            od,
            gpus=gpus,
            region=draw(st.sampled_from(["r1", "r2"])),
            spot=draw(st.none() | share.map(lambda s, od=od: round(od * s, 4))),
            reserved_1y=draw(st.none() | share.map(lambda s, od=od: round(od * s, 4))),
            reserved_3y=draw(st.none() | share_3y.map(lambda s, od=od: round(od * s, 4))),
            capacity=draw(st.none() | st.sampled_from([1, 4, 16])),
        )
        row["egress_usd_per_gb"] = draw(st.sampled_from([0.0, 0.05, 0.09]))
        rows.append(row)
    first = rows[0]
    dearer = {**first, "region": "r9", "on_demand_usd_per_hour": first["on_demand_usd_per_hour"] * 1.3}
    rows.append(dearer)
    # The twin's model is an uncapped offering that sells a commitment (a capped one is no dominator).
    committing = [
        r
        for r in rows[:-1]
        if r["capacity_max_instances"] is None
        and ("reserved_1y_usd_per_hour" in r or "reserved_3y_usd_per_hour" in r)
    ]
    if committing:
        twin_of = draw(st.sampled_from(committing))
        factor = draw(st.sampled_from([1.1, 1.25]))  # at 1.0 the twin would dominate its model outright
        twin = {**twin_of, "region": "r8", "capacity_max_instances": None}
        if draw(st.booleans()):  # slower hardware: it may still train where its model may not
            twin["accelerator"] = "Y500"
        for term in ("reserved_1y_usd_per_hour", "reserved_3y_usd_per_hour"):
            if term in twin:
                twin[term] = round(twin[term] * factor, 4)
        if draw(st.booleans()):
            twin["on_demand_usd_per_hour"] = round(twin["on_demand_usd_per_hour"] * 0.9, 4)
        else:
            twin["egress_usd_per_gb"] = twin["egress_usd_per_gb"] / 2
        rows.append(twin)
    return rows


@st.composite
def portfolios(
    draw: st.DrawFn, providers: tuple[str, ...] = ("alpha",), regions: tuple[str, ...] = ("r1",)
) -> Budget:
    """A service, maybe a training run, and maybe a budget cap (on the catalog's providers and regions)."""
    mix = draw(st.booleans())
    service = InferenceService(
        name="chat",
        model="llama-3-8b",
        request_mix=(
            [
                RequestBucket(input_tokens=SHORT[0], output_tokens=SHORT[1], share=0.7),
                RequestBucket(input_tokens=LONG[0], output_tokens=LONG[1], share=0.3),
            ]
            if mix
            else None
        ),
        input_tokens=None if mix else SHORT[0],
        output_tokens=None if mix else SHORT[1],
        requests_per_s=draw(st.sampled_from([0.5, 3.0, 12.0, 40.0])),
        growth_per_month=draw(st.sampled_from([0.0, 0.15])),
        snapshots=draw(st.sampled_from([None, DAY])),
        min_replicas=draw(st.integers(0, 2)),
        max_spot_fraction=draw(st.sampled_from([0.0, 0.3, 1.0])),
        egress_gb_per_request=draw(st.sampled_from([0.0, 0.0001])),
        throughput_table=str(TABLE),
    )
    workloads: list[Any] = [service]
    if draw(st.booleans()):
        # A training run that can draw on the same commitment pools (so pools are not the service's
        # alone), on every accelerator or one of the two (so some pools are shared, others not).
        workloads.append(
            TrainingRun(
                name="tune",
                params=1e9,
                flops=10 ** draw(st.floats(min_value=20.0, max_value=21.5)),
                mfu=0.5,
                goodput=1.0,
                deadline_days=draw(st.sampled_from([10.0, 45.0])),
                start_month=draw(st.integers(0, 6)),
                accelerators=draw(st.sampled_from([None, ["X1000"], ["Y500"]])),
            )
        )
    cap = st.builds(
        Cap,
        max_gpus=st.sampled_from([8, 64]),
        provider=st.sampled_from([None, *providers]),
        region=st.sampled_from([None, *regions]),
    )
    caps = draw(st.lists(cap, max_size=1))
    constraints = Constraints(
        max_spot_fraction=1.0,
        caps=caps,
        # 3-year terms pay 9 months, not 36 (then 1y and 3y compete; a third of the time, as such
        # plain models take seconds to solve)
        credit_reserved_beyond_horizon=draw(st.sampled_from([False, False, True])),
    )
    return Budget(name="equiv", horizon_months=9, workloads=workloads, constraints=constraints)


def cost(budget: Budget, rows: list[dict[str, Any]], **options: Any) -> float:
    plan = planner.plan(budget, catalog=catalog(*rows), explain=False, **options)
    event(f"status {plan.status}")
    return verified_cost(plan)


def same(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=GAP, abs_tol=1e-6)


def pruning_events(budget: Budget, rows: list[dict[str, Any]]) -> None:
    """Label the example with the pruning that fired (hypothesis statistics show how often)."""
    prepared, cat, _ = prepare(budget, catalog(*rows))
    cands = generate_candidates(prepared, cat, prune=True)
    committed = {d.option.id for d in cands.pruned_terms if d.term.is_pooled}
    rented = {d.option.id for d in cands.pruned_terms if not d.term.is_pooled}
    event(f"committed terms pruned: {'yes' if committed else 'no'}")
    event(f"rented terms pruned: {'yes' if rented else 'no'}")
    trained = {o.group.id for opts in cands.training.values() for o in opts}
    served = {o.group.id for o in cands.serving.get("chat", [])}
    event(f"a pool shared with training: {'yes' if trained & served else 'no'}")


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Budget]:
    rows = draw(offering_rows())
    providers, regions = ({r[key] for r in rows} for key in ("provider", "region"))
    return rows, draw(portfolios(tuple(sorted(providers)), tuple(sorted(regions))))


@SETTINGS
@given(instance=instances())
def test_pruning_and_the_compact_formulation_keep_the_optimal_cost(instance):
    rows, budget = instance
    pruning_events(budget, rows)
    reduced = cost(budget, rows)
    plain = cost(budget, rows, prune_dominated=False, compact_model=False)
    assert same(reduced, plain), (reduced, plain)


def test_the_reductions_do_shrink_the_model():
    """On a service with one bucket and no egress, the compact model has fewer rows and columns."""
    rows = [offering("alpha", "x1", "X1000", 4.0, gpus=1, reserved_1y=2.5, spot=1.5)]
    service = InferenceService(
        name="chat",
        model="llama-3-8b",
        input_tokens=SHORT[0],
        output_tokens=SHORT[1],
        requests_per_s=5.0,
        snapshots=DAY,
        min_replicas=1,
        max_spot_fraction=0.3,
        throughput_table=str(TABLE),
    )
    budget = Budget(name="small", horizon_months=6, workloads=[service])
    compact = planner.plan(budget, catalog=catalog(*rows), explain=False)
    plain = planner.plan(budget, catalog=catalog(*rows), explain=False, compact_model=False)
    assert compact.total_cost_usd == plain.total_cost_usd or math.isclose(
        compact.total_cost_usd, plain.total_cost_usd, rel_tol=GAP
    )
    assert compact.solver.constraints < plain.solver.constraints
    assert compact.solver.variables < plain.solver.variables
