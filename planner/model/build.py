"""Build the MILP from candidates: variables, then named constraint families, then the objective.

Notation (hours are instance-hours unless said otherwise; a month is 730 h):
  w          a workload; o an offering group (candidates.OfferingGroup); m a month; k a day slice
  y[w,o]     1 if training run w runs on option o: an offering group at one cluster-size tier
  n[w,o]     instances in w's cluster (integer)
  x[w,o,t]   instance-hours of w on o bought on pay-per-use term t (on-demand, spot)
  xp[w,o,m]  instance-hours of w on o drawn from o's commitment pool in month m
  r[g,t,s]   instances of offering group g committed on term t (1y, 3y) from month s (integer)
  A[g,m]     committed instances of g active in month m = sum over t, s <= m < s + L_t of r[g,t,s]
Each define_* function adds one family; its docstring states the math. Data flows one way: this
module reads candidates and the budget, never solver output.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import pulp

from planner.enums import Term
from planner.model.candidates import Candidates, OfferingGroup, TrainingOption, cap_matches
from planner.model.registry import ConstraintInfo, ConstraintRegistry
from planner.model.timeline import Timeline, training_window_hours
from planner.units import HOURS_PER_DAY, HOURS_PER_MONTH
from planner.workloads import Budget, TrainingRun

EFLOP = 1e18  # FLOP constraints are written in EFLOP to keep coefficients near 1
# Tie-break cost on committed hours drawn (USD per instance-hour, rising slowly with the month):
# idle commitments make draws free, and without it the solver may draw more than a run needs or
# scatter its hours over its window. Far below any price; never part of the reported cost.
TIE_BREAK_USD_PER_HOUR = 1e-4


@dataclass(frozen=True)
class CapSpec:
    """A supply cap over a set of offering groups: at most max_gpus GPUs at any one time."""

    label: str
    groups: frozenset[str]
    max_gpus: int
    origin: str  # "budget" (constraints.caps) or "catalog" (an offering's capacity_max_instances)


@dataclass
class Model:
    """A built (not yet solved) model: the PuLP problem plus everything needed to read it back."""

    budget: Budget
    candidates: Candidates
    timeline: Timeline
    prob: pulp.LpProblem
    registry: ConstraintRegistry = field(default_factory=ConstraintRegistry)
    y: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    n: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    x: dict[tuple[str, str, Term], pulp.LpVariable] = field(default_factory=dict)
    xp: dict[tuple[str, str, int], pulp.LpVariable] = field(default_factory=dict)
    # The same variables indexed by (workload, option): [(term, var)] and [(month, var)].
    x_by_option: dict[tuple[str, str], list[tuple[Term, pulp.LpVariable]]] = field(default_factory=dict)
    xp_by_option: dict[tuple[str, str], list[tuple[int, pulp.LpVariable]]] = field(default_factory=dict)
    r: dict[tuple[str, Term, int], pulp.LpVariable] = field(default_factory=dict)
    cost: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)  # category -> expression
    tie_break: pulp.LpAffineExpression | None = None  # objective-only term, see TIE_BREAK_USD_PER_HOUR
    caps: list[CapSpec] = field(default_factory=list)
    runs: dict[str, TrainingRun] = field(default_factory=dict)
    windows: dict[str, dict[int, float]] = field(default_factory=dict)  # run -> month -> window hours
    constraints: dict[str, pulp.LpConstraint] = field(default_factory=dict)  # readable name -> row

    option_group: dict[str, OfferingGroup] = field(default_factory=dict)  # option id -> its offering group

    @property
    def groups(self) -> dict[str, OfferingGroup]:
        return {g.id: g for g in self.candidates.groups}

    def group_of(self, option_id: str) -> OfferingGroup:
        return self.option_group[option_id]

    def add(self, constraint: pulp.LpConstraint, info: ConstraintInfo) -> None:
        self.registry.add(self.prob, constraint, info)
        self.constraints[info.name] = self.prob.constraints[info.pulp_name]

    def options(self, workload: str) -> list[TrainingOption]:
        return self.candidates.training.get(workload, [])

    def active(self, t: Term, o: str, m: int) -> pulp.LpAffineExpression:
        """Committed instances of term t of group o active in month m."""
        months = t.term_months or 0
        return pulp.lpSum(v for (g, tt, s), v in self.r.items() if g == o and tt == t and s <= m < s + months)

    def pool(self, o: str, m: int) -> pulp.LpAffineExpression:
        """A[o,m]: committed instances of o active in month m, all terms."""
        return pulp.lpSum(self.active(t, o, m) for t in (Term.RESERVED_1Y, Term.RESERVED_3Y))

    def total_cost(self) -> pulp.LpAffineExpression:
        return pulp.lpSum(self.cost.values())

    def cost_value(self) -> float:
        """Total cost of the current solution in USD (without the objective's tie-break term)."""
        return float(pulp.value(self.total_cost()) or 0.0)


def build_model(budget: Budget, candidates: Candidates, timeline: Timeline) -> Model:
    """Create variables, every constraint family and the objective (nothing is solved here)."""
    model = Model(budget, candidates, timeline, pulp.LpProblem(_safe(budget.name), pulp.LpMinimize))
    for w in budget.workloads:
        if isinstance(w, TrainingRun):
            model.runs[w.name] = w
            model.windows[w.name] = training_window_hours(w, timeline.months)
            for opt in candidates.training.get(w.name, []):
                model.option_group[opt.id] = opt.group
    define_training_variables(model)
    define_commitment_variables(model)
    define_one_cluster(model)
    define_flops(model)
    define_deadline(model)
    define_commitment_window(model)
    define_memory(model)
    define_cluster_size(model)
    define_spot_share(model)
    define_commitment_capacity(model)
    define_caps(model)
    define_objective(model)
    define_budget(model)
    return model


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text) or "plan"


