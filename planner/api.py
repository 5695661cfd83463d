"""`planner.plan()`: the one-way pipeline spec → candidates → model → solve → plan → verify → explain."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from planner.catalog.catalog import Catalog
from planner.catalog.load import load_catalog
from planner.errors import InputError, PlannerError, Problem, SolverError
from planner.model.build import build_model
from planner.model.candidates import Candidates, generate_candidates
from planner.model.extract import (
    ALLOCATION_COLUMNS,
    SERVING_COLUMNS,
    USAGE_COLUMNS,
    commitment_rows,
    cost_breakdown,
    egress_rows,
    inference_rows,
    inference_summaries,
    own_dc_rows,
    serving_rows,
    snap_noise,
    training_rows,
    training_summaries,
    usage_rows,
)
from planner.model.model import Model
from planner.model.options import PlanOptions
from planner.model.solve import SolveResult, solve
from planner.model.timeline import build_timeline
from planner.model.training import tighten_clusters
from planner.references import check_references
from planner.result import Plan, SolverInfo
from planner.verify import verify_plan
from planner.workloads import Budget, InferenceService, TrainingRun, as_budget


class VerificationError(PlannerError):
    """The independent verifier rejected a plan: a bug in the model, never shown as a result."""


def resolve_catalog(budget: Budget, catalog: Catalog | str | Path | None) -> Catalog:
    """The catalog to plan on: an explicit one, else the budget's `catalog` field (default: bundled)."""
    if isinstance(catalog, Catalog):
        return catalog
    if catalog is not None:
        if not isinstance(catalog, (str, Path)) or not str(catalog).strip():
            raise InputError(
                f"catalog must be a Catalog, a catalog folder (or SkyPilot catalog) path or 'default', "
                f"got {catalog!r}"
            )
        return load_catalog(None if str(catalog) == "default" else catalog)
    if budget.catalog == "default":
        return load_catalog(None)
    path = Path(budget.catalog).expanduser()
    path = path if path.is_absolute() else budget.base_dir / path
    if not path.exists():
        raise InputError(
            [
                Problem(
                    f"catalog not found: {path} (a catalog folder, a SkyPilot catalog, or `default`)",
                    source=budget.source,
                    location="catalog",
                )
            ]
        )
    return load_catalog(path)


def prepare(
    spec: Budget | TrainingRun | InferenceService, catalog: Catalog | str | Path | None, **options: Any
) -> tuple[Budget, Catalog, PlanOptions]:
    """The validated budget, its catalog (names cross-checked against it) and the plan options."""
    opts = PlanOptions.from_kwargs(**options)
    budget = as_budget(spec)
    cat = resolve_catalog(budget, catalog)
    check_references(budget, cat)
    return budget, cat, opts


def plan(
    spec: Budget | TrainingRun | InferenceService,
    catalog: Catalog | str | Path | None = None,
    **options: Any,
) -> Plan:
    """Plan the cheapest procurement for `spec` on `catalog`; options: see PlanOptions."""
    return run_pipeline(*prepare(spec, catalog, **options))


