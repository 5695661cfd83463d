"""Explain a plan from its named constraints: what binds and what it costs, what-ifs, runner-ups,
and for an infeasible budget, which constraints must move and by how much.

Nothing here parses solver text. Binding is decided from each named row's slack with a computed
tolerance; shadow prices come from the LP with every integer fixed at the plan (marginal cost
*given the chosen clusters and commitments*). Where the integers make that LP dual meaningless
(a cap on whole instances, a deadline that sizes a cluster), the marginal is a re-solve with the
constraint moved by one step, and the explanation says so.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Literal

import pulp

from planner import compute
from planner.catalog.catalog import Catalog
from planner.enums import Term
from planner.explain_serving import (
    cheapest_per_accelerator,
    latency_what_ifs,
    priced_runner_up,
    service_no_candidates,
    service_runner_ups,
)
from planner.jobs import Job, Ready, run_jobs
from planner.model.build import build_model
from planner.model.candidates import Candidates, Exclusion, OfferingGroup, TrainingOption
from planner.model.extract import chosen_option, val
from planner.model.inference import TOKENS_SCALE, period
from planner.model.model import Model
from planner.model.options import PlanOptions
from planner.model.registry import ConstraintInfo
from planner.model.solve import fixed_lp_duals, solve, solve_direct
from planner.model.timeline import build_timeline
from planner.model.training import EFLOP
from planner.result import BindingConstraint, DiagnosisItem, Plan, RunnerUp, WhatIf
from planner.units import HOURS_PER_DAY, format_count, format_usd
from planner.whatif import (
    HELD_NOTE,
    NOT_SOLVED,
    fix_rest,
    modified,
    no_plan_reason,
    not_solved_runner_up,
    not_solved_what_if,
    pipeline_cost,
    preserved,
    raise_rhs,
    replan_workload,
    resolve,
    what_if,
    with_constraints,
    with_run,
)
from planner.workloads import MAX_DEADLINE_DAYS, Budget, InferenceService, TrainingRun

# Duals below this (USD per constraint unit) are the objective's tie-break term, not a real price.
ZERO_DUAL_USD = 1e-3
# Families whose rows are definitions, not limits a user could move.
_DEFINITIONAL = {"one_cluster", "held"}
# The re-solves' differences from the plan are only as good as the plan's proof: past a 0.1% gap
# (the explanation's own re-solves stop at 0.01%) they are not computed for a time-limited plan.
EXPLAIN_MAX_PLAN_GAP = 1e-3


def annotate(plan: Plan, model: Model, catalog: Catalog, opts: PlanOptions) -> None:
    """Fill plan.binding, plan.what_ifs and plan.runner_ups (model values are restored after)."""
    # Shadow prices are one LP, outside explain_budget_s; the budget starts with the re-solves.
    plan.binding = binding_constraints(
        model, plan, dataclasses.replace(opts.for_explanation(), deadline=None)
    )
    gap = plan.solver.mip_gap
    if plan.status != "optimal" and (gap is None or gap > EXPLAIN_MAX_PLAN_GAP):
        shown = "an unknown gap" if gap is None else f"{gap:.2%}"
        plan.notes.append(
            "what-ifs and runner-ups not computed: each is the cost of a re-solved plan less this "
            f"plan's, which is proven only within {shown} of optimal, so the difference could be off "
            "by as much (a tighter deadline could even look cheaper); raise the time limit for a "
            "plan proven optimal"
        )
        plan.binding += binding_caps(model, plan)
        return
    quiet = opts.for_explanation()
    # Re-solves in order of what a reader asks first (explain_budget_s may not reach the last):
    # what relaxing the workloads' own limits is worth, why the runner-ups lost, latency targets.
    # Every job is planned from the model at the plan's values before any runs (run_jobs).
    ifs = what_ifs(model, plan, catalog, quiet)
    ups = runner_ups(model, plan, catalog, quiet) + service_runner_ups(model, plan, catalog, quiet)
    latency = latency_what_ifs(model, plan, catalog, quiet)
    jobs: list[Job[WhatIf | RunnerUp]] = [*ifs, *ups, *latency]
    items = run_jobs(model, jobs, opts.explain_threads())
    plan.what_ifs = [x for x in items if isinstance(x, WhatIf)]  # the list's order: ifs, then latency
    plan.runner_ups = [x for x in items if isinstance(x, RunnerUp)]
    plan.binding += binding_caps(model, plan)  # reads the cap what-ifs


# --------------------------------------------------------------------------- binding & duals


def _row_slack(c: pulp.LpConstraint) -> tuple[float, float, float]:
    """(lhs, rhs, slack >= 0 when satisfied) of a solved row, whatever its sense."""
    rhs = -float(c.constant)
    lhs = float(c.value() or 0.0) + rhs
    slack = rhs - lhs if c.sense == pulp.LpConstraintLE else lhs - rhs
    if c.sense == pulp.LpConstraintEQ:
        slack = -abs(lhs - rhs)
    return lhs, rhs, slack


def _integer_step(c: pulp.LpConstraint) -> float:
    """The row's smallest move from one integer variable changing by 1 (0 if it has none)."""
    steps = [abs(a) for v, a in c.items() if v.cat == pulp.LpInteger and abs(a) > 0]
    return min(steps) if steps else 0.0


def _trivial(c: pulp.LpConstraint) -> bool:
    """A row all of whose variables are zero with a zero right-hand side (an unchosen option)."""
    return abs(float(c.constant)) < 1e-12 and all(abs(val(v)) < 1e-9 for v in c)