# --------------------------------------------------------------------------- variables


def define_training_variables(model: Model) -> None:
    """y[w,o] binary, n[w,o] integer in [0, max_instances], x[w,o,t] >= 0, xp[w,o,m] >= 0."""
    vid = 0
    for w in model.runs:
        for opt in model.options(w):
            vid += 1
            o = opt.id
            model.y[w, o] = pulp.LpVariable(f"y{vid}", cat=pulp.LpBinary)
            model.n[w, o] = pulp.LpVariable(
                f"n{vid}", lowBound=0, upBound=opt.max_instances, cat=pulp.LpInteger
            )
            model.x_by_option[w, o] = []
            model.xp_by_option[w, o] = []
            for t in (Term.ON_DEMAND, Term.SPOT):
                if t in opt.terms:
                    model.x[w, o, t] = v = pulp.LpVariable(f"x{vid}_{t.value}", lowBound=0)
                    model.x_by_option[w, o].append((t, v))
            if any(t.is_reserved for t in opt.terms):
                for m in model.windows[w]:
                    model.xp[w, o, m] = v = pulp.LpVariable(f"xp{vid}_{m}", lowBound=0)
                    model.xp_by_option[w, o].append((m, v))


def define_commitment_variables(model: Model) -> None:
    """r[o,t,s] integer >= 0 for every reserved term t some option of o allows, s in the months used.

    A commitment can start in any month in which some workload could draw on it.
    """
    months_used: dict[tuple[str, Term], set[int]] = defaultdict(set)
    for w in model.runs:
        for opt in model.options(w):
            for t in opt.terms:
                if t.is_reserved:
                    months_used[opt.group.id, t].update(model.windows[w])
    for (o, t), months in sorted(months_used.items()):
        for s in sorted(months):
            model.r[o, t, s] = pulp.LpVariable(f"r_{len(model.r)}", lowBound=0, cat=pulp.LpInteger)


# --------------------------------------------------------------------------- training families


