"""Independent verifier: re-check a plan against the catalog and the workloads, without the solver.

It reads only the plan's rows and stated clusters, the catalog and the budget, and recomputes from
planner.compute: FLOPs delivered, memory fit, deadline and window, spot share, commitment capacity,
caps, budget, allow-lists and terms, the own site's lead time and power, and every row's cost from
catalog prices. It shares no code with the model builder, so a bug
there shows up here as a failed check.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import pandas as pd

from planner import compute, tco, zoo
from planner.catalog.catalog import Catalog
from planner.catalog.schema import Offering
from planner.enums import Term
from planner.model.candidates import OWN_DC_PROVIDER, datacenter_catalog, datacenter_groups
from planner.model.serving import load_throughput_table, service_arch
from planner.model.timeline import Timeline, build_timeline
from planner.result import Check, Plan, Verification
from planner.units import HOURS_PER_DAY, HOURS_PER_MONTH, format_usd
from planner.workloads import Budget, InferenceService, TrainingRun

# Serving below this is not a plan's business: the model counts tokens/s in thousands with the
# solver's 1e-7 feasibility tolerance, and the report leaves out rows under 1e-6 of its units.
SERVED_RESOLUTION_TOKENS_PER_S = 1e-3
REL_TOL = 1e-6  # solver tolerances are ~1e-9 relative; leave room for rounding in the JSON


def _close_or_below(a: float, b: float) -> bool:
    """a <= b within tolerance."""
    return a <= b + REL_TOL * max(1.0, abs(b))


class _Offerings:
    """Catalog offerings (and own-data-center servers) indexed by (provider, region, instance_type)."""

    def __init__(self, catalog: Catalog, budget: Budget):
        self.by_key: dict[tuple[str, str, str], list[Offering]] = defaultdict(list)
        self.datacenter = datacenter_catalog(budget, catalog)
        own = datacenter_groups(self.datacenter, catalog) if self.datacenter is not None else []
        for o in [*catalog.offerings, *(g.offering for g in own)]:
            self.by_key[o.provider, o.region, o.instance_type].append(o)

    def find(self, row: dict[str, Any]) -> Offering | None:
        zones = [z for z in str(row.get("zones") or "").split(",") if z]
        for o in self.by_key.get((row["provider"], row["region"], row["instance_type"]), []):
            if not zones or o.zone in zones:
                return o
        return None


def verify_plan(plan: Plan, budget: Budget, catalog: Catalog) -> Verification:
    """Run every check; a plan whose verification fails must never be shown as a result."""
    ver = Verification()
    if plan.status not in ("optimal", "feasible"):
        return ver
    index = _Offerings(catalog, budget)
    rows = cast(list[dict[str, Any]], plan.allocations.to_dict(orient="records"))
    serving = cast(list[dict[str, Any]], plan.serving.to_dict(orient="records"))
    usage = cast(list[dict[str, Any]], plan.usage.to_dict(orient="records"))
    ver.checks += _check_rows_sane(rows, serving, usage, budget)
    ver.checks += _check_costs(plan, rows, serving, budget, catalog, index)
    ver.checks += _check_terms(rows, budget)
    ver.checks += _check_datacenter(rows, index)
    by_name = {w["name"]: w for w in plan.workloads}
    timeline = build_timeline(budget)
    for w in budget.workloads:
        if isinstance(w, TrainingRun):
            ver.checks += _check_training(w, by_name.get(w.name), rows, budget, catalog, index)
            ver.checks += _check_training_window(w, by_name.get(w.name), rows, usage, timeline)
        elif isinstance(w, InferenceService):
            ver.checks += _check_service(w, by_name.get(w.name), rows, serving, budget, catalog, index)
    ver.checks += _check_commitments(rows, usage)
    ver.checks += _check_caps(plan, rows, budget, catalog)
    return ver


def _check_costs(
    plan: Plan,
    rows: list[dict[str, Any]],
    serving: list[dict[str, Any]],
    budget: Budget,
    catalog: Catalog,
    index: _Offerings,
) -> list[Check]:
    checks = []
    bad = []
    own, site_monthly = _own_dc_expected(plan, rows, index)
    site_rows: dict[str, float] = defaultdict(float)
    for row in rows:
        if row["row_type"] == "purchase":
            key = f"purchase:{row['instance_type']}:{row['start_month']}"
            expected = own.get(key, 0.0) * row["instances"]
        elif row["row_type"] == "site":
            start, category = int(row["start_month"]), str(row["instance_type"])
            key = f"site:{category}:{start}+{round(row['months'])}"
            expected = sum(site_monthly.get(category, [])[start : start + round(row["months"])])
            site_rows[category] += row["cost_usd"]
        if row["row_type"] in ("purchase", "site"):
            if not math.isclose(expected, row["cost_usd"], rel_tol=1e-6, abs_tol=1e-3):
                bad.append(f"own data center {key}: {row['cost_usd']:.2f} != {expected:.2f} recomputed")
            continue
        offering = index.find(row)
        if offering is None:
            bad.append(f"{row['provider']}/{row['region']}/{row['instance_type']} is not in the catalog")
            continue
        if row["row_type"] == "draw":
            if abs(row["cost_usd"]) > 1e-6:
                bad.append(f"draw row of {row['workload']} carries a cost")
            continue
        if row["row_type"] == "egress":
            expected = _egress_cost(row, serving, budget, catalog, offering)
            if not math.isclose(expected, row["cost_usd"], rel_tol=1e-6, abs_tol=1e-4):
                bad.append(f"{offering.key} egress: {row['cost_usd']:.2f} != {expected:.2f} recomputed")
            continue
        term = Term(row["term"])
        price = offering.price_per_hour(term)
        if price is None:
            bad.append(f"{offering.key} has no {term.value} price")
            continue
        if row["row_type"] in ("rent", "commitment") and not math.isclose(
            row["price_per_hour_usd"], price, rel_tol=1e-9, abs_tol=1e-9
        ):
            bad.append(
                f"{offering.key} {term.value}: price {row['price_per_hour_usd']:.2f} != {price:.2f} in the catalog"
            )
        if row["row_type"] == "commitment":
            months = term.term_months or 0
            if budget.constraints.credit_reserved_beyond_horizon:
                months = min(months, plan.horizon_months - int(row["start_month"]))
            expected = row["instances"] * HOURS_PER_MONTH * months * price
        else:
            expected = row["gpu_hours"] / offering.gpus_per_instance * price
        if not math.isclose(expected, row["cost_usd"], rel_tol=1e-6, abs_tol=1e-4):
            bad.append(
                f"{offering.key} {term.value}: cost {row['cost_usd']:.2f} != {expected:.2f} from catalog price"
            )
    for category, monthly in site_monthly.items():  # every month of the site's costs has its row
        if not math.isclose(sum(monthly), site_rows.get(category, 0.0), rel_tol=1e-6, abs_tol=1e-3):
            bad.append(
                f"own data center {category}: rows {site_rows.get(category, 0.0):.2f} != "
                f"{sum(monthly):.2f} recomputed"
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


def _own_dc_expected(
    plan: Plan, rows: list[dict[str, Any]], index: _Offerings
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Own data center costs recomputed from purchases, usage and the site assumptions: per
    purchase (`purchase:server:month`, per server), and per site category (`power`, `facility`,
    `operations`) the USD of each month of the horizon."""
    dc = index.datacenter
    purchases = [r for r in rows if r["row_type"] == "purchase"]
    if dc is None or not purchases:
        return {}, {}
    site, horizon = dc.site, plan.horizon_months
    servers = {srv.id: srv for srv in dc.servers}
    out: dict[str, float] = {}
    held: dict[int, list[tuple[Any, float]]] = defaultdict(list)  # month -> [(server, count)]
    life = max(1, round(site.useful_life_years * 12))
    for r in purchases:
        srv = servers[r["instance_type"]]
        capex = tco.server_capex_usd(srv.purchase_price_usd, site.network_storage_capex_fraction)
        s = int(r["start_month"])
        age = horizon - s
        cost = capex - tco.residual_value_usd(
            capex, age, site.useful_life_years, site.residual_value_fraction
        )
        if site.cost_of_capital:
            cost += sum(
                tco.residual_value_usd(capex, m, site.useful_life_years, site.residual_value_fraction)
                * site.cost_of_capital
                / 12
                for m in range(min(age, life))  # retired after its useful life
            )
        out[f"purchase:{srv.id}:{s}"] = cost
        for m in range(s, s + round(r["months"])):
            held[m].append((srv, r["instances"]))
    usage = cast(list[dict[str, Any]], plan.usage.to_dict(orient="records"))
    energy = 0.0 if site.colocation_includes_power else site.pue * site.electricity_usd_per_kwh
    rate = site.colocation_usd_per_kw_month
    if site.facility_model != "colocation":
        rate = tco.own_facility_usd_per_month(
            1.0, site.facility_capex_usd_per_kw, site.facility_life_years, site.cost_of_capital
        )
    monthly = {c: [0.0] * horizon for c in ("power", "facility", "operations")}
    first = min(int(r["start_month"]) for r in purchases)
    for m in range(first, horizon):  # the site is open from its first server on
        kw = sum(srv.power_kw * n for srv, n in held.get(m, []))
        monthly["power"][m] += (
            sum(
                srv.power_kw * site.load_power_fraction * site.idle_power_fraction * n
                for srv, n in held.get(m, [])
            )
            * HOURS_PER_MONTH
            * energy
        )
        monthly["facility"][m] = max(kw, site.min_site_kw or 0.0) * rate
        capex_held = sum(
            tco.server_capex_usd(srv.purchase_price_usd, site.network_storage_capex_fraction) * n
            for srv, n in held.get(m, [])
        )
        monthly["operations"][m] = (
            site.operations_usd_per_month + capex_held * site.maintenance_fraction_per_year / 12
        )
    for u in usage:
        if u["term"] == "own_dc":
            srv = servers[u["instance_type"]]
            monthly["power"][int(u["month"])] += (
                u["instance_hours"]
                * srv.power_kw
                * site.load_power_fraction
                * (1 - site.idle_power_fraction)
                * energy
            )
    return out, monthly


