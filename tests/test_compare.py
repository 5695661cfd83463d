"""`planner compare` (planner.compare and the CLI) on a tiny catalog folder, with hand-computed totals.

The catalog is the one of tests/model/test_datacenter_hand.py, written as files: one cloud
instance of 8 x X1000 at $16/h on demand ($11,680 per instance-month) and an own 8 x X1000 server
whose busy month costs $8,730 (5,000 net capex + 730 power + 2,000 colocation + 1,000
maintenance) plus $20,000 of site staff, available after a 6-month lead time (that file's
docstring has the derivations). Demand: 80 requests/s x 100 output tokens = one instance.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.catalog.load import load_catalog
from planner.cli import main
from planner.compare import SCALE_LIMITS, SCALE_STEPS, Comparison, compare
from planner.errors import InputError
from planner.report import render_comparison
from planner.units import format_usd
from planner.workloads import load_budget

EXACT = {"rel": 1e-9}
HOURS = 730.0
CLOUD_MONTH = 16.0 * HOURS  # 11,680
OWN_BUSY_MONTH = 8_730.0  # per server
STAFF_MONTH = 20_000.0
LEAD, HORIZON = 6, 36
SCENARIOS = ("cloud_only", "own_dc_only", "mixed")

ACCELERATORS = """
- id: X1000
  vendor: Acme
  memory_gib: 80
  memory_bandwidth_gb_per_s: 2000
  peak_tflops: {bf16: 1000, fp16: 1000}
  source: made up for tests
  as_of: 2026-01
"""
PROVIDERS = """
- {id: alpha, name: Alpha, kind: neocloud, source: made up, as_of: 2026-01}
"""
OFFERINGS = (
    "provider,region,zone,instance_type,accelerator,gpus_per_instance,on_demand_usd_per_hour,"
    "spot_usd_per_hour,source,as_of,notes\n"
    "alpha,r1,,x8,X1000,8,16,,made up,2026-01,\n"
)
SITE = {
    "pue": 1.25,
    "electricity_usd_per_kwh": 0.10,
    "colocation_usd_per_kw_month": 200,
    "facility_capex_usd_per_kw": 12_000,
    "facility_life_years": 15,
    "network_storage_capex_fraction": 0.25,
    "operations_usd_per_month": STAFF_MONTH,
    "maintenance_fraction_per_year": 0.04,
    "useful_life_years": 5,
    "lead_time_months": LEAD,
    "residual_value_fraction": 0.0,
    "idle_power_fraction": 0.25,
    "load_power_fraction": 0.8,
    "min_site_kw": 50,
}
DATACENTER = {
    "servers": [
        {
            "id": "x-box",
            "accelerator": "X1000",
            "gpus_per_server": 8,
            "purchase_price_usd": 240_000,
            "power_kw": 10,
            "source": "made up",
            "as_of": "2026-01",
            "power_source": "made up",
            "power_as_of": "2026-01",
        }
    ],
    "site": {
        **SITE,
        "sources": {k: {"basis": "assumption", "source": "made up", "as_of": "2026-01"} for k in SITE},
    },
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog folder (catalog/) and a measured throughput table next to where budgets go."""
    root = tmp_path_factory.mktemp("compare")
    cat = root / "catalog"
    cat.mkdir()
    (cat / "accelerators.yaml").write_text(ACCELERATORS)
    (cat / "providers.yaml").write_text(PROVIDERS)
    (cat / "offerings.csv").write_text(OFFERINGS)
    (cat / "datacenter.yaml").write_text(yaml.safe_dump(DATACENTER))
    (root / "measured.csv").write_text(
        "accelerator,gpus,input_tokens,output_tokens,tokens_per_s\nX1000,8,100,100,8000\n"
    )
    return root