def _hours(model: Model, w: str, o: str) -> pulp.LpAffineExpression:
    """All instance-hours of run w on option o, every term."""
    return pulp.lpSum([v for _, v in model.x_by_option[w, o]] + [v for _, v in model.xp_by_option[w, o]])


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
    from planner import compute

    rho = compute.DEFAULT_SPOT_OVERHEAD
    for w in model.runs:
        need = model.candidates.needs[w].flops / EFLOP
        for opt in model.options(w):
            o, f = opt.id, opt.flops_per_instance_hour / EFLOP
            terms = [f * (1 - rho if t == Term.SPOT else 1.0) * v for (t, v) in model.x_by_option[w, o]]
            terms += [f * v for (_, v) in model.xp_by_option[w, o]]
            info = model.registry.register("flops", w, o, dual_unit="USD per EFLOP", rhs_unit="EFLOP")
            model.add(pulp.lpSum(terms) - need * model.y[w, o] >= 0, info)


def define_deadline(model: Model) -> None:
    """deadline:w:o — sum_t x[w,o,t] + sum_m xp[w,o,m] <= 24·D_w·n[w,o]: the cluster runs D days at most.

    The dual (USD per instance-hour of window) times 24·n is the value of one more day of deadline
    given the chosen cluster.
    """
    for w, run in model.runs.items():
        window = run.deadline_days * HOURS_PER_DAY
        for opt in model.options(w):
            o = opt.id
            info = model.registry.register(
                "deadline", w, o, dual_unit="USD per instance-hour", rhs_unit="instance-hours"
            )
            model.add(_hours(model, w, o) - window * model.n[w, o] <= 0, info)


def define_commitment_window(model: Model) -> None:
    """commit_window:w:o:m — xp[w,o,m] <= W_m·n[w,o]: committed hours used in month m fit the run's
    window in that month (W_m hours) on its n instances."""
    for w in model.runs:
        for opt in model.options(w):
            o = opt.id
            for m, hours in model.windows[w].items():
                if (w, o, m) in model.xp:
                    info = model.registry.register(
                        "commit_window",
                        w,
                        o,
                        f"m{m}",
                        dual_unit="USD per instance-hour",
                        rhs_unit="instance-hours",
                    )
                    model.add(model.xp[w, o, m] - hours * model.n[w, o] <= 0, info)


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
            spot = model.x.get((w, opt.id, Term.SPOT))
            if spot is None:
                continue
            info = model.registry.register(
                "spot_share", w, opt.id, dual_unit="USD per instance-hour", rhs_unit="instance-hours"
            )
            model.add(spot - f * _hours(model, w, opt.id) <= 0, info)


# --------------------------------------------------------------------------- shared capacity


def define_commitment_capacity(model: Model) -> None:
    """commitment:o:m — sum_w xp[w,o,m] <= 730·A[o,m]: runs draw at most the committed instance-hours
    of month m. A commitment bought for one run serves any later run on the same offering."""
    by_pool: dict[tuple[str, int], list[pulp.LpVariable]] = defaultdict(list)
    for (_, o, m), v in model.xp.items():
        by_pool[model.group_of(o).id, m].append(v)
    for (o, m), usage in sorted(by_pool.items()):
        info = model.registry.register(
            "commitment", None, o, f"m{m}", dual_unit="USD per instance-hour", rhs_unit="instance-hours"
        )
        model.add(pulp.lpSum(usage) - HOURS_PER_MONTH * model.pool(o, m) <= 0, info)


def cap_specs(model: Model) -> list[CapSpec]:
    """Budget caps (constraints.caps) and catalog capacity caps, as sets of offering groups."""
    groups = list(model.candidates.groups)
    used = {opt.group.id for w in model.runs for opt in model.options(w)}
    specs = []
    for cap in model.budget.constraints.caps:
        members = frozenset(g.id for g in groups if g.id in used and cap_matches(cap, g))
        if members:
            specs.append(CapSpec(f"{cap.label}", members, cap.max_gpus, "budget"))
    for g in groups:
        limit = g.offering.capacity_max_instances
        if limit is not None and g.id in used:
            specs.append(CapSpec(g.id, frozenset({g.id}), limit * g.gpus, "catalog"))
    return specs