def is_binding(c: pulp.LpConstraint) -> bool:
    """Binding: slack below a tolerance scaled to the row, or (rows with integers) below one integer step.

    A cluster sized by its deadline leaves a slack smaller than one instance's window: the next
    smaller cluster would miss it, so the deadline binds up to rounding to whole instances.
    """
    lhs, rhs, slack = _row_slack(c)
    tol = 1e-6 * max(1.0, abs(rhs), abs(lhs))
    return slack <= max(tol, _integer_step(c) - tol)


def binding_constraints(model: Model, plan: Plan, opts: PlanOptions) -> list[BindingConstraint]:
    duals = fixed_lp_duals(model.prob, opts, fixed=model.structural_variables(), objective=model.total_cost())
    out = []
    deadlines_seen: set[tuple[str | None, str | None]] = set()
    for name, info in model.registry.by_name.items():
        if info.family in _DEFINITIONAL:
            continue
        if info.family == "deadline" and (info.workload, info.entity) in deadlines_seen:
            continue  # one sentence per run, whichever segments bind
        c = model.constraints[name]
        if _trivial(c) or not is_binding(c):
            continue
        sentence = _explain_row(model, info, c, duals.get(info.pulp_name))
        if sentence is None:
            continue
        if info.family == "deadline":
            deadlines_seen.add((info.workload, info.entity))
        lhs, rhs, _ = _row_slack(c)
        price, unit, text = sentence
        out.append(BindingConstraint(name, info.family, info.workload, price, unit, text, lhs, rhs))
    return (
        out
        + commitment_marginals(model, duals)
        + demand_marginals(model, duals)
        + replica_floors(model, duals)
    )


def commitment_marginals(model: Model, duals: dict[str, float]) -> list[BindingConstraint]:
    """Per committed offering: what one more committed instance would save in the months whose
    committed capacity is fully used (its pool rows are per month and slice, or per training
    segment, so one line per row would list dozens for one commitment).

    One more instance held in month m loosens every pool row of that month by one instance (per
    slice) or by the segment's hours (per training segment): its value in m is the sum of those
    rows' duals times that step (fixed-integer LP, so given the chosen commitments).
    """
    by_group: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    slots: dict[str, int] = defaultdict(int)
    for name, info in model.registry.by_name.items():
        if info.family != "commitment" or info.entity is None or not info.period:
            continue
        dual = duals.get(info.pulp_name)
        c = model.constraints[name]
        if dual is None or abs(dual) < ZERO_DUAL_USD or _trivial(c) or not is_binding(c):
            continue  # full but not worth more (idle in other slots), or not full
        head, _, _ = info.period.partition(".k")
        if head.startswith("s"):
            segment = model.timeline.segments[int(head[1:])]
            month = segment.month
            step = segment.hours if info.rhs_unit == "instance-hours" else 1.0
        else:
            month, step = int(head[1:]), 1.0
        by_group[info.entity][month] += -dual * step
        slots[info.entity] += 1
    out = []
    for g, by_month in sorted(by_group.items()):
        months = sorted(by_month)
        total = sum(by_month.values())
        low, high = min(by_month.values()), max(by_month.values())
        spread = format_usd(low) if abs(high - low) < 0.005 else f"{format_usd(low)}-{format_usd(high)}"
        out.append(
            BindingConstraint(
                f"commitment:{g}",
                "commitment",
                None,
                total,
                "USD saved per extra committed instance held through the months it is full (marginal rate)",
                f"Committed capacity of {g} is fully used in {slots[g]} month-slices of {_month_list(months)}: "
                f"at the margin, more of it would replace {spread} of rented capacity per instance-month "
                f"({format_usd(total)} over those months), given the chosen commitments. A marginal rate: a "
                "whole extra instance changes the mix and saves no more than it costs.",
            )
        )
    return out


def _month_list(months: list[int]) -> str:
    """'month 3', 'months 0-11' or 'months 0-4, 7, 9-11' for sorted month numbers."""
    runs: list[list[int]] = []
    for m in months:
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    text = ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
    return f"month {text}" if len(months) == 1 else f"months {text}"


def demand_marginals(model: Model, duals: dict[str, float]) -> list[BindingConstraint]:
    """Per service and month: the marginal cost of demand in USD per million output tokens.

    Each demand row's dual is USD per (output token/s) held through the slice's hours; divided by
    those hours x 3600 it is USD per token. The month's figure weights slices by their tokens.
    """
    out = []
    for w in model.services:
        needs = model.candidates.services[w]
        by_month: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
        for (b, m, k), demand in sorted(needs.demand.items()):
            info = model.registry.by_name.get(f"demand:{w}:b{b}:{period(m, k)}")
            if info is None or demand <= 0 or info.pulp_name not in duals:
                continue
            seconds = model.timeline.slice_hours(k) * 3600.0
            per_mtok = duals[info.pulp_name] / TOKENS_SCALE / seconds * 1e6
            label = model.timeline.slices[k].names.get(w, model.timeline.slices[k].label)
            if len(needs.buckets) > 1:  # the same snapshot once per request bucket
                bucket = needs.buckets[b]
                label += f" {bucket.input_tokens}/{bucket.output_tokens}-token requests"
            by_month[m].append((per_mtok, demand * seconds, label))
        rows = []
        for m, items in sorted(by_month.items()):
            tokens = sum(t for _, t, _ in items)
            avg = sum(p * t for p, t, _ in items) / tokens if tokens else 0.0
            snap = ", ".join(f"{lbl} {format_usd(p)}" for p, _, lbl in items)
            rows.append((m, avg, snap))
        # Consecutive months with the same marginal (to the cent, per snapshot) read as one line.
        start_i = 0
        for i in range(1, len(rows) + 1):
            if i < len(rows) and rows[i][2] == rows[start_i][2] and rows[i][0] == rows[i - 1][0] + 1:
                continue
            first, last = rows[start_i][0], rows[i - 1][0]
            months = f"month {first}" if first == last else f"months {first}-{last}"
            avg = sum(r[1] for r in rows[start_i:i]) / (i - start_i)
            idle = " (idle committed capacity absorbs it)" if abs(avg) < 0.005 else ""
            out.append(
                BindingConstraint(
                    f"demand:{w}:m{first}" + ("" if first == last else f"-{last}"),
                    "demand",
                    w,
                    avg,
                    "USD per million output tokens",
                    f"{w}, {months}: a million more output tokens would cost {format_usd(avg)} at the margin, "
                    f"given the chosen commitments{idle} (by snapshot: {rows[start_i][2]}).",
                )
            )
            start_i = i
    return out