def budget_file(folder: Path, name: str, instances: int | list[int], **service: Any) -> Path:
    """A budget serving `instances` 8-GPU instances' worth of requests (one value or one per month)."""
    rps = [80 * n for n in instances] if isinstance(instances, list) else 80 * instances
    spec = {
        "name": name,
        "catalog": "catalog",  # relative to the budget file
        "horizon_months": HORIZON,
        "workloads": [
            {
                "name": "chat",
                "kind": "inference",
                "model": "llama-3-8b",
                "input_tokens": 100,
                "output_tokens": 100,
                "requests_per_s": rps,
                "min_replicas": 0,
                "throughput_table": "measured.csv",
                **service,
            }
        ],
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


_cache: dict[Path, Comparison] = {}


def compared(path: Path) -> Comparison:
    if path not in _cache:
        _cache[path] = compare(load_budget(path), explain=False)
    return _cache[path]


def totals(c: Comparison) -> dict[str, float | None]:
    return {k: p.total_cost_usd for k, p in c.scenarios().items()}


# -- the three scenarios -------------------------------------------------------------------------


def test_steady_demand_three_ways(folder):
    c = compared(budget_file(folder, "steady", 20))
    # cloud only: 20 x 11,680 x 36; mixed: cloud for the 6 months of lead time, then 20 servers
    # (3,000,000 capex + 438,000 power + 1,200,000 colocation + 1,200,000 staff and maintenance).
    assert c.cloud_only.total_cost_usd == pytest.approx(20 * CLOUD_MONTH * HORIZON, **EXACT)
    assert c.mixed.total_cost_usd == pytest.approx(20 * CLOUD_MONTH * LEAD + 5_838_000, **EXACT)
    assert c.mixed.total_cost_usd == pytest.approx(7_239_600, **EXACT)
    # Own servers alone cannot serve months 0-5: infeasible, and the diagnosis says why.
    assert c.own_dc_only.status == "infeasible" and c.own_dc_only.total_cost_usd is None
    [lead] = [d for d in c.own_dc_only.diagnosis if d.constraint == "datacenter:lead_time"]
    assert (lead.amount, lead.unit) == (LEAD, "months")
    assert lead.message == (
        "own servers arrive only after the 6-month lead time, but chat (from month 0) needs capacity "
        "earlier: an own data center alone cannot serve this budget"
    )
    assert c.horizon_months == HORIZON and c.name == "steady"


def test_own_dc_only_is_feasible_when_demand_starts_after_the_lead_time(folder):
    c = compared(budget_file(folder, "late", 20, start_month=LEAD))
    # 30 months of demand: cloud 20 x 11,680 x 30 = 7,008,000; own 5,838,000 (as above).
    assert totals(c) == pytest.approx(
        {"cloud_only": 7_008_000.0, "own_dc_only": 5_838_000.0, "mixed": 5_838_000.0}, **EXACT
    )


@pytest.mark.parametrize(
    ("name", "instances", "extra"),
    [("one", 1, {}), ("steady", 20, {}), ("late", 20, {"start_month": LEAD}), ("six", 6, {})],
)
def test_mixed_never_costs_more_than_either_alternative(folder, name, instances, extra):
    c = compared(budget_file(folder, name, instances, **extra))
    costs = [t for t in (c.cloud_only.total_cost_usd, c.own_dc_only.total_cost_usd) if t is not None]
    assert c.mixed.total_cost_usd is not None
    assert c.mixed.total_cost_usd <= min(costs) * (1 + 1e-9)


# -- break-even ----------------------------------------------------------------------------------


def test_break_even_matches_the_hand_formula(folder):
    c = compared(budget_file(folder, "steady", 20))
    be = c.break_even
    # Demand scale: at scale s the plan needs 20 s instances. Owning pays once 6 busy servers
    # plus a 7th busy a share f of the time beat the site's staff:
    #   6 x 2,950 + (11,680 f - (8,730 - 547.5 (1 - f))) >= 20,000
    #   f >= (20,000 - 17,700 + 8,182.5) / 11,132.5 = 0.9416
    # (547.5 = the busy-minus-idle power of a server-month), so s* = (6 + f) / 20 = 0.3471. The
    # search brackets it by geometric bisection from [1/64, 1]: hi within 64^(1/64) of s*.
    f = (STAFF_MONTH - 6 * (CLOUD_MONTH - OWN_BUSY_MONTH) + (OWN_BUSY_MONTH - 547.5)) / (CLOUD_MONTH - 547.5)
    s_star = (6 + f) / 20
    assert s_star == pytest.approx(0.34708, abs=1e-5)
    bracket = (SCALE_LIMITS[1] / SCALE_LIMITS[0]) ** (1 / 2**SCALE_STEPS)  # 64^(1/64) = 1.067
    assert be["found"] is True and be["below_search_range"] is False
    assert s_star <= be["demand_scale"] <= s_star * bracket
    # Cloud-only spend at that scale: on demand, linear in demand.
    assert be["annual_cloud_spend_usd"] == pytest.approx(be["demand_scale"] * 20 * CLOUD_MONTH * 12, **EXACT)
    # Utilization: u* = (F + E_idle) / (p x GPUs x 730 - E_busy) (docs/datacenter.md), with the
    # cloud-only price p = $2 per GPU-hour and, per server-month, F = 5,000 capex + 2,000
    # colocation + 1,000 maintenance + 20,000 / 20 staff = 9,000, E_idle = 182.5, E_busy = 547.5.
    assert be["cloud_price_per_gpu_hour_usd"] == pytest.approx(2.0, **EXACT)
    assert (be["server"], be["servers"], be["accelerator"]) == ("x-box", 20, "X1000")
    assert be["break_even_utilization"] == pytest.approx((9_000 + 182.5) / (2.0 * 8 * 730 - 547.5), **EXACT)
    assert "82%" in be["utilization_explanation"] and "0.35x this demand" in be["explanation"]


def test_break_even_not_found_when_owning_never_wins(folder):
    # The service ends when the first servers could arrive: no demand scale makes them useful.
    c = compared(budget_file(folder, "early", 20, end_month=LEAD))
    assert c.mixed.total_cost_usd == pytest.approx(20 * CLOUD_MONTH * LEAD, **EXACT)
    assert (c.break_even["found"], c.break_even["computed"]) == (False, True)
    assert c.break_even["explanation"] == (
        "an own data center does not win even at 64x this demand over the 36-month horizon (lead time, "
        "site fixed costs and server prices against the cloud)"
    )


def with_spec(path: Path, **changes: Any) -> Path:
    """`path` with top-level keys replaced and `constraints` keys merged in."""
    spec = yaml.safe_load(path.read_text())
    spec["constraints"] = {**spec.get("constraints", {}), **changes.pop("constraints", {})}
    spec.update(changes)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("limit", "value"), [("budget_usd", 3_000_000), ("caps", [{"max_gpus": 60}])], ids=["budget", "caps"]
)
def test_break_even_scales_demand_without_the_plans_budget_and_caps(folder, limit, value):
    # Six instances (48 GPUs, $2,522,880) fit a $3M budget and a 60-GPU cap; 64x this demand fits
    # neither, and that infeasible probe used to read as "owning does not win even at 64x". The
    # probes drop both limits: owning enters at s* = (6 + f) / 6 = 1.157 (the f of the hand formula
    # above), and the bisection over [1, 64] ends on 64^(3/64) = 1.215, the first grid point above.
    c = compared(with_spec(budget_file(folder, f"six-{limit}", 6), constraints={limit: value}))
    assert c.mixed.total_cost_usd == pytest.approx(6 * CLOUD_MONTH * HORIZON, **EXACT)
    be = c.break_even
    assert (be["found"], be["computed"], be["relaxed_limits"]) == (True, True, [limit])
    assert be["demand_scale"] == pytest.approx(64 ** (3 / 64), **EXACT)
    cloud = be["demand_scale"] * 6 * CLOUD_MONTH * HORIZON
    assert be["cloud_spend_usd"] == pytest.approx(cloud, **EXACT)
    assert be["annual_cloud_spend_usd"] == pytest.approx(cloud / 3, **EXACT)
    assert be["explanation"] == (
        f"an own data center enters the plan from about 1.2x this demand (re-planned without this plan's "
        f"{limit}), where cloud-only would cost {format_usd(cloud / 3)} per year (this budget is 1x: "
        f"cloud-only {format_usd(6 * CLOUD_MONTH * 12)} per year)"
    )


