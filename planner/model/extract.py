"""Read a solved model back into plan rows (allocations) and per-workload summaries.

Rows come in three kinds, so the table both sums to the total cost and shows who used what:
  rent        pay-per-use capacity a workload bought (on-demand, spot): cost = hours x price
  commitment  a 1- or 3-year commitment (every hour of its term is paid), shared by the workloads
              listed in `workload`; `used_gpu_hours` and `utilization` say how much was used
  draw        a workload's use of committed capacity: cost 0 (the commitment row carries it)
  egress      internet egress of a service from one offering (requests x GB/request x USD/GB)
  purchase    own servers bought in a month: capex less book value at the horizon end (+ interest)
  site        own data center running costs (power, facility, operations), one row per stretch of
              months with the same monthly cost
Service rows are per month and day slice (`snapshot`) and carry the output tokens/s they supply.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from planner import compute
from planner.enums import Term
from planner.model.build import commitment_months
from planner.model.candidates import OfferingGroup
from planner.model.datacenter import net_capex_usd, site_cost_runs
from planner.model.inference import TOKENS_SCALE, served, slots
from planner.model.model import COMMITTED, POOL_TERMS, Model
from planner.model.serving import ServingOption
from planner.units import DAYS_PER_MONTH, HOURS_PER_DAY, HOURS_PER_MONTH

ALLOCATION_COLUMNS = [
    "workload", "row_type", "provider", "region", "zones", "instance_type", "accelerator",
    "gpus_per_instance", "instances", "gpus", "term", "start_month", "months", "month", "snapshot",
    "slice", "tokens_per_s", "gpu_hours", "used_gpu_hours", "utilization", "price_per_hour_usd", "cost_usd",
]  # fmt: skip
USAGE_COLUMNS = [
    "workload", "provider", "region", "instance_type", "term", "month", "slice", "segment", "segment_hours",
    "instances", "instance_hours",
]  # fmt: skip
SERVING_COLUMNS = [
    "workload", "provider", "region", "instance_type", "accelerator", "month", "snapshot", "slice", "bucket",
    "input_tokens", "output_tokens", "tokens_per_s", "capacity_per_instance_tokens_per_s", "capacity_source",
]  # fmt: skip

_TOL = 1e-6


def val(v: Any) -> float:
    x = v.value() if hasattr(v, "value") else v
    return float(x or 0.0)


def _base_row(g: OfferingGroup) -> dict[str, Any]:
    return {
        "provider": g.provider,
        "region": g.region,
        "zones": ",".join(g.zones),
        "instance_type": g.offering.instance_type,
        "accelerator": g.accelerator.id,
        "gpus_per_instance": g.gpus,
        "month": None,
        "snapshot": None,
        "slice": None,
        "tokens_per_s": None,
        "used_gpu_hours": None,
        "utilization": None,
    }


# Solver output this close to a whole number is read as that number (HiGHS's feasibility tolerance
# is 1e-6; a time-averaged 0.99999997 instance is one instance).
SNAP_TOLERANCE = 1e-7


def snap_noise(model: Model) -> None:
    """Remove the solver's noise from the solution in place: integers to whole numbers, and any
    value within SNAP_TOLERANCE of a whole number to it. Done once, before anything reads the plan,
    so that the total, the cost breakdown and every row add up from the same values (reading rows
    snapped but the total raw left them $0.001 apart)."""
    for v in model.prob.variables():
        x = v.varValue
        if x is not None and (v.cat == "Integer" or abs(x - round(x)) < SNAP_TOLERANCE):
            v.varValue = float(round(x))


def chosen_option(model: Model, w: str) -> str | None:
    for opt in model.options(w):
        if val(model.y[w, opt.id]) > 0.5:
            return opt.id
    return None


def pool_term_shares(model: Model, g: str, m: int) -> dict[Term, float]:
    """Split of group g's held instances in month m between its pooled terms (1y, 3y, own)."""
    active = {t: val(model.active(t, g, m)) for t in POOL_TERMS}
    total = sum(active.values())
    if total <= _TOL:
        return {Term.OWN_DC if model.groups[g].own_dc else Term.RESERVED_1Y: 1.0}
    return {t: a / total for t, a in active.items() if a > _TOL}


