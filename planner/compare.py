"""Cloud versus own data center: the same demand planned three ways, side by side, and where
owning starts to win (`planner compare`).

  cloud_only   the budget with its own data center switched off
  own_dc_only  only own servers (Term.OWN_DC): often infeasible, since servers arrive only after
               the site's lead time; its diagnosis says so
  mixed        the budget as written: cloud and own servers in one model
The break-even is found by re-planning the mixed case with every workload's demand scaled (training
tokens or FLOPs, service requests/s) and without the budget's spend limit and GPU caps (they bound
this plan, not a scaled one): the smallest scale at which the plan buys servers, the cloud spend
that demand costs (per year when the horizon covers one), and the utilization at which a server
beats the price per GPU-hour the cloud-only plan pays.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import tco
from planner.api import prepare, run_pipeline
from planner.catalog.catalog import Catalog
from planner.catalog.datacenter import DatacenterCatalog, DatacenterOverrides
from planner.enums import Term
from planner.errors import InputError
from planner.model.build import build_model
from planner.model.candidates import datacenter_catalog, generate_candidates
from planner.model.options import PlanOptions
from planner.model.solve import solve
from planner.model.timeline import build_timeline
from planner.result import DiagnosisItem, Plan, _clean
from planner.units import HOURS_PER_MONTH, format_usd
from planner.workloads import Budget, InferenceService, TrainingRun

# Demand scales tried when looking for the break-even (geometric bisection between them).
SCALE_LIMITS = (1 / 64, 64.0)
SCALE_STEPS = 6  # geometric bisection over 64x: the scale to within ~7%

CATEGORIES = (
    ("on_demand", "cloud on-demand"),
    ("spot", "cloud spot"),
    ("reserved_1y", "cloud 1-year commitments"),
    ("reserved_3y", "cloud 3-year commitments"),
    ("egress", "internet egress"),
    ("own_dc_capex", "own servers (capex less value at horizon end)"),
    ("own_dc_power", "own data center power"),
    ("own_dc_facility", "own data center colocation / facility"),
    ("own_dc_operations", "own data center staff and maintenance"),
)


@dataclass
class Comparison:
    name: str
    horizon_months: int
    cloud_only: Plan
    own_dc_only: Plan
    mixed: Plan
    datacenter: DatacenterCatalog | None = None
    break_even: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def scenarios(self) -> dict[str, Plan]:
        return {"cloud_only": self.cloud_only, "own_dc_only": self.own_dc_only, "mixed": self.mixed}

    def tco_table(self) -> list[dict[str, Any]]:
        """Cost by category, per year of the horizon and in total, for each scenario (USD)."""
        return tco_table(self)

    def to_dict(self, timings: bool = True) -> dict[str, Any]:
        out = {
            "name": self.name,
            "horizon_months": self.horizon_months,
            **{k: p.to_dict(timings=timings) for k, p in self.scenarios().items()},
            "break_even": self.break_even,
            "tco_table": self.tco_table(),
            "notes": self.notes,
        }
        return _clean(out)


def compare(
    spec: Budget | TrainingRun | InferenceService,
    catalog: Catalog | str | Path | None = None,
    **options: Any,
) -> Comparison:
    """Plan `spec` cloud-only, own-data-center-only and mixed, and find the break-even.

    InputError when the budget cannot own servers: no datacenter.yaml in the catalog,
    datacenter.enabled: false, or a constraints.terms list without own_dc (the mixed plan could
    never buy a server, so the comparison and its break-even would say nothing); and when it cannot
    rent: a constraints.terms list of own_dc alone.
    """
    budget, cat, opts = prepare(spec, catalog, **options)
    if datacenter_catalog(budget, cat) is None:
        raise InputError(
            "compare needs an own-data-center option: the catalog has no datacenter.yaml, or the budget "
            "sets datacenter.enabled: false"
        )
    terms = budget.constraints.terms
    listed = f"constraints.terms [{', '.join(t.value for t in terms or [])}]"
    if terms is not None and Term.OWN_DC not in terms:
        raise InputError(
            f"compare needs own servers allowed, but {listed} leaves out own_dc: the mixed plan could "
            "never buy a server; add own_dc to constraints.terms (or drop the list) to compare"
        )
    if terms is not None and all(t == Term.OWN_DC for t in terms):
        raise InputError(
            f"compare needs a cloud term allowed, but {listed} has only own_dc: the cloud-only plan "
            "could never rent anything; add a cloud term (on_demand, spot, reserved_1y, reserved_3y) "
            "to constraints.terms (or drop the list) to compare"
        )
    mixed = run_pipeline(budget, cat, opts)
    # The alternatives are verified, and explained only as far as an infeasible one needs.
    quiet_verified = dataclasses.replace(opts, explain=False)
    cloud = run_pipeline(_without_own_dc(budget), cat, quiet_verified)
    own = run_pipeline(_own_dc_only(budget), cat, quiet_verified)
    if own.status == "infeasible":
        # This scenario's terms are compare's, not the user's: the lead-time item says so, and
        # replaces the generic one (planner.explain's, which advises changing constraints.terms).
        specific = _lead_time_items(budget, cat)
        replaced = ("model", "datacenter:lead_time") if specific else ()
        own.diagnosis = specific + [d for d in own.diagnosis if d.constraint not in replaced]
    comparison = Comparison(
        budget.name, mixed.horizon_months, cloud, own, mixed, datacenter_catalog(budget, cat)
    )
    quiet = dataclasses.replace(opts, explain=False, verify=False)
    comparison.break_even = break_even(budget, cat, quiet, comparison)
    return comparison


def _with_datacenter(budget: Budget, **changes: Any) -> Budget:
    current = budget.datacenter or DatacenterOverrides()
    new = budget.model_copy(update={"datacenter": current.model_copy(update=changes)})
    return new.with_base_dir(budget.base_dir)


def _without_own_dc(budget: Budget) -> Budget:
    return _with_datacenter(budget, enabled=False).model_copy(update={"name": f"{budget.name} (cloud only)"})


def _own_dc_only(budget: Budget) -> Budget:
    constraints = budget.constraints.model_copy(update={"terms": [Term.OWN_DC]})
    new = budget.model_copy(
        update={"constraints": constraints, "name": f"{budget.name} (own data center only)"}
    )
    return new.with_base_dir(budget.base_dir)


def _lead_time_items(budget: Budget, catalog: Catalog) -> list[DiagnosisItem]:
    """Workloads that need capacity before own servers can arrive."""
    dc = datacenter_catalog(budget, catalog)
    if dc is None:
        return []
    lead = dc.site.lead_time_months
    early = [w for w in budget.workloads if w.start_month < lead]
    if not early:
        return []
    names = ", ".join(f"{w.name} (from month {w.start_month})" for w in early)
    need = "needs" if len(early) == 1 else "need"
    return [
        DiagnosisItem(
            "datacenter:lead_time",
            float(lead),
            "months",
            f"own servers arrive only after the {lead}-month lead time, but {names} {need} capacity earlier: "
            "an own data center alone cannot serve this budget",
        )
    ]


# --------------------------------------------------------------------------- break-even


def scale_budget(budget: Budget, factor: float) -> Budget:
    """The budget with every workload's demand multiplied by `factor` (deadlines unchanged)."""
    workloads: list[TrainingRun | InferenceService] = []
    for w in budget.workloads:
        if isinstance(w, TrainingRun):
            key = "tokens" if w.tokens is not None else "flops"
            workloads.append(w.model_copy(update={key: getattr(w, key) * factor}))
        else:
            rps = w.requests_per_s
            scaled = [r * factor for r in rps] if isinstance(rps, list) else rps * factor
            workloads.append(w.model_copy(update={"requests_per_s": scaled}))
    return budget.model_copy(update={"workloads": workloads}).with_base_dir(budget.base_dir)