def test_compare_refuses_terms_without_own_dc(folder, capsys):
    # The mixed plan could never buy a server, yet the own-DC-only scenario forced own_dc on.
    path = with_spec(
        budget_file(folder, "no-own-term", 20), constraints={"terms": ["on_demand", "reserved_1y"]}
    )
    message = (
        "compare needs own servers allowed, but constraints.terms [on_demand, reserved_1y] leaves out "
        "own_dc: the mixed plan could never buy a server; add own_dc to constraints.terms (or drop the "
        "list) to compare"
    )
    with pytest.raises(InputError) as err:
        compare(load_budget(path), explain=False)
    assert str(err.value) == message
    capsys.readouterr()
    assert main(["compare", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_compare_refuses_terms_of_own_dc_alone(folder):
    # The cloud-only plan could never rent: its scenario and the break-even would say nothing.
    path = with_spec(budget_file(folder, "own-only", 20), constraints={"terms": ["own_dc"]})
    with pytest.raises(InputError) as err:
        compare(load_budget(path), explain=False)
    assert str(err.value) == (
        "compare needs a cloud term allowed, but constraints.terms [own_dc] has only own_dc: the "
        "cloud-only plan could never rent anything; add a cloud term (on_demand, spot, reserved_1y, "
        "reserved_3y) to constraints.terms (or drop the list) to compare"
    )


def test_break_even_not_computed_when_the_mixed_plan_is_infeasible(folder):
    # $1M against the $7.24M the mixed plan needs: all three scenarios are infeasible.
    c = compared(with_spec(budget_file(folder, "broke", 20), constraints={"budget_usd": 1_000_000}))
    assert [p.status for p in c.scenarios().values()] == ["infeasible"] * 3
    message = (
        "not computed: the mixed plan (the budget as written) is infeasible, so there is no demand to "
        "scale; its diagnosis says what would have to change"
    )
    assert c.break_even == {"found": False, "computed": False, "explanation": message}
    assert f"Break-even\n----------\n- {message}\n" in render_comparison(c)


def test_break_even_not_computed_for_zero_demand(folder):
    c = compared(budget_file(folder, "zero", [0] * HORIZON))
    assert c.mixed.total_cost_usd == 0
    assert c.break_even == {
        "found": False,
        "computed": False,
        "explanation": (
            "not computed: every workload asks for 0 requests/s in every month, and no multiple of zero "
            "demand makes servers pay"
        ),
    }


def test_break_even_in_a_horizon_under_a_year_is_not_annualised(folder):
    # 6 months, servers from month 0: owning enters at s* = 0.347 as in the hand formula (the same
    # per-month costs), and the bisection over [1/64, 1] ends on 64^(-16/64) = 0.354. The spend is
    # over the 6 months: a per-year figure would extrapolate beyond the horizon.
    path = with_spec(
        budget_file(folder, "half-year", 20), horizon_months=6, datacenter={"lead_time_months": 0}
    )
    c = compared(path)
    be = c.break_even
    assert be["found"] is True and be["demand_scale"] == pytest.approx(64 ** (-16 / 64), **EXACT)
    cloud = be["demand_scale"] * 20 * CLOUD_MONTH * 6
    assert be["cloud_spend_usd"] == pytest.approx(cloud, **EXACT) and be["annual_cloud_spend_usd"] is None
    assert be["explanation"] == (
        f"an own data center enters the plan from about 0.35x this demand, where cloud-only would cost "
        f"{format_usd(cloud)} over the 6-month horizon (this budget is 1x: cloud-only "
        f"{format_usd(20 * CLOUD_MONTH * 6)} over the 6-month horizon)"
    )


def test_break_even_below_the_search_range_is_not_reported_as_1x(folder):
    c = compared(budget_file(folder, "huge", 2000))  # 1/64 of it is 31.25 instances: owning wins
    be = c.break_even
    assert be["found"] is True and be["demand_scale"] == SCALE_LIMITS[0]
    assert be["below_search_range"] is True
    assert "at 1/64x of this demand or less, the smallest scale tried, where" in be["explanation"]
    assert "from about" not in be["explanation"]
    # cloud-only at 1/64: 31.25 instances on demand, 11,680 each a month
    assert be["annual_cloud_spend_usd"] == pytest.approx(2000 / 64 * CLOUD_MONTH * 12, **EXACT)


def test_break_even_utilization_without_servers_counts_the_servers_the_demand_needs(folder):
    # Six instances' worth stays in the cloud (owning enters at 0.35 x 20 = 6.9). The utilization
    # figure is for the 6 servers this demand needs, not 1: per server-month F = 5,000 capex
    # + 12,000 / 6 colocation (the 50 kW minimum is below 60 kW: 2,000) + 1,000 maintenance
    # + 20,000 / 6 staff = 11,333.33, E_idle = 182.5, so u* = 11,515.83 / 11,132.5 > 1: six
    # servers lose at any utilization, and the text says so.
    c = compared(budget_file(folder, "six", 6))
    be = c.break_even
    assert c.mixed.total_cost_usd == pytest.approx(6 * CLOUD_MONTH * HORIZON, **EXACT)
    assert (be["server"], be["servers"]) == ("x-box", 6)
    assert be["break_even_utilization"] == pytest.approx(
        (5_000 + 2_000 + 1_000 + STAFF_MONTH / 6 + 182.5) / (CLOUD_MONTH - 547.5), **EXACT
    )
    assert be["utilization_explanation"].startswith("the 6 x x-box this demand needs would not beat")
    assert "even if busy all the time" in be["utilization_explanation"]


# -- TCO table -----------------------------------------------------------------------------------


def by_category(c: Comparison, scenario: str) -> dict[str, dict[str, Any]]:
    return {row["category"]: row[scenario] for row in c.tco_table()}


def test_tco_table_by_category_and_year(folder):
    c = compared(budget_file(folder, "steady", 20))
    mixed = by_category(c, "mixed")
    # Per server-month: capex 5,000, power 730, colocation 2,000; per month staff 20,000 + 20 x 1,000.
    own_month = {
        "own_dc_capex": 100_000,
        "own_dc_power": 14_600,
        "own_dc_facility": 40_000,
        "own_dc_operations": 40_000,
    }
    for cat, usd in own_month.items():
        assert mixed[cat]["per_year_usd"] == pytest.approx([6 * usd, 12 * usd, 12 * usd], **EXACT), cat
        assert mixed[cat]["total_usd"] == pytest.approx(30 * usd, **EXACT)
    assert mixed["on_demand"]["per_year_usd"] == pytest.approx([6 * 20 * CLOUD_MONTH, 0, 0], **EXACT)
    cloud = by_category(c, "cloud_only")
    assert cloud["on_demand"]["per_year_usd"] == pytest.approx([12 * 20 * CLOUD_MONTH] * 3, **EXACT)
    assert all(cloud[k]["total_usd"] == 0 for k in own_month)
    assert all(row["own_dc_only"]["total_usd"] is None for row in c.tco_table())  # infeasible
    for name in ("cloud_only", "mixed"):
        assert sum(r[name]["total_usd"] for r in c.tco_table()) == pytest.approx(
            c.scenarios()[name].total_cost_usd, **EXACT
        )


def test_tco_table_per_year_follows_a_growing_fleet(folder):
    # test_datacenter_hand (c): 10 instances, 20 from month 12, at most 15 servers (150 kW).
    path = budget_file(folder, "growth", [10] * 12 + [20] * 24)
    spec = yaml.safe_load(path.read_text())
    spec["datacenter"] = {"max_site_kw": 150}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    c = compared(path)
    assert c.mixed.total_cost_usd == pytest.approx(6_369_000, **EXACT)
    mixed = by_category(c, "mixed")
    # months 6-11: 10 servers; months 12-35: 15
    assert mixed["own_dc_facility"]["per_year_usd"] == pytest.approx([6 * 20_000, 12 * 30_000, 12 * 30_000])
    assert mixed["own_dc_power"]["per_year_usd"] == pytest.approx([6 * 7_300, 12 * 10_950, 12 * 10_950])
    year_totals = [sum(r["mixed"]["per_year_usd"][i] for r in c.tco_table()) for i in range(3)]
    assert year_totals == pytest.approx([1_344_600, 2_512_200, 2_512_200])


# -- the CLI -------------------------------------------------------------------------------------


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def test_cli_json_has_the_three_plans_and_the_break_even(folder, capsys):
    path = budget_file(folder, "steady", 20)
    code, out = run_cli(["compare", str(path), "--format", "json", "--no-explain"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert {"cloud_only", "own_dc_only", "mixed", "break_even"} <= set(doc)
    # Each scenario is a plan in the plan JSON contract: the keys of `planner plan --format json`.
    code, plan_out = run_cli(["plan", str(path), "--format", "json", "--no-explain"], capsys)
    plan_keys = set(json.loads(plan_out))
    for key in SCENARIOS:
        assert set(doc[key]) == plan_keys, key
    assert doc["mixed"]["total_cost_usd"] == pytest.approx(7_239_600, **EXACT)
    assert json.loads(plan_out)["total_cost_usd"] == pytest.approx(7_239_600, **EXACT)  # plan == mixed
    assert doc["cloud_only"]["total_cost_usd"] == pytest.approx(8_409_600, **EXACT)
    own = doc["own_dc_only"]
    assert own["status"] == "infeasible" and own["total_cost_usd"] is None
    assert any("lead time" in d["message"] for d in own["diagnosis"])
    expected = compared(path).break_even
    assert set(doc["break_even"]) == set(expected)
    for key, value in expected.items():  # JSON rounds numbers to 6 significant digits
        assert doc["break_even"][key] == (
            pytest.approx(value, rel=1e-5) if isinstance(value, float) else value
        )
    purchases = [r for r in doc["mixed"]["allocations"] if r["row_type"] == "purchase"]
    assert [(r["start_month"], r["instances"]) for r in purchases] == [(LEAD, 20)]


def test_cli_table_shows_costs_by_category_year_and_total(folder, capsys):
    path = budget_file(folder, "steady", 20)
    code, out = run_cli(["compare", str(path), "--no-explain"], capsys)
    assert code == 0
    lines = out.splitlines()

    def row(label: str) -> list[str]:
        [line] = [ln for ln in lines if ln.startswith(label)]
        return line[len(label) :].split()

    assert row("cloud only") == ["optimal", format_usd(8_409_600)]
    assert row("own data center only") == ["infeasible", "infeasible"]
    assert row("mixed ") == ["optimal", format_usd(7_239_600)]
    # capex, power, colocation, staff and cloud rent by term (cloud only, [own only empty], mixed)
    assert row("cloud on-demand") == [format_usd(8_409_600), format_usd(20 * CLOUD_MONTH * LEAD)]
    assert row("own servers (capex less value at horizon end)") == [format_usd(3_000_000)]
    assert row("own data center power") == [format_usd(438_000)]
    assert row("own data center colocation / facility") == [format_usd(1_200_000)]
    assert row("own data center staff and maintenance") == [format_usd(1_200_000)]
    # per year: cloud 2,803,200 a year; mixed 6 months rented + 6 own (194,600 a month), then own
    assert row("year 1") == [format_usd(2_803_200), format_usd(1_401_600 + 6 * 194_600)]
    assert row("year 2") == [format_usd(2_803_200), format_usd(12 * 194_600)]
    assert row("year 3") == [format_usd(2_803_200), format_usd(12 * 194_600)]
    assert "an own data center enters the plan from about 0.35x this demand" in out
    assert "own servers arrive only after the 6-month lead time" in out
    assert "The mixed plan" in out


def test_cli_markdown_table(folder, capsys):
    path = budget_file(folder, "steady", 20)
    code, out = run_cli(["compare", str(path), "--format", "markdown", "--no-explain"], capsys)
    assert code == 0
    assert out.startswith("# Compare: steady")
    assert "## By category (USD over the horizon)" in out and "## By year" in out
    assert "| own data center power" in out and format_usd(438_000) in out


def test_cli_compare_needs_an_own_data_center(folder, capsys):
    path = budget_file(folder, "off", 20)
    spec = yaml.safe_load(path.read_text())
    spec["datacenter"] = {"enabled": False}
    path.write_text(yaml.safe_dump(spec))
    capsys.readouterr()
    assert main(["compare", str(path)]) == 2
    err = capsys.readouterr().err
    assert "compare needs an own-data-center option" in err and "Traceback" not in err


def test_python_api_accepts_a_catalog_argument(folder):
    path = budget_file(folder, "steady", 20)
    c = compare(load_budget(path), catalog=load_catalog(folder / "catalog"), explain=False)
    assert totals(c) == pytest.approx(totals(compared(path)))
    doc = c.to_dict(timings=False)
    assert set(SCENARIOS) | {"break_even", "tco_table"} <= set(doc)


# -- examples/own-dc-1000-h100.yaml ----------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "own-dc-1000-h100.yaml"


def test_own_dc_1000_h100_example_claims(tmp_path, capsys):
    """The mixed and cloud-only plans of the example, as its comment header states them (the full
    `planner compare` with its break-even search takes ~30 s; its table is in docs/datacenter.md)."""
    code, out = run_cli(["plan", str(EXAMPLE), "--format", "json", "--no-explain"], capsys)
    assert code == 0
    mixed = json.loads(out)
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["datacenter"] = {"enabled": False}
    cloud_path = tmp_path / "cloud-only.yaml"
    cloud_path.write_text(yaml.safe_dump(spec))
    code, out = run_cli(["plan", str(cloud_path), "--format", "json", "--no-explain"], capsys)
    assert code == 0
    cloud = json.loads(out)
    # cloud only $55.8M: 3-year commitments for 652 GPUs, on demand only in the peak hours
    assert cloud["total_cost_usd"] == pytest.approx(55.82e6, rel=1e-3)
    committed = [r for r in cloud["allocations"] if r["row_type"] == "commitment"]
    assert {r["term"] for r in committed} == {"reserved_3y"} and sum(r["gpus"] for r in committed) == 652
    assert {r["snapshot"] for r in cloud["allocations"] if r["row_type"] == "rent"} == {"peak"}
    # mixed $51.3M (8% less): 122 servers bought in month 4 (the lead time), busy 69% of the time
    assert mixed["total_cost_usd"] == pytest.approx(51.32e6, rel=1e-3)
    assert 1 - mixed["total_cost_usd"] / cloud["total_cost_usd"] == pytest.approx(0.08, abs=0.005)
    [bought] = [r for r in mixed["allocations"] if r["row_type"] == "purchase"]
    assert (bought["start_month"], bought["instances"], bought["gpus"]) == (4, 122, 976)
    assert bought["utilization"] == pytest.approx(0.69, abs=0.005)
    early = sum(
        r["cost_usd"] for r in mixed["allocations"] if r["row_type"] == "rent" and r["start_month"] < 4
    )
    assert early == pytest.approx(10.6e6, rel=0.01)


def test_own_dc_site_rows_read_as_text(capsys):
    """The site's running costs are rows without an accelerator or an hourly price: blank cells in
    the text table, never 'nan' or 'None'."""
    code, out = run_cli(["plan", str(EXAMPLE), "--no-explain"], capsys)
    assert code == 0
    site = [line for line in out.splitlines() if line.startswith("(own data center)")]
    assert [line.split()[8] for line in site] == ["power", "facility", "operations"]
    assert [line.split()[-1] for line in site] == ["$1.73M", "$7.33M", "$7.84M"]
    assert not re.search(r"\b(nan|None)\b", out)
