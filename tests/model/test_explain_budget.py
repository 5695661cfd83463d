"""Explanation re-solves at scale: what-ifs of one workload hold the others as planned, and all
re-solves share explain_budget_s (what is left over is reported as not re-solved, never guessed)."""

from __future__ import annotations

import pytest
from test_training_hand import EXACT, X_HOURS, X_PRICE, eff, run, what_if
from tinycat import catalog, offering

import planner
from planner.workloads import Budget

HELD = " (other workloads as planned)"


def two_runs() -> tuple[Budget, planner.Catalog]:
    """`pretrain` as in test_short_deadline_forces_a_larger_cluster_in_a_higher_tier (1 day: the
    64-GPU tier) and an independent `later` run in month 2 on the same offering (4 months: its
    +25% deadline ends in month 3.23)."""
    cat = catalog(offering("alpha", "x8", "X1000", X_PRICE))
    runs = [run("pretrain", deadline_days=1), run("later", deadline_days=30, start_month=2)]
    return Budget(name="two", horizon_months=4, workloads=runs), cat


def test_deadline_what_if_holds_the_other_run_and_prices_this_one_alone():
    budget, cat = two_runs()
    plan = planner.plan(budget, catalog=cat)
    # pretrain: 100/eff(64) instance-hours; later: 100 instance-hours (8 GPUs, efficiency 1).
    assert plan.total_cost_usd == pytest.approx(X_HOURS * X_PRICE * (1 / eff(64) + 1), **EXACT)
    longer = what_if(plan, "deadline:pretrain:+25%")
    assert longer.status == "optimal"
    assert longer.description.endswith(HELD)
    # +25% (30 h): the 32-GPU tier suffices and saves its efficiency loss; `later` is unchanged.
    assert longer.delta_usd == pytest.approx(X_HOURS * X_PRICE * (1 / eff(32) - 1 / eff(64)), **EXACT)
    shorter = what_if(plan, "deadline:later:-25%")
    assert shorter.description.endswith(HELD)
    assert shorter.delta_usd == pytest.approx(0.0, abs=1e-6)  # 22.5 days: still one 8-GPU instance


def test_a_single_workload_replans_from_scratch():
    _, cat = two_runs()
    plan = planner.plan(run("pretrain", deadline_days=1), catalog=cat)
    longer = what_if(plan, "deadline:pretrain:+25%")
    assert not longer.description.endswith(HELD)
    assert longer.delta_usd == pytest.approx(X_HOURS * X_PRICE * (1 / eff(32) - 1 / eff(64)), **EXACT)


def test_spent_budget_reports_every_re_solve_as_not_solved_and_keeps_shadow_prices():
    budget, cat = two_runs()
    plan = planner.plan(budget, catalog=cat, explain_budget_s=0)
    assert plan.total_cost_usd == pytest.approx(X_HOURS * X_PRICE * (1 / eff(64) + 1), **EXACT)
    assert plan.binding  # shadow prices are one LP, outside the budget
    assert {w.name for w in plan.what_ifs} == {
        "deadline:pretrain:+25%",
        "deadline:pretrain:-25%",
        "deadline:later:+25%",
        "deadline:later:-25%",
        "spot:50%",
    }
    note = "not re-solved: the explanation's time budget (explain_budget_s = 0 s) was spent; raise it to see this"
    for w in plan.what_ifs:
        assert (w.status, w.cost_usd, w.delta_usd) == ("not_solved", None, None)
        assert w.description.endswith(f"({note})")
    provider = [r for r in plan.runner_ups if r.kind == "provider"]
    assert provider and all((r.status, r.reason) == ("excluded", "no candidate offering") for r in provider)


def test_budget_reaches_every_re_solve_of_a_small_plan():
    budget, cat = two_runs()
    plan = planner.plan(budget, catalog=cat)
    assert all(w.status == "optimal" for w in plan.what_ifs)


def test_negative_budget_is_a_clear_error():
    with pytest.raises(planner.errors.InputError, match=r"explain_budget_s must be >= 0, got -1"):
        planner.plan(run(), catalog=catalog(offering()), explain_budget_s=-1)
