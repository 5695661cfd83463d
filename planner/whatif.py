"""Re-plans behind what-ifs, runner-ups and diagnoses: from scratch for a modified budget (when
the candidates change), or on the built model with a bound or right-hand side moved (when they do
not), warm-started from the plan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pulp

from planner.catalog.catalog import Catalog
from planner.model.build import build_model
from planner.model.candidates import generate_candidates
from planner.model.model import Model
from planner.model.options import PlanOptions
from planner.model.solve import SolveResult, solve
from planner.model.timeline import build_timeline
from planner.workloads import Budget


def pipeline_cost(
    budget: Budget, catalog: Catalog, opts: PlanOptions
) -> tuple[str, float | None, float | None]:
    """Status, cost and proven MIP gap of planning a modified budget from scratch (candidates
    depend on it)."""
    cands = generate_candidates(budget, catalog, prune=opts.prune_dominated)
    model = build_model(budget, cands, build_timeline(budget), compact=opts.compact_model)
    res = solve(model.prob, opts)
    return res.status, (model.cost_value() if res.has_solution else None), res.mip_gap


def modified(budget: Budget, **changes: Any) -> Budget:
    new = budget.model_copy(update=changes)
    return new.with_base_dir(budget.base_dir)


def with_run(budget: Budget, name: str, **changes: Any) -> Budget:
    workloads = [w.model_copy(update=changes) if w.name == name else w for w in budget.workloads]
    return modified(budget, workloads=workloads)


def with_constraints(budget: Budget, **changes: Any) -> Budget:
    return modified(budget, constraints=budget.constraints.model_copy(update=changes))


@contextmanager
def preserved(model: Model) -> Iterator[None]:
    """Undo, on exit, every change to variable values and bounds and to constraint right-hand
    sides made inside the block (what-ifs and runner-ups re-solve the plan's own model)."""
    saved = [(v, v.varValue, v.lowBound, v.upBound) for v in model.prob.variables()]
    constants = {name: c.constant for name, c in model.constraints.items()}
    try:
        yield
    finally:
        for v, value, low, up in saved:
            v.varValue, v.lowBound, v.upBound = value, low, up
        for name, c in model.constraints.items():
            c.constant = constants[name]


def raise_rhs(model: Model, names: list[str], delta: float) -> None:
    """Move the right-hand side of the named rows up by `delta` (inside `preserved`)."""
    for name in names:
        model.constraints[name].constant -= delta  # PuLP keeps `lhs <= rhs` as lhs - rhs <= 0


def resolve(model: Model, opts: PlanOptions, warm_start: bool = True) -> tuple[SolveResult, float | None]:
    """Re-solve the (modified) model, starting from the current values when they are a plan."""
    res = solve(model.prob, opts, warm_start=warm_start)
    return res, (model.cost_value() if res.has_solution else None)


def fix_rest(model: Model, workload: str) -> None:
    """Hold every other workload at the plan (inside `preserved`): its clusters, hours, instances
    and floors fixed, commitments kept at least as bought (the workload may add to them or draw on
    what the others leave idle)."""
    fixed: list[pulp.LpVariable] = []
    fixed += [v for (w, _), v in model.y.items() if w != workload]
    fixed += [v for (w, _), v in model.n.items() if w != workload]
    fixed += [v for (w, _, _, _), v in model.x.items() if w != workload]
    fixed += [v for (w, _, _), v in model.xp.items() if w != workload]
    held = set(map(id, model.held.values()))
    fixed += [v for (w, _, _, _, _), v in model.u.items() if w != workload and id(v) not in held]
    fixed += [v for (w, _, _, _), v in model.f.items() if w != workload]
    for v in fixed:
        v.lowBound = v.upBound = v.varValue or 0.0
    for v in model.r.values():
        v.lowBound = round(v.varValue or 0.0)