def _slice_hours(service: dict[str, Any] | None) -> dict[int, float]:
    """Hours per month of each slice, from the plan's demand rows (checked against the spec below)."""
    if not service:
        return {}
    return {int(d["slice"]): HOURS_PER_MONTH * d["hours_per_day"] / 24.0 for d in service.get("demand", [])}


def _egress_cost(
    row: dict[str, Any], serving: list[dict[str, Any]], budget: Budget, catalog: Catalog, offering: Offering
) -> float:
    """Requests served from this offering x GB per request x its USD/GB (offering's, else provider's)."""
    svc = next(w for w in budget.workloads if w.name == row["workload"])
    assert isinstance(svc, InferenceService)
    price = offering.egress_usd_per_gb
    if price is None and offering.provider in catalog.providers:
        price = catalog.providers[offering.provider].egress_usd_per_gb
    hours = {sl.index: sl.hours_per_month for sl in build_timeline(budget).slices}
    total = 0.0
    for s in serving:
        if (s["workload"], s["provider"], s["region"], s["instance_type"]) != (
            row["workload"], row["provider"], row["region"], row["instance_type"],
        ):  # fmt: skip
            continue
        requests = s["tokens_per_s"] * hours[int(s["slice"])] * 3600.0 / s["output_tokens"]
        total += requests * svc.egress_gb_per_request * (price or 0.0)
    return total