def replica_floors(model: Model, duals: dict[str, float]) -> list[BindingConstraint]:
    """The availability floor, where it forces replicas beyond what demand needs."""
    out = []
    for w, svc in model.services.items():
        rows = [
            (n, info)
            for n, info in model.registry.by_name.items()
            if info.family == "replicas" and info.workload == w and is_binding(model.constraints[n])
        ]
        costly = [(n, info) for n, info in rows if abs(duals.get(info.pulp_name, 0.0)) > ZERO_DUAL_USD]
        if not costly:
            continue
        worst = max(duals[info.pulp_name] for _, info in costly)
        out.append(
            BindingConstraint(
                f"replicas:{w}",
                "replicas",
                w,
                worst,
                "USD per replica per slot",
                f"The availability floor of {svc.min_replicas} non-spot replicas of {w} binds in {len(costly)} of "
                f"{len(rows)} month-snapshots (low traffic): each floor replica costs up to {format_usd(worst)} there.",
            )
        )
    return out


def _option(model: Model, w: str, o: str) -> TrainingOption:
    return next(p for p in model.options(w) if p.id == o)


def _sized_by(model: Model, w: str, o: str) -> str | None:
    """What sets the chosen cluster's size: "deadline", "memory", or None (a single instance)."""
    opt = _option(model, w, o)
    per_segment: dict[int, float] = defaultdict(float)
    for _, sg, v in model.x_by_option[w, o]:
        per_segment[sg] += val(v)
    for sg, v in model.xp_by_option[w, o]:
        per_segment[sg] += val(v)
    total = sum(per_segment.values())
    n_deadline = math.ceil(total / (model.runs[w].deadline_days * HOURS_PER_DAY) - 1e-7)
    for sg, h in per_segment.items():
        n_deadline = max(n_deadline, math.ceil(h / model.windows[w][sg] - 1e-7))
    n_memory = opt.min_instances_memory
    if max(n_deadline, n_memory) <= 1:
        return None
    return "deadline" if n_deadline >= n_memory else "memory"


def _explain_row(
    model: Model, info: ConstraintInfo, c: pulp.LpConstraint, dual: float | None
) -> tuple[float | None, str, str] | None:
    """(shadow price, unit, sentence) for one binding row, or None when it says nothing useful."""
    w, fam = info.workload, info.family
    if fam == "flops" and w is not None:
        needs = model.candidates.needs[w]
        if dual is not None and abs(dual) < ZERO_DUAL_USD:
            return (
                0.0,
                "USD per EFLOP",
                f"{w} must deliver {format_count(needs.flops)} FLOPs; the marginal hours come from idle committed "
                "capacity, so a little more training would cost nothing extra.",
            )
        per_eflop = dual
        per_btok = None if dual is None else dual * 6 * needs.active_params * 1e9 / EFLOP
        extra = (
            f"; ≈ {format_usd(per_btok)} per extra billion training tokens" if per_btok is not None else ""
        )
        return (
            per_eflop,
            "USD per EFLOP",
            f"{w} must deliver {format_count(needs.flops)} FLOPs: each extra EFLOP (1e18 FLOPs) would cost "
            f"{format_usd(per_eflop or 0.0)} at the chosen cluster's marginal hour{extra}.",
        )
    if fam == "deadline" and w is not None and info.entity is not None:
        run = model.runs[w]
        n = round(val(model.n[w, info.entity]))
        if _sized_by(model, w, info.entity) != "deadline":
            return None
        g = _option(model, w, info.entity).group
        per_day = None if dual is None else dual * HOURS_PER_DAY * n
        lp = (
            f" Given this cluster, one more day would change cost by {format_usd(per_day or 0.0)}."
            if per_day
            else ""
        )
        return (
            per_day,
            "USD per day of deadline",
            f"The {run.deadline_days:g}-day deadline of {w} sizes its cluster at {n:,} x {g.offering.instance_type} "
            f"({n * g.gpus:,} {g.accelerator.id}); a smaller cluster would finish late.{lp} "
            "See the deadline what-ifs for the cost of moving it.",
        )
    if fam == "memory" and w is not None and info.entity is not None:
        if _sized_by(model, w, info.entity) != "memory":
            return None
        opt = _option(model, w, info.entity)
        gpus = opt.min_instances_memory * opt.group.gpus
        return (
            None,
            "GPUs",
            f"{w}'s training state ({model.candidates.needs[w].memory_bytes / 1e12:.2f} TB) needs at least "
            f"{gpus:,} {opt.group.accelerator.id}: the cluster is sized by memory, not by the deadline.",
        )
    if fam == "cluster_size" and w is not None and info.entity is not None:
        opt = _option(model, w, info.entity)
        if opt.max_instances_reason == "tier":
            return None
        return (
            None,
            "instances",
            f"{w}'s cluster is at the largest size {opt.group.id} allows ({opt.max_instances:,} instances: "
            f"{opt.max_instances_reason}).",
        )
    if fam == "spot_share" and w is not None:
        if dual is not None and abs(dual) < ZERO_DUAL_USD:
            return None
        per_h = dual
        return (
            None if per_h is None else -per_h,
            "USD saved per extra instance-hour allowed on spot",
            f"Spot is capped for {w} and the cap binds: every instance-hour moved to spot saves "
            f"{format_usd(-(per_h or 0.0))} (see the spot what-if).",
        )
    if fam in ("commitment", "demand", "serving", "replicas", "small_demand", "floor_held"):
        return None  # summarised per commitment and service: commitment_marginals, demand_marginals, replica_floors
    if fam in ("commit_window", "commit_reach") and w is not None:
        return None  # the run draws all it can from commitments in its window: shown by commitment rows
    if fam == "cap":
        return None  # priced by re-solve in binding_caps
    if fam == "budget":
        return (
            dual,
            "USD of cost per USD of budget",
            f"The budget of {format_usd(model.budget.constraints.budget_usd or 0.0)} binds: the plan spends all of it.",
        )
    return None


