"""Tiny made-up catalogs with round numbers, so plan costs can be computed by hand.

Accelerators (peak bf16 TFLOPS, memory): X1000 (1000, 80 GiB) and Y500 (500, 80 GiB). With
``mfu=0.5`` and ``goodput=1`` one X1000 delivers 1000e12 x 0.5 x 3600 = 1.8e18 FLOPs (1.8 EFLOP)
per GPU-hour, so an 8-GPU instance delivers 14.4 EFLOP per instance-hour at scaling efficiency 1
(clusters of at most 8 GPUs). ``WORK_FLOPS`` (1.44e21 FLOPs) is exactly 100 instance-hours of
an 8 x X1000 instance and 200 of an 8 x Y500 instance.
"""

from __future__ import annotations

import math
import re
from typing import Any

import planner
from planner.catalog.catalog import Catalog
from planner.workloads import InferenceService

MFU = 0.5
X_EFLOP_PER_GPU_HOUR = 1000e12 * MFU * 3600 / 1e18  # 1.8
Y_EFLOP_PER_GPU_HOUR = 500e12 * MFU * 3600 / 1e18  # 0.9
WORK_FLOPS = 1.44e21  # 100 instance-hours on 8 x X1000, 200 on 8 x Y500
SMALL_PARAMS = 1e9  # 16 GB of training state: fits one GPU

X1000: dict[str, Any] = {
    "id": "X1000",
    "vendor": "Acme",
    "memory_gib": 80,
    "memory_bandwidth_gb_per_s": 2000,
    "peak_tflops": {"bf16": 1000, "fp16": 1000},
    "source": "made up for tests",
    "as_of": "2026-01",
}
Y500: dict[str, Any] = {**X1000, "id": "Y500", "peak_tflops": {"bf16": 500, "fp16": 500}}


def provider(pid: str) -> dict[str, Any]:
    return {"id": pid, "name": pid.title(), "kind": "neocloud", "source": "made up", "as_of": "2026-01"}


def offering(
    provider: str = "alpha",
    instance_type: str = "x8",
    accelerator: str = "X1000",
    on_demand: float | None = 80.0,
    *,
    gpus: int = 8,
    region: str = "r1",
    spot: float | None = None,
    reserved_1y: float | None = None,
    reserved_3y: float | None = None,
    fabric: bool = True,
    capacity: int | None = None,
) -> dict[str, Any]:
    """An offering record; prices in USD per instance-hour. `fabric`: has a cluster interconnect."""
    row: dict[str, Any] = {
        "provider": provider,
        "region": region,
        "instance_type": instance_type,
        "accelerator": accelerator,
        "gpus_per_instance": gpus,
        "on_demand_usd_per_hour": on_demand,
        "spot_usd_per_hour": spot,
        "cluster_interconnect": "made-up fabric" if fabric else None,
        "capacity_max_instances": capacity,
        "source": "made up",
        "as_of": "2026-01",
    }
    if reserved_1y is not None:
        row |= {"reserved_1y_usd_per_hour": reserved_1y, "reserved_1y_basis": "quoted"}
    if reserved_3y is not None:
        row |= {"reserved_3y_usd_per_hour": reserved_3y, "reserved_3y_basis": "quoted"}
    return row


def catalog(*offerings: dict[str, Any]) -> Catalog:
    """A catalog of the given offerings over X1000/Y500 and the providers they name."""
    providers = sorted({o["provider"] for o in offerings})
    return Catalog.from_records([X1000, Y500], [provider(p) for p in providers], offerings, name="tiny")


def chat_service(**kw: Any) -> InferenceService:
    """A Llama-3-8B service of 10 requests/s x 100 output tokens (1,000 tok/s), no floor; `kw` overrides."""
    spec: dict[str, Any] = {
        "name": "chat",
        "model": "llama-3-8b",
        "input_tokens": 100,
        "output_tokens": 100,
        "requests_per_s": 10,
        "min_replicas": 0,
    }
    return InferenceService(**(spec | kw))


def verified_cost(plan: planner.Plan) -> float:
    """The plan's optimal cost, +inf when infeasible; a feasible plan must be proven optimal and
    pass the independent verifier (property tests compare such costs)."""
    if plan.status == "infeasible":
        return math.inf
    assert plan.status == "optimal", plan.status
    assert plan.verification.ok and plan.verification.checks
    assert plan.total_cost_usd is not None
    return plan.total_cost_usd


# What-ifs that loosen a limit, and those that tighten one, by name (planner.explain.what_ifs).
LOOSER = re.compile(r"^(deadline:.*:\+25%|budget:\+25%|spot:50%|cap:.*:\+1 instance|latency:.*)$")
TIGHTER = re.compile(r"^(deadline:.*:-25%|budget:-25%|spot:none)$")


def assert_explanation_is_monotone(plan: planner.Plan) -> None:
    """Loosening a limit never costs more, tightening one or forcing a runner-up never costs less.
    Tolerances: the plan is optimal within 1e-6 and each re-solve within the explanation's 1e-4
    gap, so a loosened plan may read up to 1e-4 of the cost dearer, a tightened one only 1e-6 cheaper."""
    base = plan.total_cost_usd or 0.0
    for w in plan.what_ifs:
        if w.delta_usd is None:
            continue
        if LOOSER.match(w.name):
            assert w.delta_usd <= 1e-4 * base + 1e-6, (w.name, w.delta_usd)
        elif TIGHTER.match(w.name):
            assert w.delta_usd >= -1e-6 * base - 1e-6, (w.name, w.delta_usd)
        else:
            raise AssertionError(f"what-if {w.name} is neither a loosening nor a tightening: classify it")
    for r in plan.runner_ups:
        assert r.delta_usd is None or r.delta_usd >= -1e-6 * base - 1e-6, (r.label, r.delta_usd)
