"""Inference-service constraint families (notation in planner.model.model).

A service's demand (output tokens/s per request bucket, month and day slice) is served by any mix
of offerings: instances rented on-demand or spot per slice, or drawn from commitments (flat over
the slices of a month). Which bucket goes to which offering is a decision, not a rule.
"""

from __future__ import annotations

from collections import defaultdict

import pulp

from planner import compute
from planner.enums import Term
from planner.model.model import COMMITTED, Model, linear
from planner.model.registry import ConstraintInfo
from planner.model.serving import ServingOption
from planner.units import HOURS_PER_MONTH

SECONDS_PER_HOUR = 3600.0
# Served output tokens (the s variables) are in thousands of tokens/s, so demand rows and capacity
# coefficients stay near 1 for services from a few to a million tokens/s (solver scaling).
TOKENS_SCALE = 1e3


def period(m: int, k: int) -> str:
    """Constraint-name period of month m, slice k."""
    return f"m{m}.k{k}"


def _keys(opt: ServingOption) -> list[str]:
    keys = [t.value for t in (Term.ON_DEMAND, Term.SPOT) if t in opt.terms]
    if any(t.is_pooled for t in opt.terms):
        keys.append(COMMITTED)
    return keys


def slots(model: Model, w: str) -> list[tuple[int, int]]:
    """(month, slice) pairs in which service w runs (demand > 0 or an availability floor)."""
    svc, needs = model.services[w], model.candidates.services[w]
    return [
        (m, sl.index)
        for m in needs.months
        for sl in model.timeline.slices
        if needs.requests.get((m, sl.index), 0.0) > 0 or svc.min_replicas > 0
    ]


def link_capacity(model: Model) -> None:
    """For services in served_is_capacity, s[w,0,o,m,k] = c[o]·(capacity of o in the slot).

    With one request bucket, no egress price and time-averaged instances, an optimal plan never
    needs to serve less than an offering's capacity in a slot: serving more costs nothing and
    every row s appears in (demand) is a >= row. So s can be the capacity itself, with no serving
    row per offering and slot. (Committed draws stay variables, minimised by the objective's
    tie-break, so reported draws and commitment utilization are what the demand needs.)
    """
    for w in sorted(model.served_is_capacity):
        needs = model.candidates.services[w]
        for opt in model.serving(w):
            bcap = opt.capacity[0]
            if bcap is None:
                continue
            for m, k in slots(model, w):
                if needs.demand.get((0, m, k), 0.0) > 0:
                    rate = bcap.tokens_per_s / TOKENS_SCALE
                    model.s[w, 0, opt.id, m, k] = capacity_expr(model, w, opt.id, m, k, scale=rate)


