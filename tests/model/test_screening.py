"""Reduced-cost screening (PlanOptions.screen, planner.model.screen) is exact: the same
optimal cost as the direct MILP, with the threshold lowered so that small models take that path."""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.model import solve as solve_module

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("example", ["two-runs-commitment", "chat-70b-growing", "portfolio-train-and-serve"])
def test_screened_solve_finds_the_direct_optimum(example, monkeypatch):
    budget = planner.load_budget(EXAMPLES / f"{example}.yaml")
    direct = planner.plan(budget, explain=False, screen=False)
    monkeypatch.setattr(solve_module, "SCREEN_MIN_INTEGERS", 0)
    screened = planner.plan(budget, explain=False, screen=True)
    assert screened.solver.message.startswith("LP bound ")
    assert screened.status == direct.status == "optimal"
    assert screened.total_cost_usd == pytest.approx(direct.total_cost_usd, rel=1e-6)