def _service_capacity(
    svc: InferenceService, arch: Any, catalog: Catalog, offering: Offering, bucket: Any, measured: list[Any]
) -> tuple[float, int, str | None]:
    """(instance output tokens/s, replicas per instance, why not) under the service's targets."""
    acc = catalog.accelerator(offering.accelerator)
    gpi = offering.gpus_per_instance
    rows = [
        r
        for r in measured
        if r.accelerator == acc.id
        and gpi % r.gpus == 0
        and math.isclose(r.input_tokens, bucket.input_tokens)
        and math.isclose(r.output_tokens, bucket.output_tokens)
    ]
    if rows:
        best = max(rows, key=lambda r: r.tokens_per_s / r.gpus)
        return best.tokens_per_s * (gpi // best.gpus), gpi // best.gpus, None
    est = compute.estimate_inference(
        arch, acc, gpi, svc.precision, bucket.input_tokens, bucket.output_tokens, svc.tpot_ms, svc.ttft_ms
    )
    if not est.feasible:
        return 0.0, 0, est.reason
    if svc.tpot_ms is not None and (est.tpot_ms or 0.0) > svc.tpot_ms * (1 + REL_TOL):
        return 0.0, 0, f"TPOT {est.tpot_ms:.1f} ms > {svc.tpot_ms:g} ms"
    if svc.ttft_ms is not None and (est.ttft_ms or 0.0) > svc.ttft_ms * (1 + REL_TOL):
        return 0.0, 0, f"TTFT {est.ttft_ms:.1f} ms > {svc.ttft_ms:g} ms"
    return est.tokens_per_s, est.replicas_per_instance, None


def _check_service(
    svc: InferenceService,
    summary: dict[str, Any] | None,
    rows: list[dict[str, Any]],
    serving: list[dict[str, Any]],
    budget: Budget,
    catalog: Catalog,
    index: _Offerings,
) -> list[Check]:
    """Demand recomputed from the spec; served >= demand per bucket and slot; every offering's load
    within its instances at a capacity recomputed from compute (or the measured table), meeting the
    latency targets; availability floor; spot share."""
    name = f"service {svc.name}"
    if summary is None:
        return [Check(f"{name}: in the plan", False, "missing from the plan's workloads")]
    checks = []
    arch = service_arch(svc)
    timeline = build_timeline(budget)
    months = range(svc.start_month, svc.last_month(timeline.months))
    buckets = svc.buckets
    demand = {
        (b, m, sl.index): svc.requests_per_s_in_month(m)
        * sl.factors.get(svc.name, 0.0)
        * bk.share
        * bk.output_tokens
        for m in months
        for sl in timeline.slices
        for b, bk in enumerate(buckets)
    }
    stated = {(int(d["month"]), int(d["slice"])): d["output_tokens_per_s"] for d in summary.get("demand", [])}
    wrong = [
        f"m{m} k{k}: {stated.get((m, k))} vs {sum(demand[b, m, k] for b in range(len(buckets))):.4g}"
        for m in months
        for k in range(len(timeline.slices))
        if not math.isclose(
            stated.get((m, k), -1.0),
            sum(demand[b, m, k] for b in range(len(buckets))),
            rel_tol=1e-6,
            abs_tol=1e-6,
        )
    ]
    checks.append(
        Check(f"{name}: demand matches the spec", not wrong, "; ".join(wrong[:3]) or f"{len(stated)} slots")
    )
    served: dict[tuple[int, int, int], float] = defaultdict(float)
    load: dict[tuple[str, str, str, int, int], float] = defaultdict(float)
    measured = _measured_table(svc, budget, catalog)
    latency_bad: list[str] = []
    cap_cache: dict[tuple[str, str, str, int], tuple[float, int, str | None]] = {}
    for r in serving:
        if r["workload"] != svc.name:
            continue
        b, m, k = int(r["bucket"]), int(r["month"]), int(r["slice"])
        served[b, m, k] += r["tokens_per_s"]
        offering = index.find(r)
        if offering is None:
            latency_bad.append(f"{r['instance_type']} not in catalog")
            continue
        key = (r["provider"], r["region"], r["instance_type"], b)
        if key not in cap_cache:
            cap_cache[key] = _service_capacity(svc, arch, catalog, offering, buckets[b], measured)
        cap, _, why = cap_cache[key]
        if why is not None:
            latency_bad.append(f"{offering.key} bucket {b}: {why}")
            continue
        load[r["provider"], r["region"], r["instance_type"], m, k] += r["tokens_per_s"] / cap
    short = [
        f"bucket {b} m{m} k{k}: {served.get((b, m, k), 0.0):.4g} < {d:.4g} tok/s"
        for (b, m, k), d in demand.items()
        if served.get((b, m, k), 0.0) < d * (1 - REL_TOL) - SERVED_RESOLUTION_TOKENS_PER_S
    ]
    checks.append(
        Check(
            f"{name}: capacity meets demand in every slot",
            not short,
            "; ".join(short[:3]) or f"{len(demand)} bucket-slots",
        )
    )
    checks.append(
        Check(
            f"{name}: latency targets met by every replica type used",
            not latency_bad,
            "; ".join(latency_bad[:3]) or "ok",
        )
    )
    used = {
        (r["provider"], r["region"], r["instance_type"], r.get("zones") or ""): r
        for r in [*rows, *serving]
        if r["workload"] == svc.name and r.get("row_type", "rent") in ("rent", "draw")
    }
    outside = []
    for r in used.values():
        found = index.find(r)
        if found is not None:
            acc_id = catalog.accelerator(found.accelerator).id
            outside += _allow_list_problems(svc.accelerators, acc_id, catalog, found, budget)
    checks.append(
        Check(
            f"{name}: allowed offerings",
            not outside,
            "; ".join(sorted(set(outside))[:3]) or f"{len(used)} used",
        )
    )
    rho = compute.DEFAULT_SPOT_OVERHEAD
    instances: dict[tuple[str, str, str, int, int], float] = defaultdict(float)
    held: dict[tuple[str, str, int, int], float] = defaultdict(float)  # non-spot, by option and kind
    replicas: dict[str, int] = {}  # replicas per instance of each option used
    spot_h = total_h = 0.0
    for r in rows:
        if r["workload"] != svc.name or r["row_type"] not in ("rent", "draw"):
            continue
        m, k = int(r["start_month"]), int(r["slice"])
        key5 = (r["provider"], r["region"], r["instance_type"], m, k)
        is_spot = r["term"] == "spot"
        instances[key5] += r["instances"] * ((1 - rho) if is_spot else 1.0)
        total_h += r["gpu_hours"]
        spot_h += r["gpu_hours"] if is_spot else 0.0
        if is_spot:
            continue  # preemptible capacity never counts toward the floor
        option = "/".join((r["provider"], r["region"], r["instance_type"])) + (
            f"@{r['zones']}" if r.get("zones") else ""
        )
        kind = "committed" if r["row_type"] == "draw" else str(r["term"])
        held[option, kind, m, k] += r["instances"]
        if option not in replicas:
            offering = index.find(r)
            replicas[option] = _replicas_per_instance(svc, arch, catalog, offering, measured)
    over = [
        f"{k}: load {v:.3f} > {instances.get(k, 0.0):.3f} instances"
        for k, v in load.items()
        if not _close_or_below(v, instances.get(k, 0.0))
    ]
    checks.append(
        Check(
            f"{name}: served load fits the instances",
            not over,
            "; ".join(over[:3]) or f"{len(load)} offering-slots",
        )
    )
    if svc.min_replicas > 0:
        thin = _floor_shortfalls(svc, held, replicas, months, len(timeline.slices))
        checks.append(
            Check(
                f"{name}: availability floor",
                not thin,
                "; ".join(thin[:3]) or f"{svc.min_replicas} non-spot replicas",
            )
        )
    f = svc.max_spot_fraction if svc.max_spot_fraction is not None else budget.constraints.max_spot_fraction
    checks.append(
        Check(
            f"{name}: spot share",
            _close_or_below(spot_h, f * total_h),
            f"{spot_h / max(total_h, 1e-9):.1%} of GPU-hours, cap {f:.0%}",
        )
    )
    return checks


def _replicas_per_instance(
    svc: InferenceService, arch: Any, catalog: Catalog, offering: Offering | None, measured: list[Any]
) -> int:
    """Replicas one instance runs: the fewest over the request buckets it can serve (as the
    model's ServingOption.replicas); 0 when it is not in the catalog or serves no bucket."""
    if offering is None:
        return 0
    counts = []
    for bucket in svc.buckets:
        tokens_per_s, reps, why = _service_capacity(svc, arch, catalog, offering, bucket, measured)
        if why is None and tokens_per_s > 0:
            counts.append(reps)
    return min(counts, default=0)


WHOLE_TOL = 1e-6  # an instance count within this of a whole number counts as whole (solver tolerance)


def _floor_shortfalls(
    svc: InferenceService,
    held: dict[tuple[str, str, int, int], float],
    replicas: dict[str, int],
    months: range,
    slices: int,
) -> list[str]:
    """Months (slices, with whole_instances) whose whole non-spot instances run fewer than R replicas.

    As planner.model.inference.define_min_replicas: sum over options of min(replicas, R) x whole
    instances >= R, where an instance is whole if held all month on one kind (on_demand or committed):
    floor(min over the month's slices of that kind's instances); with whole_instances, per slice.
    """
    need = svc.min_replicas
    kinds = sorted({(o, kind) for o, kind, _, _ in held})
    span = "in the slice" if svc.whole_instances else "all month"
    out = []
    for m in months:
        periods = (
            [(f"m{m} k{k}", [k]) for k in range(slices)]
            if svc.whole_instances
            else [(f"m{m}", list(range(slices)))]
        )
        for label, ks in periods:
            whole = {
                (o, kind): math.floor(min(held.get((o, kind, m, k), 0.0) for k in ks) + WHOLE_TOL)
                for o, kind in kinds
            }
            got = sum(n * min(replicas[o], need) for (o, _), n in whole.items())
            if got >= need:
                continue
            what = ", ".join(
                f"{n} {kind} {o} at {min(replicas[o], need)} per instance"
                for (o, kind), n in whole.items()
                if n > 0
            )
            out.append(
                f"{label}: {got} of {need} replicas on whole non-spot instances held {span} ({what or 'none'})"
            )
    return out


def _measured_table(svc: InferenceService, budget: Budget, catalog: Catalog) -> list[Any]:
    if svc.throughput_table is None:
        return []
    path = Path(svc.throughput_table)
    return load_throughput_table(
        path if path.is_absolute() else budget.base_dir / path, catalog.resolve_accelerator
    )


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
    index: _Offerings,
) -> list[Check]:
    name = f"training {run.name}"
    mine = [r for r in rows if r["workload"] == run.name and r["row_type"] in ("rent", "draw")]
    if summary is None or not summary.get("cluster") or not mine:
        return [Check(f"{name}: has a cluster", False, "no cluster in the plan")]
    cluster = summary["cluster"]
    types = {(r["provider"], r["region"], r["instance_type"]) for r in mine}
    checks = [Check(f"{name}: one homogeneous cluster", len(types) == 1, f"{len(types)} offering(s) used")]
    listed = sum(r["instances"] for r in mine)
    checks.append(
        Check(
            f"{name}: rows match the cluster",
            math.isclose(listed, cluster["instances"], rel_tol=1e-6, abs_tol=1e-6),
            f"rows add up to {listed:g} instances, the cluster has {cluster['instances']}",
        )
    )
    offering = index.find(mine[0])
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
    if offering.provider == OWN_DC_PROVIDER:
        return problems  # provider/region lists name clouds: own servers pass (as in candidate generation)
    if c.providers is not None and offering.provider.lower() not in {p.lower() for p in c.providers}:
        problems.append(f"provider {offering.provider} not allowed")
    if offering.provider.lower() in {p.lower() for p in c.exclude_providers}:
        problems.append(f"provider {offering.provider} excluded")
    if c.regions is not None and offering.region.lower() not in {r.lower() for r in c.regions}:
        problems.append(f"region {offering.region} not allowed")
    if offering.region.lower() in {r.lower() for r in c.exclude_regions}:
        problems.append(f"region {offering.region} excluded")
    return problems