# --------------------------------------------------------------------------- training


def training_rows(model: Model) -> list[dict[str, Any]]:
    """Rent rows (on-demand, spot) and draw rows (committed hours) of every training run."""
    rows: list[dict[str, Any]] = []
    for w, run in model.runs.items():
        o = chosen_option(model, w)
        if o is None:
            continue
        g = model.group_of(o)
        n = round(val(model.n[w, o]))
        rented: dict[Term, float] = defaultdict(float)
        for t, _, v in model.x_by_option[w, o]:
            rented[t] += val(v)
        total_h = sum(rented.values()) + sum(val(v) for _, v in model.xp_by_option[w, o])
        run_h = total_h / n if n else 0.0  # wall-clock hours the cluster runs
        months = run_h / HOURS_PER_MONTH
        for t, hours in rented.items():
            if hours <= _TOL:
                continue
            price = g.price(t) or 0.0
            inst = hours / run_h if run_h else 0.0
            rows.append(
                {
                    **_base_row(g),
                    "workload": w,
                    "row_type": "rent",
                    "instances": inst,
                    "gpus": inst * g.gpus,
                    "term": t.value,
                    "start_month": run.start_month,
                    "months": months,
                    "gpu_hours": hours * g.gpus,
                    "price_per_hour_usd": price,
                    "cost_usd": hours * price,
                }
            )
        drawn: dict[Term, float] = defaultdict(float)
        first: dict[Term, int] = {}
        for sg, v in sorted(model.xp_by_option[w, o], key=lambda sv: sv[0]):
            hours = val(v)
            if hours <= _TOL:
                continue
            m = model.timeline.segments[sg].month
            for t, share in pool_term_shares(model, g.id, m).items():
                drawn[t] += hours * share
                first.setdefault(t, m)
        for t, hours in drawn.items():
            inst = hours / run_h if run_h else 0.0
            rows.append(
                {
                    **_base_row(g),
                    "workload": w,
                    "row_type": "draw",
                    "instances": inst,
                    "gpus": inst * g.gpus,
                    "term": t.value,
                    "start_month": first[t],
                    "months": months,
                    "gpu_hours": hours * g.gpus,
                    "price_per_hour_usd": 0.0,
                    "cost_usd": 0.0,
                }
            )
    return rows


def training_summaries(model: Model) -> list[dict[str, Any]]:
    """Per training run: FLOPs, the cluster, hours by source, and when it finishes."""
    out = []
    rho = compute.DEFAULT_SPOT_OVERHEAD
    for w, run in model.runs.items():
        needs = model.candidates.needs[w]
        o = chosen_option(model, w)
        entry: dict[str, Any] = {
            "name": w,
            "kind": "training",
            "flops": needs.flops,
            "params": needs.params,
            "active_params": needs.active_params,
            "deadline_days": run.deadline_days,
            "start_month": run.start_month,
        }
        if o is None:
            out.append({**entry, "gpu_hours": 0.0, "finish_days": None, "cluster": None})
            continue
        opt = next(p for p in model.options(w) if p.id == o)
        g = opt.group
        n = round(val(model.n[w, o]))
        by_term: dict[str, float] = defaultdict(float)
        delivered = 0.0
        for t, _, v in model.x_by_option[w, o]:
            by_term[t.value] += val(v)
            delivered += val(v) * opt.flops_per_instance_hour * ((1 - rho) if t == Term.SPOT else 1.0)
        committed = sum(val(v) for _, v in model.xp_by_option[w, o])
        delivered += committed * opt.flops_per_instance_hour
        if committed > _TOL:
            by_term[COMMITTED] = committed
        total_h = sum(by_term.values())
        finish_days = total_h / n / HOURS_PER_DAY if n else None
        entry.update(
            {
                "gpu_hours": total_h * g.gpus,
                "finish_days": finish_days,
                "cluster": {
                    "offering": g.id,
                    "option": o,
                    "provider": g.provider,
                    "region": g.region,
                    "instance_type": g.offering.instance_type,
                    "accelerator": g.accelerator.id,
                    "instances": n,
                    "gpus": n * g.gpus,
                },
                "gpu_hours_by_term": {k: h * g.gpus for k, h in sorted(by_term.items())},
                "precision": opt.precision.value,
                "mfu": opt.mfu,
                "goodput": opt.goodput,
                "scaling_efficiency": opt.scaling_efficiency,
                "flops_delivered": delivered,
                "finish_month": run.start_month + finish_days / DAYS_PER_MONTH
                if finish_days is not None
                else None,
            }
        )
        out.append(entry)
    return out


