"""Runner-ups are true re-plans even where dominance pruning crossed accelerators.

A service on the tiny catalog (X1000, Y500): the plan prunes X1000's on-demand columns as dominated
by Y500's (no dearer per token on any term), which is exact for the plan. The all-X1000 runner-up
forbids Y500, so in the plan's model it would have lost its cheapest columns and read dearer than a
user's own re-plan with `accelerators: [X1000]`. It must equal that re-plan.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.api import prepare
from planner.model.candidates import generate_candidates
from planner.workloads import Budget, InferenceService

CATALOG = Path(__file__).resolve().parents[1] / "fixtures" / "malformed_budgets" / "catalog"
SERVICE = {
    "name": "svc",
    "kind": "inference",
    "model": "llama-2-7b",
    "input_tokens": 1000,
    "output_tokens": 200,
    "requests_per_s": [5, 0, 10, 20, 0, 15, 15, 15, 15],
    "start_month": 1,
    "tpot_ms": 50,
    "ttft_ms": 2000,
    "min_replicas": 0,
}


def budget(**changes: object) -> Budget:
    return Budget(name="pruned", horizon_months=12, workloads=[InferenceService(**{**SERVICE, **changes})])


def test_the_plan_prunes_across_accelerators():
    prepared, cat, _ = prepare(budget(), CATALOG)
    cands = generate_candidates(prepared, cat, prune=True)
    assert any(
        d.option.group.accelerator.id == "X1000" and d.by.group.accelerator.id == "Y500"
        for d in cands.pruned_terms
    )
    assert cands.pruned_across("svc", lambda g: g.accelerator.id == "X1000")
    assert not cands.pruned_across("svc", lambda g: g.accelerator.id == "Y500")  # Y500 lost only to Y500


def test_a_single_accelerator_runner_up_equals_the_users_own_re_plan():
    plan = planner.plan(budget(), catalog=CATALOG)
    [x1000] = [r for r in plan.runner_ups if r.label == "X1000"]
    own = planner.plan(budget(accelerators=["X1000"]), catalog=CATALOG, explain=False)
    assert x1000.status == "optimal" and own.status == "optimal"
    assert x1000.cost_usd == pytest.approx(own.total_cost_usd, rel=2e-4)
    assert x1000.delta_usd == pytest.approx(own.total_cost_usd - plan.total_cost_usd, rel=2e-4)
