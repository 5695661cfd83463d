"""Own data center against the cloud on a tiny catalog, with every cost worked out by hand.

The cloud rents one 8 x X1000 instance for $16/h (on demand only): 16 x 730 = $11,680 per
instance-month. The own server is 8 x X1000 too, with round figures (`SITE`, `SERVER`):

  capex         240,000 x (1 + 0.25 network/storage)            = 300,000 per server
  net capex     capex - value at the horizon end; value(age) = capex x (1 - (1 - residual) x age / 60)
                (straight-line over the 5-year life, docs/datacenter.md "Residual value"); a server
                bought in month 6 of 36 is 30 months old at the end: 300,000 x 30/60 = 150,000
  power         rated 10 kW x 0.8 load = 8 kW busy, 25% of that idle; IT draw at utilization u is
                8 x (0.25 + 0.75 u) kW (Barroso & Hoelzle), x PUE 1.25 x $0.10/kWh x 730 h:
                $730 per server-month busy all month, $182.50 idle
  colocation    $200 per contracted kW-month; contract = 10 kW x servers, at least 50 kW once open
  staff         $20,000 per month while the site is open (from the first server on)
  maintenance   4% of capex a year = $1,000 per server-month
  lead time     6 months: servers ordered in month 0 serve from month 6

So a busy own server costs 5,000 + 730 + 2,000 + 1,000 = $8,730 a month against $11,680 in the
cloud, saving $2,950; the site's $20,000 a month of staff (and its 50 kW minimum) pays off from
20,000 / 2,950 = 6.8, i.e. 7 servers. Demand is an inference service with a measured capacity of
8,000 tokens/s per 8-GPU instance, so 80 requests/s x 100 output tokens is exactly one instance.
"""

from __future__ import annotations

from typing import Any

import pytest
from tinycat import X1000, Y500, offering, provider

import planner
from planner.catalog.catalog import Catalog
from planner.model.datacenter import net_capex_usd
from planner.workloads import Budget, Constraints, InferenceService, Snapshot, TrainingRun

EXACT = {"rel": 1e-9}
HORIZON = 36
HOURS = 730.0  # per month (planner.units)
CLOUD_USD_PER_HOUR = 16.0
CLOUD_MONTH = CLOUD_USD_PER_HOUR * HOURS  # 11,680 per instance-month
RPS_PER_INSTANCE = 80  # x 100 output tokens = 8,000 tokens/s, one instance's measured capacity

PRICE, NETWORK = 240_000.0, 0.25
CAPEX = PRICE * (1 + NETWORK)  # 300,000
LIFE_MONTHS = 60
LEAD = 6
RATED_KW, LOAD, IDLE = 10.0, 0.8, 0.25
ENERGY_USD_PER_KWH = 1.25 * 0.10  # PUE x electricity
COLO_USD_PER_KW_MONTH = 200.0
MIN_SITE_KW = 50.0
STAFF_MONTH = 20_000.0
MAINT_MONTH = CAPEX * 0.04 / 12  # 1,000

_SOURCE = {"basis": "assumption", "source": "made up for tests", "as_of": "2026-01"}
SITE: dict[str, Any] = {
    "pue": 1.25,
    "electricity_usd_per_kwh": 0.10,
    "colocation_usd_per_kw_month": COLO_USD_PER_KW_MONTH,
    "facility_capex_usd_per_kw": 12_000,
    "facility_life_years": 15,
    "network_storage_capex_fraction": NETWORK,
    "operations_usd_per_month": STAFF_MONTH,
    "maintenance_fraction_per_year": 0.04,
    "useful_life_years": 5,
    "lead_time_months": LEAD,
    "residual_value_fraction": 0.0,
    "idle_power_fraction": IDLE,
    "load_power_fraction": LOAD,
    "min_site_kw": MIN_SITE_KW,
}
SERVER = {
    "id": "x-box",
    "accelerator": "X1000",
    "gpus_per_server": 8,
    "purchase_price_usd": PRICE,
    "power_kw": RATED_KW,
    "source": "made up for tests",
    "as_of": "2026-01",
    "power_source": "made up for tests",
    "power_as_of": "2026-01",
}


def dc_catalog() -> Catalog:
    """Tinycat's X1000/Y500 with one on-demand cloud instance and the own server above."""
    site = {**SITE, "sources": dict.fromkeys(SITE, _SOURCE)}
    return Catalog.from_records(
        [X1000, Y500],
        [provider("alpha")],
        [offering("alpha", "x8", "X1000", CLOUD_USD_PER_HOUR)],
        name="tiny-dc",
        datacenter={"servers": [SERVER], "site": site},
    )