# --------------------------------------------------------------------------- inference


def _mix_rate(model: Model, w: str, opt: ServingOption, m: int, k: int) -> float:
    """Output tokens/s one instance-equivalent delivers for the bucket mix it serves in (m, k)."""
    load = total = 0.0
    for b, cap in enumerate(opt.capacity):
        if cap is None or (w, b, opt.id, m, k) not in model.s:
            continue
        tok = served(model, (w, b, opt.id, m, k))
        total += tok
        load += tok / cap.tokens_per_s
    if load > _TOL:
        return total / load
    return next(c.tokens_per_s for c in opt.capacity if c is not None)


def inference_rows(model: Model) -> list[dict[str, Any]]:
    """Service rows per (option, term, month, slice): instances, GPUs, tokens/s supplied, cost."""
    rows: list[dict[str, Any]] = []
    rho = compute.DEFAULT_SPOT_OVERHEAD
    for w in model.services:
        for opt in model.serving(w):
            g = opt.group
            for m, k in slots(model, w):
                hours = model.timeline.slice_hours(k)
                snapshot = model.timeline.slices[k].names.get(w, model.timeline.slices[k].label)
                rate = None
                for key in (Term.ON_DEMAND.value, Term.SPOT.value, COMMITTED):
                    v = model.u.get((w, opt.id, m, k, key))
                    inst = val(v)
                    if inst <= _TOL:
                        continue
                    rate = rate if rate is not None else _mix_rate(model, w, opt, m, k)
                    derate = (1 - rho) if key == Term.SPOT.value else 1.0
                    shares = pool_term_shares(model, g.id, m) if key == COMMITTED else {Term(key): 1.0}
                    for t, share in shares.items():
                        n = inst * share
                        price = 0.0 if key == COMMITTED else (g.price(t) or 0.0)
                        rows.append(
                            {
                                **_base_row(g),
                                "workload": w,
                                "row_type": "draw" if key == COMMITTED else "rent",
                                "instances": n,
                                "gpus": n * g.gpus,
                                "term": t.value,
                                "start_month": m,
                                "months": hours / HOURS_PER_MONTH,
                                "month": m,
                                "snapshot": snapshot,
                                "slice": k,
                                "tokens_per_s": n * derate * rate,
                                "gpu_hours": n * g.gpus * hours,
                                "price_per_hour_usd": price,
                                "cost_usd": n * hours * price,
                            }
                        )
    return rows