def relaxed_budget(budget: Budget) -> Budget:
    """The budget without constraints.budget_usd and constraints.caps, for the break-even probes:
    a spend ceiling and GPUs-at-once caps bound the plan as written, not a plan for a multiple of
    its demand (at 64x, a $100K ceiling on a $67K plan would make every probe infeasible)."""
    constraints = budget.constraints.model_copy(update={"budget_usd": None, "caps": []})
    return budget.model_copy(update={"constraints": constraints}).with_base_dir(budget.base_dir)


def _relaxed_limits(budget: Budget) -> list[str]:
    """The limits of `budget` that relaxed_budget drops (none: the probes plan the budget as written)."""
    c = budget.constraints
    return [name for name, value in (("budget_usd", c.budget_usd), ("caps", c.caps)) if value]


def _zero_demand(budget: Budget) -> bool:
    """True when every workload is a service asking for 0 requests/s in every month: scaling it
    changes nothing, so there is no break-even to look for."""
    return all(
        isinstance(w, InferenceService) and isinstance(w.requests_per_s, list) and not any(w.requests_per_s)
        for w in budget.workloads
    )


def _probe(budget: Budget, catalog: Catalog, opts: PlanOptions) -> tuple[str, float | None, int]:
    """Status, cost and own servers bought when planning `budget` (mixed); cost None: no solution."""
    cands = generate_candidates(budget, catalog, prune=opts.prune_dominated, exclusions=False)
    model = build_model(budget, cands, build_timeline(budget))
    res = solve(model.prob, opts)
    if not res.has_solution:
        return res.status, None, 0
    servers = sum(round(v.varValue or 0.0) for (_, t, _), v in model.r.items() if t == Term.OWN_DC)
    return res.status, model.cost_value(), servers