# -- the hand formulas -------------------------------------------------------------------------


def net_capex(bought: int, residual: float = 0.0) -> float:
    """Capex less the straight-line book value at the horizon end (docs/datacenter.md)."""
    age = HORIZON - bought
    return CAPEX - CAPEX * (1 - (1 - residual) * min(age, LIFE_MONTHS) / LIFE_MONTHS)


def power(server_months: float, utilization: float = 1.0) -> float:
    """busy kW x (idle + (1 - idle) x u) x PUE x USD/kWh x 730 h per server-month (Barroso & Hoelzle)."""
    busy_kw = RATED_KW * LOAD
    return busy_kw * (IDLE + (1 - IDLE) * utilization) * ENERGY_USD_PER_KWH * HOURS * server_months


def colocation(servers_by_month: list[int]) -> float:
    """Contracted kW (servers' rated power, at least the site minimum) x rate, per open month."""
    return sum(max(RATED_KW * n, MIN_SITE_KW) * COLO_USD_PER_KW_MONTH for n in servers_by_month)


def staff_and_maintenance(servers_by_month: list[int]) -> float:
    return sum(STAFF_MONTH + MAINT_MONTH * n for n in servers_by_month)


def cloud(instance_months: float) -> float:
    return CLOUD_MONTH * instance_months


# -- helpers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("dc") / "measured.csv"
    path.write_text("accelerator,gpus,input_tokens,output_tokens,tokens_per_s\nX1000,8,100,100,8000\n")
    return str(path)


def service(table: str, instances: int | list[int], **kw: Any) -> InferenceService:
    """Demand of exactly `instances` 8-GPU instances (one value, or one per month)."""
    rps = (
        [RPS_PER_INSTANCE * n for n in instances]
        if isinstance(instances, list)
        else RPS_PER_INSTANCE * instances
    )
    spec = {
        "name": "chat",
        "model": "llama-3-8b",
        "input_tokens": 100,
        "output_tokens": 100,
        "requests_per_s": rps,
        "min_replicas": 0,
        "throughput_table": table,
    }
    return InferenceService(**(spec | kw))


def solve(
    svc: InferenceService | TrainingRun, datacenter: dict[str, Any] | None = None, **budget: Any
) -> planner.Plan:
    spec = Budget(name="dc", horizon_months=HORIZON, workloads=[svc], datacenter=datacenter, **budget)
    plan = planner.plan(spec, catalog=dc_catalog(), explain=False)
    assert plan.status == "optimal"
    assert plan.verification is not None and plan.verification.ok, plan.verification
    return plan


def rows(plan: planner.Plan, row_type: str) -> list[dict[str, Any]]:
    return [r for r in plan.allocations.to_dict(orient="records") if r["row_type"] == row_type]


def purchases(plan: planner.Plan) -> list[tuple[int, int]]:
    """(month bought, servers) of every purchase."""
    return sorted((int(r["start_month"]), int(r["instances"])) for r in rows(plan, "purchase"))


def site_costs(plan: planner.Plan) -> dict[str, float]:
    """USD per site category over the horizon (a category has one row per stretch of months with
    the same monthly cost)."""
    out: dict[str, float] = {}
    for r in rows(plan, "site"):
        out[r["instance_type"]] = out.get(r["instance_type"], 0.0) + r["cost_usd"]
    return out


def cloud_instance_months(plan: planner.Plan) -> dict[int, float]:
    """Rented instances by month (a service row covers one month)."""
    out: dict[int, float] = {}
    for r in rows(plan, "rent"):
        out[int(r["start_month"])] = out.get(int(r["start_month"]), 0.0) + r["cost_usd"] / CLOUD_MONTH
    return out


def test_tiny_site_premises():
    # The round numbers the docstring works with.
    assert CAPEX == 300_000
    assert pytest.approx(1_000) == MAINT_MONTH
    assert net_capex(LEAD) == pytest.approx(150_000)
    assert power(1) == pytest.approx(730) and power(1, 0.0) == pytest.approx(182.5)
    busy_server_month = CAPEX / LIFE_MONTHS + power(1) + RATED_KW * COLO_USD_PER_KW_MONTH + MAINT_MONTH
    assert busy_server_month == pytest.approx(8_730)
    assert CLOUD_MONTH - busy_server_month == pytest.approx(2_950)
    # 6 servers save 6 x 2,950 = 17,700 < 20,000 of staff a month; 7 save 20,650.
    assert 6 * 2_950 < STAFF_MONTH < 7 * 2_950


