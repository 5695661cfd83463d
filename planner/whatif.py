"""Re-plans behind what-ifs, runner-ups and diagnoses: from scratch for a modified budget (when
the candidates change), or on the built model with a bound or right-hand side moved (when they do
not), warm-started from the plan."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import pulp

from planner.catalog.catalog import Catalog
from planner.model.build import build_model
from planner.model.candidates import Candidates, TrainingOption, generate_candidates
from planner.model.model import COMMITTED, Model
from planner.model.options import PlanOptions
from planner.model.serving import ServingOption
from planner.model.solve import SolveResult, solve
from planner.model.timeline import build_timeline
from planner.result import RunnerUp, WhatIf
from planner.workloads import Budget

Option = TypeVar("Option", TrainingOption, ServingOption)


def pipeline_cost(
    budget: Budget, catalog: Catalog, opts: PlanOptions
) -> tuple[str, float | None, float | None]:
    """Status, cost and proven MIP gap of planning a modified budget from scratch (candidates
    depend on it)."""
    cands = generate_candidates(budget, catalog, prune=opts.prune_dominated, exclusions=False)
    model = build_model(budget, cands, build_timeline(budget), compact=opts.compact_model)
    res = solve(model.prob, opts)
    return res.status, (model.cost_value() if res.has_solution else None), res.mip_gap


# Status of an explanation item skipped because explain_budget_s was spent.
NOT_SOLVED = "not_solved"


def budget_spent_note(opts: PlanOptions) -> str:
    return (
        f"not re-solved: the explanation's time budget (explain_budget_s = {opts.explain_budget_s:g} s) "
        "was spent; raise it to see this"
    )


def what_if(
    name: str, description: str, status: str, cost: float | None, gap: float | None, base: float
) -> WhatIf:
    """A what-if from its re-solve's outcome: cost and delta only with a plan, gap only when time-limited."""
    ok = status in ("optimal", "feasible") and cost is not None
    return WhatIf(
        name,
        description,
        status,
        cost if ok else None,
        (cost - base) if ok and cost is not None else None,
        gap if status == "feasible" else None,
    )


def not_solved_what_if(name: str, description: str, opts: PlanOptions) -> WhatIf:
    return WhatIf(name, f"{description} ({budget_spent_note(opts)})", NOT_SOLVED, None, None)


def not_solved_runner_up(
    workload: str, kind: Literal["accelerator", "provider"], label: str, opts: PlanOptions
) -> RunnerUp:
    return RunnerUp(workload, kind, label, None, NOT_SOLVED, None, None, budget_spent_note(opts))


def no_plan_reason(status: str, otherwise: str) -> str:
    """Why a re-solve has no plan: its time limit (status no_solution), else `otherwise`."""
    if status == "no_solution":
        return "no plan found within the time limit (explain_time_limit_s)"
    return otherwise


# Appended to a what-if's description when the other workloads were held at the plan.
HELD_NOTE = " (other workloads as planned)"


def replan_workload(
    model: Model, new_budget: Budget, workload: str, catalog: Catalog, opts: PlanOptions
) -> tuple[str, float | None, float | None, bool]:
    """Status, cost, proven gap of re-planning `workload` under a modified budget, and whether the
    other workloads were held as planned.

    With one workload this is pipeline_cost. With several, the candidates are generated for the
    new budget but every other workload is held (hold_planned): the answer is what the change is
    worth to this workload alone, and the model left to solve is about its size instead of the
    whole portfolio's (presolve drops the held columns). When a held choice has no counterpart in
    the new model (pruning kept other groups), it falls back to re-planning everything.
    """
    if len(model.budget.workloads) > 1:
        cands = planned_options_only(
            model,
            generate_candidates(new_budget, catalog, prune=opts.prune_dominated, exclusions=False),
            workload,
        )
        new = build_model(new_budget, cands, build_timeline(new_budget), compact=opts.compact_model)
        if hold_planned(model, new, workload, exact=True):
            # Held columns are fixed, so presolve removes them; this workload's own columns are
            # screened (solve). Values fixed exactly can miss a row by the solver's tolerance; then
            # hold "at least".
            res = solve(new.prob, opts, warm_start=carry_plan(model, new))
            if res.status == "infeasible":
                hold_planned(model, new, workload, exact=False)
                res = solve(new.prob, opts)
            return res.status, (new.cost_value() if res.has_solution else None), res.mip_gap, True
    return (*pipeline_cost(new_budget, catalog, opts), False)


