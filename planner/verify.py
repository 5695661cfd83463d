"""Independent verifier: re-check a plan against the catalog and the workloads, without the solver.

It reads only the plan's rows and stated clusters, the catalog and the budget, and recomputes from
planner.compute: FLOPs delivered, memory fit, deadline, spot share, commitment capacity, caps,
budget and every row's cost from catalog prices. It shares no code with the model builder, so a bug
there shows up here as a failed check.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, cast

from planner import compute, zoo
from planner.catalog.catalog import Catalog
from planner.catalog.schema import Offering
from planner.enums import Term
from planner.result import Check, Plan, Verification
from planner.units import HOURS_PER_DAY, HOURS_PER_MONTH, format_usd
from planner.workloads import Budget, TrainingRun

REL_TOL = 1e-6  # solver tolerances are ~1e-9 relative; leave room for rounding in the JSON


def _close_or_below(a: float, b: float) -> bool:
    """a <= b within tolerance."""
    return a <= b + REL_TOL * max(1.0, abs(b))


def _offering(catalog: Catalog, row: dict[str, Any]) -> Offering | None:
    zones = [z for z in str(row.get("zones") or "").split(",") if z]
    for o in catalog.offerings:
        if (
            o.provider == row["provider"]
            and o.region == row["region"]
            and o.instance_type == row["instance_type"]
            and (not zones or o.zone in zones)
        ):
            return o
    return None


def verify_plan(plan: Plan, budget: Budget, catalog: Catalog) -> Verification:
    """Run every check; a plan whose verification fails must never be shown as a result."""
    ver = Verification()
    if plan.status not in ("optimal", "feasible"):
        return ver
    rows = cast(list[dict[str, Any]], plan.allocations.to_dict(orient="records"))
    ver.checks += _check_costs(plan, rows, budget, catalog)
    by_name = {w["name"]: w for w in plan.workloads}
    for w in budget.workloads:
        if isinstance(w, TrainingRun):
            ver.checks += _check_training(w, by_name.get(w.name), rows, budget, catalog)
    usage = cast(list[dict[str, Any]], plan.usage.to_dict(orient="records"))
    ver.checks += _check_commitments(rows, usage)
    ver.checks += _check_caps(plan, rows, budget, catalog)
    return ver


def _check_costs(plan: Plan, rows: list[dict[str, Any]], budget: Budget, catalog: Catalog) -> list[Check]:
    checks = []
    bad = []
    for row in rows:
        offering = _offering(catalog, row)
        if offering is None:
            bad.append(f"{row['provider']}/{row['region']}/{row['instance_type']} is not in the catalog")
            continue
        gpi = offering.gpus_per_instance
        if row["row_type"] == "draw":
            if abs(row["cost_usd"]) > 1e-6:
                bad.append(f"draw row of {row['workload']} carries a cost")
            continue
        term = Term(row["term"])
        price = offering.price_per_hour(term)
        if price is None:
            bad.append(f"{offering.key} has no {term.value} price")
            continue
        if row["row_type"] == "commitment":
            months = term.term_months or 0
            if budget.constraints.credit_reserved_beyond_horizon:
                months = min(months, plan.horizon_months - int(row["start_month"]))
            expected = row["instances"] * HOURS_PER_MONTH * months * price
        else:
            expected = row["gpu_hours"] / gpi * price
        if not math.isclose(expected, row["cost_usd"], rel_tol=1e-6, abs_tol=1e-4):
            bad.append(
                f"{offering.key} {term.value}: cost {row['cost_usd']:.2f} != {expected:.2f} from catalog price"
            )
    checks.append(Check("row costs match catalog prices", not bad, "; ".join(bad[:5]) or f"{len(rows)} rows"))
    total = sum(r["cost_usd"] for r in rows)
    ok = plan.total_cost_usd is not None and math.isclose(
        total, plan.total_cost_usd, rel_tol=1e-6, abs_tol=1e-3
    )
    checks.append(
        Check("total equals the sum of rows", ok, f"rows {format_usd(total)}, plan {plan.total_cost_usd}")
    )
    limit = budget.constraints.budget_usd
    if limit is not None:
        checks.append(
            Check(
                "within budget", _close_or_below(total, limit), f"{format_usd(total)} of {format_usd(limit)}"
            )
        )
    return checks


def _run_needs(run: TrainingRun) -> tuple[float, float, float]:
    """(total params, FLOPs, training-state bytes) straight from the spec and compute."""
    if run.model is not None:
        arch = zoo.get_model(run.model)
        params, active = arch.total_params, arch.active_params
    else:
        assert run.params is not None
        params, active = run.params, run.active_params or run.params
    flops = run.flops if run.flops is not None else compute.training_flops(active, run.tokens or 0.0)
    return (
        params,
        flops,
        compute.training_memory_bytes(params, state_bytes_per_param=run.state_bytes_per_param),
    )


def _check_training(
    run: TrainingRun,
    summary: dict[str, Any] | None,
    rows: list[dict[str, Any]],
    budget: Budget,
    catalog: Catalog,
) -> list[Check]:
    name = f"training {run.name}"
    mine = [r for r in rows if r["workload"] == run.name and r["row_type"] in ("rent", "draw")]
    if summary is None or not summary.get("cluster") or not mine:
        return [Check(f"{name}: has a cluster", False, "no cluster in the plan")]
    cluster = summary["cluster"]
    types = {(r["provider"], r["region"], r["instance_type"]) for r in mine}
    checks = [Check(f"{name}: one homogeneous cluster", len(types) == 1, f"{len(types)} offering(s) used")]
    offering = _offering(catalog, mine[0])
    if offering is None:
        return [*checks, Check(f"{name}: offering in catalog", False, str(types))]
    acc = catalog.accelerator(offering.accelerator)
    gpi = offering.gpus_per_instance
    instances = int(cluster["instances"])
    gpus = instances * gpi
    params, flops, state = _run_needs(run)
    # Memory: the sharded training state fits the cluster's usable memory.
    usable = gpus * acc.memory_gib * 2**30 * compute.DEFAULT_USABLE_MEMORY_FRACTION
    checks.append(
        Check(
            f"{name}: training state fits",
            state <= usable * (1 + REL_TOL),
            f"{state / 1e12:.2f} TB in {usable / 1e12:.2f} TB usable",
        )
    )
    # Deadline: every instance-hour fits in the window on the stated cluster.
    hours = sum(r["gpu_hours"] for r in mine) / gpi
    window = run.deadline_days * HOURS_PER_DAY
    checks.append(
        Check(
            f"{name}: finishes by the deadline",
            _close_or_below(hours, instances * window),
            f"{hours / max(instances, 1) / HOURS_PER_DAY:.2f} of {run.deadline_days:g} days on {gpus:,} GPUs",
        )
    )
    # FLOPs delivered at the accelerator's throughput for the cluster's actual size.
    precision = compute.training_compute_precision(acc, run.precision) or run.precision
    peak = acc.peak_flops_per_s(precision) or 0.0
    mfu = run.mfu if run.mfu is not None else compute.default_mfu(acc.id, params, precision)
    goodput = run.goodput if run.goodput is not None else compute.DEFAULT_GOODPUT
    rate = peak * mfu * goodput * compute.scaling_efficiency(gpus) * 3600.0  # per GPU-hour
    rho = compute.DEFAULT_SPOT_OVERHEAD
    delivered = sum(r["gpu_hours"] * rate * ((1 - rho) if r["term"] == "spot" else 1.0) for r in mine)
    checks.append(
        Check(
            f"{name}: delivers its FLOPs",
            delivered >= flops * (1 - REL_TOL),
            f"{delivered:.4g} of {flops:.4g} FLOPs",
        )
    )
    # Spot share.
    f = run.max_spot_fraction if run.max_spot_fraction is not None else budget.constraints.max_spot_fraction
    spot = sum(r["gpu_hours"] for r in mine if r["term"] == "spot")
    total = sum(r["gpu_hours"] for r in mine)
    checks.append(
        Check(
            f"{name}: spot share",
            _close_or_below(spot, f * total),
            f"{spot / max(total, 1e-9):.1%} of hours, cap {f:.0%}",
        )
    )
    # The offering can field this cluster: capacity cap and, for several instances, a fabric.
    cap = offering.capacity_max_instances
    fabric_ok = instances <= 1 or offering.cluster_interconnect is not None
    checks.append(
        Check(
            f"{name}: cluster within capacity and fabric",
            (cap is None or instances <= cap) and fabric_ok,
            f"{instances} instances; cap {cap or 'none'}; fabric {offering.cluster_interconnect or 'none'}",
        )
    )
    # Allow-lists.
    problems = _allow_list_problems(run.accelerators, acc.id, catalog, offering, budget)
    checks.append(Check(f"{name}: allowed offering", not problems, "; ".join(problems) or offering.key))
    return checks


def _allow_list_problems(
    accelerators: list[str] | None, acc_id: str, catalog: Catalog, offering: Offering, budget: Budget
) -> list[str]:
    c = budget.constraints
    problems = []
    if accelerators is not None and acc_id not in {catalog.resolve_accelerator(a) for a in accelerators}:
        problems.append(f"{acc_id} not in the workload's accelerators")
    if c.providers is not None and offering.provider.lower() not in {p.lower() for p in c.providers}:
        problems.append(f"provider {offering.provider} not allowed")
    if offering.provider.lower() in {p.lower() for p in c.exclude_providers}:
        problems.append(f"provider {offering.provider} excluded")
    if c.regions is not None and offering.region.lower() not in {r.lower() for r in c.regions}:
        problems.append(f"region {offering.region} not allowed")
    if offering.region.lower() in {r.lower() for r in c.exclude_regions}:
        problems.append(f"region {offering.region} excluded")
    return problems


def _check_commitments(rows: list[dict[str, Any]], usage: list[dict[str, Any]]) -> list[Check]:
    """Draws on committed capacity never exceed the committed instance-hours of their month, and
    the draw rows add up to the per-month usage they summarise."""
    held: dict[tuple[str, str, str, int], float] = defaultdict(float)
    drawn: dict[tuple[str, str, str, int], float] = defaultdict(float)
    gpi: dict[tuple[str, str, str], int] = {}
    for r in rows:
        key = (r["provider"], r["region"], r["instance_type"])
        gpi[key] = int(r["gpus_per_instance"])
        if r["row_type"] == "commitment":
            for m in range(int(r["start_month"]), int(r["start_month"]) + round(r["months"])):
                held[(*key, m)] += r["instances"] * HOURS_PER_MONTH
    usage_gpu_hours = 0.0
    for u in usage:
        key = (u["provider"], u["region"], u["instance_type"])
        drawn[(*key, int(u["month"]))] += u["instance_hours"]
        usage_gpu_hours += u["instance_hours"] * gpi.get(key, 0)
    bad = [
        f"{k}: {drawn[k]:.1f} h drawn > {held.get(k, 0.0):.1f} h committed"
        for k in drawn
        if not _close_or_below(drawn[k], held.get(k, 0.0))
    ]
    draw_gpu_hours = sum(r["gpu_hours"] for r in rows if r["row_type"] == "draw")
    consistent = math.isclose(draw_gpu_hours, usage_gpu_hours, rel_tol=1e-6, abs_tol=1e-3)
    return [
        Check("draws within commitments", not bad, "; ".join(bad[:3]) or f"{len(drawn)} offering-months"),
        Check(
            "draw rows match monthly usage",
            consistent,
            f"{draw_gpu_hours:,.1f} vs {usage_gpu_hours:,.1f} GPU-hours",
        ),
    ]


def _check_caps(plan: Plan, rows: list[dict[str, Any]], budget: Budget, catalog: Catalog) -> list[Check]:
    """Concurrent GPUs of overlapping training clusters and committed GPUs within every cap."""
    checks = []
    runs = {w.name: w for w in budget.workloads if isinstance(w, TrainingRun)}
    clusters = {
        w["name"]: w["cluster"] for w in plan.workloads if w.get("kind") == "training" and w.get("cluster")
    }
    for cap in budget.constraints.caps:

        def matches(provider: str, region: str, accelerator: str, cap: Any = cap) -> bool:
            ok_acc = cap.accelerator is None or catalog.resolve_accelerator(cap.accelerator) == accelerator
            ok_p = cap.provider is None or cap.provider.lower() == provider.lower()
            ok_r = cap.region is None or cap.region.lower() == region.lower()
            return ok_acc and ok_p and ok_r

        worst = 0
        for _w, run in runs.items():
            t0 = run.start_month * HOURS_PER_MONTH
            total = 0
            for v, c in clusters.items():
                other = runs[v]
                s = other.start_month * HOURS_PER_MONTH
                if s <= t0 < s + other.deadline_days * HOURS_PER_DAY and matches(
                    c["provider"], c["region"], c["accelerator"]
                ):
                    total += c["gpus"]
            worst = max(worst, total)
        held: dict[int, float] = defaultdict(float)
        for r in rows:
            if r["row_type"] == "commitment" and matches(r["provider"], r["region"], r["accelerator"]):
                for m in range(int(r["start_month"]), int(r["start_month"]) + round(r["months"])):
                    held[m] += r["gpus"]
        worst = max([worst, *[round(h) for h in held.values()]])
        checks.append(
            Check(f"cap {cap.label}", worst <= cap.max_gpus, f"peak {worst:,} of {cap.max_gpus:,} GPUs")
        )
    return checks