# -- (a) a small steady demand stays in the cloud -----------------------------------------------


@pytest.mark.parametrize("instances", [1, 6])
def test_small_steady_demand_stays_in_the_cloud(table, instances):
    plan = solve(service(table, instances))
    assert plan.total_cost_usd == pytest.approx(cloud(instances * HORIZON), **EXACT)
    assert purchases(plan) == [] and site_costs(plan) == {}
    # Building would have cost more: cloud until the lead time, then n servers and the open site
    # (for 1 server the 50 kW minimum contract, 10,000 a month, instead of 2,000).
    own = (
        cloud(instances * LEAD)
        + instances * net_capex(LEAD)
        + power(instances * (HORIZON - LEAD))
        + colocation([instances] * (HORIZON - LEAD))
        + staff_and_maintenance([instances] * (HORIZON - LEAD))
    )
    assert own > plan.total_cost_usd


# -- (b) a large steady demand builds own capacity ----------------------------------------------


def own_from_lead(instances: int, residual: float = 0.0) -> dict[str, float]:
    """n servers bought at the lead time and busy every hour to the horizon end, cloud before."""
    months = HORIZON - LEAD
    return {
        "cloud": cloud(instances * LEAD),
        "capex": instances * net_capex(LEAD, residual),
        "power": power(instances * months),
        "facility": colocation([instances] * months),
        "operations": staff_and_maintenance([instances] * months),
    }


@pytest.mark.parametrize("instances", [7, 20])
def test_large_steady_demand_builds_at_the_lead_time(table, instances):
    plan = solve(service(table, instances))
    hand = own_from_lead(instances)
    # 20 servers: 1,401,600 cloud + 3,000,000 capex + 438,000 power + 1,200,000 colocation
    # + 1,200,000 staff and maintenance = 7,239,600 (cloud only: 8,409,600).
    assert plan.total_cost_usd == pytest.approx(sum(hand.values()), **EXACT)
    if instances == 20:
        assert plan.total_cost_usd == pytest.approx(7_239_600, **EXACT)
    assert plan.total_cost_usd < cloud(instances * HORIZON)
    assert purchases(plan) == [(LEAD, instances)]  # bought no earlier than the lead time allows
    [bought] = rows(plan, "purchase")
    assert bought["cost_usd"] == pytest.approx(hand["capex"], **EXACT)
    assert bought["months"] == HORIZON - LEAD and bought["utilization"] == pytest.approx(1.0)
    assert site_costs(plan) == pytest.approx(
        {k: hand[k] for k in ("power", "facility", "operations")}, **EXACT
    )
    assert cloud_instance_months(plan) == pytest.approx(dict.fromkeys(range(LEAD), float(instances)))
    assert plan.cost_breakdown["own_dc_capex"] == pytest.approx(hand["capex"], **EXACT)
    assert plan.cost_breakdown["on_demand"] == pytest.approx(hand["cloud"], **EXACT)


def test_servers_idle_part_of_the_day_pay_idle_power_for_those_hours(table):
    # 10 instances all day, 20 for 18 hours of it. A server used 18 h a day (u = 0.75) costs
    # 5,000 + 730 x (0.25 + 0.75 x 0.75) + 2,000 + 1,000 = 8,593.13 a month against 0.75 x 11,680
    # = 8,760 rented for those hours: own servers cover the peak too.
    day = [
        Snapshot(name="peak", hours_per_day=18, factor=2.0),
        Snapshot(name="base", hours_per_day=6, factor=1.0),
    ]
    plan = solve(service(table, 10, snapshots=day))
    months = HORIZON - LEAD
    hand = {
        "cloud": cloud((0.75 * 20 + 0.25 * 10) * LEAD),  # 17.5 instances on average before the lead time
        "capex": 20 * net_capex(LEAD),
        "power": power(10 * months, 1.0) + power(10 * months, 0.75),
        "facility": colocation([20] * months),
        "operations": staff_and_maintenance([20] * months),
    }
    assert hand["power"] == pytest.approx(396_937.5)
    assert plan.total_cost_usd == pytest.approx(sum(hand.values()), **EXACT)
    assert plan.total_cost_usd == pytest.approx(7_023_337.5, **EXACT)
    assert purchases(plan) == [(LEAD, 20)]
    [bought] = rows(plan, "purchase")
    assert bought["utilization"] == pytest.approx((10 * 1.0 + 10 * 0.75) / 20, **EXACT)
    assert site_costs(plan)["power"] == pytest.approx(hand["power"], **EXACT)


