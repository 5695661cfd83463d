"""planner.model.model.Problem lists the same columns, in the same order, as PuLP's own walk over the
objective and every row, including a column put into an existing row after it was built; linear()
builds the same expressions as PuLP's operators."""

from __future__ import annotations

from pathlib import Path

import pulp
import pytest

import planner
from planner.api import build_model, build_timeline, generate_candidates
from planner.model.model import Problem, linear

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _walked(prob: Problem) -> list[str]:
    """PuLP's variables(): every column of the objective and the rows, sorted by name."""
    return [v.name for v in pulp.LpProblem.variables(prob)]


@pytest.mark.parametrize("example", ["portfolio-train-and-serve", "own-dc-1000-h100"])
def test_built_model_lists_the_walked_columns(example):
    budget = planner.load_budget(EXAMPLES / f"{example}.yaml")
    model = build_model(budget, generate_candidates(budget, planner.load_catalog()), build_timeline(budget))
    listed = [v.name for v in model.prob.variables()]
    assert listed == _walked(model.prob)
    assert len(listed) > 100


def test_a_column_added_to_an_existing_row_is_listed():
    prob = Problem("p", pulp.LpMinimize)
    x = prob.add_variable("x", lowBound=0)
    prob += x
    prob += x >= 1, "demand"
    assert [v.name for v in prob.variables()] == ["x"]
    slack = prob.add_variable("slack", lowBound=0)
    prob.constraints["demand"].addInPlace(slack)  # PuLP itself registers columns only with new rows
    assert [v.name for v in prob.variables()] == ["slack", "x"] == _walked(prob)


def test_an_empty_objective_solves_with_pulps_stand_in_column():
    prob = Problem("p", pulp.LpMinimize)
    x = prob.add_variable("x", lowBound=0, upBound=3)
    prob += x >= 2
    prob.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[prob.status] == "Optimal" and x.varValue >= 2


def test_linear_is_the_operators_sum():
    x, y, z = (pulp.LpVariable(n) for n in "xyz")
    built = linear([(x, 2.5), (y, 1), (x, -0.5), (z, 0)], constant=3.0)
    by_operators = 2.5 * x + 1 * y - 0.5 * x + 0 * z + 3.0
    # a repeated column adds up, a zero coefficient adds no term (as `0 * z` does), order of first use
    assert list(built.items()) == list(by_operators.items()) == [(x, 2.0), (y, 1)]
    assert built.constant == by_operators.constant == 3.0
    assert str(linear([(y, 1), (x, -1)]) <= 0) == str(y - x <= 0)
