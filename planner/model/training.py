"""Training-run constraint families (notation in planner.model.model).

A run is served by one homogeneous cluster: one option (offering group at one size tier) chosen
by y, n instances, its FLOPs delivered by on-demand, spot and committed hours before its deadline.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pulp

from planner import compute
from planner.enums import Term
from planner.model.model import Model, linear
from planner.units import HOURS_PER_DAY

EFLOP = 1e18  # FLOP constraints are written in EFLOP to keep coefficients near 1


def hours(model: Model, w: str, o: str, segment: int | None = None) -> pulp.LpAffineExpression:
    """Instance-hours of run w on option o, every term (in one segment when `segment` is given)."""
    rented = [v for _, s, v in model.x_by_option[w, o] if segment is None or s == segment]
    pooled = [v for s, v in model.xp_by_option[w, o] if segment is None or s == segment]
    return pulp.lpSum(rented + pooled)


def define_training_variables(model: Model) -> None:
    """y[w,o] binary, n[w,o] integer in [0, max_instances], x[w,o,t,s] >= 0 and xp[w,o,s] >= 0 for
    the time segments s of the run's window (timeline.training_segments)."""
    vid = 0
    for w in model.runs:
        for opt in model.options(w):
            vid += 1
            o = opt.id
            model.y[w, o] = model.prob.add_variable(f"y{vid}", cat=pulp.LpBinary)
            model.n[w, o] = model.prob.add_variable(
                f"n{vid}", lowBound=0, upBound=opt.max_instances, cat=pulp.LpInteger
            )
            model.x_by_option[w, o] = []
            model.xp_by_option[w, o] = []
            pooled = any(t.is_pooled for t in opt.terms)
            for sg in model.windows[w]:
                for t in (Term.ON_DEMAND, Term.SPOT):
                    if t in opt.terms:
                        model.x[w, o, t, sg] = v = model.prob.add_variable(
                            f"x{vid}_{t.value}_{sg}", lowBound=0
                        )
                        model.x_by_option[w, o].append((t, sg, v))
                if pooled:
                    model.xp[w, o, sg] = v = model.prob.add_variable(f"xp{vid}_{sg}", lowBound=0)
                    model.xp_by_option[w, o].append((sg, v))


def commitment_months(model: Model) -> dict[tuple[str, Term], set[int]]:
    """Months in which training could draw on each (group, reserved term)."""
    out: dict[tuple[str, Term], set[int]] = defaultdict(set)
    for w in model.runs:
        for opt in model.options(w):
            for t in opt.terms:
                if t.is_pooled:
                    out[opt.group.id, t].update(model.timeline.segments[sg].month for sg in model.windows[w])
    return out


def define_one_cluster(model: Model) -> None:
    """one_cluster:w —  sum_o y[w,o] = 1: a run is served by exactly one homogeneous cluster."""
    for w in model.runs:
        info = model.registry.register("one_cluster", w, dual_unit="USD", rhs_unit="clusters")
        model.add(pulp.lpSum(model.y[w, opt.id] for opt in model.options(w)) == 1, info)


def define_flops(model: Model) -> None:
    """flops:w:o — f_o·(x_od + (1-ρ)·x_spot + sum_m xp) >= C_w·y[w,o]: the chosen cluster delivers the run's FLOPs.

    f_o is the option's effective FLOPs per instance-hour (peak x MFU x goodput x scaling efficiency
    x GPUs), ρ the spot restart/checkpoint overhead, C_w = 6·N·D. Written per option and scaled by
    y (the disaggregated, convex-hull form): equivalent for integer plans, and its LP relaxation
    already prices each run at its cheapest option. In EFLOP; the dual is USD per EFLOP.
    """
    rho = compute.DEFAULT_SPOT_OVERHEAD
    for w in model.runs:
        need = model.candidates.needs[w].flops / EFLOP
        for opt in model.options(w):
            o, f = opt.id, opt.flops_per_instance_hour / EFLOP
            terms = [f * (1 - rho if t == Term.SPOT else 1.0) * v for (t, _, v) in model.x_by_option[w, o]]
            terms += [f * v for (_, v) in model.xp_by_option[w, o]]
            info = model.registry.register("flops", w, o, dual_unit="USD per EFLOP", rhs_unit="EFLOP")
            model.add(pulp.lpSum(terms) - need * model.y[w, o] >= 0, info)


def define_deadline(model: Model) -> None:
    """deadline:w:o:s — sum_t x[w,o,t,s] + xp[w,o,s] <= W_s·n[w,o]: in each segment of the run's
    window the cluster runs at most the segment's W_s hours, so the work is done by the deadline.

    The dual (USD per instance-hour of window) times 24·n, on the segment the deadline closes, is
    the value of one more day of deadline given the chosen cluster.
    """
    for w in model.runs:
        for opt in model.options(w):
            o = opt.id
            for sg, window in model.windows[w].items():
                info = model.registry.register(
                    "deadline", w, o, f"s{sg}", dual_unit="USD per instance-hour", rhs_unit="instance-hours"
                )
                model.add(hours(model, w, o, sg) - window * model.n[w, o] <= 0, info)