def test_residual_value_is_credited_at_the_horizon_end(table):
    # 20% resale at the end of the 5-year life: at 30 months the book value is
    # 300,000 x (1 - 0.8 x 30/60) = 180,000, so each server nets 120,000 instead of 150,000.
    plan = solve(service(table, 20), datacenter={"residual_value_fraction": 0.2})
    assert net_capex(LEAD, 0.2) == pytest.approx(120_000)
    assert plan.total_cost_usd == pytest.approx(sum(own_from_lead(20, 0.2).values()), **EXACT)
    assert plan.total_cost_usd == pytest.approx(7_239_600 - 20 * 30_000, **EXACT)


@pytest.mark.parametrize(("rate", "builds"), [(0.06, True), (0.12, False)])
def test_cost_of_capital_adds_interest_on_the_book_value(table, rate, builds):
    # Interest r/12 a month on the book value while held (planner.model.datacenter): for a server
    # held months 0..29 of its age, sum of 300,000 x (1 - m/60) = 300,000 x (30 - 435/60)
    # = 300,000 x 22.75, times r/12. At 6%: 34,125 per server (1,137.50 a month; still saves
    # 1,812.50 x 20 > 20,000 of staff); at 12%: 2,275 a month, saving 675 x 20 < 20,000: cloud.
    plan = solve(service(table, 20), datacenter={"cost_of_capital": rate})
    interest = CAPEX * (rate / 12) * sum(1 - m / LIFE_MONTHS for m in range(HORIZON - LEAD))
    assert interest == pytest.approx(CAPEX * rate / 12 * 22.75)
    if builds:
        assert plan.total_cost_usd == pytest.approx(sum(own_from_lead(20).values()) + 20 * interest, **EXACT)
        assert purchases(plan) == [(LEAD, 20)]
    else:
        assert plan.total_cost_usd == pytest.approx(cloud(20 * HORIZON), **EXACT)
        assert purchases(plan) == []


def test_own_facility_amortizes_the_building_instead_of_renting(table):
    # 12,000 USD per kW over 15 years = 66.67 per kW-month instead of 200 of colocation.
    plan = solve(service(table, 20), datacenter={"facility_model": "own_facility"})
    hand = own_from_lead(20)
    hand["facility"] = 200 * 12_000 / (15 * 12) * (HORIZON - LEAD)  # 200 kW
    assert hand["facility"] == pytest.approx(400_000)
    assert plan.total_cost_usd == pytest.approx(sum(hand.values()), **EXACT)


# -- (c) growth beyond what the site can take in time bursts to the cloud -----------------------


def test_growth_beyond_the_site_limit_bursts_to_the_cloud(table):
    # 10 instances for a year, then 20; the site takes at most 150 kW = 15 servers. Cloud for the
    # 6 months of lead time, 10 servers from month 6, 5 more in month 12 (each still saves 2,950
    # a month), and the 5 instances the site cannot host rented to the end.
    demand = [10] * 12 + [20] * 24
    plan = solve(service(table, demand), datacenter={"max_site_kw": 150})
    fleet = [10] * 6 + [15] * 24  # servers held in months 6..35
    hand = {
        "cloud": cloud(10 * LEAD + 5 * 24),
        "capex": 10 * net_capex(LEAD) + 5 * net_capex(12),  # 1,500,000 + 5 x 300,000 x 24/60
        "power": power(sum(fleet)),
        "facility": colocation(fleet),
        "operations": staff_and_maintenance(fleet),
    }
    assert hand == pytest.approx(
        {
            "cloud": 2_102_400,
            "capex": 2_100_000,
            "power": 306_600,
            "facility": 840_000,
            "operations": 1_020_000,
        }
    )
    assert plan.total_cost_usd == pytest.approx(sum(hand.values()), **EXACT)
    assert purchases(plan) == [(LEAD, 10), (12, 5)]
    expected = dict.fromkeys(range(LEAD), 10.0) | dict.fromkeys(range(12, HORIZON), 5.0)
    assert cloud_instance_months(plan) == pytest.approx(expected)
    assert site_costs(plan) == pytest.approx(
        {k: hand[k] for k in ("power", "facility", "operations")}, **EXACT
    )