# --------------------------------------------------------------------------- what-ifs


def what_ifs(model: Model, plan: Plan, catalog: Catalog, opts: PlanOptions) -> list[Job[WhatIf]]:
    """Deadlines ±25% and allowing spot re-plan from scratch (the candidates change; a deadline
    with the other workloads held as planned, see whatif.replan_workload); the budget ±25%,
    forbidding spot and raising a cap re-solve the plan's own model with a bound or a right-hand
    side moved, warm-started from the plan. One job per what-if (jobs.run_jobs runs them)."""
    budget, base = model.budget, plan.total_cost_usd or 0.0
    out: list[Job[WhatIf]] = []

    def record(name: str, description: str, status: str, cost: float | None, gap: float | None) -> WhatIf:
        return what_if(name, description, status, cost, gap, base)

    def replan(name: str, description: str, new_budget: Budget) -> None:
        def job(_m: Model) -> WhatIf:
            if opts.out_of_time():
                return not_solved_what_if(name, description, opts)
            return record(name, description, *pipeline_cost(new_budget, catalog, opts))

        out.append(job)

    def replan_one(name: str, description: str, new_budget: Budget, workload: str) -> None:
        def job(m: Model) -> WhatIf:
            if opts.out_of_time():
                return not_solved_what_if(name, description, opts)
            status, cost, gap, held = replan_workload(m, new_budget, workload, catalog, opts)
            return record(name, description + (HELD_NOTE if held else ""), status, cost, gap)

        out.append(job)

    def in_model(name: str, description: str, change: Callable[[Model], None]) -> None:
        def job(m: Model) -> WhatIf:
            if opts.out_of_time():
                return not_solved_what_if(name, description, opts)
            with preserved(m):
                change(m)
                res, cost = resolve(m, opts)
            return record(name, description, res.status, cost, res.mip_gap)

        out.append(job)

    # Deadlines move inside the plan's horizon: one derived from the workloads (no horizon_months)
    # would move with the deadline, and every service's months with it (a shorter deadline would
    # read as cheaper by the months of serving it drops). With training runs only, a derived
    # horizon moves as in the user's own re-plan (two-runs-commitment: pretrain-b's +25% ends in
    # month 12.2 of a 12-month plan).
    services = any(isinstance(w, InferenceService) for w in budget.workloads)
    derived = budget.horizon_months is None and not services
    deadline_base = budget if derived else modified(budget, horizon_months=model.timeline.months)
    for run in budget.workloads:
        if isinstance(run, TrainingRun):
            for factor, label in ((1.25, "+25%"), (0.75, "-25%")):
                days = run.deadline_days * factor
                name = f"deadline:{run.name}:{label}"
                description = (
                    f"deadline of {run.name} {label} ({days:.1f} days instead of {run.deadline_days:g})"
                )
                end = run.model_copy(update={"deadline_days": days}).end_month
                if not derived and end > model.timeline.months + 1e-9:
                    # The model cuts the window at the horizon: it would plan the old deadline under
                    # the new one's name (and the budget validator rejects such a run).
                    why = (
                        f" (not planned: the run would end in month {end:.2f}, past the horizon of "
                        f"{model.timeline.months} months; raise horizon_months to see this)"
                    )
                    out.append(Ready(WhatIf(name, description + why, NOT_SOLVED, None, None)))
                    continue
                replan_one(name, description, with_run(deadline_base, run.name, deadline_days=days), run.name)
    c = budget.constraints
    if c.budget_usd is not None and "budget" in model.constraints:
        for factor, label in ((1.25, "+25%"), (0.75, "-25%")):
            limit = c.budget_usd
            in_model(
                f"budget:{label}",
                f"budget {label} ({format_usd(limit * factor)})",
                functools.partial(raise_rhs, names=["budget"], delta=limit * (factor - 1)),
            )
    if _spot_columns(model):
        in_model("spot:none", "spot not allowed", lambda m: _forbid_spot(_spot_columns(m)))
    else:
        spot_used = c.max_spot_fraction > 0 or any(
            w.max_spot_fraction for w in budget.workloads if w.max_spot_fraction is not None
        )
        if not spot_used:
            replan(
                "spot:50%",
                "spot allowed for up to 50% of GPU-hours",
                with_constraints(budget, max_spot_fraction=0.5),
            )
    for cap in c.caps:
        if not any(s.label == cap.label and s.origin == "budget" for s in model.caps):
            continue  # matches no offering any workload may use
        step = _cap_step(model, cap.label)
        rows = [
            n
            for n, info in model.registry.by_name.items()
            if info.family == "cap" and info.workload == cap.label
        ]
        in_model(
            f"cap:{cap.label}:+1 instance",
            f"cap on {cap.label} raised by one instance ({step} GPUs, to {cap.max_gpus + step:,})",
            functools.partial(raise_rhs, names=rows, delta=step),
        )
    return out


