"""Re-plan a modified budget from scratch: the engine behind what-ifs, runner-ups and diagnoses."""

from __future__ import annotations

from typing import Any

from planner.catalog.catalog import Catalog
from planner.model.build import build_model
from planner.model.candidates import generate_candidates
from planner.model.options import PlanOptions
from planner.model.solve import solve
from planner.model.timeline import build_timeline
from planner.workloads import Budget


def pipeline_cost(budget: Budget, catalog: Catalog, opts: PlanOptions) -> tuple[str, float | None]:
    """Status and cost of planning a modified budget from scratch (candidates depend on it)."""
    cands = generate_candidates(budget, catalog, prune=opts.prune_dominated)
    model = build_model(budget, cands, build_timeline(budget))
    res = solve(model.prob, opts)
    return res.status, (model.cost_value() if res.has_solution else None)


def modified(budget: Budget, **changes: Any) -> Budget:
    new = budget.model_copy(update=changes)
    return new.with_base_dir(budget.base_dir)


def with_run(budget: Budget, name: str, **changes: Any) -> Budget:
    workloads = [w.model_copy(update=changes) if w.name == name else w for w in budget.workloads]
    return modified(budget, workloads=workloads)


def with_constraints(budget: Budget, **changes: Any) -> Budget:
    return modified(budget, constraints=budget.constraints.model_copy(update=changes))