def test_growth_before_the_lead_time_is_rented_until_servers_arrive(table):
    # 10 instances, 20 from month 3: no server can serve before month 6, so months 3-5 rent 20.
    demand = [10] * 3 + [20] * 33
    plan = solve(service(table, demand))
    hand = own_from_lead(20)
    hand["cloud"] = cloud(10 * 3 + 20 * 3)
    assert plan.total_cost_usd == pytest.approx(sum(hand.values()), **EXACT)
    assert purchases(plan) == [(LEAD, 20)]
    assert min(m for m, _ in purchases(plan)) >= LEAD


# -- properties ----------------------------------------------------------------------------------


CASES: list[tuple[str, int | list[int], dict[str, Any]]] = [
    ("one", 1, {}),
    ("six", 6, {}),
    ("seven", 7, {}),
    ("twenty", 20, {}),
    ("growth, small site", [10] * 12 + [20] * 24, {"max_site_kw": 150}),
    ("dear capital", 20, {"cost_of_capital": 0.12}),
]


@pytest.mark.parametrize(("label", "demand", "site"), CASES, ids=[c[0] for c in CASES])
def test_switching_the_datacenter_off_never_lowers_cost(table, label, demand, site):
    with_dc = solve(service(table, demand), datacenter=site or None)
    without = solve(service(table, demand), datacenter={**site, "enabled": False})
    monthly = demand if isinstance(demand, list) else [demand] * HORIZON
    assert without.total_cost_usd == pytest.approx(cloud(sum(monthly)), **EXACT)  # all rented
    assert rows(without, "purchase") == [] and rows(without, "site") == []
    assert with_dc.total_cost_usd <= without.total_cost_usd * (1 + 1e-9)
    # ... and it is strictly lower exactly when servers are bought.
    assert (with_dc.total_cost_usd < without.total_cost_usd * (1 - 1e-9)) == bool(purchases(with_dc))


# -- training on own servers ---------------------------------------------------------------------

# 21,900 instance-hours of X1000 work (14.4 EFLOP per instance-hour, tinycat) from month 6 with a
# deadline at the horizon end (30 months x 730 h = 912.5 days): one server busy every hour.
TRAIN_HOURS = (HORIZON - LEAD) * HOURS
TRAIN_FLOPS = TRAIN_HOURS * 14.4e18


def training_run() -> TrainingRun:
    days = TRAIN_HOURS / 24
    spec = {"params": 1e9, "flops": TRAIN_FLOPS, "mfu": 0.5, "goodput": 1.0}
    return TrainingRun(name="pretrain", deadline_days=days, start_month=LEAD, **spec)


def test_training_on_own_servers_pays_busy_power_for_its_hours():
    spec = Budget(
        name="dc",
        horizon_months=HORIZON,
        workloads=[training_run()],
        constraints=Constraints(terms=["own_dc"]),
    )
    plan = planner.plan(spec, catalog=dc_catalog(), explain=False)
    assert plan.status == "optimal" and plan.verification is not None and plan.verification.ok
    months = HORIZON - LEAD
    # One server, busy all 21,900 h: 150,000 capex + 21,900 power + 50 kW minimum x 200 x 30
    # = 300,000 colocation + 30 x (20,000 staff + 1,000 maintenance) = 1,101,900.
    hand = net_capex(LEAD) + power(months) + colocation([1] * months) + staff_and_maintenance([1] * months)
    assert hand == pytest.approx(1_101_900)
    assert plan.total_cost_usd == pytest.approx(hand, **EXACT)
    assert purchases(plan) == [(LEAD, 1)]
    [bought] = rows(plan, "purchase")
    assert bought["utilization"] == pytest.approx(1.0, **EXACT)