def _missing(value: Any) -> bool:
    """None, or the NaN a table column of numbers holds where a row has no value."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _check_commitments(rows: list[dict[str, Any]], usage: list[dict[str, Any]]) -> list[Check]:
    """Draws on committed capacity never exceed the instances committed at the time: per time
    segment, training's committed instance-hours / the segment's hours plus the instances services
    draw in each slice of that month stay within the instances held; and the draw rows add up to
    the usage they summarise."""
    held: dict[tuple[str, str, str, int], float] = defaultdict(float)  # instances per month
    gpi: dict[tuple[str, str, str], int] = {}
    for r in rows:
        if r["row_type"] == "site":
            continue  # running costs of the own site: no instances
        key = (r["provider"], r["region"], r["instance_type"])
        gpi[key] = int(r["gpus_per_instance"])
        if r["row_type"] in ("commitment", "purchase"):
            for m in range(int(r["start_month"]), int(r["start_month"]) + round(r["months"])):
                held[(*key, m)] += r["instances"]
    trained: dict[tuple[str, str, str, int], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    served: dict[tuple[str, str, str, int], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    usage_gpu_hours = 0.0
    for u in usage:
        if u["term"] not in ("reserved_1y", "reserved_3y", "own_dc"):
            continue  # rented training hours: checked with the caps
        key = (u["provider"], u["region"], u["instance_type"])
        month_key = (*key, int(u["month"]))
        if _missing(u["slice"]):  # training: instance-hours in a segment
            trained[month_key][int(u["segment"])] += u["instance_hours"] / u["segment_hours"]
        else:  # services: instances in a slice
            served[month_key][int(u["slice"])] += u["instances"]
        usage_gpu_hours += u["instance_hours"] * gpi.get(key, 0)
    bad = []
    for k in sorted(set(trained) | set(served)):
        worst = max(trained[k].values(), default=0.0) + max(served[k].values(), default=0.0)
        if not _close_or_below(worst, held.get(k, 0.0)):
            bad.append(f"{k}: {worst:.2f} instances drawn at once > {held.get(k, 0.0):g} committed")
    draw_gpu_hours = sum(r["gpu_hours"] for r in rows if r["row_type"] == "draw")
    consistent = math.isclose(draw_gpu_hours, usage_gpu_hours, rel_tol=1e-6, abs_tol=1e-3)
    return [
        Check(
            "draws within commitments",
            not bad,
            "; ".join(bad[:3]) or f"{len(set(trained) | set(served))} offering-months",
        ),
        Check(
            "draw rows match monthly usage",
            consistent,
            f"{draw_gpu_hours:,.1f} vs {usage_gpu_hours:,.1f} GPU-hours",
        ),
    ]


def _check_caps(plan: Plan, rows: list[dict[str, Any]], budget: Budget, catalog: Catalog) -> list[Check]:
    """Every budget cap and every offering's capacity: each training cluster alone, and per time
    segment of training (and slice of services) the committed GPUs held that month + training
    GPU-hours rented in the segment / its hours + service GPUs rented in the slice (the model's
    cap semantics, docs/model.md)."""
    usage = cast(list[dict[str, Any]], plan.usage.to_dict(orient="records"))
    clusters = [w["cluster"] for w in plan.workloads if w.get("kind") == "training" and w.get("cluster")]
    tests: list[tuple[str, int, Any]] = []
    for cap in budget.constraints.caps:
        acc = catalog.resolve_accelerator(cap.accelerator) if cap.accelerator else None

        def matches(r: dict[str, Any], cap: Any = cap, acc: str | None = acc) -> bool:
            return (
                (acc is None or r["accelerator"] == acc)
                and (cap.provider is None or cap.provider.lower() == r["provider"].lower())
                and (cap.region is None or cap.region.lower() == r["region"].lower())
            )

        tests.append((f"cap {cap.label}", cap.max_gpus, matches))
    index = _Offerings(catalog, budget)
    seen: set[tuple[str, str, str]] = set()
    for r in rows:
        key = (r["provider"], r["region"], r["instance_type"])
        offering = index.find(r)
        if key in seen or offering is None or offering.capacity_max_instances is None:
            continue
        seen.add(key)

        def same(x: dict[str, Any], key: tuple[str, str, str] = key) -> bool:
            return (x["provider"], x["region"], x["instance_type"]) == key

        tests.append(
            (
                f"capacity of {offering.key}",
                offering.capacity_max_instances * offering.gpus_per_instance,
                same,
            )
        )
    accelerator_of = {(r["provider"], r["region"], r["instance_type"]): r["accelerator"] for r in rows}
    checks = []
    for label, limit, matches in tests:
        worst = max((c["gpus"] for c in clusters if matches(c)), default=0)
        load: dict[tuple[int, int | None], float] = defaultdict(float)
        held: dict[int, float] = defaultdict(float)
        rented_training: dict[tuple[int, int], float] = defaultdict(float)  # (month, segment) -> GPUs
        for r in rows:
            if not matches(r):
                continue
            if r["row_type"] == "commitment":
                for m in range(int(r["start_month"]), int(r["start_month"]) + round(r["months"])):
                    held[m] += r["gpus"]
            elif r["row_type"] == "rent" and r.get("slice") is not None and not pd.isna(r.get("slice")):
                load[int(r["start_month"]), int(r["slice"])] += r["gpus"]
        for u in usage:
            key = (u["provider"], u["region"], u["instance_type"])
            if u["term"] in ("on_demand", "spot") and key in accelerator_of:
                probe = {
                    "provider": u["provider"],
                    "region": u["region"],
                    "instance_type": u["instance_type"],
                    "accelerator": accelerator_of[key],
                }
                if matches(probe):
                    gpi = next(
                        int(r["gpus_per_instance"])
                        for r in rows
                        if (r["provider"], r["region"], r["instance_type"]) == key
                    )
                    sg = (int(u["month"]), int(u["segment"]))
                    rented_training[sg] += u["instance_hours"] * gpi / u["segment_hours"]
        months = set(held) | {m for m, _ in rented_training} | {m for m, _ in load}
        for m in months:
            slots = [k for mm, k in load if mm == m] or [None]
            segments = [rented_training[key] for key in rented_training if key[0] == m] or [0.0]
            for k in slots:
                for trained in segments:
                    worst = max(worst, held.get(m, 0.0) + trained + load.get((m, k), 0.0))
        checks.append(Check(label, _close_or_below(worst, limit), f"peak {worst:,.1f} of {limit:,} GPUs"))
    return checks


def _check_rows_sane(
    rows: list[dict[str, Any]],
    serving: list[dict[str, Any]],
    usage: list[dict[str, Any]],
    budget: Budget,
) -> list[Check]:
    """No negative quantity anywhere (a negative row would lower the total while every price still
    matches), and every row belongs to a workload of the budget (or to the own site)."""
    names = {w.name for w in budget.workloads}
    bad = []
    tables = (
        (rows, ("instances", "gpus", "gpu_hours", "cost_usd")),
        (serving, ("tokens_per_s",)),
        (usage, ("instances", "instance_hours")),
    )
    for table, fields in tables:
        for r in table:
            for f in fields:
                if not _missing(r.get(f)) and r[f] < -1e-6:
                    bad.append(f"negative {f} {r[f]:g} in a row of {r['workload']}")
    for r in rows:
        owners = set(str(r["workload"]).split(","))
        if r["row_type"] != "site" and not owners <= names:
            bad.append(f"row of unknown workload {r['workload']!r}")
    return [Check("rows are non-negative and named", not bad, "; ".join(bad[:3]) or f"{len(rows)} rows")]


# Terms each row type may carry: rented hours are paid per hour; commitments and own servers are
# bought ahead (commitment/purchase rows) and drawn on (draw rows) (docs/output.md, row_type).
_ROW_TERMS = {
    "rent": {Term.ON_DEMAND, Term.SPOT},
    "draw": {Term.RESERVED_1Y, Term.RESERVED_3Y, Term.OWN_DC},
    "commitment": {Term.RESERVED_1Y, Term.RESERVED_3Y},
    "purchase": {Term.OWN_DC},
}
_TERMS_BY_VALUE = {t.value: t for t in Term}


def _check_terms(rows: list[dict[str, Any]], budget: Budget) -> list[Check]:
    """Every row's term fits its row type and is one constraints.terms allows (default: all)."""
    allowed = set(budget.constraints.terms) if budget.constraints.terms is not None else set(Term)
    bad = []
    for r in rows:
        fits = _ROW_TERMS.get(r["row_type"])
        if fits is None:
            continue  # egress and site rows carry no purchase term
        term = _TERMS_BY_VALUE.get(r["term"])
        if term is None or term not in fits:
            bad.append(f"{r['row_type']} row of {r['workload']} on term {r['term']}")
        elif term not in allowed:
            bad.append(f"term {term.value} not allowed ({r['row_type']} row of {r['workload']})")
    return [Check("terms allowed", not bad, "; ".join(sorted(set(bad))[:3]) or "ok")]


