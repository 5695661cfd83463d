"""Own-data-center cost model (total cost of ownership): pure functions, units in the names.

Conventions (docs/datacenter.md has the derivations and sources):

* Capex of servers = purchase price x (1 + network_storage_capex_fraction).
* IT draw of a server = busy draw x (idle + (1 - idle) x utilization), busy draw = rated power_kw x
  load_power_fraction; facility energy = IT energy x PUE.
* Colocation is rented per kW of contracted IT capacity (the rated power_kw of the servers, at least
  min_site_kw), not x PUE; electricity is billed on top (unless the rent includes it).
* Amortization: straight-line over the useful life, or an annuity (capital recovery with salvage
  value) at a nominal annual cost of capital compounded monthly (rate / 12).
* Residual value: straight-line book value from the capex down to residual_value_fraction x capex at
  the end of the useful life.
* A month is 730 hours, a year 8,760 (cloud billing convention, planner.units).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.catalog.datacenter import ServerConfig, SiteAssumptions
from planner.units import HOURS_PER_MONTH, HOURS_PER_YEAR

MONTHS_PER_YEAR = 12.0


def energy_kwh(it_watts: float, hours: float, pue: float = 1.0, utilization: float = 1.0) -> float:
    """Facility energy = IT power x utilization x PUE x hours (The Green Grid, PUE definition, WP #49).

    Utilization scales the IT draw linearly; idle draw is not modelled here (conservative for low
    utilization would add it; callers who know their idle power pass it as part of it_watts).
    """
    return it_watts * utilization * pue * hours / 1000.0


# -- capex --------------------------------------------------------------------------------------


def server_capex_usd(
    purchase_price_usd: float, network_storage_capex_fraction: float, servers: float = 1.0
) -> float:
    """Capex of `servers` servers with their share of networking and storage, USD.

    servers x price x (1 + f); Epoch AI's cost model puts the cluster interconnect at 19% of total
    cluster cost (Cottier et al. 2024, arXiv 2405.21015), i.e. f = 0.19 / 0.81 of server capex.
    """
    _check_nonnegative(purchase_price_usd=purchase_price_usd, servers=servers)
    _check_nonnegative(network_storage_capex_fraction=network_storage_capex_fraction)
    return servers * purchase_price_usd * (1.0 + network_storage_capex_fraction)


# -- power --------------------------------------------------------------------------------------


def it_draw_kw(busy_kw: float, utilization: float, idle_power_fraction: float) -> float:
    """Average IT draw, kW: busy_kw x (idle + (1 - idle) x utilization).

    Linear between idle and busy draw (the energy-proportionality model of Barroso & Hoelzle 2007,
    'The Case for Energy-Proportional Computing'); utilization is the share of hours busy.
    """
    _check_fraction(utilization=utilization, idle_power_fraction=idle_power_fraction)
    _check_nonnegative(busy_kw=busy_kw)
    return busy_kw * (idle_power_fraction + (1.0 - idle_power_fraction) * utilization)


def power_cost_usd(
    busy_kw: float,
    utilization: float,
    idle_power_fraction: float,
    pue: float,
    electricity_usd_per_kwh: float,
    hours: float,
) -> float:
    """Electricity bill, USD: IT draw x PUE x price x hours (PUE = facility / IT energy, The Green Grid WP #49)."""
    _check_nonnegative(electricity_usd_per_kwh=electricity_usd_per_kwh, hours=hours)
    if pue < 1.0:
        raise ValueError(f"pue must be >= 1 (facility energy / IT energy), got {pue!r}")
    return it_draw_kw(busy_kw, utilization, idle_power_fraction) * pue * electricity_usd_per_kwh * hours


def power_cost_usd_per_year(
    busy_kw: float, utilization: float, idle_power_fraction: float, pue: float, electricity_usd_per_kwh: float
) -> float:
    """Electricity bill of a year (8,760 h), USD; see power_cost_usd (The Green Grid WP #49)."""
    return power_cost_usd(
        busy_kw, utilization, idle_power_fraction, pue, electricity_usd_per_kwh, HOURS_PER_YEAR
    )


def power_cost_usd_per_month(
    busy_kw: float, utilization: float, idle_power_fraction: float, pue: float, electricity_usd_per_kwh: float
) -> float:
    """Electricity bill of a month (730 h), USD; see power_cost_usd (The Green Grid WP #49)."""
    return power_cost_usd(
        busy_kw, utilization, idle_power_fraction, pue, electricity_usd_per_kwh, HOURS_PER_MONTH
    )


# -- facility -----------------------------------------------------------------------------------


def contracted_kw(installed_kw: float, min_site_kw: float | None = None) -> float:
    """IT capacity paid for, kW: the installed rated power, at least the site's minimum contract."""
    _check_nonnegative(installed_kw=installed_kw)
    return max(installed_kw, min_site_kw or 0.0)


def colocation_usd_per_month(it_capacity_kw: float, colocation_usd_per_kw_month: float) -> float:
    """Colocation rent, USD/month = kW of contracted IT capacity x rate (not x PUE).

    CBRE's North America Data Center Trends quote asking rates in USD per kW of critical (IT)
    capacity per month for 250-500 kW requirements; electricity is metered and billed on top.
    """
    _check_nonnegative(it_capacity_kw=it_capacity_kw, colocation_usd_per_kw_month=colocation_usd_per_kw_month)
    return it_capacity_kw * colocation_usd_per_kw_month


def own_facility_usd_per_month(
    it_capacity_kw: float,
    facility_capex_usd_per_kw: float,
    facility_life_years: float,
    cost_of_capital: float | None = None,
) -> float:
    """Own building, USD/month: construction capex per kW of critical capacity, amortized over its life.

    Cost per kW: Cushman & Wakefield, Data Center Development Cost Guide 2025 (per MW of critical load).
    """
    capex = it_capacity_kw * facility_capex_usd_per_kw
    return amortized_capex_usd_per_month(capex, facility_life_years, cost_of_capital)


def facility_usd_per_month(installed_kw: float, site: SiteAssumptions) -> float:
    """Space, cooling and power delivery of `installed_kw` of rated IT power, USD/month, by the
    site's facility_model; the site's min_site_kw is the least capacity paid for (see contracted_kw)."""
    kw = contracted_kw(installed_kw, site.min_site_kw)
    if site.facility_model == "colocation":
        return colocation_usd_per_month(kw, site.colocation_usd_per_kw_month)
    return own_facility_usd_per_month(
        kw, site.facility_capex_usd_per_kw, site.facility_life_years, site.cost_of_capital
    )


# -- operations and maintenance -----------------------------------------------------------------


def maintenance_usd_per_month(capex_usd: float, maintenance_fraction_per_year: float) -> float:
    """Hardware support and repairs, USD/month = capex x annual fraction / 12 (CTWatch Quarterly 2006: 4-8%/year)."""
    _check_nonnegative(capex_usd=capex_usd, maintenance_fraction_per_year=maintenance_fraction_per_year)
    return capex_usd * maintenance_fraction_per_year / MONTHS_PER_YEAR


def operations_and_maintenance_usd_per_month(
    capex_usd: float, maintenance_fraction_per_year: float, operations_usd_per_month: float, sites: int = 1
) -> float:
    """O&M, USD/month: maintenance of the capex plus the fixed staff cost of each open site (convention)."""
    _check_nonnegative(operations_usd_per_month=operations_usd_per_month, sites=sites)
    return (
        maintenance_usd_per_month(capex_usd, maintenance_fraction_per_year) + sites * operations_usd_per_month
    )


# -- amortization and residual value ------------------------------------------------------------


def straight_line_usd_per_month(
    capex_usd: float, useful_life_years: float, residual_value_fraction: float = 0.0
) -> float:
    """Straight-line depreciation, USD/month = capex x (1 - residual) / months (the hyperscalers' policy, 10-K filings)."""
    months = _life_months(useful_life_years)
    _check_nonnegative(capex_usd=capex_usd)
    _check_fraction(residual_value_fraction=residual_value_fraction)
    return capex_usd * (1.0 - residual_value_fraction) / months


def annuity_usd_per_month(
    capex_usd: float, useful_life_years: float, annual_rate: float, residual_value_fraction: float = 0.0
) -> float:
    """Level monthly payment that repays capex minus the discounted residual at `annual_rate`, USD.

    Capital recovery with salvage value, as spreadsheet PMT(rate/12, n, -P, R):
    i = rate / 12 (nominal, compounded monthly), n = months, payment = (P - R (1+i)^-n) i / (1 - (1+i)^-n).
    """
    months = _life_months(useful_life_years)
    _check_nonnegative(capex_usd=capex_usd, annual_rate=annual_rate)
    _check_fraction(residual_value_fraction=residual_value_fraction)
    if annual_rate == 0.0:
        return straight_line_usd_per_month(capex_usd, useful_life_years, residual_value_fraction)
    i = annual_rate / MONTHS_PER_YEAR
    discount = (1.0 + i) ** -months
    residual = capex_usd * residual_value_fraction
    return (capex_usd - residual * discount) * i / (1.0 - discount)


def amortized_capex_usd_per_month(
    capex_usd: float,
    useful_life_years: float,
    cost_of_capital: float | None = None,
    residual_value_fraction: float = 0.0,
) -> float:
    """Capex spread over the useful life, USD/month: annuity at the cost of capital, straight-line without one.

    See annuity_usd_per_month (capital recovery factor) and straight_line_usd_per_month.
    """
    if not cost_of_capital:
        return straight_line_usd_per_month(capex_usd, useful_life_years, residual_value_fraction)
    return annuity_usd_per_month(capex_usd, useful_life_years, cost_of_capital, residual_value_fraction)


def residual_value_usd(
    capex_usd: float, age_months: float, useful_life_years: float, residual_value_fraction: float
) -> float:
    """Value of equipment `age_months` old, USD: straight-line book value (US GAAP, ASC 360 convention).

    capex x (1 - (1 - residual) x min(age, life) / life): the full capex when new, residual_value_fraction
    x capex at (and after) the end of the useful life. Upfront capex minus this value at the horizon end
    equals the straight-line charges of the months in the horizon.
    """
    months = _life_months(useful_life_years)
    _check_nonnegative(capex_usd=capex_usd, age_months=age_months)
    _check_fraction(residual_value_fraction=residual_value_fraction)
    used = min(age_months, months) / months
    return capex_usd * (1.0 - (1.0 - residual_value_fraction) * used)


# -- per server ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerMonthlyCost:
    """One server's share of a site's monthly cost at a utilization, USD per month."""

    server_id: str
    gpus: int
    utilization: float
    servers: int
    capex_usd: float
    """Purchase price with the network/storage share (not a monthly figure)."""
    capex_usd_per_month: float
    power_usd_per_month: float
    facility_usd_per_month: float
    maintenance_usd_per_month: float
    operations_usd_per_month: float

    @property
    def total_usd_per_month(self) -> float:
        return (
            self.capex_usd_per_month
            + self.power_usd_per_month
            + self.facility_usd_per_month
            + self.maintenance_usd_per_month
            + self.operations_usd_per_month
        )

    @property
    def gpu_hours_per_month(self) -> float:
        """GPU-hours used in a month: gpus x 730 h x utilization."""
        return self.gpus * HOURS_PER_MONTH * self.utilization

    @property
    def usd_per_gpu_hour(self) -> float:
        """All-in cost per GPU-hour used (infinite at zero utilization)."""
        used = self.gpu_hours_per_month
        return math.inf if used == 0 else self.total_usd_per_month / used


def server_monthly_cost(
    server: ServerConfig, site: SiteAssumptions, utilization: float, *, servers: int
) -> ServerMonthlyCost:
    """One server's monthly cost when `servers` identical servers share a site (its staff, its
    minimum contract): amortized capex (always amortized here, whatever capex_accounting says),
    power at `utilization`, facility, maintenance and operations. Conventions: module docstring."""
    if servers < 1:
        raise ValueError(f"servers must be at least 1, got {servers!r}")
    installed_kw = servers * server.power_kw
    if site.max_site_kw is not None and installed_kw > site.max_site_kw + 1e-9:
        raise ValueError(
            f"{servers} x {server.id} need {installed_kw:g} kW, more than max_site_kw ({site.max_site_kw:g} kW)"
        )
    capex = server_capex_usd(server.purchase_price_usd, site.network_storage_capex_fraction)
    busy_kw = server.power_kw * site.load_power_fraction
    power = (
        0.0
        if site.colocation_includes_power and site.facility_model == "colocation"
        else power_cost_usd_per_month(
            busy_kw, utilization, site.idle_power_fraction, site.pue, site.electricity_usd_per_kwh
        )
    )
    return ServerMonthlyCost(
        server_id=server.id,
        gpus=server.gpus_per_server,
        utilization=utilization,
        servers=servers,
        capex_usd=capex,
        capex_usd_per_month=amortized_capex_usd_per_month(
            capex, site.useful_life_years, site.cost_of_capital, site.residual_value_fraction
        ),
        power_usd_per_month=power,
        facility_usd_per_month=facility_usd_per_month(installed_kw, site) / servers,
        maintenance_usd_per_month=maintenance_usd_per_month(capex, site.maintenance_fraction_per_year),
        operations_usd_per_month=site.operations_usd_per_month / servers,
    )


def server_tco_per_gpu_hour(
    server: ServerConfig, site: SiteAssumptions, utilization: float, *, servers: int
) -> float:
    """All-in own-DC cost per GPU-hour used, USD, at `utilization`, with `servers` servers per site.

    Monthly cost (server_monthly_cost) / (GPUs x 730 h x utilization): comparable with a cloud
    price per GPU-hour paid only for hours used (on-demand, spot).
    """
    return server_monthly_cost(server, site, utilization, servers=servers).usd_per_gpu_hour


def breakeven_utilization(
    server: ServerConfig, site: SiteAssumptions, cloud_usd_per_gpu_hour: float, *, servers: int
) -> float:
    """Utilization above which owning costs less per GPU-hour than renting at `cloud_usd_per_gpu_hour`.

    Own cost per month is F + E_idle + E_busy x u (fixed costs, idle power, the rest of the power);
    renting the same GPU-hours costs p x GPUs x 730 x u. Equal at u* = (F + E_idle) / (p x GPUs x 730
    - E_busy). Returns u* as is: above 1 means renting is cheaper at any utilization; math.inf when
    the cloud price does not even cover the busy power.
    """
    if cloud_usd_per_gpu_hour < 0:
        raise ValueError(f"cloud_usd_per_gpu_hour must be >= 0, got {cloud_usd_per_gpu_hour!r}")
    idle = server_monthly_cost(server, site, 0.0, servers=servers)
    busy = server_monthly_cost(server, site, 1.0, servers=servers)
    fixed = idle.total_usd_per_month  # F + E_idle
    variable = busy.power_usd_per_month - idle.power_usd_per_month  # E_busy
    margin = cloud_usd_per_gpu_hour * server.gpus_per_server * HOURS_PER_MONTH - variable
    return math.inf if margin <= 0 else fixed / margin


# -- checks -------------------------------------------------------------------------------------


def _life_months(useful_life_years: float) -> float:
    if not useful_life_years > 0:
        raise ValueError(f"useful_life_years must be > 0, got {useful_life_years!r}")
    return useful_life_years * MONTHS_PER_YEAR


def _check_nonnegative(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")


def _check_fraction(**values: float) -> None:
    for name, value in values.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