def define_inference_variables(model: Model) -> None:
    """u[w,o,m,k,t] >= 0 (instances; integer with whole_instances), s[w,b,o,m,k] >= 0 (output
    tokens/s served, in thousands), f[w,o,m,t] integer >= 0 (floor instances, when min_replicas > 0).
    """
    model.served_is_capacity = {
        w
        for w, svc in model.services.items()
        if model.compact
        and len(model.candidates.services[w].buckets) == 1
        and not svc.whole_instances
        and svc.egress_gb_per_request <= 0
    }
    vid = 0
    for w, svc in model.services.items():
        needs = model.candidates.services[w]
        cat = pulp.LpInteger if svc.whole_instances else pulp.LpContinuous
        floor_months = (
            sorted({m for m, _ in slots(model, w)})
            if svc.min_replicas > 0 and not svc.whole_instances
            else []
        )
        for opt in model.serving(w):
            vid += 1
            keys = _keys(opt)
            cap = opt.group.offering.capacity_max_instances
            # More floor instances than ceil(min_replicas / replicas) are never needed: f only certifies
            # the floor (f <= u), so a plan with more can lower f and stay feasible at the same cost.
            floor_cap = -(-svc.min_replicas // opt.replicas)
            floor_ub = floor_cap if cap is None else min(cap, floor_cap)
            for m in floor_months:
                for key in keys:
                    if key != Term.SPOT.value:
                        model.f[w, opt.id, m, key] = model.prob.add_variable(
                            f"f{vid}_{m}_{key}", lowBound=0, upBound=floor_ub, cat=pulp.LpInteger
                        )
            for m, k in slots(model, w):
                for key in keys:
                    model.u[w, opt.id, m, k, key] = model.prob.add_variable(
                        f"u{vid}_{m}_{k}_{key}", lowBound=0, upBound=cap, cat=cat
                    )
                if w in model.served_is_capacity:
                    continue  # s is the capacity expression (link_capacity)
                for b, bcap in enumerate(opt.capacity):
                    if bcap is not None and needs.demand.get((b, m, k), 0.0) > 0:
                        model.s[w, b, opt.id, m, k] = model.prob.add_variable(
                            f"s{vid}_{b}_{m}_{k}", lowBound=0
                        )


def commitment_months(model: Model) -> dict[tuple[str, Term], set[int]]:
    """Months in which services could draw on each (group, reserved term)."""
    out: dict[tuple[str, Term], set[int]] = defaultdict(set)
    for w in model.services:
        months = {m for m, _ in slots(model, w)}
        for opt in model.serving(w):
            for t in opt.terms:
                if t.is_pooled:
                    out[opt.group.id, t].update(months)
    return out


def define_demand(model: Model) -> None:
    """demand:w:b:m.k — sum_o s[w,b,o,m,k] >= D[w,b,m,k]: every bucket's output tokens/s is served.

    D = requests/s of the month x the slice's demand factor x the bucket's share x its output
    tokens; written in thousands of tokens/s. The dual is USD per (1,000 output tokens/s held
    through the slice's hours of the month).
    """
    by_bucket: dict[tuple[str, int, int, int], list[pulp.LpVariable]] = defaultdict(list)
    for (w, b, _, m, k), v in model.s.items():
        by_bucket[w, b, m, k].append(v)
    for w in model.services:
        needs = model.candidates.services[w]
        for (b, m, k), demand in sorted(needs.demand.items()):
            if demand <= 0:
                continue
            info = model.registry.register(
                "demand",
                w,
                f"b{b}",
                period(m, k),
                dual_unit="USD per 1,000 output tokens/s",
                rhs_unit="1,000 output tokens/s",
            )
            model.add(pulp.lpSum(by_bucket.get((w, b, m, k), [])) >= demand / TOKENS_SCALE, info)


def capacity_expr(
    model: Model, w: str, o: str, m: int, k: int, scale: float = 1.0
) -> pulp.LpAffineExpression:
    """Instance-equivalents of capacity of option o in (m, k), times `scale`: spot derated by its
    interruption overhead."""
    return linear((v, scale * c) for v, c in capacity_terms(model, w, o, m, k))


def capacity_terms(model: Model, w: str, o: str, m: int, k: int) -> list[tuple[pulp.LpVariable, float]]:
    """capacity_expr's (variable, instance-equivalents per instance) pairs."""
    rho = compute.DEFAULT_SPOT_OVERHEAD
    terms = []
    for key in (Term.ON_DEMAND.value, Term.SPOT.value, COMMITTED):
        v = model.u.get((w, o, m, k, key))
        if v is not None:
            terms.append((v, 1 - rho if key == Term.SPOT.value else 1.0))
    return terms


def define_serving_capacity(model: Model) -> None:
    """serving:w:o:m.k — sum_b s[w,b,o,m,k] / c[b,o] <= u_od + (1-ρ)·u_spot + u_committed.

    c[b,o] is one instance's output tokens/s for bucket b at the latency targets (estimate or
    measured); a mix of buckets shares the instance in proportion to the time each needs.
    """
    by_slot: dict[tuple[str, str, int, int], list[tuple[int, pulp.LpAffineExpression]]] = defaultdict(list)
    for (w, b, o, m, k), v in model.s.items():
        if w not in model.served_is_capacity:  # there s is the capacity: the row would read 0 <= 0
            by_slot[w, o, m, k].append((b, v))
    for w in model.services:
        for opt in model.serving(w):
            for m, k in slots(model, w):
                mine = by_slot.get((w, opt.id, m, k), [])
                if not mine:
                    continue
                load = [(v, TOKENS_SCALE / opt.capacity[b].tokens_per_s) for b, v in mine]  # type: ignore[union-attr]
                capacity = [(v, -c) for v, c in capacity_terms(model, w, opt.id, m, k)]
                info = model.registry.register(
                    "serving", w, opt.id, period(m, k), dual_unit="USD per instance", rhs_unit="instances"
                )
                model.add(linear(load + capacity) <= 0, info)


def define_small_demand(model: Model) -> None:
    """small_demand:w:b:o:m.k — s[w,b,o,m,k] <= D[w,b,m,k]·(u_od + u_spot + u_committed), where one
    instance of o could serve bucket b's whole demand in the slot.

    Serving more than the demand is never needed, so every optimal plan satisfies it; it makes the
    LP relaxation pay for a whole instance where a slot's demand is smaller than one instance,
    which is where rounding to whole instances costs most (a tighter bound proves optimality faster).
    """
    for (w, b, o, m, k), v in model.s.items():
        if not model.services[w].whole_instances:
            continue  # valid only for whole instances (a time-averaged count may be a fraction)
        demand = model.candidates.services[w].demand.get((b, m, k), 0.0)
        opt = next(p for p in model.serving(w) if p.id == o)
        cap = opt.capacity[b]
        if cap is None or demand >= cap.tokens_per_s:
            continue
        units = [model.u[w, o, m, k, key] for key in _keys(opt) if (w, o, m, k, key) in model.u]
        info = model.registry.register(
            "small_demand",
            w,
            f"b{b}:{o}",
            period(m, k),
            dual_unit="USD per 1,000 output tokens/s",
            rhs_unit="1,000 output tokens/s",
        )
        model.add(linear([(v, 1), *((u, -(demand / TOKENS_SCALE)) for u in units)]) <= 0, info)


def define_min_replicas(model: Model) -> None:
    """An availability floor of R replicas that do not depend on preemptible spot capacity.

    With time-averaged capacity, the floor is whole instances held all month, each either rented
    on demand or drawn from commitments (one instance is not both at once):
      replicas:w:m           — sum_o sum_t min(rep_o, R)·f[w,o,m,t] >= R   (t: on_demand, committed)
      floor_held:w:o:t:m.k   — u_t[w,o,m,k] >= f[w,o,m,t] in every slice
    With whole_instances, per slice: replicas:w:m.k — sum_o min(rep_o, R)·(u_od + u_committed) >= R.
    An instance counts for at most R replicas (coefficient tightening): the same integer plans
    satisfy it, but the LP relaxation can no longer meet the floor with a sliver of a big instance.
    """
    for w, svc in model.services.items():
        if svc.min_replicas <= 0:
            continue
        reps = {opt.id: min(opt.replicas, svc.min_replicas) for opt in model.serving(w)}
        if svc.whole_instances:
            for m, k in slots(model, w):
                terms = [
                    (model.u[w, opt.id, m, k, key], reps[opt.id])
                    for opt in model.serving(w)
                    for key in (Term.ON_DEMAND.value, COMMITTED)
                    if (w, opt.id, m, k, key) in model.u
                ]
                info = model.registry.register(
                    "replicas", w, None, period(m, k), dual_unit="USD per replica", rhs_unit="replicas"
                )
                model.add(linear(terms) >= svc.min_replicas, info)
            continue
        months = sorted({m for m, _ in slots(model, w)})
        for m in months:
            floor = [(v, reps[o]) for (ww, o, mm, _), v in model.f.items() if ww == w and mm == m]
            info = model.registry.register(
                "replicas", w, None, f"m{m}", dual_unit="USD per replica", rhs_unit="replicas"
            )
            model.add(linear(floor) >= svc.min_replicas, info)
        slices_of: dict[int, list[int]] = defaultdict(list)
        for m, k in slots(model, w):
            slices_of[m].append(k)
        for (ww, o, m, key), fv in model.f.items():
            if ww != w:
                continue
            for k in slices_of[m]:
                held = model.u.get((w, o, m, k, key))  # none: no commitment can be active that month
                row = linear([(fv, -1)] if held is None else [(held, 1), (fv, -1)])
                model.add(row >= 0, _floor_info(model, w, o, key, m, k))


def _floor_info(model: Model, w: str, o: str, key: str, m: int, k: int) -> ConstraintInfo:
    return model.registry.register(
        "floor_held", w, f"{o}:{key}", period(m, k), dual_unit="USD per instance", rhs_unit="instances"
    )


def define_inference_spot_share(model: Model) -> None:
    """spot_share:w — sum H_k·G_o·u_spot <= f_w · sum H_k·G_o·(u_od + u_spot + u_committed) over
    o, m, k (G_o GPUs per instance): spot's share of the service's GPU-hours is capped, the same
    measure as for training runs (instance-hours would let a few large spot instances pass)."""
    for w, svc in model.services.items():
        f = (
            svc.max_spot_fraction
            if svc.max_spot_fraction is not None
            else model.budget.constraints.max_spot_fraction
        )
        spot, total = [], []
        for (ww, o, _, k, key), v in model.u.items():
            if ww != w:
                continue
            h = model.timeline.slice_hours(k) * model.group_of(o).gpus
            total.append((v, -(f * h)))
            if key == Term.SPOT.value:
                spot.append((v, h))
        if not spot:
            continue
        info = model.registry.register("spot_share", w, dual_unit="USD per GPU-hour", rhs_unit="GPU-hours")
        model.add(linear(spot + total) <= 0, info)


def pool_usage(model: Model) -> dict[tuple[str, int, int], list[pulp.LpVariable]]:
    """Committed instances drawn by services, per (group, month, slice)."""
    out: dict[tuple[str, int, int], list[pulp.LpVariable]] = defaultdict(list)
    for (_, o, m, k, key), v in model.u.items():
        if key == COMMITTED:
            out[model.group_of(o).id, m, k].append(v)
    return out


def rented_gpus_in_slot(
    model: Model, groups: frozenset[str], m: int, k: int
) -> list[pulp.LpAffineExpression]:
    """GPUs of service instances rented (on-demand, spot) on `groups` in month m, slice k; draws on
    commitments are already counted by the committed GPUs held."""
    return [
        model.group_of(o).gpus * v
        for (_, o, mm, kk, key), v in model.u.items()
        if mm == m and kk == k and key != COMMITTED and model.group_of(o).id in groups
    ]


def rent_costs(model: Model) -> dict[str, list[pulp.LpAffineExpression]]:
    """USD of pay-per-use service instances, by term: price x hours of the slice in the month."""
    out: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    for (_, o, _, k, key), v in model.u.items():
        if key == COMMITTED:
            continue
        price = model.group_of(o).price(Term(key))
        assert price is not None
        out[key].append((v, price * model.timeline.slice_hours(k)))
    return {term: [linear(pairs)] for term, pairs in out.items()}


def egress_costs(model: Model) -> list[pulp.LpAffineExpression]:
    """USD of internet egress: requests served x GB per request x the provider's USD/GB.

    Requests = output tokens/s x seconds of the slice / output tokens per request.
    """
    out = []
    for (w, b, o, _, k), v in model.s.items():
        gb = model.services[w].egress_gb_per_request
        price = model.group_of(o).egress_usd_per_gb
        if gb <= 0 or not price:
            continue
        bucket = model.candidates.services[w].buckets[b]
        seconds = model.timeline.slice_hours(k) * SECONDS_PER_HOUR
        out.append(v * (TOKENS_SCALE * seconds / bucket.output_tokens * gb * price))
    return out


def served(model: Model, key: tuple[str, int, str, int, int]) -> float:
    """Output tokens/s served (solution value of s, unscaled)."""
    v = model.s.get(key)
    return float(v.value() or 0.0) * TOKENS_SCALE if v is not None else 0.0


def slice_share(model: Model, k: int) -> float:
    """Share of a month's hours in slice k."""
    return model.timeline.slice_hours(k) / HOURS_PER_MONTH


FAMILIES = (
    define_demand,
    define_serving_capacity,
    define_small_demand,
    define_min_replicas,
    define_inference_spot_share,
)
