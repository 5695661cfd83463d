"""Own-data-center families (notation in planner.model.model; servers are pooled groups, Term.OWN_DC).

Servers bought in month s (no earlier than the lead time) are held for their useful life and drawn
on by training and services like commitments. What they cost, month by month:
  capex        purchase price x (1 + network/storage share), less its book value at the horizon end
               (straight-line to the residual value over the useful life: docs/datacenter.md), plus
               interest on the book value while held when a cost of capital is given
  power        every held server's idle draw, plus the busy-minus-idle draw for the hours used,
               x PUE x the electricity price (Barroso & Hoelzle's energy-proportional model)
  facility     colocation (or own-facility capex per kW) for the contracted kW: the servers' rated
               power, at least the site minimum once the site is open
  operations   staff while the site is open, plus maintenance as a share of installed capex
The site is open from the month it first holds a server (binary z[m], never closing again), so its
fixed costs make small fleets lose and large ones win.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pulp

from planner import tco
from planner.catalog.datacenter import DatacenterCatalog, ServerConfig
from planner.enums import Term
from planner.model.model import COMMITTED, Model
from planner.units import HOURS_PER_MONTH

CATEGORIES = ("own_dc_capex", "own_dc_power", "own_dc_facility", "own_dc_operations")


def own_groups(model: Model) -> list[str]:
    """Own-server groups with at least one purchase variable."""
    return sorted({g for (g, t, _) in model.r if t == Term.OWN_DC})


def server_capex_usd(dc: DatacenterCatalog, server: ServerConfig) -> float:
    """One server with its share of network and storage (tco.server_capex_usd)."""
    return tco.server_capex_usd(server.purchase_price_usd, dc.site.network_storage_capex_fraction)


def life_months(dc: DatacenterCatalog) -> int:
    """Months a server is held: its useful life, rounded to whole months (at least one)."""
    return max(1, round(dc.site.useful_life_years * 12))


def net_capex_usd(dc: DatacenterCatalog, server: ServerConfig, bought: int, horizon: int) -> float:
    """Capex of one server bought in month `bought`, less its book value at the horizon end, plus
    interest on the book value for the months held (up to its useful life, then it is retired)
    when the site has a cost of capital (docs/datacenter.md)."""
    site = dc.site
    capex = server_capex_usd(dc, server)
    age = horizon - bought
    cost = capex - tco.residual_value_usd(capex, age, site.useful_life_years, site.residual_value_fraction)
    if site.cost_of_capital:
        cost += sum(
            tco.residual_value_usd(capex, m, site.useful_life_years, site.residual_value_fraction)
            * site.cost_of_capital
            / 12.0
            for m in range(min(age, life_months(dc)))
        )
    return cost


def busy_kw(dc: DatacenterCatalog, server: ServerConfig) -> float:
    """IT draw of a fully busy server, kW (rated power x the site's load power fraction)."""
    return server.power_kw * dc.site.load_power_fraction


def power_usd_per_kwh(dc: DatacenterCatalog) -> float:
    """Facility energy price per IT kWh: PUE x electricity (0 when colocation includes power)."""
    site = dc.site
    return 0.0 if site.colocation_includes_power else site.pue * site.electricity_usd_per_kwh


def facility_usd_per_kw_month(dc: DatacenterCatalog) -> float:
    """Colocation rate, or own-facility capex per kW amortized over the facility's life."""
    site = dc.site
    if site.facility_model == "colocation":
        return site.colocation_usd_per_kw_month
    return tco.own_facility_usd_per_month(
        1.0, site.facility_capex_usd_per_kw, site.facility_life_years, site.cost_of_capital
    )


def server_bound(model: Model, g: str) -> int:
    """An upper bound on servers of g any plan holds at once (for the site-open rows)."""
    gpus = model.groups[g].gpus
    bound = 1
    for w in model.runs:
        bound += max((opt.max_instances for opt in model.options(w) if opt.group.id == g), default=0)
    for w, needs in model.candidates.services.items():
        opt = next((p for p in model.serving(w) if p.id == g), None)
        if opt is None:
            continue
        peak = max(
            (
                sum(
                    d / cap.tokens_per_s
                    for (b, mm, kk), d in needs.demand.items()
                    if (mm, kk) == (m, k) and (cap := opt.capacity[b])
                )
                for (_, m, k) in needs.demand
            ),
            default=0.0,
        )
        bound += math.ceil(peak) + model.services[w].min_replicas
    dc = model.candidates.datacenter
    if dc is not None and dc.site.max_site_kw:
        server = model.groups[g].server
        assert server is not None
        bound = min(bound, math.floor(dc.site.max_site_kw / server.power_kw))
    return max(bound, 1) if gpus else 1


def define_site(model: Model) -> None:
    """Site rows, once the budget may build: z[m] binary (open), K[m] >= 0 (contracted kW).

    site_open:g:m — A[g,m] <= M_g·z[m]              a server needs an open site
    site_stays:m  — z[m] <= z[m+1]                  a site, once open, stays open
    site_kw:m     — K[m] >= sum_g kW_g·A[g,m]        contracted kW covers the servers' rated power
    site_min:m    — K[m] >= min_kW·z[m]              ... and the site's minimum contract
    site_max:m    — K[m] <= max_kW                   the site's power limit (a bound)
    """
    dc = model.candidates.datacenter
    groups = own_groups(model)
    if dc is None or not groups:
        return
    site = dc.site
    for m in range(model.timeline.months):
        model.z[m] = model.prob.add_variable(f"z_{m}", cat=pulp.LpBinary)
        model.kw[m] = model.prob.add_variable(f"kw_{m}", lowBound=0, upBound=site.max_site_kw)
    for g in groups:
        bound = server_bound(model, g)
        for m in range(model.timeline.months):
            if (g, m) in model.held:
                info = model.registry.register(
                    "site_open", None, g, f"m{m}", dual_unit="USD per server", rhs_unit="servers"
                )
                model.add(model.held[g, m] - bound * model.z[m] <= 0, info)
    for m in range(model.timeline.months - 1):
        info = model.registry.register("site_stays", None, None, f"m{m}", dual_unit="USD", rhs_unit="sites")
        model.add(model.z[m] - model.z[m + 1] <= 0, info)
    for m in range(model.timeline.months):
        held = [_server(model, g).power_kw * model.held[g, m] for g in groups if (g, m) in model.held]
        info = model.registry.register("site_kw", None, None, f"m{m}", dual_unit="USD per kW", rhs_unit="kW")
        model.add(model.kw[m] - pulp.lpSum(held) >= 0, info)
        if site.min_site_kw:
            info = model.registry.register(
                "site_min", None, None, f"m{m}", dual_unit="USD per kW", rhs_unit="kW"
            )
            model.add(model.kw[m] - site.min_site_kw * model.z[m] >= 0, info)


def _server(model: Model, g: str) -> ServerConfig:
    server = model.groups[g].server
    assert server is not None
    return server


SITE_CATEGORIES = ("own_dc_power", "own_dc_facility", "own_dc_operations")


def costs(model: Model) -> dict[str, list[pulp.LpAffineExpression]]:
    """USD of the own data center by category (CATEGORIES)."""
    dc = model.candidates.datacenter
    if dc is None or not own_groups(model):
        return {}
    out: dict[str, list[pulp.LpAffineExpression]] = {c: [] for c in CATEGORIES}
    months = model.timeline.months
    for (g, t, s), v in model.r.items():
        if t == Term.OWN_DC:
            out["own_dc_capex"].append(net_capex_usd(dc, _server(model, g), s, months) * v)
    for category, by_month in site_costs_by_month(model).items():
        for exprs in by_month.values():
            out[category] += exprs
    return {k: v for k, v in out.items() if v}


def site_costs_by_month(model: Model) -> dict[str, dict[int, list[pulp.LpAffineExpression]]]:
    """USD of the site's running costs (SITE_CATEGORIES) by category and the month they are paid in,
    so that a plan's rows follow a growing fleet month by month (module docstring for the terms)."""
    dc = model.candidates.datacenter
    if dc is None or not own_groups(model):
        return {}
    site = dc.site
    out: dict[str, dict[int, list[pulp.LpAffineExpression]]] = {c: defaultdict(list) for c in SITE_CATEGORIES}
    energy = power_usd_per_kwh(dc)
    for (g, m), a in model.held.items():
        if not model.groups[g].own_dc:
            continue
        server = _server(model, g)
        idle_kw = busy_kw(dc, server) * site.idle_power_fraction
        out["own_dc_power"][m].append(idle_kw * HOURS_PER_MONTH * energy * a)
        out["own_dc_operations"][m].append(
            server_capex_usd(dc, server) * site.maintenance_fraction_per_year / 12.0 * a
        )
    for g, m, hours in used_server_hours(model):
        server = _server(model, g)
        out["own_dc_power"][m].append(busy_kw(dc, server) * (1 - site.idle_power_fraction) * energy * hours)
    rate = facility_usd_per_kw_month(dc)
    for m in range(model.timeline.months):
        out["own_dc_facility"][m].append(rate * model.kw[m])
        out["own_dc_operations"][m].append(site.operations_usd_per_month * model.z[m])
    return out


def used_server_hours(model: Model) -> list[tuple[str, int, pulp.LpAffineExpression]]:
    """Server-hours drawn on own servers by (group, month): training hours, and service instances x
    slice hours."""
    out: list[tuple[str, int, pulp.LpAffineExpression]] = []
    for (_, o, sg), v in model.xp.items():
        g = model.group_of(o)
        if g.own_dc:
            out.append((g.id, model.timeline.segments[sg].month, v))
    for (_, o, m, k, key), v in model.u.items():
        g = model.group_of(o)
        if g.own_dc and key == COMMITTED:
            out.append((g.id, m, model.timeline.slice_hours(k) * v))
    return out


def site_cost_runs(model: Model) -> list[tuple[str, int, int, float]]:
    """The solved site costs as (category, first month, months, USD): one entry per stretch of
    consecutive months with the same monthly cost, so a steady site has one per category and a
    growing one a few, and spreading each evenly over its months gives the true cost per month."""
    out = []
    for category, by_month in site_costs_by_month(model).items():
        monthly = [
            float(pulp.value(pulp.lpSum(by_month.get(m, []))) or 0.0) for m in range(model.timeline.months)
        ]
        start = 0
        for m in range(1, len(monthly) + 1):
            if m < len(monthly) and math.isclose(monthly[m], monthly[start], rel_tol=1e-9, abs_tol=1e-6):
                continue
            if abs(monthly[start]) > 1e-9:
                out.append((category, start, m - start, sum(monthly[start:m])))
            start = m
    return out
