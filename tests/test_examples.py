"""Every budget in examples/ planned end to end through the CLI, in JSON and table formats.

Each example runs once per format (cached below); the assertions check the JSON contract of
DESIGN.md, the key numbers against figures computed here from the catalog and planner.compute
(not from the model), and that explanations are sentences with units.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from planner import compute, zoo
from planner.catalog.catalog import Catalog
from planner.catalog.load import load_catalog
from planner.cli import main
from planner.enums import Precision, Term
from planner.model.candidates import MAX_CLUSTER_GPUS
from planner.units import HOURS_PER_YEAR

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TINY_CATALOG = ROOT / "tests" / "fixtures" / "catalogs" / "tiny"
REL = 1e-6  # the solver's relative MIP gap

_runs: dict[tuple[str, str], tuple[int, str]] = {}


def planned(name: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stdout of `planner plan examples/<name>.yaml --format <fmt>` (run once per session)."""
    key = (name, fmt)
    if key not in _runs:
        capsys.readouterr()
        code = main(["plan", str(EXAMPLES / f"{name}.yaml"), "--format", fmt])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        _runs[key] = (code, captured.out)
    return _runs[key]


def plan_json(name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    return json.loads(planned(name, "json", capsys)[1])


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def cheapest_on_demand_cluster(
    catalog: Catalog,
    model: str,
    tokens: float,
    deadline_days: float,
    providers: set[str] | None = None,
    accelerators: set[str] | None = None,
) -> tuple[float, str]:
    """(USD, offering) of the cheapest single on-demand cluster finishing in time, by enumeration.

    Offerings with listed, complete prices; one cluster of n instances of one offering, n >= the
    instances holding the 16 B/param training state (90% of device memory usable), n = 1 without
    a cluster interconnect, n within the capacity cap. Throughput at the default MFU and goodput,
    times the scaling efficiency of n·g GPUs rounded up to a power of two (the planner's rule).
    """
    arch = zoo.get_model(model)
    flops = 6 * arch.active_params * tokens
    window_h = deadline_days * 24
    best = (math.inf, "")
    for o in catalog.offerings:
        price = o.price_per_hour(Term.ON_DEMAND)
        if price is None or o.price_quality != "listed" or o.price_scope != "instance":
            continue
        if providers is not None and o.provider not in providers:
            continue
        if accelerators is not None and o.accelerator not in accelerators:
            continue
        acc = catalog.accelerators[o.accelerator]
        precision = compute.training_compute_precision(acc, Precision.BF16)
        if precision is None:
            continue
        peak = acc.peak_flops_per_s(precision)
        assert peak is not None
        g = o.gpus_per_instance
        per_instance_hour = (
            peak
            * compute.default_mfu(acc.id, arch.total_params, precision)
            * compute.DEFAULT_GOODPUT
            * 3600
            * g
        )
        gpus_for_state = math.ceil(16 * arch.total_params / (acc.memory_gib * 2**30 * 0.9) - 1e-9)
        n_max = MAX_CLUSTER_GPUS // g if o.cluster_interconnect else 1
        if o.capacity_max_instances is not None:
            n_max = min(n_max, o.capacity_max_instances)
        for n in range(math.ceil(gpus_for_state / g), n_max + 1):
            tier = 1 << (n * g - 1).bit_length()
            hours = flops / (per_instance_hour * compute.scaling_efficiency(tier))
            if hours <= n * window_h:  # larger clusters of this offering only cost more
                best = min(best, (hours * price, o.key))
                break
    return best


# --------------------------------------------------------------------------- the JSON contract

ALLOCATION_KEYS = {
    "workload", "provider", "region", "instance_type", "accelerator", "gpus", "term", "start_month",
    "months", "gpu_hours", "cost_usd", "row_type",
}  # fmt: skip
BINDING_KEYS = {"name", "family", "shadow_price", "unit", "explanation"}
WORKLOAD_KEYS = {"name", "kind", "flops", "gpu_hours", "finish_days"}
ALL_EXAMPLES = ["gpt3-175b-30d", "llama2-70b-budget", "two-runs-commitment", "infeasible-budget"]


def test_every_example_is_tested():
    """Each bundled example is run by some test: the training ones here, the others in their own files."""
    tests_text = " ".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    untested = [p.stem for p in EXAMPLES.glob("*.yaml") if p.stem not in tests_text]
    assert untested == []


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_json_has_the_design_contract(name, capsys):
    code, text = planned(name, "json", capsys)
    out = json.loads(text)
    assert code == (1 if out["status"] == "infeasible" else 0)
    assert out["status"] in ("optimal", "feasible", "infeasible")
    assert {"status", "total_cost_usd", "solver", "allocations", "binding_constraints", "workloads"} <= set(
        out
    )
    assert {"name", "seconds", "mip_gap"} <= set(out["solver"]) and out["solver"]["name"] == "HiGHS"
    assert out["solver"]["seconds"] is None  # no timings without --timings: the JSON is reproducible
    for row in out["allocations"]:
        assert set(row) >= ALLOCATION_KEYS
        assert row["term"] in ("on_demand", "spot", "reserved_1y", "reserved_3y", "own_dc")
        assert row["row_type"] in ("rent", "commitment", "draw", "egress")
    for b in out["binding_constraints"]:
        assert set(b) >= BINDING_KEYS
    for w in out["workloads"]:
        assert set(w) >= WORKLOAD_KEYS
    if out["status"] == "infeasible":
        assert out["total_cost_usd"] is None and out["allocations"] == [] and out["diagnosis"]
        return
    assert out["diagnosis"] is None
    assert out["verification"]["ok"] and out["verification"]["checks"]
    assert sum(r["cost_usd"] for r in out["allocations"]) == pytest.approx(out["total_cost_usd"], rel=1e-9)
    assert sum(out["cost_breakdown_usd"].values()) == pytest.approx(out["total_cost_usd"], rel=1e-9)
    by_name = {w["name"]: w for w in out["workloads"]}
    for w in by_name.values():
        assert w["finish_days"] <= w["deadline_days"] * (1 + REL)
        assert w["flops_delivered"] >= w["flops"] * (1 - REL)


@pytest.mark.parametrize("name", [n for n in ALL_EXAMPLES if n != "infeasible-budget"])
def test_explanations_are_sentences_with_units(name, capsys):
    out = plan_json(name, capsys)
    total = out["total_cost_usd"]
    chosen = {w["name"]: w["cluster"]["option"] for w in out["workloads"]}
    assert out["binding_constraints"]
    for b in out["binding_constraints"]:
        assert b["unit"] and b["explanation"].endswith(".")
        assert any(u in b["explanation"] for u in ("$", "-day", "GPU", "FLOPs", " TB"))
        # Rows of options the plan did not choose say nothing about it, even if numerically tight.
        if b["family"] in ("flops", "deadline", "memory", "cluster_size", "spot_share"):
            _family, workload, option = b["name"].split(":")[:3]  # family:workload:option[:period]
            assert option == chosen[workload], b["name"]
    for r in out["runner_ups"]:
        if r["status"] == "not_solved":  # beyond max_runner_ups: compared by its best price
            assert re.search(r"best \$[\d.,]+[KMB]? per .+ vs \$[\d.,]+[KMB]? for the plan", r["reason"])
            continue
        if r["cost_usd"] is None:
            assert r["status"] in ("excluded", "infeasible") and r["reason"]
            continue
        # A runner-up is the plan with an option forbidden: it cannot be cheaper.
        assert r["cost_usd"] >= total * (1 - REL)
        assert r["delta_usd"] == pytest.approx(r["cost_usd"] - total, abs=1e-3)
        assert "$" in r["reason"] and any(ch.isdigit() for ch in r["reason"])
    for w in out["what_ifs"]:
        if w["cost_usd"] is None:
            continue
        if w["name"].endswith(":+25%") and w["name"].startswith("deadline:"):
            assert w["delta_usd"] <= 1e-6 * total  # a longer deadline never costs more
        if w["name"].endswith(":-25%") and w["name"].startswith("deadline:"):
            assert w["delta_usd"] >= -1e-6 * total
        if w["name"] == "spot:50%":
            assert w["delta_usd"] <= 1e-6 * total


# --------------------------------------------------------------------------- gpt3-175b-30d


def test_gpt3_costs_no_more_than_the_cheapest_on_demand_cluster(capsys, catalog):
    out = plan_json("gpt3-175b-30d", capsys)
    assert out["status"] == "optimal"
    best, offering = cheapest_on_demand_cluster(catalog, "gpt-3-175b", 300e9, 30)
    assert math.isfinite(best) and offering
    assert out["total_cost_usd"] <= best * (1 + REL)
    # One 30-day run gains nothing from a commitment (and spot is off): it rents on demand, and
    # among on-demand clusters the enumeration's is the cheapest.
    assert {r["term"] for r in out["allocations"]} == {"on_demand"}
    assert out["total_cost_usd"] == pytest.approx(best, rel=REL)
    [run] = out["workloads"]
    assert run["flops"] == pytest.approx(6 * 175e9 * 300e9)  # 3.15e23
    assert run["finish_days"] <= 30


def test_gpt3_excluded_accelerators_name_their_own_cause_not_a_dominator(capsys):
    """RTX-PRO-6000 offerings are mostly dominated by other RTX-PRO-6000 ones, but those are out
    because 2.8 TB of training state needs a multi-node fabric none of them lists (or their price
    covers the host only): the runner-up names that cause; a bare "dominated" names none."""
    out = plan_json("gpt3-175b-30d", capsys)
    excluded = {r["label"]: r["reason"] for r in out["runner_ups"] if r["status"] == "excluded"}
    assert "training state of 2.80 TB needs" in excluded["RTX-6000-ADA"]
    assert "without a listed cluster interconnect" in excluded["RTX-6000-ADA"]
    assert "dominated by" not in excluded["RTX-PRO-6000"]
    # GH200: every offering is dominated (by H200 ones in the plan's candidates), so that is its cause.
    assert "dominated by" in excluded["GH200"] and "H200 instance at least as capable" in excluded["GH200"]
    codes = {r["label"]: r["exclusion"] for r in out["runner_ups"] if r["status"] == "excluded"}
    assert codes["GH200"] == "dominated" and codes["RTX-6000-ADA"] == "memory"


def test_gpt3_flops_price_is_the_chosen_instance_hour_per_eflop(capsys, catalog):
    out = plan_json("gpt3-175b-30d", capsys)
    [run] = out["workloads"]
    cluster = run["cluster"]
    acc = catalog.accelerator(cluster["accelerator"])
    rows = [r for r in out["allocations"] if r["row_type"] == "rent"]
    price = rows[0]["price_per_hour_usd"]
    gpi = rows[0]["gpus_per_instance"]
    tier = int(cluster["option"].rsplit("@", 1)[1].removesuffix("gpu"))
    per_instance_hour = (
        acc.peak_flops_per_s(Precision.BF16) * run["mfu"] * run["goodput"] * 3600 * gpi
    ) * compute.scaling_efficiency(tier)
    flops = next(b for b in out["binding_constraints"] if b["family"] == "flops")
    assert flops["unit"] == "USD per EFLOP"
    assert flops["shadow_price"] == pytest.approx(price / (per_instance_hour / 1e18), rel=1e-5)
    deadline = next(b for b in out["binding_constraints"] if b["family"] == "deadline")
    assert deadline["unit"] == "USD per day of deadline" and "30-day deadline" in deadline["explanation"]


def test_gpt3_table(capsys):
    code, text = planned("gpt3-175b-30d", "table", capsys)
    assert code == 0
    assert text.startswith("Plan: gpt3-175b-30d\nstatus: optimal (HiGHS")
    for heading in ("Workloads", "Allocations", "What binds and what it costs", "What if", "Runner-ups"):
        assert f"\n{heading}\n{'-' * len(heading)}\n" in text
    assert "USD/instance-hour" in text and "cost (USD)" in text
    assert "independent check: passed" in text
    total = plan_json("gpt3-175b-30d", capsys)["total_cost_usd"]
    assert f"total cost: ${total / 1e3:.1f}K" in text


# --------------------------------------------------------------------------- llama2-70b-budget


def test_llama2_within_budget_on_allowed_providers(capsys, catalog):
    out = plan_json("llama2-70b-budget", capsys)
    assert out["status"] == "optimal" and out["budget_usd"] == 4e6
    assert out["total_cost_usd"] <= 4e6
    allowed = {"aws", "gcp", "lambda"}
    assert {r["provider"] for r in out["allocations"]} <= allowed
    [run] = out["workloads"]
    assert run["flops"] == pytest.approx(6 * zoo.get_model("llama-2-70b").active_params * 2e12)  # 8.28e23
    best, _ = cheapest_on_demand_cluster(catalog, "llama-2-70b", 2e12, 60, providers=allowed)
    assert out["total_cost_usd"] == pytest.approx(best, rel=REL)  # the budget does not bind
    assert "budget" not in {b["family"] for b in out["binding_constraints"]}
    names = {w["name"] for w in out["what_ifs"]}
    assert {"budget:+25%", "budget:-25%", "deadline:pretrain:+25%", "spot:50%"} <= names
    excluded = {e["code"]: e for e in out["exclusions"]}
    assert "provider" in excluded and "not in constraints.providers" in excluded["provider"]["example"]


def test_llama2_table(capsys):
    code, text = planned("llama2-70b-budget", "table", capsys)
    assert code == 0
    assert "of a $4.00M budget" in text
    assert "- budget +25% ($5.00M)" in text


# --------------------------------------------------------------------------- two-runs-commitment


def test_two_runs_share_a_one_year_commitment(capsys, catalog):
    out = plan_json("two-runs-commitment", capsys)
    assert out["status"] == "optimal"
    rows = out["allocations"]
    [commit] = [r for r in rows if r["row_type"] == "commitment"]
    assert commit["term"] == "reserved_1y" and commit["months"] == 12
    assert commit["workload"] == "pretrain-a,pretrain-b" and commit["accelerator"] == "H100-SXM"
    offering = next(
        o
        for o in catalog.offerings
        if (o.provider, o.region, o.instance_type)
        == (commit["provider"], commit["region"], commit["instance_type"])
    )
    reserved = offering.price_per_hour(Term.RESERVED_1Y)
    on_demand = offering.price_per_hour(Term.ON_DEMAND)
    assert reserved is not None and on_demand is not None
    # Every hour of the year is paid: instances x 8,760 h x the reserved price.
    assert commit["cost_usd"] == pytest.approx(commit["instances"] * HOURS_PER_YEAR * reserved, rel=1e-9)
    draws = [r for r in rows if r["row_type"] == "draw"]
    assert {r["workload"] for r in draws} == {"pretrain-a", "pretrain-b"}
    assert all(r["cost_usd"] == 0 for r in draws)
    used = sum(r["gpu_hours"] for r in draws)
    assert commit["used_gpu_hours"] == pytest.approx(used, rel=1e-6)
    assert commit["utilization"] == pytest.approx(used / commit["gpu_hours"], rel=1e-6)
    # It pays: utilization above the price ratio, and cheaper than both runs on demand.
    assert commit["utilization"] > reserved / on_demand
    alone, _ = cheapest_on_demand_cluster(
        catalog, "llama-2-7b", 2e12, 150, providers={"aws", "gcp"}, accelerators={"H100-SXM"}
    )
    assert out["total_cost_usd"] < 2 * alone
    drawn = sum(u["instance_hours"] for u in out["usage"] if u["term"] == "reserved_1y")
    assert drawn * offering.gpus_per_instance == pytest.approx(used)
    # Training runs only, no horizon_months: pretrain-b's +25% deadline ends in month 12.2, past
    # the derived 12 months, and is planned on the horizon it derives, as the user's re-plan is.
    deadlines = {w["name"]: w["status"] for w in out["what_ifs"] if w["name"].startswith("deadline:")}
    assert deadlines == {
        f"deadline:{r}:{d}": "optimal" for r in ("pretrain-a", "pretrain-b") for d in ("+25%", "-25%")
    }


def test_two_runs_table(capsys):
    code, text = planned("two-runs-commitment", "table", capsys)
    assert code == 0
    assert "1-year commitment" in text
    line = next(x for x in text.splitlines() if x.startswith("pretrain-a,pretrain-b"))
    assert "commitment" in line and "12.00" in line and "%" in line


def test_two_runs_table_folds_the_excluded_runner_ups_into_one_line_per_run(capsys):
    """The JSON lists each of the 46 accelerators the allow-lists exclude per run; the report says
    so once per run, by reason code (the exclusions section gives an example of each)."""
    out = plan_json("two-runs-commitment", capsys)
    excluded = [r for r in out["runner_ups"] if r["status"] == "excluded"]
    assert len(excluded) == 2 * 46
    assert {r["exclusion"] for r in excluded} == {"accelerator", "price_scope", "provider"}
    assert {r["exclusion"] for r in out["runner_ups"] if r["status"] != "excluded"} == {None}
    text = planned("two-runs-commitment", "table", capsys)[1]
    section = text.split("\nRunner-ups\n")[1].split("\nExcluded offerings\n")[0]
    lines = [x for x in section.splitlines() if x.startswith("- ")]
    assert len(lines) == 4  # per run: the provider runner-up, then the folded line
    folded = [x for x in lines if "not compared" in x]
    assert [x.split(":")[0] for x in folded] == ["- pretrain-a", "- pretrain-b"]
    assert "46 other accelerators not compared" in folded[0]
    assert "price_scope: P100, P4; provider: A10, " in folded[0]
    assert "every offering excluded; e.g." not in section  # the per-accelerator sentences: JSON only


# --------------------------------------------------------------------------- infeasible-budget


def test_infeasible_budget_reports_the_shortfall(capsys, catalog):
    code, text = planned("infeasible-budget", "json", capsys)
    assert code == 1
    out = json.loads(text)
    assert out["status"] == "infeasible" and out["total_cost_usd"] is None
    items = {d["constraint"]: d for d in out["diagnosis"]}
    budget = items["budget"]
    cheapest, _ = cheapest_on_demand_cluster(catalog, "llama-2-70b", 2e12, 60, providers={"aws", "lambda"})
    assert budget["unit"] == "USD"
    assert budget["amount"] == pytest.approx(cheapest - 4e6, rel=1e-5)  # $1.20M short
    assert "budget short by $1.20M" in budget["message"]
    stretch = items["deadline"]
    assert stretch["unit"] == "x deadline" and stretch["amount"] > 1


def test_infeasible_budget_table(capsys):
    code, text = planned("infeasible-budget", "table", capsys)
    assert code == 1
    assert "status: infeasible" in text and "Why there is no plan" in text
    assert "- budget short by $1.20M" in text
    assert "Allocations" not in text


# --------------------------------------------------------------------------- output options

SMALL_BUDGET = """\
name: small
workloads:
  - name: finetune
    kind: training
    params: 1B
    tokens: 20B
    deadline_days: 2
"""


def test_json_is_reproducible_and_timings_are_opt_in(tmp_path, capsys):
    budget = tmp_path / "small.yaml"
    budget.write_text(SMALL_BUDGET, encoding="utf-8")
    argv = ["plan", str(budget), "--catalog", str(TINY_CATALOG), "--format", "json"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert main([*argv, "--output", str(tmp_path / "out.json")]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == first  # byte for byte
    assert main([*argv, "--timings"]) == 0
    timed = json.loads(capsys.readouterr().out)["solver"]
    assert isinstance(timed["seconds"], float) and isinstance(timed["build_seconds"], float)


def test_markdown_format(tmp_path, capsys):
    budget = tmp_path / "small.yaml"
    budget.write_text(SMALL_BUDGET, encoding="utf-8")
    assert main(["plan", str(budget), "--catalog", str(TINY_CATALOG), "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Plan: small\n") and "\n## Allocations\n" in text and "| workload" in text
