"""Read a solved model back into plan rows (allocations) and per-workload summaries.

Rows come in three kinds, so the table both sums to the total cost and shows who used what:
  rent        pay-per-use capacity a workload bought (on-demand, spot): cost = hours x price
  commitment  a 1- or 3-year commitment (every hour of its term is paid), shared by the workloads
              listed in `workload`; `used_gpu_hours` and `utilization` say how much was used
  draw        a workload's use of committed capacity: cost 0 (the commitment row carries it)
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from planner.enums import Term
from planner.model.build import Model, commitment_months
from planner.model.candidates import OfferingGroup
from planner.units import DAYS_PER_MONTH, HOURS_PER_DAY, HOURS_PER_MONTH

ALLOCATION_COLUMNS = [
    "workload", "row_type", "provider", "region", "zones", "instance_type", "accelerator",
    "gpus_per_instance", "instances", "gpus", "term", "start_month", "months", "snapshot",
    "tokens_per_s", "gpu_hours", "used_gpu_hours", "utilization", "price_per_hour_usd", "cost_usd",
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
        "snapshot": None,
        "tokens_per_s": None,
        "used_gpu_hours": None,
        "utilization": None,
    }


def chosen_option(model: Model, w: str) -> str | None:
    for opt in model.options(w):
        if val(model.y[w, opt.id]) > 0.5:
            return opt.id
    return None


def training_rows(model: Model) -> list[dict[str, Any]]:
    """Rent rows (on-demand, spot) and draw rows (committed hours) of every training run."""
    rows: list[dict[str, Any]] = []
    for w, run in model.runs.items():
        o = chosen_option(model, w)
        if o is None:
            continue
        g = model.group_of(o)
        n = round(val(model.n[w, o]))
        total_h = sum(val(v) for (ww, oo, _), v in model.x.items() if ww == w and oo == o)
        total_h += sum(val(v) for (ww, oo, _), v in model.xp.items() if ww == w and oo == o)
        run_h = total_h / n if n else 0.0  # wall-clock hours the cluster runs
        months = run_h / HOURS_PER_MONTH
        for t in (Term.ON_DEMAND, Term.SPOT):
            hours = val(model.x.get((w, o, t), 0.0))
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
        for (ww, oo, m), v in sorted(model.xp.items(), key=lambda kv: kv[0][2]):
            hours = val(v)
            if ww != w or oo != o or hours <= _TOL:
                continue
            for t, share in _pool_term_shares(model, g.id, m).items():
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


USAGE_COLUMNS = [
    "workload",
    "provider",
    "region",
    "instance_type",
    "term",
    "month",
    "slice",
    "instance_hours",
]


def usage_rows(model: Model) -> list[dict[str, Any]]:
    """Per-month draws on committed capacity (the detail behind draw rows; checked by the verifier)."""
    rows = []
    for (w, o, m), v in sorted(model.xp.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        hours = val(v)
        if hours <= _TOL:
            continue
        g = model.group_of(o)
        for t, share in _pool_term_shares(model, g.id, m).items():
            rows.append(
                {
                    "workload": w,
                    "provider": g.provider,
                    "region": g.region,
                    "instance_type": g.offering.instance_type,
                    "term": t.value,
                    "month": m,
                    "slice": None,
                    "instance_hours": hours * share,
                }
            )
    return rows


def _pool_term_shares(model: Model, o: str, m: int) -> dict[Term, float]:
    """Split of pool o's active commitments in month m between the 1y and 3y terms."""
    active = {t: val(model.active(t, o, m)) for t in (Term.RESERVED_1Y, Term.RESERVED_3Y)}
    total = sum(active.values())
    if total <= _TOL:
        return {Term.RESERVED_1Y: 1.0}
    return {t: a / total for t, a in active.items() if a > _TOL}


def commitment_rows(model: Model) -> list[dict[str, Any]]:
    """One row per (offering, term, start month) with committed instances, and its utilization."""
    rows = []
    groups = model.groups
    used_by: dict[str, set[str]] = defaultdict(set)
    used_hours: dict[tuple[str, int], float] = defaultdict(float)
    for (w, o, m), v in model.xp.items():
        h = val(v)
        if h > _TOL:
            used_by[model.group_of(o).id].add(w)
            used_hours[model.group_of(o).id, m] += h
    for (o, t, s), v in sorted(model.r.items(), key=lambda kv: (kv[0][0], kv[0][1].value, kv[0][2])):
        count = round(val(v))
        if count <= 0:
            continue
        g = groups[o]
        price = g.price(t) or 0.0
        paid_months = commitment_months(model, t, s)
        months_in_horizon = min(t.term_months or 0, model.timeline.months - s)
        # Utilization of this commitment: its share of the pool's use in the months it is active.
        used = 0.0
        for m in range(s, s + months_in_horizon):
            pool = val(model.pool(o, m))
            if pool > _TOL:
                used += used_hours.get((o, m), 0.0) * count / pool
        paid_h = count * HOURS_PER_MONTH * paid_months
        rows.append(
            {
                **_base_row(g),
                "workload": ",".join(sorted(used_by.get(o, set()))) or "(unused)",
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


def training_summaries(model: Model) -> list[dict[str, Any]]:
    """Per training run: FLOPs, the cluster, hours by source, and when it finishes."""
    out = []
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
        for (ww, oo, t), v in model.x.items():
            if ww == w and oo == o:
                by_term[t.value] += val(v)
        committed = sum(val(v) for (ww, oo, _), v in model.xp.items() if ww == w and oo == o)
        if committed > _TOL:
            by_term["committed"] = committed
        total_h = sum(by_term.values())
        entry.update(
            {
                "gpu_hours": total_h * g.gpus,
                "finish_days": total_h / n / HOURS_PER_DAY if n else None,
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
                "mfu": opt.mfu,
                "goodput": opt.goodput,
                "scaling_efficiency": opt.scaling_efficiency,
                "flops_delivered": _delivered(model, w, o, opt.flops_per_instance_hour),
                "months": total_h / n / HOURS_PER_MONTH if n else None,
                "finish_month": run.start_month + (total_h / n / HOURS_PER_DAY) / DAYS_PER_MONTH
                if n
                else None,
            }
        )
        out.append(entry)
    return out


def _delivered(model: Model, w: str, o: str, rate: float) -> float:
    from planner import compute

    rho = compute.DEFAULT_SPOT_OVERHEAD
    total = 0.0
    for (ww, oo, t), v in model.x.items():
        if ww == w and oo == o:
            total += val(v) * rate * ((1 - rho) if t == Term.SPOT else 1.0)
    total += sum(val(v) * rate for (ww, oo, _), v in model.xp.items() if ww == w and oo == o)
    return total


def cost_breakdown(model: Model) -> dict[str, float]:
    return {k: val(expr) for k, expr in sorted(model.cost.items())}