def egress_rows(model: Model) -> list[dict[str, Any]]:
    """Internet egress of each service per offering: requests served x GB/request x USD/GB."""
    cost: dict[tuple[str, str], float] = defaultdict(float)
    for (w, b, o, _, k), v in model.s.items():
        gb = model.services[w].egress_gb_per_request
        price = model.group_of(o).egress_usd_per_gb
        if gb <= 0 or not price or (tok := val(v) * TOKENS_SCALE) <= _TOL:
            continue
        bucket = model.candidates.services[w].buckets[b]
        cost[w, o] += tok * model.timeline.slice_hours(k) * 3600.0 / bucket.output_tokens * gb * price
    rows = []
    for (w, o), usd in sorted(cost.items()):
        g = model.group_of(o)
        rows.append(
            {
                **_base_row(g),
                "workload": w,
                "row_type": "egress",
                "instances": 0.0,
                "gpus": 0.0,
                "term": "egress",
                "start_month": min(m for (ww, _, oo, m, _) in model.s if ww == w and oo == o),
                "months": None,
                "gpu_hours": 0.0,
                "price_per_hour_usd": None,
                "cost_usd": usd,
            }
        )
    return rows


def serving_rows(model: Model) -> list[dict[str, Any]]:
    """Output tokens/s of each request bucket served by each offering in each (month, slice)."""
    rows = []
    for (w, b, o, m, k), v in sorted(
        model.s.items(), key=lambda kv: (kv[0][0], kv[0][3], kv[0][4], kv[0][1], kv[0][2])
    ):
        tok = val(v) * TOKENS_SCALE
        if tok <= _TOL:
            continue
        opt = next(p for p in model.serving(w) if p.id == o)
        g, cap = opt.group, opt.capacity[b]
        bucket = model.candidates.services[w].buckets[b]
        assert cap is not None
        rows.append(
            {
                "workload": w,
                "provider": g.provider,
                "region": g.region,
                "instance_type": g.offering.instance_type,
                "accelerator": g.accelerator.id,
                "month": m,
                "snapshot": model.timeline.slices[k].names.get(w, model.timeline.slices[k].label),
                "slice": k,
                "bucket": b,
                "input_tokens": bucket.input_tokens,
                "output_tokens": bucket.output_tokens,
                "tokens_per_s": tok,
                "capacity_per_instance_tokens_per_s": cap.tokens_per_s,
                "capacity_source": cap.source,
            }
        )
    return rows


def inference_summaries(model: Model) -> list[dict[str, Any]]:
    """Per service: model, buckets, demand per month and snapshot (output tokens/s), GPU-hours,
    FLOPs served, and the share of each month's demand met by committed capacity."""
    out = []
    rho = compute.DEFAULT_SPOT_OVERHEAD
    for w, svc in model.services.items():
        needs = model.candidates.services[w]
        demand_rows = []
        for m in needs.months:
            for sl in model.timeline.slices:
                tok = sum(needs.demand.get((b, m, sl.index), 0.0) for b in range(len(needs.buckets)))
                demand_rows.append(
                    {
                        "month": m,
                        "snapshot": sl.names.get(w, sl.label),
                        "slice": sl.index,
                        "hours_per_day": sl.hours_per_day,
                        "hours_per_month": sl.hours_per_month,
                        "requests_per_s": needs.requests.get((m, sl.index), 0.0),
                        "output_tokens_per_s": tok,
                    }
                )
        gpu_hours = 0.0
        committed_tok: dict[int, float] = defaultdict(float)
        total_tok: dict[int, float] = defaultdict(float)
        for (ww, o, m, k, key), v in model.u.items():
            if ww != w:
                continue
            inst = val(v)
            if inst <= _TOL:
                continue
            opt = next(p for p in model.serving(w) if p.id == o)
            hours = model.timeline.slice_hours(k)
            gpu_hours += inst * opt.group.gpus * hours
            tok_h = (
                inst * ((1 - rho) if key == Term.SPOT.value else 1.0) * _mix_rate(model, w, opt, m, k) * hours
            )
            total_tok[m] += tok_h
            if key == COMMITTED:
                committed_tok[m] += tok_h
        requests = sum(
            needs.requests.get((m, sl.index), 0.0) * sl.hours_per_month * 3600
            for m in needs.months
            for sl in model.timeline.slices
        )
        per_request = sum(
            b.share
            * compute.inference_flops_per_request(needs.arch.active_params, b.input_tokens, b.output_tokens)
            for b in needs.buckets
        )
        out.append(
            {
                "name": w,
                "kind": "inference",
                "model": needs.arch.id,
                "precision": svc.precision.value,
                "tpot_ms": svc.tpot_ms,
                "ttft_ms": svc.ttft_ms,
                "flops": requests * per_request,
                "requests": requests,
                "gpu_hours": gpu_hours,
                "finish_days": None,
                "buckets": [b.model_dump() for b in needs.buckets],
                "demand": demand_rows,
                "committed_coverage": {
                    str(m): (committed_tok[m] / total_tok[m] if total_tok[m] > _TOL else 0.0)
                    for m in needs.months
                },
            }
        )
    return out