def run_pipeline(budget: Budget, catalog: Catalog, opts: PlanOptions) -> Plan:
    clock = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[phase] = now - clock
        clock = now

    candidates = generate_candidates(budget, catalog, prune=opts.prune_dominated)
    lap("candidates")
    model = build_model(budget, candidates, build_timeline(budget), compact=opts.compact_model)
    lap("build")
    build_seconds = phases["candidates"] + phases["build"]
    result = solve(model.prob, opts)
    lap("solve")
    if result.status == "no_solution":
        raise SolverError(
            f"{result.solver} stopped ({result.termination}) after {result.seconds:.1f} s without finding any plan: "
            "raise the time limit (--time-limit) or narrow the catalog (providers, regions, accelerators)"
        )
    if result.status == "unbounded":
        raise SolverError(
            "the model is unbounded: a model-building bug; please report it with the budget file"
        )
    solver = SolverInfo(
        name=result.solver,
        seconds=result.seconds,
        mip_gap=result.mip_gap,
        termination=result.termination,
        build_seconds=build_seconds,
        variables=len(model.prob.variables()),
        constraints=len(model.prob.constraints()),
        message=result.message,
    )
    if result.status == "infeasible":
        out = infeasible_plan(budget, catalog, candidates, model, solver, opts)
        lap("explain")
        out.phase_seconds, out.offering_groups = phases, len(candidates.groups)
        return out
    snap_noise(model)
    tighten_clusters(model)
    result_plan = assemble_plan(model, result, solver, catalog)
    result_plan.phase_seconds, result_plan.offering_groups = phases, len(candidates.groups)
    lap("extract")
    if opts.verify:
        result_plan.verification = verify_plan(result_plan, budget, catalog)
        if not result_plan.verification.ok:
            failed = "; ".join(f"{c.name}: {c.detail}" for c in result_plan.verification.failures())
            raise VerificationError(
                f"the plan failed independent verification ({failed}); please report this bug"
            )
        lap("verify")
    if opts.explain:
        from planner.explain import annotate

        annotate(result_plan, model, catalog, opts)
        lap("explain")
    return result_plan


def exclusions_frame(candidates: Candidates) -> pd.DataFrame:
    return pd.DataFrame(
        [vars(e) for e in candidates.exclusions],
        columns=["workload", "group", "provider", "region", "accelerator", "instance_type", "code", "reason"],
    )


def assemble_plan(model: Model, result: SolveResult, solver: SolverInfo, catalog: Catalog) -> Plan:
    rows = (
        training_rows(model)
        + inference_rows(model)
        + egress_rows(model)
        + commitment_rows(model)
        + own_dc_rows(model)
    )
    breakdown = cost_breakdown(model)
    allocations = pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)
    notes = []
    if result.status == "feasible":
        notes.append(time_limited_note(result.mip_gap))
    return Plan(
        name=model.budget.name,
        status=result.status,  # type: ignore[arg-type]
        total_cost_usd=sum(breakdown.values()),
        solver=solver,
        allocations=allocations,
        workloads=training_summaries(model) + inference_summaries(model),
        usage=pd.DataFrame(usage_rows(model), columns=USAGE_COLUMNS),
        serving=pd.DataFrame(serving_rows(model), columns=SERVING_COLUMNS),
        cost_breakdown=breakdown,
        exclusions=exclusions_frame(model.candidates),
        catalog=catalog.name,
        notes=notes,
        budget_usd=model.budget.constraints.budget_usd,
        horizon_months=model.timeline.months,
    )


def time_limited_note(gap: float | None) -> str:
    """What a plan stopped by the time limit is worth: its proven gap, and plainly when the solver
    had proven next to nothing (a gap near 100%: the plan may cost many times the optimum)."""
    if gap is not None and gap < 0.5:
        return f"time limit reached: this is the best plan found, proven within {gap:.2%} of optimal"
    shown = "unknown" if gap is None else f"{gap:.2%}"
    return (
        f"time limit reached before the solver bounded the optimum (gap {shown}): this plan may cost "
        "several times the cheapest one; raise the time limit (--time-limit) before relying on it"
    )


def infeasible_plan(
    budget: Budget,
    catalog: Catalog,
    candidates: Candidates,
    model: Model,
    solver: SolverInfo,
    opts: PlanOptions,
) -> Plan:
    from planner.explain import diagnose

    out = Plan(
        name=budget.name,
        status="infeasible",
        total_cost_usd=None,
        solver=solver,
        allocations=pd.DataFrame(columns=ALLOCATION_COLUMNS),
        workloads=training_summaries(model) + inference_summaries(model),
        exclusions=exclusions_frame(candidates),
        catalog=catalog.name,
        budget_usd=budget.constraints.budget_usd,
        horizon_months=model.timeline.months,
    )
    out.diagnosis = diagnose(budget, catalog, candidates, model, opts)
    return out