def _spend(usd: float, horizon_months: int) -> str:
    """A cloud spend per year when the horizon covers a year or more, else over the horizon: a
    one-off run in a shorter horizon does not recur every year, so annualising it would mislead."""
    if horizon_months >= 12:
        return f"{format_usd(usd * 12 / horizon_months)} per year"
    return f"{format_usd(usd)} over the {horizon_months}-month horizon"


_UNSOLVED = {"infeasible": "infeasible", "no_solution": "not solved within its time limit"}


def break_even(budget: Budget, catalog: Catalog, opts: PlanOptions, comparison: Comparison) -> dict[str, Any]:
    """The demand scale, cloud spend and server utilization at which owning starts to win.

    Semantics (docs/datacenter.md, "Break-even"): the smallest demand scale, searched by geometric
    bisection over SCALE_LIMITS, at which the mixed plan re-planned with every workload's demand
    scaled buys own servers. The probes drop constraints.budget_usd and constraints.caps (limits on
    the plan as written, not on a hypothetical multiple of its demand); every other constraint, the
    catalog's capacity and the site's limits stay. A probe without a solution is never read as
    "no servers": above 1x it ends the search (found: false, infeasible_from_scale), below 1x it
    counts as a lower bound, so a reported demand_scale is always one whose probe bought servers.
    Not computed (computed: false) when the mixed plan has no solution or every demand is zero.
    """
    months = comparison.horizon_months
    mixed = comparison.mixed
    if mixed.total_cost_usd is None or mixed.status not in ("optimal", "feasible"):
        return {
            "found": False,
            "computed": False,
            "explanation": (
                f"not computed: the mixed plan (the budget as written) is {_UNSOLVED.get(mixed.status, mixed.status)}, "
                "so there is no demand to scale; its diagnosis says what would have to change"
            ),
        }
    if _zero_demand(budget):
        return {
            "found": False,
            "computed": False,
            "explanation": (
                "not computed: every workload asks for 0 requests/s in every month, and no multiple of "
                "zero demand makes servers pay"
            ),
        }
    dropped = _relaxed_limits(budget)
    relaxed = relaxed_budget(budget)
    note = f" (re-planned without this plan's {' and '.join(dropped)})" if dropped else ""
    owns_now = _servers(mixed) > 0
    if dropped:  # decide the direction of the search on the relaxed budget, as every probe is
        _, cost, servers = _probe(relaxed, catalog, opts)
        if cost is not None:
            owns_now = servers > 0
    common: dict[str, Any] = {"computed": True, "relaxed_limits": dropped}
    lo, hi = (SCALE_LIMITS[0], 1.0) if owns_now else (1.0, SCALE_LIMITS[1])
    unsolved: str | None = None  # status of the probe at `hi` when it had no solution
    if not owns_now:
        status, cost, servers = _probe(scale_budget(relaxed, hi), catalog, opts)
        if cost is not None and servers == 0:
            return {
                "found": False,
                **common,
                "explanation": (
                    f"an own data center does not win even at {hi:g}x this demand over the {months}-month "
                    f"horizon{note} (lead time, site fixed costs and server prices against the cloud)"
                ),
                **_utilization(comparison),
            }
        unsolved = None if cost is not None else status
    below = False  # owning wins even at the smallest scale tried: the break-even lies below it
    if owns_now:
        _, cost, servers = _probe(scale_budget(relaxed, lo), catalog, opts)
        below = cost is not None and servers > 0
    for _ in range(0 if below else SCALE_STEPS):
        mid = math.sqrt(lo * hi)
        status, cost, servers = _probe(scale_budget(relaxed, mid), catalog, opts)
        if cost is None:
            if owns_now:
                lo = mid  # below 1x: a lower bound, never reported as the break-even
            else:
                hi, unsolved = mid, status  # above 1x: the scaled plan stops being feasible here
        elif servers > 0:
            hi, unsolved = mid, None
        else:
            lo = mid
    if unsolved is not None:
        return {
            "found": False,
            **common,
            "infeasible_from_scale": hi,
            "explanation": (
                f"not found: an own data center does not enter the plan up to about {lo:.2g}x this demand"
                f"{note}, and from about {hi:.2g}x the scaled plan is {_UNSOLVED.get(unsolved, unsolved)} "
                "(a limit that does not grow with demand: the catalog's capacity, the site's max_site_kw, "
                "a training run's largest cluster or its deadline); plan the budget at that scale to see which"
            ),
            **_utilization(comparison),
        }
    scale = lo if below else hi
    cloud_cost = _cloud_cost_at(relaxed, catalog, opts, scale)
    # Below the search range the scale is only a bound: never report it as an estimate.
    where = (
        f"at 1/{1 / scale:.0f}x of this demand or less, the smallest scale tried"
        if below
        else f"from about {scale:.2g}x this demand"
    )
    today = comparison.cloud_only.total_cost_usd
    out: dict[str, Any] = {
        "found": True,
        **common,
        "demand_scale": scale,
        "below_search_range": below,  # True: demand_scale is a bound, not an estimate
        "cloud_spend_usd": cloud_cost,  # over the horizon, at demand_scale
        # per year: only when the horizon covers a year (a one-off run is not a yearly spend)
        "annual_cloud_spend_usd": cloud_cost * 12 / months
        if cloud_cost is not None and months >= 12
        else None,
        "explanation": (
            f"an own data center enters the plan {where}{note}"
            + (
                f", where cloud-only would cost {_spend(cloud_cost, months)}"
                if cloud_cost is not None
                else ""
            )
            + (
                f" (this budget is 1x: cloud-only {_spend(today, months)})"
                if today is not None
                else f" (this budget is 1x: cloud-only is {_UNSOLVED.get(comparison.cloud_only.status, comparison.cloud_only.status)})"
            )
        ),
    }
    out.update(_utilization(comparison))
    return out