def define_commitment_reach(model: Model) -> None:
    """commit_reach:w:o:s — xp[w,o,s] <= W_s·A[g,m(s)]: each committed instance gives a run at most
    the segment's hours (the monthly pool limit alone would let a run use committed hours from
    after it has finished)."""
    for w in model.runs:
        for opt in model.options(w):
            for sg, v in model.xp_by_option[w, opt.id]:
                month = model.timeline.segments[sg].month
                info = model.registry.register(
                    "commit_reach",
                    w,
                    opt.id,
                    f"s{sg}",
                    dual_unit="USD per instance-hour",
                    rhs_unit="instance-hours",
                )
                model.add(v - model.windows[w][sg] * model.pool(opt.group.id, month) <= 0, info)


def define_memory(model: Model) -> None:
    """memory:w:o — g_o·n[w,o] >= G_w,o·y[w,o]: the cluster's GPUs hold the sharded training state."""
    for w in model.runs:
        for opt in model.options(w):
            o = opt.id
            need = opt.min_instances_memory * opt.group.gpus
            info = model.registry.register("memory", w, o, dual_unit="USD per GPU", rhs_unit="GPUs")
            model.add(opt.group.gpus * model.n[w, o] - need * model.y[w, o] >= 0, info)


def define_cluster_size(model: Model) -> None:
    """cluster_size:w:o — n[w,o] <= N_o·y[w,o]; N_o is the tier top, the capacity cap, or 1 instance
    without a cluster fabric. Also links n to the choice y (n = 0 unless chosen)."""
    for w in model.runs:
        for opt in model.options(w):
            o = opt.id
            info = model.registry.register(
                "cluster_size", w, o, dual_unit="USD per instance", rhs_unit="instances"
            )
            model.add(model.n[w, o] - opt.max_instances * model.y[w, o] <= 0, info)


def define_spot_share(model: Model) -> None:
    """spot_share:w:o — x[w,o,spot] <= f_w · hours[w,o]: spot's share of the run's GPU-hours is capped.

    A run uses one option, so writing the cap per option is the same constraint for integer plans
    and much tighter in the LP relaxation (a per-run sum lets fractional plans pad the denominator
    with hours on options they do not really use).
    """
    for w, run in model.runs.items():
        f = (
            run.max_spot_fraction
            if run.max_spot_fraction is not None
            else model.budget.constraints.max_spot_fraction
        )
        for opt in model.options(w):
            spot = [v for t, _, v in model.x_by_option[w, opt.id] if t == Term.SPOT]
            if not spot:
                continue
            info = model.registry.register(
                "spot_share", w, opt.id, dual_unit="USD per instance-hour", rhs_unit="instance-hours"
            )
            model.add(pulp.lpSum(spot) - f * hours(model, w, opt.id) <= 0, info)


def rented_gpu_hours(model: Model, groups: frozenset[str], segment: int) -> list[pulp.LpAffineExpression]:
    """GPU-hours of training rented on `groups` (on-demand, spot) in a time segment."""
    return [
        model.group_of(o).gpus * v
        for (_, o, _, sg), v in model.x.items()
        if sg == segment and model.group_of(o).id in groups
    ]


def pool_usage(model: Model) -> dict[tuple[str, int], list[pulp.LpVariable]]:
    """Committed instance-hours drawn by training, per (group, time segment)."""
    out: dict[tuple[str, int], list[pulp.LpVariable]] = defaultdict(list)
    for (_, o, sg), v in model.xp.items():
        out[model.group_of(o).id, sg].append(v)
    return out


def rent_costs(model: Model) -> dict[str, list[pulp.LpAffineExpression]]:
    """USD of pay-per-use training hours, by term: price x instance-hours."""
    out: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (_, o, t, _), v in model.x.items():
        price = model.group_of(o).price(t)
        assert price is not None
        out[t.value].append((v, price))
    return {term: [linear(pairs)] for term, pairs in out.items()}


def cluster_gpus(model: Model, w: str, groups: frozenset[str]) -> list[pulp.LpAffineExpression]:
    """GPUs of run w's cluster if it is on one of `groups`."""
    return [opt.group.gpus * model.n[w, opt.id] for opt in model.options(w) if opt.group.id in groups]


def training_segments(model: Model) -> set[int]:
    """Segments in which some run could be training."""
    return {sg for w in model.runs for sg in model.windows[w]}


def tighten_clusters(model: Model) -> None:
    """After a solve, shrink each chosen cluster to the smallest size its constraints allow.

    Inside an efficiency tier every cluster size costs the same, so the solver may return any of
    them; the plan should show the smallest. Only lower bounds involve n besides cluster_size and
    caps (upper bounds, which only loosen), so every constraint stays satisfied.
    """
    for w, run in model.runs.items():
        window = run.deadline_days * HOURS_PER_DAY
        for opt in model.options(w):
            o = opt.id
            if (model.y[w, o].varValue or 0.0) < 0.5:
                continue
            per_segment: dict[int, float] = defaultdict(float)
            for _, sg, v in model.x_by_option[w, o]:
                per_segment[sg] += v.varValue or 0.0
            for sg, v in model.xp_by_option[w, o]:
                per_segment[sg] += v.varValue or 0.0
            need = max(1, opt.min_instances_memory, math.ceil(sum(per_segment.values()) / window - 1e-7))
            for sg, h in per_segment.items():
                need = max(need, math.ceil(h / model.windows[w][sg] - 1e-7))
            var = model.n[w, o]
            if need < round(var.varValue or 0.0):
                var.varValue = float(need)


FAMILIES = (
    define_one_cluster,
    define_flops,
    define_deadline,
    define_commitment_reach,
    define_memory,
    define_cluster_size,
    define_spot_share,
)