@pytest.mark.parametrize(
    "allow",
    [{"providers": ["alpha"]}, {"regions": ["r1"]}, {"exclude_providers": ["alpha"]}],
    ids=["providers", "regions", "exclude_providers"],
)
def test_training_on_own_servers_under_a_provider_allow_list_verifies(allow):
    # Provider and region lists name clouds; own servers pass them in the model and the verifier alike
    # (docs/datacenter.md). The plan is the one of the test above: 1,101,900.
    spec = Budget(
        name="dc",
        horizon_months=HORIZON,
        workloads=[training_run()],
        constraints=Constraints(terms=["own_dc"], **allow),
    )
    plan = planner.plan(spec, catalog=dc_catalog(), explain=False)
    assert plan.status == "optimal" and purchases(plan) == [(LEAD, 1)]
    assert plan.verification is not None and plan.verification.ok, plan.verification
    assert plan.total_cost_usd == pytest.approx(1_101_900, **EXACT)


# -- a useful life shorter than the horizon ------------------------------------------------------


def test_interest_stops_when_a_server_retires(table):
    # Life 1 year, 50% residual, 12% cost of capital. A server bought in month 6 of 36 retires in
    # month 18 at its 150,000 residual: net capex 300,000 - 150,000 plus interest 1% a month on the
    # book value 300,000 x (1 - 0.5 m/12) for its 12 months only (m = 0..11):
    # 3,000 x (12 - 0.5 x 66/12) = 27,750, so 177,750 (interest to the horizon end would add
    # 18 months x 1,500 = 27,000 more). One bought in month 30 is 6 months old at the end: value
    # 300,000 x (1 - 0.5 x 6/12) = 225,000, so 75,000 plus 3,000 x (6 - 0.5 x 15/12) = 16,125.
    site = {"useful_life_years": 1, "residual_value_fraction": 0.5, "cost_of_capital": 0.12}
    dc = dc_catalog().datacenter
    assert dc is not None
    dc = dc.merged(site)
    [server] = dc.servers
    assert net_capex_usd(dc, server, LEAD, HORIZON) == pytest.approx(177_750, **EXACT)
    assert net_capex_usd(dc, server, 30, HORIZON) == pytest.approx(75_000 + 16_125, **EXACT)
    # In a plan (cloud at $40/h = 29,200 an instance-month, so owning wins even for one year of
    # life): 20 servers in months 6, 18 and 30, each fleet replacing the retired one; the verifier
    # recomputes every purchase with the same rule.
    catalog = Catalog.from_records(
        [X1000, Y500],
        [provider("alpha")],
        [offering("alpha", "x8", "X1000", 40.0)],
        name="tiny-dc-dear-cloud",
        datacenter={"servers": [SERVER], "site": {**SITE, "sources": dict.fromkeys(SITE, _SOURCE)}},
    )
    spec = Budget(name="dc", horizon_months=HORIZON, workloads=[service(table, 20)], datacenter=site)
    plan = planner.plan(spec, catalog=catalog, explain=False)
    assert plan.status == "optimal" and plan.verification is not None and plan.verification.ok
    assert purchases(plan) == [(LEAD, 20), (18, 20), (30, 20)]
    months = HORIZON - LEAD
    hand = (
        20 * LEAD * 40.0 * HOURS  # cloud before the lead time: 3,504,000
        + 20 * (2 * 177_750 + 91_125)  # 8,932,500
        + power(20 * months)  # 438,000
        + colocation([20] * months)  # 1,200,000
        + staff_and_maintenance([20] * months)  # 1,200,000
    )
    assert hand == pytest.approx(15_274_500)
    assert plan.total_cost_usd == pytest.approx(hand, **EXACT)


def test_own_servers_only_before_the_lead_time_is_diagnosed_as_such(table):
    """With own_dc the only term, demand from month 0 cannot be met before the 6-month lead time;
    no budget, cap or deadline change helps, and the diagnosis names the two things that do."""
    spec = Budget(
        name="dc",
        horizon_months=HORIZON,
        workloads=[service(table, 4)],
        constraints={"terms": ["own_dc"]},
    )
    plan = planner.plan(spec, catalog=dc_catalog(), explain=False)
    assert plan.status == "infeasible"
    assert [(d.constraint, d.amount, d.unit, d.message) for d in plan.diagnosis] == [
        (
            "datacenter:lead_time",
            6.0,
            "months",
            "only own servers may run chat (from month 0), and they arrive after the 6-month lead time: "
            "allow a cloud term (constraints.terms) for the first months, or shorten "
            "datacenter.lead_time_months",
        )
    ]
    late = Budget(
        name="dc",
        horizon_months=HORIZON,
        workloads=[service(table, 4, start_month=LEAD)],
        constraints={"terms": ["own_dc"]},
    )
    assert planner.plan(late, catalog=dc_catalog(), explain=False).status == "optimal"