def _spot_columns(model: Model) -> list[tuple[pulp.LpVariable, pulp.LpVariable | None, float]]:
    """Each spot column with its on-demand twin (same workload, option and period), if sold."""
    columns = [
        (v, model.x.get((w, o, Term.ON_DEMAND, s)), 1.0)
        for (w, o, t, s), v in model.x.items()
        if t == Term.SPOT
    ]
    columns += [
        (v, *_on_demand_stand_in(model, w, o, m, k))
        for (w, o, m, k, key), v in model.u.items()
        if key == Term.SPOT.value
    ]
    return columns


def _forbid_spot(columns: list[tuple[pulp.LpVariable, pulp.LpVariable | None, float]]) -> None:
    """Spot columns to zero; in the warm start their use moves to an on-demand stand-in, times its
    factor (instances of the stand-in per spot instance). The stand-in delivers at least what the
    derated spot capacity did, so the start stays feasible unless a budget or cap is tight: without
    it HiGHS may spend the whole time limit finding any plan."""
    for spot, on_demand, factor in columns:
        if on_demand is not None and spot.varValue:
            on_demand.varValue = (on_demand.varValue or 0.0) + factor * spot.varValue
        spot.varValue = 0.0
        spot.upBound = 0


def _on_demand_stand_in(model: Model, w: str, o: str, m: int, k: int) -> tuple[pulp.LpVariable | None, float]:
    """On-demand instances that replace one spot instance of service w's option o in (m, k): the
    same option's on-demand twin, else (serving pruning may have dropped it) the option whose
    on-demand capacity is cheapest per token, scaled to the derated spot capacity. None where the
    served tokens are variables of their own (they would have to move too)."""
    twin = model.u.get((w, o, m, k, Term.ON_DEMAND.value))
    if twin is not None:
        return twin, 1.0
    if w not in model.served_is_capacity:
        return None, 0.0
    spot_opt = next(p for p in model.serving(w) if p.id == o)
    rated = [
        (price / cap.tokens_per_s, p.id, cap.tokens_per_s)
        for p in model.serving(w)
        if (w, p.id, m, k, Term.ON_DEMAND.value) in model.u
        and (cap := p.capacity[0]) is not None
        and cap.tokens_per_s > 0
        and (price := p.group.price(Term.ON_DEMAND)) is not None
    ]
    spot_cap = spot_opt.capacity[0]
    if not rated or spot_cap is None:
        return None, 0.0
    _, best, tokens = min(rated)
    factor = (1 - compute.DEFAULT_SPOT_OVERHEAD) * spot_cap.tokens_per_s / tokens
    return model.u[w, best, m, k, Term.ON_DEMAND.value], factor


def _cap_step(model: Model, label: str) -> int:
    """GPUs in one instance of the cap's largest member offering (the cap's natural step)."""
    spec = next((s for s in model.caps if s.label == label), None)
    if spec is None:
        return 1
    return max(model.groups[o].gpus for o in spec.groups)


def binding_caps(model: Model, plan: Plan) -> list[BindingConstraint]:
    """Budget caps that bind: their row is tight, or one more instance of cap would save money.

    A cap can bind without a tight row: when it keeps a run off an offering altogether, the
    chosen plan uses none of it. The re-solve with the cap one instance higher prices both cases.
    """
    out = []
    for spec in model.caps:
        if spec.origin != "budget":
            continue
        rows = [
            n
            for n, info in model.registry.by_name.items()
            if info.family == "cap" and info.workload == spec.label
        ]
        tight = any(is_binding(model.constraints[n]) and not _trivial(model.constraints[n]) for n in rows)
        w = next((x for x in plan.what_ifs if x.name == f"cap:{spec.label}:+1 instance"), None)
        saves = w is not None and w.delta_usd is not None and w.delta_usd < -0.005
        if not (tight or saves):
            continue
        step = _cap_step(model, spec.label)
        if w is not None and w.delta_usd is not None:
            per_gpu: float | None = w.delta_usd / step
            effect = f"one more instance ({step} GPUs) would change the cost by {_signed_usd(w.delta_usd)} ({format_usd(per_gpu or 0.0)} per GPU, by re-solve)"
        elif w is not None:
            per_gpu, effect = None, f"even one more instance ({step} GPUs) leaves the budget {w.status}"
        else:
            per_gpu, effect = None, "no re-solve available"
        how = "is fully used" if tight else "keeps the plan off cheaper capacity"
        out.append(
            BindingConstraint(
                f"cap:{spec.label}",
                "cap",
                None,
                per_gpu,
                "USD per GPU of cap",
                f"The cap of {spec.max_gpus:,} GPUs on {spec.label} {how}: {effect}.",
            )
        )
    return out


def _signed_usd(x: float) -> str:
    return f"+{format_usd(x)}" if x > 0 else format_usd(x)