def _cloud_cost_at(budget: Budget, catalog: Catalog, opts: PlanOptions, scale: float) -> float | None:
    _, cost, _ = _probe(_without_own_dc(scale_budget(budget, scale)), catalog, opts)
    return cost


def _servers(p: Plan) -> int:
    if p.allocations.empty:
        return 0
    rows = p.allocations[p.allocations["row_type"] == "purchase"]
    return int(rows["instances"].sum()) if not rows.empty else 0


def _utilization(comparison: Comparison) -> dict[str, Any]:
    """Break-even utilization of the server type the plan buys (or the first one for the cloud plan's
    accelerator) against the price per GPU-hour the cloud-only plan pays on that accelerator."""
    cloud = comparison.cloud_only
    if cloud.allocations.empty:
        return {}
    rent = cloud.allocations[cloud.allocations["row_type"].isin(["rent", "commitment"])]
    if rent.empty:
        return {}
    by_acc: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rent.to_dict(orient="records"):
        by_acc[r["accelerator"]][0] += r["cost_usd"]
        by_acc[r["accelerator"]][1] += r["gpu_hours"]
    acc = max(by_acc, key=lambda a: by_acc[a][0])
    price = by_acc[acc][0] / by_acc[acc][1] if by_acc[acc][1] else None
    dc = comparison.datacenter
    if dc is None or price is None:
        return {}
    bought = comparison.mixed.allocations
    bought = bought[bought["row_type"] == "purchase"] if not bought.empty else bought
    server_id = str(bought.iloc[0]["instance_type"]) if not bought.empty else None
    candidates = [s for s in dc.servers if (s.id == server_id if server_id else s.accelerator == acc)]
    if not candidates:
        return {"cloud_price_per_gpu_hour_usd": price, "accelerator": acc}
    server = candidates[0]
    owned = _servers(comparison.mixed)
    # No purchase: as many servers as the cloud-only plan's busiest month uses GPUs of `acc`, so that
    # the site's fixed costs are shared as they would be (one server would carry them all).
    count = owned or _servers_needed(cloud, acc, server.gpus_per_server)
    utilization = tco.breakeven_utilization(server, dc.site, price, servers=count)
    wins = math.isfinite(utilization) and utilization <= 1
    who = f"{count:,} x {server.id}" if owned else f"the {count:,} x {server.id} this demand needs"
    verb = "beat" if owned else "would beat"
    return {
        "accelerator": acc,
        "cloud_price_per_gpu_hour_usd": price,
        "server": server.id,
        "servers": count,
        "break_even_utilization": utilization,
        "utilization_explanation": (
            f"{who} {verb} the {format_usd(price)} per GPU-hour this demand pays for {acc} in the cloud "
            f"once they are busy more than {utilization:.0%} of the time"
            if wins
            else f"{who} would not beat the {format_usd(price)} per GPU-hour this demand pays for {acc} in "
            "the cloud even if busy all the time: at this scale the site's fixed costs, capex and power "
            "exceed that price"
        ),
    }


