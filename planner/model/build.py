"""Build the MILP from candidates: variables, named constraint families, objective (PyPSA-style).

Training families live in planner.model.training, inference families in planner.model.inference;
this module adds what they share: commitments, supply caps, the objective and the budget. The
notation is in planner.model.model. Data flows one way: nothing here reads solver output.
"""

from __future__ import annotations

from collections import defaultdict

import pulp

from planner.enums import Term
from planner.gc_pause import gc_paused
from planner.model import datacenter, inference, screen, training
from planner.model.candidates import Candidates, cap_matches
from planner.model.model import COMMITTED, POOL_TERMS, CapSpec, Model, Problem, linear
from planner.model.timeline import Timeline, training_window_hours
from planner.units import HOURS_PER_MONTH
from planner.workloads import Budget, InferenceService, TrainingRun

# Tie-break cost on committed capacity drawn (USD per GPU-hour, rising slowly with the month):
# idle commitments make draws free, and without it the solver may draw more than a run needs or
# scatter its hours over its window. Far below any price; never part of the reported cost. Per
# GPU, not per instance, so that k small instances standing in for one big one of the same GPUs
# draw no more of it (prune.prune_committed_terms).
TIE_BREAK_USD_PER_GPU_HOUR = 1e-3
# Tie-break on a service's spot capacity, as a share of its price per month into the horizon: a
# capped spot share is a budget over the whole horizon that saves the same in every month of
# constant prices, so without it the solver scatters spot over arbitrary months and slices (spot
# in month 3, on demand in 4 and 5, spot again in 6). With it the share is spent in the earliest
# months (and slices) that can use it. A share of the column's own price, so every dominance argument of
# planner.model.prune (a column moved within its month at no higher price) holds for it too. At
# most 3.6e-4 of the spot cost over 36 months; never part of the reported cost.
SPOT_TIE_BREAK_PER_MONTH = 1e-5
# The objective is stated in thousands of USD (costs reach 1e8 USD for long commitments of large
# instances; HiGHS warns about such ranges). Reported costs and duals use the unscaled cost.
OBJECTIVE_SCALE = 1e-3


@gc_paused()
def build_model(budget: Budget, candidates: Candidates, timeline: Timeline, *, compact: bool = True) -> Model:
    """Create variables, every constraint family and the objective (nothing is solved here).

    compact: substitute capacity for served tokens where that is exact (inference.link_capacity); False builds the plain formulation, for equivalence tests."""
    name = "".join(c if c.isalnum() else "_" for c in budget.name) or "plan"
    model = Model(budget, candidates, timeline, Problem(name, pulp.LpMinimize), compact=compact)
    for w in budget.workloads:
        if isinstance(w, TrainingRun):
            model.runs[w.name] = w
            model.windows[w.name] = training_window_hours(w, timeline.segments)
            for opt in candidates.training.get(w.name, []):
                model.option_group[opt.id] = opt.group
        elif isinstance(w, InferenceService):
            model.services[w.name] = w
            for sopt in candidates.serving.get(w.name, []):
                model.option_group[sopt.id] = sopt.group
    training.define_training_variables(model)
    inference.define_inference_variables(model)
    define_commitment_variables(model)
    inference.link_capacity(model)
    for family in (*training.FAMILIES, *inference.FAMILIES):
        family(model)
    define_commitment_capacity(model)
    datacenter.define_site(model)
    define_caps(model)
    define_objective(model)
    define_budget(model)
    return model