# --------------------------------------------------------------------------- runner-ups


def _hourly_price(opt: TrainingOption) -> float | None:
    """The option's on-demand price per instance-hour, or its first sold term's when not on-demand."""
    for t in opt.terms:
        if (p := opt.group.price(t)) is not None:
            return p
    return None


def _cost_per_eflop(opt: TrainingOption) -> float | None:
    """USD per EFLOP delivered at the option's on-demand (else first allowed term's) hourly price."""
    price = _hourly_price(opt)
    return None if price is None else price / (opt.flops_per_instance_hour / EFLOP)


def runner_ups(model: Model, plan: Plan, catalog: Catalog, opts: PlanOptions) -> list[Job[RunnerUp]]:
    """Per run: the best plan on each other accelerator and off the chosen provider, by re-solve.

    Only the opts.max_runner_ups accelerators closest by price per EFLOP (and those without an
    hourly price, such as own servers) are re-solved; the others are compared by that price. With other workloads in the budget, the re-solve holds them at the
    plan (see whatif.fix_rest), so the difference is this run's alone.
    """
    out: list[Job[RunnerUp]] = []
    base = plan.total_cost_usd or 0.0
    for w in model.runs:
        chosen = chosen_option(model, w)
        if chosen is None:
            continue
        win = _option(model, w, chosen)
        win_rate = _cost_per_eflop(win)
        best = cheapest_per_accelerator(model.options(w), _cost_per_eflop)
        accels = sorted(
            {o.group.accelerator.id for o in model.options(w)} - {win.group.accelerator.id},
            key=lambda a: (best.get(a, math.inf), a),
        )
        for i, acc in enumerate(accels):
            if i >= opts.max_runner_ups and acc in best:  # unpriced (own servers): always re-solved
                out.append(Ready(priced_runner_up(w, acc, best[acc], win_rate, "EFLOP", opts.max_runner_ups)))
                continue
            out.append(
                functools.partial(
                    _runner_up,
                    w=w,
                    kind="accelerator",
                    label=acc,
                    keep=_on_accelerator(acc),
                    win=win,
                    win_rate=win_rate,
                    base=base,
                    catalog=catalog,
                    opts=opts,
                )
            )
        excluded: dict[str, list[Exclusion]] = defaultdict(list)  # by accelerator
        for e in model.candidates.excluded(w):
            excluded[e.accelerator].append(e)
        excluded_accels = sorted(
            set(excluded) - {o.group.accelerator.id for o in model.options(w)} - {win.group.accelerator.id}
        )
        for acc in excluded_accels:
            mine = excluded[acc]
            # Dominance only passes the exclusion on: the accelerator's own cause is in the others
            # (no fabric for the memory, a price scope...), when there are any.
            causes = [e for e in mine if e.code != "dominated"] or mine
            code = Counter(e.code for e in causes).most_common(1)[0][0]
            example = next(e for e in causes if e.code == code)
            out.append(
                Ready(
                    RunnerUp(
                        w,
                        "accelerator",
                        acc,
                        None,
                        "excluded",
                        None,
                        None,
                        f"every offering excluded; e.g. {example.group}: {example.reason}",
                        exclusion=code,
                    )
                )
            )
        provider = win.group.provider
        out.append(
            functools.partial(
                _runner_up,
                w=w,
                kind="provider",
                label=f"not {provider}",
                keep=_off_provider(provider),
                win=win,
                win_rate=win_rate,
                base=base,
                catalog=catalog,
                opts=opts,
            )
        )
    return out


def _on_accelerator(acc: str) -> Callable[[OfferingGroup], bool]:
    return lambda g: g.accelerator.id == acc


def _off_provider(provider: str) -> Callable[[OfferingGroup], bool]:
    return lambda g: g.provider != provider


def _runner_up(
    model: Model,
    w: str,
    kind: Literal["accelerator", "provider"],
    label: str,
    keep: Callable[[OfferingGroup], bool],
    win: TrainingOption,
    win_rate: float | None,
    base: float,
    catalog: Catalog,
    opts: PlanOptions,
) -> RunnerUp:
    """Run w restricted to the offering groups `keep` keeps, re-solved in the plan's model (other
    workloads held); an accelerator's runner-up is re-planned from candidates generated for it
    alone when the plan's pruning dropped one of its groups for another accelerator's (which the
    restriction removes, so the model would miss its best plan)."""
    pruned_across = model.candidates.pruned_across(w, keep)
    replan = kind == "accelerator" and pruned_across
    if not replan and not any(keep(o.group) for o in model.options(w)):
        why = "no candidate offering"
        if pruned_across:  # a provider's: what it keeps was pruned for the chosen provider's offerings
            why = (
                f"every offering off {label.removeprefix('not ')} was pruned as dominated by one of its "
                "own (at least as capable, no dearer on any term): a plan off it, if any, costs no less"
            )
        return RunnerUp(w, kind, label, None, "excluded", None, None, why)
    if opts.out_of_time():
        return not_solved_runner_up(w, kind, label, opts)
    if replan:
        status, replanned, _, held = replan_workload(
            model, with_run(model.budget, w, accelerators=[label]), w, catalog, opts
        )
        if replanned is None:
            why = no_plan_reason(
                status, "no feasible plan with the other constraints (caps, budget, deadline)"
            )
            return RunnerUp(w, kind, label, None, status, None, None, why)
        delta = replanned - base
        reason = (
            f"the best plan on {label} costs {format_usd(delta)} more in total (re-planned from the catalog: "
            "some of its offerings were pruned as dominated by other accelerators')"
            + (" (the other workloads as planned)" if held else "")
        )
        return RunnerUp(w, kind, label, None, status, replanned, delta, reason)
    with preserved(model):
        for opt in model.options(w):
            if not keep(opt.group):
                model.y[w, opt.id].upBound = 0
        if len(model.budget.workloads) > 1:
            fix_rest(model, w)
        res = solve_direct(model.prob, opts)  # not screened: see explain_serving._single_fleet
        picked = chosen_option(model, w) if res.has_solution else None
        cost = model.cost_value() if res.has_solution else 0.0
    if not res.has_solution or picked is None:
        why = no_plan_reason(
            res.status, "no feasible plan with the other constraints (caps, budget, deadline)"
        )
        return RunnerUp(w, kind, label, None, res.status, None, None, why)
    opt = _option(model, w, picked)
    rate = _cost_per_eflop(opt)
    delta = cost - base
    reason = _why_lost(opt, rate, win, win_rate, delta)
    if pruned_across:  # a provider restriction: offerings it keeps were pruned for ones it drops
        reason += (
            " (at most: offerings of other providers that this one's dominated were pruned before the "
            "model was built, so the best plan off it may cost less)"
        )
    if len(model.budget.workloads) > 1:
        reason += " (the other workloads as planned)"
    return RunnerUp(
        w,
        kind,
        label if kind == "accelerator" else opt.group.provider,
        picked,
        res.status,
        cost,
        delta,
        reason,
    )


