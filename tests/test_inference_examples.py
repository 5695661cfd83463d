"""The four inference examples, planned once each with explanations, against what their header
comments claim (examples/chat-70b-growing.yaml, batch-70b-overnight.yaml, chat-mixed-gpus.yaml,
portfolio-train-and-serve.yaml).

Demand is recomputed here from the budget's numbers (requests/s x (1 + growth)^month x snapshot
factor x output tokens); the batch example's cost and marginal price, and the portfolio's shared
commitment, are computed by hand from catalog prices and planner.compute.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import planner
from planner import compute, zoo
from planner.catalog.catalog import Catalog
from planner.units import HOURS_PER_MONTH

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REL = 1e-6  # the solver's relative MIP gap
RHO = compute.DEFAULT_SPOT_OVERHEAD
CHAT_FACTORS = {"peak": 3.0, "shoulder": 1.0, "base": 0.5}  # daily_profile of the chat example


class Planned:
    """One example planned once (with explanations) and its JSON form."""

    def __init__(self, name: str):
        self.budget = planner.load_budget(EXAMPLES / f"{name}.yaml")
        self.plan = planner.plan(self.budget)
        self.doc = self.plan.to_dict(timings=False)
        self.rows = self.doc["allocations"]

    def workload(self, name: str) -> dict[str, Any]:
        return next(w for w in self.doc["workloads"] if w["name"] == name)

    def used(self, workload: str) -> list[dict[str, Any]]:
        """Rent and draw rows of a workload."""
        return [r for r in self.rows if r["workload"] == workload and r["row_type"] in ("rent", "draw")]


@pytest.fixture(scope="module")
def plans() -> dict[str, Planned]:
    return {}


def get(plans: dict[str, Planned], name: str) -> Planned:
    if name not in plans:
        plans[name] = Planned(name)
    return plans[name]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return planner.load_catalog(None)


def by_slot(rows: list[dict[str, Any]], key: str = "tokens_per_s") -> dict[tuple[int, str], float]:
    out: dict[tuple[int, str], float] = defaultdict(float)
    for r in rows:
        out[r["start_month"], r["snapshot"]] += r[key]
    return out


def usd_per_gpu_hour(r: dict[str, Any]) -> float:
    return r["price_per_hour_usd"] / r["gpus_per_instance"]


@pytest.mark.parametrize(
    "name", ["chat-70b-growing", "batch-70b-overnight", "chat-mixed-gpus", "portfolio-train-and-serve"]
)
def test_example_is_optimal_and_verified(plans, name):
    p = get(plans, name)
    assert p.plan.status == "optimal"
    assert p.plan.verification.ok and p.doc["verification"]["ok"]
    assert p.plan.total_cost_usd == pytest.approx(sum(r["cost_usd"] for r in p.rows), rel=1e-9)


# --------------------------------------------------------------------------- chat-70b-growing


def test_chat_demand_is_requests_times_growth_times_factor_times_output_tokens(plans):
    chat = get(plans, "chat-70b-growing").workload("chat")
    assert len(chat["demand"]) == 12 * 3
    for d in chat["demand"]:
        requests = 20 * 1.3 ** d["month"] * CHAT_FACTORS[d["snapshot"]]
        assert d["requests_per_s"] == pytest.approx(requests, rel=1e-9, abs=1e-6)  # JSON: 6 decimals
        assert d["output_tokens_per_s"] == pytest.approx(requests * 256, rel=1e-9, abs=1e-6)
    # Month 11 at factor 1 (shoulder): 20 x 1.3^11 = 358.4 requests/s; the day's mean is 32/24 of it.
    shoulder_11 = next(d for d in chat["demand"] if (d["month"], d["snapshot"]) == (11, "shoulder"))
    assert shoulder_11["requests_per_s"] == pytest.approx(358.4, abs=0.05)


def test_chat_commitment_from_month_0_is_flat_and_covers_the_base(plans):
    p = get(plans, "chat-70b-growing")
    [commit] = [r for r in p.rows if r["row_type"] == "commitment"]
    assert (commit["term"], commit["start_month"], commit["months"]) == ("reserved_1y", 0, 12.0)
    assert commit["utilization"] == pytest.approx(1.0, rel=REL)
    draws = [r for r in p.used("chat") if r["row_type"] == "draw"]
    held = by_slot(draws, "instances")
    # Flat: the committed instances serve every snapshot of every month.
    assert set(held) == {(m, s) for m in range(12) for s in CHAT_FACTORS}
    assert all(n == pytest.approx(commit["instances"], rel=REL) for n in held.values())
    rented = by_slot([r for r in p.used("chat") if r["row_type"] == "rent"])
    demand = {(d["month"], d["snapshot"]): d["output_tokens_per_s"] for d in p.workload("chat")["demand"]}
    committed = by_slot(draws)
    # Months 0-1: the commitment alone serves the shoulder and base; months 0-7: all of the base.
    for m in range(2):
        for s in ("shoulder", "base"):
            assert rented.get((m, s), 0.0) == 0.0 and committed[m, s] >= demand[m, s] * (1 - REL)
    assert all(rented.get((m, "base"), 0.0) == 0.0 for m in range(8))
    # Rented capacity follows the daily peak and the growth.
    for m in range(12):
        assert (
            rented.get((m, "peak"), 0.0) >= rented.get((m, "shoulder"), 0.0) >= rented.get((m, "base"), 0.0)
        )
    assert all(rented[m, "peak"] > 0 for m in range(2, 12))
    assert rented[11, "peak"] > 10 * rented[2, "peak"]
    assert {r["term"] for r in p.used("chat") if r["row_type"] == "rent"} == {"on_demand", "spot"}


def test_chat_spot_share_and_coverage(plans):
    p = get(plans, "chat-70b-growing")
    used = p.used("chat")
    spot = sum(r["gpu_hours"] for r in used if r["term"] == "spot")
    # The 20% cap of GPU-hours binds (the explanation prices it).
    assert spot == pytest.approx(0.2 * sum(r["gpu_hours"] for r in used), rel=1e-5)
    assert any(b.name == "spot_share:chat" for b in p.plan.binding)
    coverage = [p.workload("chat")["committed_coverage"][str(m)] for m in range(12)]
    assert coverage[0] == pytest.approx(1.0)
    assert all(a >= b - 1e-9 for a, b in pairwise(coverage))  # growth: share falls
    assert coverage[11] < 0.25
    assert "committed capacity serves" in p.plan.explain()


def test_chat_explains_the_marginal_cost_of_demand_per_month(plans):
    p = get(plans, "chat-70b-growing")
    demand = [b for b in p.plan.binding if b.family == "demand"]
    assert demand and all(b.unit == "USD per million output tokens" for b in demand)
    by_name = {b.name: b for b in demand}
    assert by_name["demand:chat:m0"].shadow_price == pytest.approx(0.0, abs=1e-9)  # idle commitment
    assert all(b.shadow_price > 0 for b in demand if b.name != "demand:chat:m0")
    assert all("a million more output tokens would cost" in b.explanation for b in demand)


# --------------------------------------------------------------------------- batch-70b-overnight


def b200_spot(catalog: Catalog) -> tuple[float, float]:
    """(cheapest AWS us-east-2 p6-b200.48xlarge spot USD/h, its output tokens/s with no targets)."""
    price = min(
        o.spot_usd_per_hour
        for o in catalog.offerings
        if (o.provider, o.region, o.instance_type) == ("aws", "us-east-2", "p6-b200.48xlarge")
        and o.spot_usd_per_hour is not None
    )
    est = compute.estimate_inference(
        zoo.get_model("llama-2-70b"), catalog.accelerator("B200"), 8, "fp8", 1024, 256
    )
    return price, est.tokens_per_s


def test_batch_serves_the_chat_tokens_on_spot_only(plans):
    batch, chat = get(plans, "batch-70b-overnight"), get(plans, "chat-70b-growing")
    assert batch.workload("batch")["requests"] == pytest.approx(chat.workload("chat")["requests"], rel=1e-9)
    # 20 x sum(1.3^m, m < 12) x 32 factor-hours per day x 730/24 days x 3,600 s
    requests = 20 * (1.3**12 - 1) / 0.3 * 32 * (HOURS_PER_MONTH / 24) * 3600
    assert batch.workload("batch")["requests"] == pytest.approx(requests, rel=1e-9)
    assert batch.workload("batch")["tpot_ms"] is None and batch.workload("batch")["ttft_ms"] is None
    assert {r["term"] for r in batch.rows} == {"spot"}
    assert {r["row_type"] for r in batch.rows} == {"rent"}


def test_batch_cost_is_its_tokens_at_the_spot_price_per_token(plans, catalog):
    """All of it on one spot offering at time-averaged instances: cost = output tokens / (instance
    tokens/s x (1 - rho) x 3,600) x USD per instance-hour."""
    batch = get(plans, "batch-70b-overnight")
    price, tokens_per_s = b200_spot(catalog)
    assert {(r["accelerator"], r["instance_type"], r["price_per_hour_usd"]) for r in batch.rows} == {
        ("B200", "p6-b200.48xlarge", price)
    }
    output_tokens = batch.workload("batch")["requests"] * 256
    expected = output_tokens / (tokens_per_s * (1 - RHO) * 3600) * price
    assert batch.plan.total_cost_usd == pytest.approx(expected, rel=REL)
    [marginal] = [b for b in batch.plan.binding if b.family == "demand"]
    assert marginal.shadow_price == pytest.approx(price / (tokens_per_s * (1 - RHO) * 3600) * 1e6, rel=1e-4)


def test_batch_is_over_5x_cheaper_on_cheaper_gpu_hours(plans):
    batch, chat = get(plans, "batch-70b-overnight"), get(plans, "chat-70b-growing")
    assert batch.plan.total_cost_usd * 5 < chat.plan.total_cost_usd
    # Every batch GPU-hour costs no more than the chat's cheapest; on average under half.
    chat_priced = [r for r in chat.rows if r["row_type"] in ("rent", "commitment")]
    assert max(map(usd_per_gpu_hour, batch.rows)) <= min(map(usd_per_gpu_hour, chat_priced)) + 1e-9
    batch_avg = batch.plan.total_cost_usd / batch.workload("batch")["gpu_hours"]
    chat_avg = chat.plan.total_cost_usd / chat.workload("chat")["gpu_hours"]
    assert batch_avg < 0.5 * chat_avg
    # Latency targets barely move capacity here: B200 tokens/s per instance within 2% with or without them.
    cap = {
        name: {
            r["accelerator"]: r["capacity_per_instance_tokens_per_s"] for r in get(plans, name).doc["serving"]
        }
        for name in ("batch-70b-overnight", "chat-70b-growing")
    }
    assert 1.0 <= cap["batch-70b-overnight"]["B200"] / cap["chat-70b-growing"]["B200"] < 1.02


# --------------------------------------------------------------------------- chat-mixed-gpus


def test_mixed_demand_per_bucket(plans):
    p = get(plans, "chat-mixed-gpus")
    factors = {"peak": 2.0, "shoulder": 1.0, "base": 0.5}
    for d in p.workload("assistant")["demand"]:
        # 50 requests/s x factor x (0.7 x 128 + 0.3 x 512) output tokens
        assert d["output_tokens_per_s"] == pytest.approx(50 * factors[d["snapshot"]] * 243.2, rel=1e-9)


def test_mixed_splits_buckets_across_accelerators(plans):
    p = get(plans, "chat-mixed-gpus")
    served: dict[tuple[int, str], float] = defaultdict(float)
    for r in p.doc["serving"]:
        served[r["bucket"], r["accelerator"]] += r["tokens_per_s"]
    # Short requests on TPU v6e only; long ones shared between the TPUs and H200.
    assert {a for b, a in served if b == 0} == {"TPU-V6E"}
    assert {a for b, a in served if b == 1} == {"TPU-V6E", "H200"}
    assert served[1, "H200"] > 0.3 * (served[1, "H200"] + served[1, "TPU-V6E"])
    [commit] = [r for r in p.rows if r["row_type"] == "commitment"]
    assert (commit["accelerator"], commit["term"], commit["start_month"]) == ("TPU-V6E", "reserved_1y", 0)
    rents = [r for r in p.rows if r["row_type"] == "rent"]
    assert {(r["accelerator"], r["term"]) for r in rents} == {("H200", "on_demand")}
    assert {r["snapshot"] for r in rents} == {"peak", "shoulder"}  # the base runs on the commitment alone


def test_mixed_beats_every_single_type_fleet(plans):
    p = get(plans, "chat-mixed-gpus")
    total = p.plan.total_cost_usd
    solved = {r.label: r for r in p.plan.runner_ups if r.workload == "assistant" and r.cost_usd is not None}
    assert {"TPU-V6E", "H100-SXM", "H200"} <= set(solved)
    assert all(r.cost_usd > total * (1 + 1e-3) for r in solved.values())


def test_mixed_reports_the_latency_exclusion_and_the_cost_of_relaxing(plans):
    p = get(plans, "chat-mixed-gpus")
    latency = p.plan.exclusions[p.plan.exclusions["code"] == "latency"]
    assert set(latency["accelerator"]) == {"L4"}
    assert all("> target 30 ms" in why for why in latency["reason"])
    [relax] = [w for w in p.plan.what_ifs if w.name == "latency:assistant:L4"]
    assert relax.status == "optimal" and relax.delta_usd < 0  # a looser target admits cheaper capacity


# --------------------------------------------------------------------------- portfolio-train-and-serve


def test_portfolio_shares_one_commitment_between_training_and_serving(plans):
    p = get(plans, "portfolio-train-and-serve")
    [commit] = [r for r in p.rows if r["row_type"] == "commitment"]
    assert commit["workload"] == "finetune,serve"
    assert (commit["accelerator"], commit["gpus"], commit["term"], commit["start_month"]) == (
        "H200",
        8.0,
        "reserved_1y",
        0,
    )
    # The run draws the instance for its 30-day window (720 h of month 0's 730), the service for all
    # 730 h of months 1-11: utilization (720 + 11 x 730) / (12 x 730).
    assert commit["utilization"] == pytest.approx((720 + 11 * 730) / (12 * 730), rel=REL)
    draws = defaultdict(float)
    for u in p.doc["usage"]:
        if u["term"] == "reserved_1y":
            draws[u["workload"], u["month"]] += u["instance_hours"]
    assert draws == pytest.approx({("finetune", 0): 720.0} | {("serve", m): 730.0 for m in range(1, 12)})
    assert {(r["workload"], r["row_type"]) for r in p.rows} >= {("finetune", "draw"), ("serve", "draw")}


def test_portfolio_costs_less_than_planning_each_workload_alone(plans):
    p = get(plans, "portfolio-train-and-serve")
    alone = {
        w.name: planner.plan(p.budget.model_copy(update={"workloads": [w], "name": w.name}), explain=False)
        for w in p.budget.workloads
    }
    # Alone, the run rents every hour on demand, and the service's commitment starts in month 1 (its
    # 12th month falls after the horizon): together, the run's 720 committed hours are not rented.
    assert not any(r["row_type"] == "commitment" for r in alone["finetune"].allocations.to_dict("records"))
    [serve_commit] = [
        r for r in alone["serve"].allocations.to_dict("records") if r["row_type"] == "commitment"
    ]
    assert serve_commit["start_month"] == 1 and serve_commit["utilization"] == pytest.approx(11 / 12, rel=REL)
    on_demand = next(
        r["price_per_hour_usd"] for r in p.rows if r["workload"] == "finetune" and r["row_type"] == "rent"
    )
    saving = sum(a.total_cost_usd for a in alone.values()) - p.plan.total_cost_usd
    assert saving == pytest.approx(720 * on_demand, rel=1e-5)
