"""Inference services on tiny catalogs, with costs and mixes computed by hand.

Capacities come from measured throughput tables (tokens/s of one replica under the targets), so
every figure below is a round number: cost = instance-hours x price, where rented capacity in a
snapshot is its time-averaged instance count (docs/model.md, "time-averaged capacity").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tinycat import catalog, chat_service, offering

import planner
import planner.compute
import planner.enums
import planner.zoo
from planner.enums import Term
from planner.workloads import Budget, Constraints, InferenceService, Snapshot

EXACT = {"rel": 1e-9}
HOURS_PER_YEAR = 8760.0
HALF_DAY = [
    Snapshot(name="peak", hours_per_day=12, factor=2.0),
    Snapshot(name="base", hours_per_day=12, factor=1.0),
]


def table(tmp_path: Path, rows: list[tuple[str, int, int, int, float]], name: str = "measured.csv") -> str:
    """A measured throughput table: accelerator, gpus, input_tokens, output_tokens, tokens_per_s."""
    path = tmp_path / name
    lines = ["accelerator,gpus,input_tokens,output_tokens,tokens_per_s"]
    lines += [",".join(str(x) for x in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


service = chat_service


def rows_of(plan: planner.Plan, row_type: str) -> list[dict]:
    return [r for r in plan.allocations.to_dict(orient="records") if r["row_type"] == row_type]


# --------------------------------------------------------------------------- reserve the base, rent the peak


def base_and_peak(tmp_path: Path, terms: list[Term] | None = None) -> planner.Plan:
    """10 requests/s x 100 output tokens = 1,000 tok/s at base, 2,000 at peak (12 h each per day).

    One 1-GPU instance serves 1,000 tok/s (measured); $10/h on demand, $6/h on a 1-year commitment.
    """
    cat = catalog(offering("alpha", "x1", "X1000", 10.0, gpus=1, reserved_1y=6.0))
    svc = service(snapshots=HALF_DAY, throughput_table=table(tmp_path, [("X1000", 1, 100, 100, 1000)]))
    budget = Budget(
        name="base-peak", horizon_months=12, workloads=[svc], constraints=Constraints(terms=terms)
    )
    return planner.plan(budget, catalog=cat, explain=False)


def test_reserve_the_base_rent_the_peak(tmp_path):
    plan = base_and_peak(tmp_path)
    # One committed instance all year ($6 x 8,760 h) + one on-demand instance for the 12 peak
    # hours of every day ($10 x 4,380 h): a peak instance is busy 50% < 60% (= 6/10), so rent it.
    assert plan.total_cost_usd == pytest.approx(6.0 * HOURS_PER_YEAR + 10.0 * HOURS_PER_YEAR / 2, **EXACT)
    [commit] = rows_of(plan, "commitment")
    assert (commit["term"], commit["instances"], commit["months"]) == ("reserved_1y", 1.0, 12.0)
    assert commit["utilization"] == pytest.approx(1.0, **EXACT)
    rent = rows_of(plan, "rent")
    assert {r["snapshot"] for r in rent} == {"peak"}
    assert all(r["instances"] == pytest.approx(1.0) and r["term"] == "on_demand" for r in rent)
    assert plan.verification.ok


def test_base_and_peak_beats_all_reserved_and_all_on_demand(tmp_path):
    mixed = base_and_peak(tmp_path).total_cost_usd
    all_reserved = base_and_peak(tmp_path, terms=[Term.RESERVED_1Y]).total_cost_usd
    all_on_demand = base_and_peak(tmp_path, terms=[Term.ON_DEMAND]).total_cost_usd
    assert all_reserved == pytest.approx(2 * 6.0 * HOURS_PER_YEAR, **EXACT)  # two instances all year
    assert all_on_demand == pytest.approx(10.0 * 1.5 * HOURS_PER_YEAR, **EXACT)  # 1.5 instances on average
    assert mixed == pytest.approx(96_360.0, **EXACT)
    assert mixed < all_reserved < all_on_demand


def test_demand_marginal_cost_is_the_on_demand_price_per_token(tmp_path):
    cat = catalog(offering("alpha", "x1", "X1000", 10.0, gpus=1, reserved_1y=6.0))
    svc = service(snapshots=HALF_DAY, throughput_table=table(tmp_path, [("X1000", 1, 100, 100, 1000)]))
    plan = planner.plan(Budget(name="marginal", horizon_months=12, workloads=[svc]), catalog=cat)
    demand = [b for b in plan.binding if b.family == "demand"]
    assert demand and all(b.unit == "USD per million output tokens" for b in demand)
    # At the margin the peak rents on demand: $10/h for 1,000 tok/s = $10 / 3.6M tokens = $2.78.
    # The base is exactly at the committed capacity, a degenerate optimum: its dual may be any
    # value from $0 (less demand saves nothing) to $2.78 (more demand rents), so only the peak
    # figure is pinned (docs/output.md).
    assert len(demand) == 1 and demand[0].name == "demand:chat:m0-11"
    assert "peak $2.78" in demand[0].explanation


# --------------------------------------------------------------------------- measured table changes the GPU


def two_gpus() -> planner.Catalog:
    return catalog(offering("alpha", "x1", "X1000", 5.0, gpus=1), offering("beta", "y1", "Y500", 2.0, gpus=1))


def test_a_measured_table_changes_the_chosen_gpu(tmp_path):
    # Estimated (roofline, no latency targets): X1000 is under 2.5x as fast as Y500 but 2.5x the
    # price, so the estimate prefers Y500.
    cat = two_gpus()
    arch = planner.zoo.get_model("llama-3-8b")
    est = {
        a: planner.compute.estimate_inference(
            arch, cat.accelerator(a), 1, planner.enums.Precision.BF16, 100, 100
        )
        for a in ("X1000", "Y500")
    }
    assert est["X1000"].tokens_per_s / 5.0 < est["Y500"].tokens_per_s / 2.0
    estimated = planner.plan(Budget(name="est", horizon_months=1, workloads=[service()]), catalog=cat)
    assert {r["accelerator"] for r in rows_of(estimated, "rent")} == {"Y500"}
    measured = table(tmp_path, [("X1000", 1, 100, 100, 4000), ("Y500", 1, 100, 100, 1000)])
    plan = planner.plan(
        Budget(name="measured", horizon_months=1, workloads=[service(throughput_table=measured)]),
        catalog=two_gpus(),
    )
    # 1,000 tok/s: X1000 at 4,000 tok/s for $5/h needs 0.25 instance ($1.25/h); Y500 at 1,000 tok/s
    # for $2/h needs a whole one ($2/h).
    assert {r["accelerator"] for r in rows_of(plan, "rent")} == {"X1000"}
    assert plan.total_cost_usd == pytest.approx(0.25 * 5.0 * 730, **EXACT)
    assert all(s == "measured (table row 2)" for s in plan.serving["capacity_source"])


# --------------------------------------------------------------------------- split a request mix


MIX = [
    {"input_tokens": 100, "output_tokens": 100, "share": 0.5},
    {"input_tokens": 4000, "output_tokens": 1000, "share": 0.5},
]
MIX_TABLE = [
    # small GPU: fast on short requests, slow on long ones; large GPU: steady
    ("Y500", 1, 100, 100, 1000),
    ("Y500", 1, 4000, 1000, 100),
    ("X1000", 1, 100, 100, 1000),
    ("X1000", 1, 4000, 1000, 1500),
]


def mix_service(tmp_path: Path, rows: list[tuple[str, int, int, int, float]], **kw) -> InferenceService:
    """The MIX of short and long requests with capacities from `rows` (a measured table)."""
    spec = {"name": "mix", "model": "llama-3-8b", "request_mix": MIX, "requests_per_s": 10, "min_replicas": 0}
    return InferenceService(**(spec | kw), throughput_table=table(tmp_path, rows))


def mix_plan(tmp_path: Path, accelerators: list[str] | None = None) -> planner.Plan:
    cat = catalog(offering("alpha", "l1", "X1000", 6.0, gpus=1), offering("beta", "s1", "Y500", 2.0, gpus=1))
    svc = mix_service(tmp_path, MIX_TABLE, accelerators=accelerators)
    return planner.plan(Budget(name="mix", horizon_months=1, workloads=[svc]), catalog=cat, explain=False)


def test_splitting_a_request_mix_beats_every_single_type_fleet(tmp_path):
    # Demand: short 5 req/s x 100 = 500 tok/s, long 5 x 1,000 = 5,000 tok/s.
    # Split: short on Y500 0.5 x $2 + long on X1000 3.333 x $6 = $21/h.
    # All X1000: (500/1000 + 5000/1500) x $6 = $23/h. All Y500: (0.5 + 50) x $2 = $101/h.
    split = mix_plan(tmp_path)
    assert split.total_cost_usd == pytest.approx(21.0 * 730, **EXACT)
    served = split.serving.groupby(["bucket", "accelerator"])["tokens_per_s"].sum().to_dict()
    assert served == pytest.approx({(0, "Y500"): 500.0, (1, "X1000"): 5000.0})
    only_large = mix_plan(tmp_path, ["X1000"]).total_cost_usd
    only_small = mix_plan(tmp_path, ["Y500"]).total_cost_usd
    assert only_large == pytest.approx(23.0 * 730, **EXACT)
    assert only_small == pytest.approx(101.0 * 730, **EXACT)
    assert split.total_cost_usd < only_large < only_small


def test_full_commitment_is_one_line_priced_by_hand(tmp_path):
    # The committed instance is drawn in every slice; in each month's peak one more would replace
    # one rented instance for 365 h at $10 (the base is covered): $3,650 a month, $43,800 a year
    # (less than the $52,560 a 1-year commitment costs, so the plan does not buy it).
    cat = catalog(offering("alpha", "x1", "X1000", 10.0, gpus=1, reserved_1y=6.0))
    svc = service(snapshots=HALF_DAY, throughput_table=table(tmp_path, [("X1000", 1, 100, 100, 1000)]))
    plan = planner.plan(Budget(name="base-peak", horizon_months=12, workloads=[svc]), catalog=cat)
    [line] = [b for b in plan.binding if b.family == "commitment"]
    assert line.name == "commitment:alpha/r1/x1"
    assert line.shadow_price == pytest.approx(12 * 10.0 * 365, **EXACT)
    assert "12 month-slices of months 0-11" in line.explanation and "$3,650.00" in line.explanation


# --------------------------------------------------------------------------- floor, spot, latency


def test_availability_floor_holds_whole_instances(tmp_path):
    # Demand needs 0.1 instance; a floor of 2 replicas needs 2 whole instances held all month.
    cat = catalog(offering("alpha", "x1", "X1000", 10.0, gpus=1))
    svc = service(
        requests_per_s=1, min_replicas=2, throughput_table=table(tmp_path, [("X1000", 1, 100, 100, 1000)])
    )
    plan = planner.plan(Budget(name="floor", horizon_months=1, workloads=[svc]), catalog=cat, explain=False)
    assert plan.total_cost_usd == pytest.approx(2 * 10.0 * 730, **EXACT)
    assert plan.verification.ok


def test_floor_counts_the_replicas_of_the_widest_bucket(tmp_path):
    # One 8-GPU instance runs 8 one-GPU replicas for short requests but only 2 four-GPU replicas for
    # long ones; one deployment serves both, so it counts as 2 replicas. Demand needs a sliver of an
    # instance; a floor of 4 replicas needs 2 whole instances (with the short bucket's 8: only 1).
    cat = catalog(offering("alpha", "x8", "X1000", 10.0, gpus=8))
    rows = [("X1000", 1, 100, 100, 1000), ("X1000", 4, 4000, 1000, 1000)]
    svc = mix_service(tmp_path, rows, requests_per_s=0.1, min_replicas=4)
    plan = planner.plan(Budget(name="floor", horizon_months=1, workloads=[svc]), catalog=cat, explain=False)
    assert plan.total_cost_usd == pytest.approx(2 * 10.0 * 730, **EXACT)
    assert plan.verification.ok


def test_spot_share_is_capped_and_derated(tmp_path):
    # 1,000 tok/s on $10/h on-demand or $4/h spot (derated by the restart overhead rho).
    from planner.compute import DEFAULT_SPOT_OVERHEAD as RHO

    cat = catalog(offering("alpha", "x1", "X1000", 10.0, gpus=1, spot=4.0))
    svc = service(max_spot_fraction=0.5, throughput_table=table(tmp_path, [("X1000", 1, 100, 100, 1000)]))
    plan = planner.plan(Budget(name="spot", horizon_months=1, workloads=[svc]), catalog=cat, explain=False)
    # Spot share of instance-hours <= 50%: u_spot = u_od = u, capacity u + (1 - rho) u = 1 instance.
    u = 1 / (2 - RHO)
    assert plan.total_cost_usd == pytest.approx(u * (10.0 + 4.0) * 730, **EXACT)


def test_spot_share_is_spent_in_the_earliest_slots(tmp_path):
    # A capped spot share saves the same in every slot; the tie-break spends it month by month and
    # slice by slice instead of anywhere (build.SPOT_TIE_BREAK_PER_MONTH), at the same cost.
    from planner.compute import DEFAULT_SPOT_OVERHEAD as RHO

    cat = catalog(offering("alpha", "x1", "X1000", 10.0, gpus=1, spot=4.0))
    svc = service(
        snapshots=HALF_DAY,
        max_spot_fraction=0.25,
        throughput_table=table(tmp_path, [("X1000", 1, 100, 100, 1000)]),
    )
    plan = planner.plan(Budget(name="spot", horizon_months=3, workloads=[svc]), catalog=cat, explain=False)
    # Capacity-hours needed: 2 instances x 365 h (peak) + 1 x 365 h (base) a month, 3 months. With
    # spot at 25% of GPU-hours, S = O/3 and O + (1 - rho)·S = 3,285.
    on_demand = 3 * 1095 / (1 + (1 - RHO) / 3)
    assert plan.total_cost_usd == pytest.approx(10.0 * on_demand + 4.0 * on_demand / 3, **EXACT)
    rent = [r for r in rows_of(plan, "rent") if r["instances"] > 1e-9]
    spot = [(r["month"], r["slice"]) for r in rent if r["term"] == "spot"]
    od = [(r["month"], r["slice"]) for r in rent if r["term"] == "on_demand"]
    assert spot and od
    assert max(spot) <= min(od)  # no on-demand slot before a spot slot
    assert min(spot) == (0, 0)


def test_latency_target_excludes_slow_accelerators_with_reason():
    # A 70B model in fp8 on one 80 GiB GPU cannot hold TPOT 5 ms; the exclusion says why.
    cat = catalog(offering("alpha", "x8", "X1000", 80.0))
    svc = InferenceService(
        name="fast", model="llama-2-70b", precision="fp8", input_tokens=100, output_tokens=100,
        requests_per_s=1, tpot_ms=5,
    )  # fmt: skip
    plan = planner.plan(Budget(name="fast", horizon_months=1, workloads=[svc]), catalog=cat)
    assert plan.status == "infeasible"
    excluded = plan.exclusions[plan.exclusions["code"] == "latency"]
    assert len(excluded) == 1 and "TPOT" in excluded.iloc[0]["reason"]
    assert any("TPOT 5 ms" in d.message for d in plan.diagnosis)