def _check_datacenter(rows: list[dict[str, Any]], index: _Offerings) -> list[Check]:
    """Own servers arrive only after the site's lead time, and the servers held in any month draw
    no more rated power than the site's max_site_kw (the model's site_kw and site_max rows)."""
    purchases = [r for r in rows if r["row_type"] == "purchase"]
    dc = index.datacenter
    if not purchases:
        return []
    if dc is None:
        return [
            Check("own data center: lead time and site power", False, "servers bought, but no data center")
        ]
    servers = {srv.id: srv for srv in dc.servers}
    lead, limit = dc.site.lead_time_months, dc.site.max_site_kw
    bad = []
    kw: dict[int, float] = defaultdict(float)
    for r in purchases:
        start = int(r["start_month"])
        if start < lead:
            bad.append(f"{r['instance_type']} bought for month {start}, before the {lead}-month lead time")
        for m in range(start, start + round(r["months"])):
            kw[m] += (
                servers[r["instance_type"]].power_kw * r["instances"]
                if r["instance_type"] in servers
                else 0.0
            )
    if limit:
        bad += [
            f"month {m}: {v:,.1f} kW > max_site_kw {limit:,.1f}"
            for m, v in sorted(kw.items())
            if not _close_or_below(v, limit)
        ]
    return [Check("own data center: lead time and site power", not bad, "; ".join(bad[:3]) or "ok")]


