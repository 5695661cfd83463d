"""Solver trouble and plan outcomes as the CLI reports them: exit codes 0, 1 and 3.

HiGHS missing falls back to CBC with the same optimum; no solver at all is one clear error (exit 3);
a time limit that stops the solver before any plan is exit 3 with what to do; one that stops it
with a plan returns that plan labelled with its proven gap; an infeasible budget exits 1 with the
diagnosis. The budgets plan on tests/fixtures/malformed_budgets/catalog (made-up X1000 and Y500).

Hand-computed cost of the training run: 1.44e21 FLOPs at MFU 0.5 and goodput 1 on one 8 x X1000
instance (8 x 1e15 FLOP/s x 0.5 = 4e15 FLOP/s) take 3.6e5 s = 100 instance-hours x $80 = $8,000.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pulp
import pytest

import planner
import planner.api
import planner.explain
import planner.model.solve
from planner.cli import main
from planner.errors import InputError, SolverError
from planner.workloads import load_budget

CATALOG = Path(__file__).resolve().parent / "fixtures" / "malformed_budgets" / "catalog"
TRAINING_COST_USD = 1.44e21 / (8 * 1000e12 * 0.5) / 3600 * 80.0  # 100 instance-hours x $80 = $8,000

TRAINING = """\
  - {name: pretrain, kind: training, params: 1B, flops: 1.44e21, mfu: 0.5, goodput: 1, deadline_days: 30}
"""
SERVICE = """\
  - {name: chat, kind: inference, model: llama-3-8b, input_tokens: 100, output_tokens: 100,
     requests_per_s: [10, 20, 5], min_replicas: 1}