def _why_lost(
    opt: TrainingOption, rate: float | None, win: TrainingOption, win_rate: float | None, delta: float
) -> str:
    def describe(o: TrainingOption) -> str:
        p = (_hourly_price(o) or 0.0) / o.group.gpus
        return f"{format_usd(p)}/GPU-hour, {o.group.accelerator.id} at MFU {o.mfu:.2f}"

    if rate is None or win_rate is None:
        return f"costs {format_usd(delta)} more in total"
    if delta <= 1e-6 * max(1.0, abs(win_rate)):
        return f"ties with the plan ({format_usd(rate)} per EFLOP)"
    ratio = rate / win_rate - 1 if win_rate else math.inf
    return (
        f"{format_usd(delta)} more: {format_usd(rate)} per EFLOP delivered ({describe(opt)}) vs "
        f"{format_usd(win_rate)} for the plan ({describe(win)}), {ratio:+.0%}"
    )


# --------------------------------------------------------------------------- infeasibility


def diagnose(
    budget: Budget, catalog: Catalog, cands: Candidates, model: Model, opts: PlanOptions
) -> list[DiagnosisItem]:
    """Which constraints must move, and by how much, for the budget to become feasible.

    Its re-solves share the explanation's time budget (explain_budget_s): a deadline search on a
    hard model could otherwise run for many minutes, one full time limit per bisection step."""
    quiet = dataclasses.replace(
        opts, explain=False, verify=False, deadline=time.monotonic() + opts.explain_budget_s
    )
    items: list[DiagnosisItem] = []
    for w in budget.workloads:
        if isinstance(w, TrainingRun) and not cands.training.get(w.name):
            items += _no_candidates(w, cands)
        elif isinstance(w, InferenceService) and not cands.serving.get(w.name):
            items += service_no_candidates(w, cands, catalog)
    if items:
        return items
    items += _before_own_servers(budget, cands)
    items += _elastic_budget(budget, cands, quiet)
    items += _elastic_caps(budget, cands, quiet)
    items += _deadline_search(budget, catalog, quiet)
    if not items:
        why = (
            "no single constraint family explains the infeasibility"
            if not quiet.out_of_time()
            else "no constraint family found to blame before the diagnosis's time budget ran out "
            f"(explain_budget_s = {opts.explain_budget_s:g} s): raise it for a fuller diagnosis"
        )
        items.append(DiagnosisItem("model", None, "", why))
    return items


def _before_own_servers(budget: Budget, cands: Candidates) -> list[DiagnosisItem]:
    """Workloads that only own servers can run (no cloud offering allowed) but that start before
    the servers can arrive: no budget, cap or deadline change helps, only the terms or the lead time."""
    dc = cands.datacenter
    if dc is None:
        return []
    lead = dc.site.lead_time_months
    early = []
    for w in budget.workloads:
        groups = [o.group for o in cands.training.get(w.name, [])]
        groups += [o.group for o in cands.serving.get(w.name, [])]
        if groups and all(g.own_dc for g in groups) and w.start_month < lead:
            early.append(f"{w.name} (from month {w.start_month})")
    if not early:
        return []
    return [
        DiagnosisItem(
            "datacenter:lead_time",
            float(lead),
            "months",
            f"only own servers may run {', '.join(early)}, and they arrive after the {lead}-month lead "
            "time: allow a cloud term (constraints.terms) for the first months, or shorten "
            "datacenter.lead_time_months",
        )
    ]


def _no_candidates(run: TrainingRun, cands: Candidates) -> list[DiagnosisItem]:
    excl = cands.excluded(run.name)
    codes = Counter(e.code for e in excl)
    items = []
    deadline = [e for e in excl if e.code == "deadline" and e.best_days is not None]
    if deadline:
        best = min(deadline, key=lambda e: e.best_days or math.inf)
        items.append(
            DiagnosisItem(
                f"deadline:{run.name}",
                best.best_days,
                "days",
                f"the shortest deadline any allowed offering meets for {run.name} is {best.best_days:.1f} days "
                f"({best.group}), not {run.deadline_days:g}",
            )
        )
    memory = [e for e in excl if e.code == "memory"]
    if memory:
        items.append(
            DiagnosisItem(
                f"memory:{run.name}",
                None,
                "",
                f"{len(memory)} offerings cannot hold the training state; e.g. {memory[0].group}: {memory[0].reason}",
            )
        )
    summary = ", ".join(f"{n} {code}" for code, n in codes.most_common())
    items.append(
        DiagnosisItem(
            f"candidates:{run.name}",
            float(len(excl)),
            "offerings",
            f"no offering can run {run.name}: excluded {summary}",
        )
    )
    return items