_SAME_HOUR = 1e-6


def _check_training_window(
    run: TrainingRun,
    summary: dict[str, Any] | None,
    rows: list[dict[str, Any]],
    usage: list[dict[str, Any]],
    timeline: Timeline,
) -> list[Check]:
    """Every hour of the run falls in its window [start_month, start + deadline), no time segment
    holds more than the cluster's instances, and the segments add up to the rows' hours."""
    name = f"training {run.name}"
    if summary is None or not summary.get("cluster"):
        return []  # _check_training reports it
    instances = int(summary["cluster"]["instances"])
    gpi = int(summary["cluster"]["gpus"]) // max(instances, 1)
    start_h = run.start_month * HOURS_PER_MONTH
    end_h = start_h + run.deadline_days * HOURS_PER_DAY
    per_segment: dict[int, float] = defaultdict(float)
    for u in usage:
        if u["workload"] == run.name and _missing(u["slice"]):
            per_segment[int(u["segment"])] += u["instance_hours"]
    bad = []
    for sg, hours in sorted(per_segment.items()):
        if not 0 <= sg < len(timeline.segments):
            bad.append(f"segment {sg} is not in the timeline")
            continue
        seg = timeline.segments[sg]
        if seg.start_hour < start_h - _SAME_HOUR or seg.end_hour > end_h + _SAME_HOUR:
            bad.append(
                f"{hours:,.1f} instance-hours in hours {seg.start_hour:g}-{seg.end_hour:g}, outside {start_h:g}-{end_h:g}"
            )
        elif not _close_or_below(hours, instances * seg.hours):
            bad.append(f"segment {sg}: {hours / seg.hours:.2f} instances > {instances} in the cluster")
    mine = [r for r in rows if r["workload"] == run.name and r["row_type"] in ("rent", "draw")]
    rows_h = sum(r["gpu_hours"] for r in mine) / max(gpi, 1)
    used_h = sum(per_segment.values())
    if not math.isclose(rows_h, used_h, rel_tol=1e-6, abs_tol=1e-3):
        bad.append(f"segments hold {used_h:,.1f} of the rows' {rows_h:,.1f} instance-hours")
    early = [r for r in mine if int(r["start_month"]) < run.start_month]
    if early:
        bad.append(f"rows start in month {int(early[0]['start_month'])}, before month {run.start_month}")
    return [
        Check(
            f"{name}: runs within its window", not bad, "; ".join(bad[:3]) or f"{len(per_segment)} segments"
        )
    ]