def _start_points(model: Model) -> list[tuple[str, list[str]]]:
    """For each run start, the runs whose windows contain it (the cliques of concurrent clusters)."""
    points = []
    for w, run in model.runs.items():
        t0 = run.start_month * HOURS_PER_MONTH
        active = [
            v
            for v, other in model.runs.items()
            if other.start_month * HOURS_PER_MONTH
            <= t0
            < other.start_month * HOURS_PER_MONTH + other.deadline_days * 24
        ]
        points.append((w, active))
    return points


def define_caps(model: Model) -> None:
    """cap:c:w — sum over runs active when run w starts, over groups o in cap c, of g_o·n[v,o] <= G_c;
    and cap:c:m<m> — sum_o g_o·A[o,m] <= G_c for committed instances held in month m."""
    model.caps = cap_specs(model)
    seen: set[frozenset[str]] = set()
    for cap in model.caps:
        for w, active in _start_points(model):
            terms = [
                opt.group.gpus * model.n[v, opt.id]
                for v in active
                for opt in model.options(v)
                if opt.group.id in cap.groups
            ]
            key = frozenset(active) | {cap.label}
            if not terms or key in seen:
                continue
            seen.add(key)
            info = model.registry.register(
                "cap", cap.label, f"start-{w}", dual_unit="USD per GPU", rhs_unit="GPUs"
            )
            model.add(pulp.lpSum(terms) <= cap.max_gpus, info)
        pooled = {o for (o, _, _) in model.r if o in cap.groups}
        for m in sorted({s for (o, _, s) in model.r if o in pooled}):
            held = pulp.lpSum(model.groups[o].gpus * model.pool(o, m) for o in pooled)
            info = model.registry.register(
                "cap", cap.label, f"m{m}", dual_unit="USD per GPU", rhs_unit="GPUs"
            )
            model.add(held <= cap.max_gpus, info)


# --------------------------------------------------------------------------- money


def commitment_months(model: Model, t: Term, start: int) -> int:
    """Months of a commitment that are paid for in the plan: the whole term, or only the months
    inside the horizon when constraints.credit_reserved_beyond_horizon is set."""
    months = t.term_months or 0
    if model.budget.constraints.credit_reserved_beyond_horizon:
        return min(months, model.timeline.months - start)
    return months


def define_objective(model: Model) -> None:
    """minimize  sum p_t·x (pay-per-use hours) + sum p_t·730·L_t·r (every hour of each commitment)."""
    cost: dict[str, list[pulp.LpAffineExpression]] = defaultdict(list)
    for (_, o, t), v in model.x.items():
        price = model.group_of(o).price(t)
        assert price is not None
        cost[t.value].append(price * v)
    for (o, t, s), v in model.r.items():
        price = model.groups[o].price(t)
        assert price is not None
        cost[t.value].append(price * HOURS_PER_MONTH * commitment_months(model, t, s) * v)
    model.cost = {k: pulp.lpSum(v) for k, v in cost.items()}
    model.tie_break = pulp.lpSum(
        TIE_BREAK_USD_PER_HOUR * (1 + m / 100) * v for (_, _, m), v in model.xp.items()
    )
    model.prob.setObjective(model.total_cost() + model.tie_break)


def define_budget(model: Model) -> None:
    """budget — total cost <= B (only when constraints.budget_usd is set)."""
    limit = model.budget.constraints.budget_usd
    if limit is None:
        return
    info = model.registry.register("budget", dual_unit="USD per USD", rhs_unit="USD")
    model.add(model.total_cost() <= limit, info)


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
            hours = sum((v.varValue or 0.0) for (ww, oo, _), v in model.x.items() if ww == w and oo == o)
            pooled = {m: (v.varValue or 0.0) for (ww, oo, m), v in model.xp.items() if ww == w and oo == o}
            hours += sum(pooled.values())
            need = max(1, opt.min_instances_memory, math.ceil(hours / window - 1e-7))
            for m, h in pooled.items():
                need = max(need, math.ceil(h / model.windows[w][m] - 1e-7))
            var = model.n[w, o]
            if need < round(var.varValue or 0.0):
                var.varValue = float(need)