def define_commitment_variables(model: Model) -> None:
    """r[g,t,s] integer >= 0 for every pooled term t some option of g allows (1y, 3y commitments;
    own servers), s in the months used (own servers: no earlier than the site's lead time).

    A purchase can start in any month in which some workload could draw on it; starting in an
    unused month never helps (moving it to the next used month loses no used month).
    """
    months: dict[tuple[str, Term], set[int]] = defaultdict(set)
    for source in (training.commitment_months(model), inference.commitment_months(model)):
        for key, ms in source.items():
            months[key] |= ms
    dc = model.candidates.datacenter
    lead = dc.site.lead_time_months if dc is not None else 0
    for (g, t), ms in sorted(months.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        for s in sorted(ms):
            if t == Term.OWN_DC and s < lead:
                continue  # servers ordered at month 0 arrive after the lead time
            v = model.prob.add_variable(f"r_{len(model.r)}", lowBound=0, cat=pulp.LpInteger)
            model.r[g, t, s] = v
            model.r_by_group[g].append((t, s, v))
    # Thousands of start months, a handful used: the LP relaxation prices them in (model.screen).
    screen.mark_late(model.prob, list(model.r.values()))
    define_held(model)


def define_held(model: Model) -> None:
    """held:g:m — A[g,m] = sum over t, s <= m < s + L_t of r[g,t,s]: instances of g held in month m,
    committed (1y, 3y) or owned (own servers, for their useful life); a definition, so the rows
    that use A stay short.

    Written as a running balance, A[g,m] = A[g,m-1] + (bought in m) - (expired in m), wherever
    month m-1 has an A too: the same values, but a few entries per row instead of one per active
    start month (36 for a 3-year term), which keeps the interior-point factorization sparse.
    """
    for g, starts in sorted(model.r_by_group.items()):
        length = {t: model.groups[g].term_months(t) for t in {t for t, _, _ in starts}}
        bought: dict[int, list[pulp.LpVariable]] = defaultdict(list)
        expired: dict[int, list[pulp.LpVariable]] = defaultdict(list)
        months: set[int] = set()
        for t, s, v in starts:
            bought[s].append(v)
            expired[s + length[t]].append(v)
            months.update(range(s, min(s + length[t], model.timeline.months)))
        for m in sorted(months):
            a = model.held[g, m] = model.prob.add_variable(f"A_{len(model.held)}", lowBound=0)
            info = model.registry.register(
                "held", None, g, f"m{m}", dual_unit="USD per instance", rhs_unit="instances"
            )
            before = model.held.get((g, m - 1))
            if before is None:
                row = a - pulp.lpSum(model.active(t, g, m) for t in POOL_TERMS)
            else:
                row = linear(
                    [(a, 1), (before, -1), *((v, -1) for v in bought[m]), *((v, 1) for v in expired[m])]
                )
            model.add(row == 0, info)


def define_commitment_capacity(model: Model) -> None:
    """Draws on commitments fit the committed instances active at the time (a commitment bought for
    one workload serves any other that can use the same offering when it is idle).

    commitment:g:s<s>     — sum_w xp[w,o,s] <= H_s·A[g,m(s)]        (training only, per time segment)
    commitment:g:m<m>.k<k> — sum_w u[w,o,m,k,committed] <= A[g,m]    (services only, per slice)
    commitment:g:s<s>.k<k> — sum_w xp[w,o,s]/H_s + sum_w u[w,o,m(s),k,committed] <= A[g,m(s)]
    Per segment, not per month: two runs whose windows end inside the same month cannot both draw
    the month's hours. With services, a run's committed hours are taken as spread evenly over the
    segment, so every slice keeps room for them.
    """
    segments = model.timeline.segments
    train = training.pool_usage(model)
    serve = inference.pool_usage(model)
    segs: dict[tuple[str, int], list[int]] = defaultdict(list)
    for g, sg in sorted(train):
        segs[g, segments[sg].month].append(sg)
    slices: dict[tuple[str, int], list[int]] = defaultdict(list)
    for g, m, k in sorted(serve):
        slices[g, m].append(k)
    for g, m in sorted(set(segs) | set(slices)):
        held = model.held.get((g, m))
        seg_list: list[int | None] = [*segs.get((g, m), [])] or [None]
        slice_list: list[int | None] = [*slices.get((g, m), [])] or [None]
        for seg in seg_list:
            hours = [] if seg is None else train[g, seg]
            for sl in slice_list:
                if sl is None:
                    assert seg is not None
                    info = model.registry.register(
                        "commitment",
                        None,
                        g,
                        f"s{seg}",
                        dual_unit="USD per instance-hour",
                        rhs_unit="instance-hours",
                    )
                    pool = [] if held is None else [(held, -segments[seg].hours)]
                    model.add(linear([*((v, 1) for v in hours), *pool]) <= 0, info)
                    continue
                where = inference.period(m, sl) if seg is None else f"s{seg}.k{sl}"
                info = model.registry.register(
                    "commitment", None, g, where, dual_unit="USD per instance", rhs_unit="instances"
                )
                spread = [] if seg is None else [(v, 1 / segments[seg].hours) for v in hours]
                pool = [] if held is None else [(held, -1)]
                model.add(linear([*((v, 1) for v in serve[g, m, sl]), *spread, *pool]) <= 0, info)


def cap_specs(model: Model) -> list[CapSpec]:
    """Budget caps (constraints.caps) and catalog capacity caps, as sets of offering groups in use."""
    used = {g.id for g in model.option_group.values()}
    groups = [g for g in model.candidates.groups if g.id in used]
    specs = []
    for cap in model.budget.constraints.caps:
        members = frozenset(g.id for g in groups if cap_matches(cap, g))
        if members:
            specs.append(CapSpec(cap.label, members, cap.max_gpus, "budget"))
    for g in groups:
        limit = g.offering.capacity_max_instances
        if limit is not None:
            specs.append(CapSpec(g.id, frozenset({g.id}), limit * g.gpus, "catalog"))
    return specs


def define_caps(model: Model) -> None:
    """GPUs held or in use stay within every cap G_c (a budget cap or an offering's capacity).

    cap:c:run-w  — the GPUs of run w's cluster (a cluster cannot exceed the cap even for a moment)
    cap:c:s<s>   — per time segment s of training (per segment and slice, with services): committed
                   GPUs held in the segment's month + GPU-hours of training rented in the segment /
                   its hours + GPUs of service instances rented in the slice. Segments split at every
                   training window's ends, so runs that share one may both run all of it and are
                   taken to be sequenced within it; a longer deadline only ever adds room.
    cap:c:m<m>   — months without training: committed GPUs held + service GPUs rented (per slice).
    """
    model.caps = cap_specs(model)
    service_slots: dict[int, set[int]] = defaultdict(set)
    for _, _, um, uk, _ in model.u:
        service_slots[um].add(uk)
    by_month: dict[int, list[int]] = defaultdict(list)
    for seg in sorted(training.training_segments(model)):
        by_month[model.timeline.segments[seg].month].append(seg)
    for cap in model.caps:
        for w in model.runs:
            gpus = training.cluster_gpus(model, w, cap.groups)
            if gpus:
                info = model.registry.register(
                    "cap", cap.label, f"run-{w}", dual_unit="USD per GPU", rhs_unit="GPUs"
                )
                model.add(pulp.lpSum(gpus) <= cap.max_gpus, info)
        pooled = sorted(g for g in cap.groups if g in model.r_by_group)
        months = set(by_month) | set(service_slots) | {m for (g, m) in model.held if g in cap.groups}
        for m in sorted(months):
            held = [model.groups[g].gpus * model.pool(g, m) for g in pooled if (g, m) in model.held]
            segments: list[int | None] = [*by_month.get(m, [])] or [None]
            slices: list[int | None] = [*sorted(service_slots.get(m, set()))] or [None]
            for sg in segments:
                trained = (
                    []
                    if sg is None
                    else [
                        v * (1 / model.timeline.segments[sg].hours)
                        for v in training.rented_gpu_hours(model, cap.groups, sg)
                    ]
                )
                for sl in slices:
                    served = [] if sl is None else inference.rented_gpus_in_slot(model, cap.groups, m, sl)
                    if not (held or trained or served):
                        continue
                    where = (f"s{sg}" if sg is not None else f"m{m}") + ("" if sl is None else f".k{sl}")
                    info = model.registry.register(
                        "cap", cap.label, where, dual_unit="USD per GPU", rhs_unit="GPUs"
                    )
                    model.add(pulp.lpSum(held + trained + served) <= cap.max_gpus, info)


def commitment_months(model: Model, t: Term, start: int) -> int:
    """Months of a commitment that are paid for in the plan: the whole term, or only the months
    inside the horizon when constraints.credit_reserved_beyond_horizon is set."""
    months = t.term_months or 0
    if model.budget.constraints.credit_reserved_beyond_horizon:
        return min(months, model.timeline.months - start)
    return months


def define_objective(model: Model) -> None:
    """minimize  sum p_t·hours (pay-per-use) + sum p_t·730·L_t·r (every hour of each commitment)
    + egress; plus negligible tie-breaks on committed capacity drawn (TIE_BREAK_USD_PER_GPU_HOUR)
    and on a service's spot capacity by month (SPOT_TIE_BREAK_PER_MONTH)."""
    cost: dict[str, list[pulp.LpAffineExpression]] = defaultdict(list)
    for part in (training.rent_costs(model), inference.rent_costs(model)):
        for term, exprs in part.items():
            cost[term] += exprs
    committed: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (g, t, s), v in model.r.items():
        if t == Term.OWN_DC:
            continue  # priced by datacenter.costs
        price = model.groups[g].price(t)
        assert price is not None
        committed[t.value].append((v, price * HOURS_PER_MONTH * commitment_months(model, t, s)))
    for term, pairs in committed.items():
        cost[term].append(linear(pairs))
    for category, exprs in datacenter.costs(model).items():
        cost[category] += exprs
    egress = inference.egress_costs(model)
    if egress:
        cost["egress"] = egress
    model.cost = {k: pulp.lpSum(v) for k, v in cost.items()}
    tie = TIE_BREAK_USD_PER_GPU_HOUR
    draws = [(v, tie * (1 + m / 100) * model.group_of(o).gpus) for (_, o, m), v in model.xp.items()]
    draws += [
        (v, tie * (1 + m / 100) * model.timeline.slice_hours(k) * model.group_of(o).gpus)
        for (w, o, m, k, key), v in model.u.items()
        if key == COMMITTED
    ]
    slices = len(model.timeline.slices)
    for (_, o, m, k, key), v in model.u.items():
        if key == Term.SPOT.value:
            price = model.group_of(o).price(Term.SPOT)
            assert price is not None
            step = m + k / slices  # month by month, and within a month slice by slice
            draws.append((v, SPOT_TIE_BREAK_PER_MONTH * step * price * model.timeline.slice_hours(k)))
    model.tie_break = linear(draws)
    model.prob.setObjective((model.total_cost() + model.tie_break) * OBJECTIVE_SCALE)


def define_budget(model: Model) -> None:
    """budget — total cost <= B (only when constraints.budget_usd is set)."""
    limit = model.budget.constraints.budget_usd
    if limit is None:
        return
    info = model.registry.register("budget", dual_unit="USD per USD", rhs_unit="USD")
    model.add(model.total_cost() <= limit, info)