def _elastic_budget(budget: Budget, cands: Candidates, opts: PlanOptions) -> list[DiagnosisItem]:
    """Re-solve without the budget: if feasible, the budget is short by (cost - budget)."""
    limit = budget.constraints.budget_usd
    if limit is None:
        return []
    free = with_constraints(budget, budget_usd=None)
    model = build_model(free, cands, build_timeline(free))
    res = solve(model.prob, opts)
    if not res.has_solution:
        return []
    cheapest = model.cost_value()
    short = cheapest - limit
    return [
        DiagnosisItem(
            "budget",
            short,
            "USD",
            f"budget short by {format_usd(short)}: the cheapest plan meeting every other constraint costs "
            f"{format_usd(cheapest)} against a budget of {format_usd(limit)}",
        )
    ]


def _elastic_caps(budget: Budget, cands: Candidates, opts: PlanOptions) -> list[DiagnosisItem]:
    """Elastic caps: add GPUs of slack to every cap row (budget caps and offerings' capacities),
    minimise the slack (then cost)."""
    model = build_model(with_constraints(budget, budget_usd=None), cands, build_timeline(budget))
    if not model.caps:
        return []
    slacks: dict[str, pulp.LpVariable] = {}
    for name, info in model.registry.by_name.items():
        if info.family == "cap" and info.workload is not None:
            s = slacks.get(info.workload)
            if s is None:
                s = slacks[info.workload] = model.prob.add_variable(f"capslack_{len(slacks)}", lowBound=0)
            model.constraints[name].addInPlace(-1.0 * s)
    if not slacks:
        return []
    cost = model.total_cost()
    model.prob.setObjective(pulp.lpSum(slacks.values()) * 1e3 + cost * 1e-9)
    res = solve(model.prob, opts)
    if not res.has_solution:
        return []
    out = []
    for label, s in slacks.items():
        extra = val(s)
        if extra > 1e-6:
            spec = next(c for c in model.caps if c.label == label)
            what = f"the cap on {label}" if spec.origin == "budget" else f"the capacity of {label}"
            more = math.ceil(extra - 1e-6)
            out.append(
                DiagnosisItem(
                    f"cap:{label}",
                    more,
                    "GPUs",
                    f"needs {more:,} more GPUs than {what} allows ({spec.max_gpus:,})",
                )
            )
    return out


def _deadline_search(budget: Budget, catalog: Catalog, opts: PlanOptions) -> list[DiagnosisItem]:
    """Bisection (log scale) on one common stretch factor of every training deadline.

    The factor is searched up to the one that stretches the longest deadline to ten years (the
    horizon grows with the deadlines, so the question is only "how long would it take"),
    doubling from 1x first.
    """
    runs = [w for w in budget.workloads if isinstance(w, TrainingRun)]
    if not runs:
        return []

    cut_short = False

    def feasible(f: float) -> bool:
        nonlocal cut_short
        stretched = [
            w.model_copy(update={"deadline_days": w.deadline_days * f}) if isinstance(w, TrainingRun) else w
            for w in budget.workloads
        ]
        status, _, _ = pipeline_cost(_fit_horizon(modified(budget, workloads=stretched)), catalog, opts)
        cut_short |= status == "no_solution"  # out of time: not known to be infeasible
        return status in ("optimal", "feasible")

    top = MAX_DEADLINE_DAYS / max(r.deadline_days for r in runs)  # the longest run to ten years
    # Double from 1x up to the top, then bisect: small stretches are small models (the horizon
    # grows with the deadlines), so the usual answer (a stretch under 2x) never waits on a ten-year
    # model; the top is probed only when nothing shorter works.
    lo, hi = 1.0, None
    while hi is None and lo < top:
        if opts.out_of_time():
            return []
        f = min(top, 2 * lo)
        if feasible(f):
            hi = f
        else:
            lo = f
    if hi is None:
        return []
    for _ in range(16):
        if opts.out_of_time():
            cut_short = True
            break
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if feasible(mid) else (mid, hi)
        if hi / lo < 1.002:
            break
    names = ", ".join(f"{r.name} {r.deadline_days * hi:.1f} days (now {r.deadline_days:g})" for r in runs)
    # hi always comes from a plan that was found, so the stretch is enough even when the search
    # stopped early; it is then not known to be the least.
    caveat = (
        f" (the search stopped at the diagnosis's time budget, explain_budget_s = {opts.explain_budget_s:g} s: "
        "a smaller stretch may do)"
        if cut_short
        else ""
    )
    return [
        DiagnosisItem(
            "deadline",
            hi,
            "x deadline",
            f"stretching every deadline by {hi:.2f}x makes it feasible: {names}{caveat}",
        )
    ]


def _fit_horizon(budget: Budget) -> Budget:
    ends = [math.ceil(w.end_month - 1e-9) for w in budget.workloads if isinstance(w, TrainingRun)]
    if budget.horizon_months is not None and ends and max(ends) > budget.horizon_months:
        return modified(budget, horizon_months=max(ends))
    return budget