def _servers_needed(cloud: Plan, acc: str, gpus_per_server: int) -> int:
    """Servers of `gpus_per_server` GPUs that hold the GPUs of `acc` the plan uses in its busiest
    month (GPU-hours of the month / 730 h; at least one)."""
    horizon = cloud.horizon_months
    used = [0.0] * horizon
    rows = cloud.allocations[
        cloud.allocations["row_type"].isin(["rent", "draw"]) & (cloud.allocations["accelerator"] == acc)
    ]
    for r in rows.to_dict(orient="records"):
        start, months, gpu_hours = int(r["start_month"]), r["months"], float(r["gpu_hours"] or 0.0)
        sliced = r.get("slice") is not None and not (isinstance(r["slice"], float) and math.isnan(r["slice"]))
        if sliced or not months or math.isnan(months):
            if 0 <= start < horizon:
                used[start] += gpu_hours  # a service row: one month and snapshot
            continue
        span = max(1, math.ceil(months - 1e-9))
        for m in range(start, min(start + span, horizon)):
            used[m] += gpu_hours / span  # a training row: its hours evenly over its months
    return max(1, math.ceil(max(used, default=0.0) / HOURS_PER_MONTH / gpus_per_server - 1e-9))


# --------------------------------------------------------------------------- TCO table


def _spread(row: dict[str, Any], horizon: int) -> dict[int | str, float]:
    """A row's cost over the months it covers (a purchase: the months held in the horizon)."""
    cost = float(row["cost_usd"] or 0.0)
    start = int(row["start_month"] or 0)
    months = row["months"]
    if months is None or (isinstance(months, float) and math.isnan(months)) or months <= 0:
        return {start: cost}
    if row.get("slice") is not None and not (isinstance(row["slice"], float) and math.isnan(row["slice"])):
        return {start: cost}  # a service row covers part of one month
    span = max(1, math.ceil(months - 1e-9))
    out: dict[int | str, float] = {}
    for m in range(start, start + span):
        key: int | str = m if m < horizon else "after"
        out[key] = out.get(key, 0.0) + cost / span
    return out


def tco_table(comparison: Comparison) -> list[dict[str, Any]]:
    horizon = comparison.horizon_months
    years = math.ceil(horizon / 12)
    rows = []
    for key, label in CATEGORIES:
        row: dict[str, Any] = {"category": key, "label": label}
        for name, p in comparison.scenarios().items():
            per_year = [0.0] * years
            after = 0.0
            if p.status in ("optimal", "feasible") and not p.allocations.empty:
                for rec in p.allocations.to_dict(orient="records"):
                    r = {str(k): v for k, v in rec.items()}
                    if _category(r) != key:
                        continue
                    for m, usd in _spread(r, horizon).items():
                        if m == "after":
                            after += usd
                        else:
                            per_year[int(m) // 12] += usd
            row[name] = {
                "per_year_usd": per_year,
                "after_horizon_usd": after,
                "total_usd": sum(per_year) + after if p.status in ("optimal", "feasible") else None,
            }
        rows.append(row)
    return rows


def _category(r: dict[str, Any]) -> str:
    if r["row_type"] == "purchase":
        return "own_dc_capex"
    if r["row_type"] == "site":
        return f"own_dc_{r['instance_type']}"
    if r["row_type"] == "egress":
        return "egress"
    return str(r["term"])