"""


def budget_file(tmp_path: Path, workloads: str = TRAINING, extra: str = "") -> Path:
    path = tmp_path / "budget.yaml"
    path.write_text(f"name: tiny\ncatalog: {CATALOG}\nhorizon_months: 3\n{extra}workloads:\n{workloads}")
    return path


def test_highs_missing_falls_back_to_cbc_with_the_same_cost(tmp_path, monkeypatch):
    budget = load_budget(budget_file(tmp_path, TRAINING + SERVICE))
    highs = planner.plan(budget, explain=False)
    assert highs.solver.name == "HiGHS" and highs.status == "optimal"
    monkeypatch.setattr(planner.model.solve, "_highs_available", lambda: False)
    cbc = planner.plan(budget, explain=False)
    assert cbc.solver.name == "CBC (HiGHS unavailable: pip install highspy)"
    assert cbc.status == "optimal"
    assert cbc.total_cost_usd == pytest.approx(highs.total_cost_usd, rel=1e-7)
    assert cbc.verification.ok
    training = cbc.allocations[cbc.allocations["workload"] == "pretrain"]
    assert training["cost_usd"].sum() == pytest.approx(TRAINING_COST_USD, rel=1e-9)


def test_cbc_on_request_gives_the_hand_computed_cost(tmp_path, capsys):
    assert main(["plan", str(budget_file(tmp_path)), "--solver", "cbc", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["solver"]["name"] == "CBC"
    assert out["total_cost_usd"] == pytest.approx(TRAINING_COST_USD, rel=1e-9)


def test_no_solver_at_all_is_one_clear_error_exit_3(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(planner.model.solve, "_highs_available", lambda: False)
    monkeypatch.setattr(planner.model.solve, "_cbc_available", lambda: False)
    with pytest.raises(SolverError):
        planner.plan(load_budget(budget_file(tmp_path)), explain=False)
    assert main(["plan", str(budget_file(tmp_path))]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "planner: error: no MILP solver is available: install highspy (pip install highspy) or a CBC binary "
        "(bundled with pulp on most platforms)\n"
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_numbers_beyond_the_solver_are_exit_3_naming_the_constraint(tmp_path, capsys, solver):
    """Demand growing 11-fold a month reaches a right-hand side of 6.7e20 in month 20: HiGHS would
    read it as infinite, drop the row and solve what is left (and crash PuLP), CBC would call the
    budget infeasible; the planner names the number and stops instead."""
    path = tmp_path / "budget.yaml"
    path.write_text(
        f"name: runaway\ncatalog: {CATALOG}\nhorizon_months: 24\nworkloads:\n"
        "  - {name: chat, kind: inference, model: llama-3-8b, input_tokens: 100, output_tokens: 100,\n"
        "     requests_per_s: 10, growth_per_month: 10}\n"
    )
    assert main(["plan", str(path), "--no-explain", "--solver", solver]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "planner: error: the model cannot be solved with a right-hand side of 6.73e+20 in demand:chat:b0:m20.k0: "
        "an input is many orders of magnitude off (a demand compounding for years, a size or a price off "
        "by thousands?); check the budget's quantities and the catalog's figures\n"
    )


def test_a_coefficient_beyond_highs_is_named_with_its_constraint():
    prob = pulp.LpProblem("huge", pulp.LpMinimize)
    x, y = prob.add_variable("x", lowBound=0), prob.add_variable("y", lowBound=0)
    prob += x + y
    prob += x + y >= 1, "fine"
    prob += 2 * x + 3e15 * y >= 1, "huge_row"
    options = planner.model.solve.PlanOptions(solver="highs")
    with pytest.raises(
        SolverError, match=r"^the model cannot be solved with a coefficient of 3e\+15 on y in huge_row: "
    ):
        planner.model.solve.solve(prob, options)


def test_time_limit_before_any_plan_is_exit_3_with_what_to_do(tmp_path, capsys):
    assert main(["plan", str(budget_file(tmp_path, TRAINING + SERVICE)), "--time-limit", "1e-9"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert re.fullmatch(
        r"planner: error: HiGHS stopped \(time limit reached\) after \d+\.\d s without finding any plan: "
        r"raise the time limit \(--time-limit\) or narrow the catalog \(providers, regions, accelerators\)\n",
        err,
    )


def test_time_limit_with_a_plan_returns_it_labelled_with_its_gap(tmp_path, monkeypatch, capsys):
    """The solver stopped by its time limit after finding a plan proven within 1.25% of the optimum
    (simulated: the real solve's result relabelled as HiGHS reports a time-limited incumbent)."""
    real_solve = planner.api.solve

    def time_limited(prob, options):
        result = real_solve(prob, options)
        return dataclasses.replace(
            result, status="feasible", termination="time limit reached", mip_gap=0.0125
        )

    monkeypatch.setattr(planner.api, "solve", time_limited)
    path = str(budget_file(tmp_path))
    note = "time limit reached: this is the best plan found, proven within 1.25% of optimal"
    assert main(["plan", path, "--no-explain"]) == 0
    text = capsys.readouterr().out
    assert "status: feasible (HiGHS, proven gap 1.250%)" in text
    assert f"note: {note}" in text
    assert "total cost: $8,000.00" in text
    assert main(["plan", path, "--no-explain", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["notes"], out["solver"]["mip_gap"]) == ("feasible", [note], 0.0125)
    assert out["solver"]["termination"] == "time limit reached"


@pytest.mark.parametrize(("gap", "explained"), [(0.0125, False), (0.0005, True)])
def test_a_time_limited_plan_is_explained_only_when_nearly_proven(tmp_path, monkeypatch, gap, explained):
    """What-ifs and runner-ups are differences from the plan: against a plan proven only within
    1.25% they could be off by as much, so they are left out with a note; at 0.05% they are computed.
    (Simulated time limit, as above; the deadline what-ifs exist for this run when computed.)"""
    real_solve = planner.api.solve
    relabelled = {"n": 0}

    def time_limited(prob, options):
        result = real_solve(prob, options)
        relabelled["n"] += 1
        return dataclasses.replace(result, status="feasible", termination="time limit reached", mip_gap=gap)

    monkeypatch.setattr(planner.api, "solve", time_limited)
    plan = planner.plan(load_budget(budget_file(tmp_path)), explain=True)
    assert relabelled["n"] == 1 and plan.status == "feasible"
    skipped = [n for n in plan.notes if n.startswith("what-ifs and runner-ups not computed")]
    if explained:
        assert skipped == [] and any(w.name.startswith("deadline:pretrain") for w in plan.what_ifs)
    else:
        assert skipped == [
            "what-ifs and runner-ups not computed: each is the cost of a re-solved plan less this plan's, "
            "which is proven only within 1.25% of optimal, so the difference could be off by as much (a "
            "tighter deadline could even look cheaper); raise the time limit for a plan proven optimal"
        ]
        assert plan.what_ifs == [] and plan.runner_ups == []
        assert plan.binding  # shadow prices need no re-solve: still there


def test_a_plan_with_nothing_proven_says_so():
    assert planner.api.time_limited_note(1.0) == (
        "time limit reached before the solver bounded the optimum (gap 100.00%): this plan may cost "
        "several times the cheapest one; raise the time limit (--time-limit) before relying on it"
    )
    assert planner.api.time_limited_note(0.0125) == (
        "time limit reached: this is the best plan found, proven within 1.25% of optimal"
    )


def test_plan_options_of_the_wrong_type_are_input_errors():
    cases = {
        "mip_gap": ("0.1", "plan option mip_gap must be a number, got '0.1'"),
        "time_limit_s": (None, "plan option time_limit_s must be a number, got None"),
        "explain_workers": (1.5, "plan option explain_workers must be a whole number or None, got 1.5"),
        "explain": ("no", "plan option explain must be True or False, got 'no'"),
        "solver": (3, "plan option solver must be text, got 3"),
    }
    for name, (value, message) in cases.items():
        with pytest.raises(InputError) as info:
            planner.api.PlanOptions.from_kwargs(**{name: value})
        assert str(info.value) == message
    with pytest.raises(InputError, match=r"^plan option deadline is set by the planner itself"):
        planner.api.PlanOptions.from_kwargs(deadline=0.0)


def test_the_catalog_argument_takes_default_and_refuses_other_types(tmp_path):
    budget = load_budget(budget_file(tmp_path))
    assert planner.plan(budget, catalog="default", explain=False).catalog == "default"
    for bad in (3, {}, ""):
        with pytest.raises(InputError, match=r"^catalog must be a Catalog, a catalog folder"):
            planner.plan(budget, catalog=bad, explain=False)


def test_the_diagnosis_keeps_to_the_explanation_time_budget(tmp_path, monkeypatch):
    """100 instance-hours (4.17 days on one 8 x X1000 instance) in 2 days need two instances, and a
    cap allows one: the diagnosis finds the stretch (100 h / 48 h = 2.083x, to the bisection's 0.2%).
    With no time budget it stops at once and says so, rather than blaming no constraint."""
    two_days = TRAINING.replace("deadline_days: 30", "deadline_days: 2")
    path = budget_file(tmp_path, two_days, extra="constraints: {caps: [{max_gpus: 8}]}\n")
    probed: list[float] = []
    real = planner.explain.pipeline_cost

    def spy(budget, catalog, opts):
        probed.append(budget.workloads[0].deadline_days / 2)
        return real(budget, catalog, opts)

    monkeypatch.setattr(planner.explain, "pipeline_cost", spy)
    plan = planner.plan(load_budget(path), explain=False)
    assert plan.status == "infeasible"
    [stretch] = [d for d in plan.diagnosis if d.constraint == "deadline"]
    assert stretch.amount == pytest.approx(100 / 48, rel=3e-3) and stretch.amount >= 100 / 48
    assert "the search stopped" not in stretch.message
    # Doubling from 1x: 2x fails, 4x works, then bisection between them; never the ten-year stretch.
    assert probed[:2] == [2.0, 4.0] and max(probed) == 4.0
    rushed = planner.plan(load_budget(path), explain=False, explain_budget_s=0)
    assert [(d.constraint, d.message) for d in rushed.diagnosis] == [
        (
            "model",
            "no constraint family found to blame before the diagnosis's time budget ran out "
            "(explain_budget_s = 0 s): raise it for a fuller diagnosis",
        )
    ]


def test_infeasible_budget_exits_1_with_the_diagnosis(tmp_path, capsys):
    path = budget_file(tmp_path, extra="constraints: {budget_usd: 100}\n")
    assert main(["plan", str(path), "--no-explain"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert "status: infeasible" in out and "Why there is no plan" in out
    assert (
        "- budget short by $7,900.00: the cheapest plan meeting every other constraint costs $8,000.00 "
        "against a budget of $100.00"
    ) in out.splitlines()
