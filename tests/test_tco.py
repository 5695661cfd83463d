"""Own-data-center cost functions (planner.tco) against hand-computed values.

Every expected number is worked out in the comment next to it, so a reader can check it with a
calculator. Conventions: a month is 730 h, a year 8,760 h.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from planner import tco
from planner.catalog.datacenter import ServerConfig, SiteAssumptions
from planner.catalog.load import load_catalog

# A toy server and site with round numbers (no provenance needed for SiteAssumptions alone).
SERVER = ServerConfig(
    id="toy-8gpu",
    accelerator="H100-SXM",
    gpus_per_server=8,
    purchase_price_usd=240_000,
    power_kw=10.0,
    source="hand-made",
    as_of="2025",
    power_source="hand-made",
    power_as_of="2025",
)


def site(**kw: Any) -> SiteAssumptions:
    values: dict[str, Any] = {
        "pue": 1.5,
        "electricity_usd_per_kwh": 0.10,
        "colocation_usd_per_kw_month": 200,
        "facility_capex_usd_per_kw": 12_000,
        "facility_life_years": 15,
        "network_storage_capex_fraction": 0.25,
        "operations_usd_per_month": 16_000,
        "maintenance_fraction_per_year": 0.05,
        "useful_life_years": 5,
        "lead_time_months": 3,
        "residual_value_fraction": 0.0,
        "idle_power_fraction": 0.2,
        "load_power_fraction": 0.8,
    }
    return SiteAssumptions(**{**values, **kw})


# -- power ----------------------------------------------------------------------------------------


def test_power_cost_of_an_h100_server_for_a_year():
    # 8x H100 server at 10.2 kW, fully busy, PUE 1.3, $0.08/kWh, 24 x 365 h:
    # 10.2 x 1.3 x 0.08 = 1.0608 USD per hour x 8760 = 9,292.608 USD
    assert tco.power_cost_usd_per_year(10.2, 1.0, 0.25, 1.3, 0.08) == pytest.approx(9292.608, abs=1e-6)


def test_power_cost_at_half_utilization_includes_idle_draw():
    # draw = 10.2 x (0.25 + 0.75 x 0.5) = 10.2 x 0.625 = 6.375 kW; 6.375 x 1.3 x 0.08 x 8760 = 5,807.88
    assert tco.it_draw_kw(10.2, 0.5, 0.25) == pytest.approx(6.375)
    assert tco.power_cost_usd_per_year(10.2, 0.5, 0.25, 1.3, 0.08) == pytest.approx(5807.88, abs=1e-6)


def test_power_cost_per_month_is_730_hours():
    # 10.2 x 1.3 x 0.08 x 730 = 774.384
    assert tco.power_cost_usd_per_month(10.2, 1.0, 0.25, 1.3, 0.08) == pytest.approx(774.384, abs=1e-9)
    # an idle server still draws its idle share: 10.2 x 0.25 x 1.3 x 0.08 x 730 = 193.596
    assert tco.power_cost_usd_per_month(10.2, 0.0, 0.25, 1.3, 0.08) == pytest.approx(193.596, abs=1e-9)


def test_energy_kwh_is_unchanged():
    # 700 W x 1000 h x PUE 1.2 x 0.5 = 420 kWh
    assert tco.energy_kwh(700, 1000, pue=1.2, utilization=0.5) == pytest.approx(420.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: tco.power_cost_usd_per_year(10, 1.2, 0.25, 1.3, 0.08),
            "utilization must be between 0 and 1",
        ),
        (lambda: tco.power_cost_usd_per_year(10, 1.0, 0.25, 0.9, 0.08), "pue must be >= 1"),
        (lambda: tco.power_cost_usd_per_year(10, 1.0, 1.5, 1.3, 0.08), "idle_power_fraction must be between"),
        (lambda: tco.server_capex_usd(-1, 0.2), "purchase_price_usd must be >= 0, got -1"),
        (lambda: tco.straight_line_usd_per_month(1e5, 0), "useful_life_years must be > 0, got 0"),
        (lambda: tco.residual_value_usd(1e5, 10, 5, 1.5), "residual_value_fraction must be between 0 and 1"),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call: Any, message: str):
    with pytest.raises(ValueError, match=message):
        call()


# -- capex, amortization, residual value ----------------------------------------------------------


def test_capex_includes_the_network_and_storage_share():
    # 2 x 296,644 x (1 + 0.2346) = 2 x 366,236.6824 = 732,473.3648
    assert tco.server_capex_usd(296_644, 0.2346, servers=2) == pytest.approx(732_473.3648, abs=1e-6)


def test_straight_line_amortization():
    # 300,000 over 60 months = 5,000; with 10% residual: 270,000 / 60 = 4,500
    assert tco.straight_line_usd_per_month(300_000, 5) == pytest.approx(5000.0)
    assert tco.straight_line_usd_per_month(300_000, 5, 0.1) == pytest.approx(4500.0)
    assert tco.amortized_capex_usd_per_month(300_000, 5) == pytest.approx(5000.0)
    assert tco.amortized_capex_usd_per_month(300_000, 5, cost_of_capital=0.0) == pytest.approx(5000.0)


def test_annuity_at_7_percent_over_5_years():
    # Loan tables: 100,000 at 7%/year (0.5833%/month) over 60 months = 1,980.12 per month, so
    # 300,000 -> 5,940.36. Formula: P i / (1 - (1+i)^-60), i = 0.07/12.
    assert tco.annuity_usd_per_month(100_000, 5, 0.07) == pytest.approx(1980.12, abs=0.005)
    assert tco.amortized_capex_usd_per_month(300_000, 5, cost_of_capital=0.07) == pytest.approx(
        5940.36, abs=0.01
    )


def test_annuity_with_residual_value_matches_the_textbook_identity():
    # Payment with salvage R equals (P - R) x CRF + R x i (capital recovery of the loss, interest on R).
    i = 0.07 / 12
    crf = i / (1 - (1 + i) ** -60)
    expected = (100_000 - 20_000) * crf + 20_000 * i
    assert tco.annuity_usd_per_month(100_000, 5, 0.07, 0.2) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1700.76, abs=0.01)  # 80,000 x 0.0198012 + 116.67


def test_residual_value_is_straight_line_book_value():
    # 300,000 with 10% residual after 5 years: after 24 months 300,000 x (1 - 0.9 x 24/60) = 192,000
    assert tco.residual_value_usd(300_000, 24, 5, 0.1) == pytest.approx(192_000.0)
    assert tco.residual_value_usd(300_000, 0, 5, 0.1) == pytest.approx(300_000.0)
    assert tco.residual_value_usd(300_000, 60, 5, 0.1) == pytest.approx(30_000.0)
    assert tco.residual_value_usd(300_000, 90, 5, 0.1) == pytest.approx(30_000.0)  # no lower after life


@pytest.mark.parametrize("age", [0, 7, 24, 60])
def test_upfront_minus_residual_equals_straight_line_charges(age: int):
    paid = 300_000 - tco.residual_value_usd(300_000, age, 5, 0.1)
    assert paid == pytest.approx(tco.straight_line_usd_per_month(300_000, 5, 0.1) * age)


# -- facility, O&M --------------------------------------------------------------------------------


def test_colocation_is_per_kw_of_it_capacity_with_a_minimum_contract():
    # 32 servers x 10.2 kW = 326.4 kW x 184.06 = 60,077.184 USD/month (not x PUE)
    assert tco.colocation_usd_per_month(326.4, 184.06) == pytest.approx(60_077.184)
    assert tco.contracted_kw(40, 250) == 250
    assert tco.contracted_kw(326.4, 250) == 326.4
    assert tco.contracted_kw(40, None) == 40
    # a site of 4 toy servers (40 kW) with a 250 kW minimum pays 250 x 200 = 50,000
    assert tco.facility_usd_per_month(40, site(min_site_kw=250)) == pytest.approx(50_000.0)


def test_own_facility_amortizes_construction_over_its_life():
    # 250 kW x 11,700 = 2,925,000 over 15 years = 180 months -> 16,250 per month
    assert tco.own_facility_usd_per_month(250, 11_700, 15) == pytest.approx(16_250.0)
    s = site(facility_model="own_facility")
    # 40 kW x 12,000 = 480,000 / 180 = 2,666.67
    assert tco.facility_usd_per_month(40, s) == pytest.approx(480_000 / 180)


def test_maintenance_and_operations():
    # 300,000 x 6% / 12 = 1,500; plus two sites' staff 2 x 21,522
    assert tco.maintenance_usd_per_month(300_000, 0.06) == pytest.approx(1500.0)
    assert tco.operations_and_maintenance_usd_per_month(300_000, 0.06, 21_522, sites=2) == pytest.approx(
        1500.0 + 43_044.0
    )


# -- per server, per GPU-hour, break-even ---------------------------------------------------------


def test_server_monthly_cost_by_hand():
    # Toy server 240,000 USD, 10 kW, 8 GPUs; 4 servers share the site.
    # capex 240,000 x 1.25 = 300,000 -> 5,000/month (5 years); maintenance 300,000 x 5% / 12 = 1,250;
    # colocation 4 x 10 kW x 200 / 4 = 2,000; staff 16,000 / 4 = 4,000;
    # power: busy 10 x 0.8 = 8 kW; at u = 0.5 draw 8 x (0.2 + 0.8 x 0.5) = 4.8 kW x 1.5 x 0.10 x 730 = 525.6
    # total 12,775.6 over 8 x 730 x 0.5 = 2,920 GPU-hours = 4.37521 USD per GPU-hour
    cost = tco.server_monthly_cost(SERVER, site(), 0.5, servers=4)
    assert cost.capex_usd == pytest.approx(300_000)
    assert cost.capex_usd_per_month == pytest.approx(5000.0)
    assert cost.maintenance_usd_per_month == pytest.approx(1250.0)
    assert cost.facility_usd_per_month == pytest.approx(2000.0)
    assert cost.operations_usd_per_month == pytest.approx(4000.0)
    assert cost.power_usd_per_month == pytest.approx(525.6)
    assert cost.total_usd_per_month == pytest.approx(12_775.6)
    assert cost.gpu_hours_per_month == pytest.approx(2920.0)
    assert cost.usd_per_gpu_hour == pytest.approx(12_775.6 / 2920)
    assert tco.server_tco_per_gpu_hour(SERVER, site(), 0.5, servers=4) == pytest.approx(12_775.6 / 2920)


def test_per_gpu_hour_at_zero_utilization_is_infinite():
    assert tco.server_tco_per_gpu_hour(SERVER, site(), 0.0, servers=4) == math.inf


def test_cost_of_capital_and_power_included_in_rent():
    s = site(cost_of_capital=0.07, colocation_includes_power=True)
    cost = tco.server_monthly_cost(SERVER, s, 0.5, servers=4)
    assert cost.capex_usd_per_month == pytest.approx(3 * 1980.12, abs=0.01)  # 300,000 at 7% over 5 years
    assert cost.power_usd_per_month == 0.0


def test_max_site_kw_is_enforced():
    with pytest.raises(ValueError, match=r"4 x toy-8gpu need 40 kW, more than max_site_kw \(30 kW\)"):
        tco.server_monthly_cost(SERVER, site(max_site_kw=30), 0.5, servers=4)
    with pytest.raises(ValueError, match="servers must be at least 1, got 0"):
        tco.server_monthly_cost(SERVER, site(), 0.5, servers=0)


def test_breakeven_utilization_by_hand():
    # Fixed F = 5,000 + 1,250 + 2,000 + 4,000 = 12,250; idle power 8 x 0.2 x 1.5 x 0.10 x 730 = 175.2;
    # busy power above idle 8 x 0.8 x 109.5 = 700.8.
    # vs 3 USD/GPU-h: u* = (12,250 + 175.2) / (3 x 8 x 730 - 700.8) = 12,425.2 / 16,819.2 = 0.738746...
    u = tco.breakeven_utilization(SERVER, site(), 3.0, servers=4)
    assert u == pytest.approx(12_425.2 / 16_819.2)
    assert tco.server_tco_per_gpu_hour(SERVER, site(), u, servers=4) == pytest.approx(3.0)
    # vs 2 USD/GPU-h: 12,425.2 / (11,680 - 700.8) = 1.1317 > 1: renting wins at any utilization
    assert tco.breakeven_utilization(SERVER, site(), 2.0, servers=4) == pytest.approx(12_425.2 / 10_979.2)
    # a price below the busy power cost never breaks even
    assert tco.breakeven_utilization(SERVER, site(), 0.01, servers=4) == math.inf


def test_default_catalog_h100_against_2_usd_per_gpu_hour():
    # Business invariants on the bundled figures: more utilization or more servers per site never
    # raise the cost per GPU-hour; the break-even against 2 USD/GPU-h lies where the costs cross.
    dc = load_catalog().datacenter
    assert dc is not None
    h100 = dc.server("hgx-h100-8gpu")
    costs = [tco.server_tco_per_gpu_hour(h100, dc.site, u, servers=32) for u in (0.25, 0.5, 0.75, 1.0)]
    assert costs == sorted(costs, reverse=True)
    assert tco.server_tco_per_gpu_hour(h100, dc.site, 0.9, servers=64) < tco.server_tco_per_gpu_hour(
        h100, dc.site, 0.9, servers=32
    )
    u = tco.breakeven_utilization(h100, dc.site, 2.0, servers=32)
    assert 0 < u < 1
    assert tco.server_tco_per_gpu_hour(h100, dc.site, u, servers=32) == pytest.approx(2.0)


def test_docs_worked_example_matches_the_bundled_catalog():
    """docs/datacenter.md quotes these numbers; a changed default must update the page."""
    dc = load_catalog().datacenter
    assert dc is not None
    h100 = dc.server("hgx-h100-8gpu")
    at = [round(tco.server_tco_per_gpu_hour(h100, dc.site, u, servers=32), 2) for u in (0.5, 0.9)]
    assert at == [3.71, 2.10]
    assert round(tco.server_tco_per_gpu_hour(h100, dc.site, 0.9, servers=4), 2) == 4.82
    breakeven = [
        round(tco.breakeven_utilization(h100, dc.site, p, servers=32), 2) for p in (1.87, 2.0, 3.99, 6.88)
    ]
    assert breakeven == [1.01, 0.95, 0.46, 0.27]
    site7 = dc.merged({"cost_of_capital": "7%"}).site
    breakeven7 = [
        round(tco.breakeven_utilization(h100, site7, p, servers=32), 2) for p in (1.87, 2.0, 3.99, 6.88)
    ]
    assert breakeven7 == [1.12, 1.05, 0.51, 0.30]
    assert round(tco.server_monthly_cost(h100, site7, 0.9, servers=32).capex_usd_per_month) == 7252