def planned_options_only(old: Model, cands: Candidates, workload: str) -> Candidates:
    """`cands` with every workload but `workload` cut to the options its plan in `old` uses.

    hold_planned holds those workloads' other options at zero, so building them would only add
    columns fixed at zero (and the rows they alone feed, which then read 0 <= 0): the model is the
    same, smaller. On the 36-month benchmark a deadline what-if's model drops from 27,092 columns to
    6,627: the service's plan uses 2 of its 94 options. (Should the exact hold fail on
    the solver's tolerance, the fallback holds the used options "at least" as planned and leaves
    the unused ones out, as before only never cheaper than the plan.)
    """
    used: set[tuple[str, str]] = set()
    for (w, o), v in old.y.items():
        if float(v.value() or 0.0) > 0.5:
            used.add((w, o))
    for family in (old.u, old.f):
        for key, v in family.items():
            if abs(float(v.value() or 0.0)) > 1e-9:
                used.add((key[0], key[1]))

    def cut(by_workload: dict[str, list[Option]]) -> dict[str, list[Option]]:
        return {
            w: opts if w == workload else [o for o in opts if (w, o.id) in used]
            for w, opts in by_workload.items()
        }

    return dataclasses.replace(cands, training=cut(cands.training), serving=cut(cands.serving))


# Every variable family of a Model, keyed by what it stands for (workload, option, period, ...).
FAMILIES = ("y", "n", "x", "xp", "u", "s", "f", "r", "held", "z", "kw")


def carry_plan(old: Model, new: Model) -> bool:
    """Start `new` from the plan of the solved `old`: each variable at the value of the same key (0
    where `old` has none). True when that is the whole plan: the same timeline (keys name the same
    periods) and a column in `new` for every value the plan uses. A what-if that only loosens the
    budget (a latency target, so more options qualify and each serves more) then starts from a
    feasible plan, which lets HiGHS fix most columns by reduced cost at the root; otherwise nothing
    is carried (an incomplete start costs HiGHS time to repair)."""
    if old.timeline != new.timeline:
        return False
    pairs: list[tuple[pulp.LpVariable, float]] = []
    for family in FAMILIES:
        before, after = getattr(old, family), getattr(new, family)
        for key, v in before.items():
            value = float(v.value() or 0.0)
            target = after.get(key)
            if isinstance(target, pulp.LpVariable):
                pairs.append((target, value))
            elif abs(value) > 1e-9 and isinstance(v, pulp.LpVariable):
                return False
    for v in new.prob.variables():
        v.varValue = 0.0
    for v, value in pairs:
        v.varValue = value
    return True


def hold_planned(old: Model, new: Model, workload: str, exact: bool) -> bool:
    """Hold, in the freshly built `new`, every workload other than `workload` at its plan in the
    solved `old`: training runs on their clusters (option and size; their hours may move between
    terms and segments, which a changed timeline renumbers), services at their instances and
    floors per month and slice (exact=False: at least those, never cheaper). Commitments are free:
    the held draws keep what they need. False when a planned choice has no variable in `new`
    (nothing is held then)."""
    fixes: list[tuple[pulp.LpVariable, float, bool]] = []  # (variable, value, also its upper bound)
    pairs: list[tuple[dict[Any, Any], dict[Any, Any], bool]] = [
        (old.y, new.y, True),
        (old.n, new.n, True),
        (old.u, new.u, exact),
        (old.f, new.f, exact),
    ]
    # Commitments are not held: the held workloads' draws need what they need (pool rows), and
    # what only `workload` drew on may go.
    for before, after, fix in pairs:
        for key, v in before.items():
            if key[0] == workload:
                continue
            value = float(v.value() or 0.0)
            target = after.get(key)
            if not isinstance(target, pulp.LpVariable):
                if value > 1e-9:
                    return False
                continue
            fixes.append((target, value, fix))
        # options the held workloads did not have stay unused
        fixes += [
            (t, 0.0, True)
            for key, t in after.items()
            if key[0] != workload and key not in before and isinstance(t, pulp.LpVariable)
        ]
    for v, value, fix in fixes:
        v.lowBound = round(value) if v.cat == pulp.LpInteger else value
        if fix:
            v.upBound = v.lowBound
    return True


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
    and floors fixed. Commitments are free: the others' fixed draws keep what they need (pool
    rows), the workload may add to them, draw on what the others leave idle, or drop what only it
    drew on."""
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
    drawable = _drawable_groups(model, workload)
    for (g, _, _), v in model.r.items():
        # Commitments are not a workload's: the others' draws are fixed, so the pool rows keep
        # what they need; what only `workload` drew on may go (held at the plan, its runner-up
        # would pay for capacity it no longer uses).
        v.lowBound = 0
        if g not in drawable:
            # Only the others draw on g, and their draws are fixed: a purchase beyond the plan's
            # would be pure cost. Held, so the solver does not carry thousands of such columns
            # (the 36-month benchmark's B200 runner-up: 5,000 integers left after presolve).
            v.upBound = round(v.varValue or 0.0)


def _drawable_groups(model: Model, workload: str) -> set[str]:
    """Offering groups whose commitments `workload` may still draw on: those of its options that
    are not forbidden (a training option with y allowed, a service's committed column allowed)."""
    groups = {opt.group.id for opt in model.options(workload) if model.y[workload, opt.id].upBound != 0}
    groups |= {
        model.group_of(o).id
        for (w, o, _, _, key), v in model.u.items()
        if w == workload and key == COMMITTED and v.upBound != 0
    }
    return groups