# --------------------------------------------------------------------------- commitments


def usage_rows(model: Model) -> list[dict[str, Any]]:
    """Training hours per time segment (rented and drawn from commitments) and draws of services on
    commitments per (month, slice): the detail the verifier checks commitments and caps with."""
    rows = []
    segments = model.timeline.segments

    def training_row(w: str, o: str, term: str, sg: int, hours: float) -> dict[str, Any]:
        g = model.group_of(o)
        return {
            "workload": w,
            "provider": g.provider,
            "region": g.region,
            "instance_type": g.offering.instance_type,
            "term": term,
            "month": segments[sg].month,
            "slice": None,
            "segment": sg,
            "segment_hours": segments[sg].hours,
            "instances": hours / segments[sg].hours,
            "instance_hours": hours,
        }

    for (w, o, t, sg), v in sorted(
        model.x.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][3], kv[0][2].value)
    ):
        if (hours := val(v)) > _TOL:
            rows.append(training_row(w, o, t.value, sg, hours))
    for (w, o, sg), v in sorted(model.xp.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        if (hours := val(v)) <= _TOL:
            continue
        g = model.group_of(o)
        for t, share in pool_term_shares(model, g.id, segments[sg].month).items():
            rows.append(training_row(w, o, t.value, sg, hours * share))
    for (w, o, m, k, key), v in sorted(model.u.items(), key=lambda kv: kv[0][:4]):
        inst = val(v)
        if key != COMMITTED or inst <= _TOL:
            continue
        g = model.group_of(o)
        for t, share in pool_term_shares(model, g.id, m).items():
            rows.append(
                {
                    "workload": w,
                    "provider": g.provider,
                    "region": g.region,
                    "instance_type": g.offering.instance_type,
                    "term": t.value,
                    "month": m,
                    "slice": k,
                    "segment": None,
                    "segment_hours": model.timeline.slice_hours(k),
                    "instances": inst * share,
                    "instance_hours": inst * share * model.timeline.slice_hours(k),
                }
            )
    return rows


def _share_of_use(
    model: Model, used_hours: dict[tuple[str, int], float], gid: str, count: int, months: range
) -> float:
    """Instance-hours of group gid's pool use that fall to `count` of its instances over `months`:
    each month's use in proportion to their share of the pool (the utilization of one purchase)."""
    used = 0.0
    for m in months:
        pool = val(model.pool(gid, m))
        if pool > _TOL:
            used += used_hours.get((gid, m), 0.0) * count / pool
    return used


def _committed_use(model: Model) -> tuple[dict[str, set[str]], dict[tuple[str, int], float]]:
    """Workloads drawing on each group's commitments, and instance-hours drawn per (group, month)."""
    used_by: dict[str, set[str]] = defaultdict(set)
    used_hours: dict[tuple[str, int], float] = defaultdict(float)
    for (w, o, sg), v in model.xp.items():
        if (h := val(v)) > _TOL:
            used_by[model.group_of(o).id].add(w)
            used_hours[model.group_of(o).id, model.timeline.segments[sg].month] += h
    for (w, o, m, k, key), v in model.u.items():
        if key == COMMITTED and (inst := val(v)) > _TOL:
            used_by[model.group_of(o).id].add(w)
            used_hours[model.group_of(o).id, m] += inst * model.timeline.slice_hours(k)
    return used_by, used_hours


def commitment_rows(model: Model) -> list[dict[str, Any]]:
    """One row per (offering, term, start month) with committed instances, and its utilization."""
    rows = []
    groups = model.groups
    used_by, used_hours = _committed_use(model)
    for (gid, t, s), v in sorted(model.r.items(), key=lambda kv: (kv[0][0], kv[0][1].value, kv[0][2])):
        count = round(val(v))
        if count <= 0 or t == Term.OWN_DC:
            continue
        g = groups[gid]
        price = g.price(t) or 0.0
        paid_months = commitment_months(model, t, s)
        months_in_horizon = min(g.term_months(t), model.timeline.months - s)
        used = _share_of_use(model, used_hours, gid, count, range(s, s + months_in_horizon))
        paid_h = count * HOURS_PER_MONTH * paid_months
        rows.append(
            {
                **_base_row(g),
                "workload": ",".join(sorted(used_by.get(gid, set()))) or "(unused)",
                "row_type": "commitment",
                "instances": float(count),
                "gpus": float(count * g.gpus),
                "term": t.value,
                "start_month": s,
                "months": float(paid_months),
                "gpu_hours": paid_h * g.gpus,
                "used_gpu_hours": used * g.gpus,
                "utilization": used / paid_h if paid_h else 0.0,
                "price_per_hour_usd": price,
                "cost_usd": paid_h * price,
            }
        )
    return rows


def own_dc_rows(model: Model) -> list[dict[str, Any]]:
    """Own data center: one `purchase` row per (server, month bought) with its net capex and
    utilization, and `site` rows per running cost (power, facility, operations), one per stretch of
    months with the same monthly cost (planner.model.datacenter.site_cost_runs)."""
    dc = model.candidates.datacenter
    if dc is None:
        return []
    rows = []
    used_by, used_hours = _committed_use(model)
    months = model.timeline.months
    for (gid, t, s), v in sorted(model.r.items(), key=lambda kv: (kv[0][0], kv[0][2])):
        count = round(val(v))
        if t != Term.OWN_DC or count <= 0:
            continue
        g = model.groups[gid]
        assert g.server is not None
        held_months = min(g.life_months, months - s)
        used = _share_of_use(model, used_hours, gid, count, range(s, s + held_months))
        available = count * HOURS_PER_MONTH * held_months
        rows.append(
            {
                **_base_row(g),
                "workload": ",".join(sorted(used_by.get(gid, set()))) or "(unused)",
                "row_type": "purchase",
                "instances": float(count),
                "gpus": float(count * g.gpus),
                "term": Term.OWN_DC.value,
                "start_month": s,
                "months": float(held_months),
                "gpu_hours": available * g.gpus,
                "used_gpu_hours": used * g.gpus,
                "utilization": used / available if available else 0.0,
                "price_per_hour_usd": None,
                "cost_usd": count * net_capex_usd(dc, g.server, s, months),
            }
        )
    for category, start, span, usd in site_cost_runs(model):
        rows.append(
            {
                "workload": "(own data center)",
                "row_type": "site",
                "provider": "own-dc",
                "region": "site",
                "zones": "",
                "instance_type": category.removeprefix("own_dc_"),
                "accelerator": None,
                "gpus_per_instance": None,
                "instances": 0.0,
                "gpus": 0.0,
                "term": Term.OWN_DC.value,
                "start_month": start,
                "months": float(span),
                "snapshot": None,
                "slice": None,
                "tokens_per_s": None,
                "gpu_hours": 0.0,
                "used_gpu_hours": None,
                "utilization": None,
                "price_per_hour_usd": None,
                "cost_usd": usd,
            }
        )
    return rows


def cost_breakdown(model: Model) -> dict[str, float]:
    return {k: val(expr) for k, expr in sorted(model.cost.items())}
