"""planner.model.screen on hand-sized MILPs: the column generation reaches the full LP bound, a column
the screen held back is released when the proof fails, and random covering MILPs get the direct
optimum (hypothesis)."""

from __future__ import annotations

import pulp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.model import screen
from planner.model import solve as solve_module
from planner.model.model import Problem
from planner.model.options import PlanOptions
from planner.model.solve import SolveResult, solve, solve_direct


@pytest.fixture(autouse=True)
def _screen_every_milp(monkeypatch):
    monkeypatch.setattr(solve_module, "SCREEN_MIN_INTEGERS", 0)


def _cover(costs: list[float], cover: list[float], need: float, late: tuple[int, ...] = ()) -> Problem:
    """min sum c_j x_j  s.t.  sum a_j x_j >= need, x_j >= 0 integer; columns in `late` marked late."""
    prob = Problem("cover", pulp.LpMinimize)
    xs = [prob.add_variable(f"x{j}", lowBound=0, cat=pulp.LpInteger) for j in range(len(costs))]
    prob += pulp.lpSum(c * x for c, x in zip(costs, xs, strict=True))
    prob += pulp.lpSum(a * x for a, x in zip(cover, xs, strict=True)) >= need, "demand"
    screen.mark_late(prob, [xs[j] for j in late])
    return prob


def _solve(prob: Problem) -> SolveResult:
    return solve(prob, PlanOptions(mip_gap=0.0))


def test_a_held_column_the_proof_needs_is_released():
    # LP: x0 = 1.5 at $1 per unit of cover, LB = $1.50; x1 covers 1.5 for $1.52, reduced cost
    # 1.52 - 1.5 x $1 = $0.02 > 1e-3 x LB: held. The held MILP buys x0 = 2 ($2.00); LB + 0.02 < 2, so
    # x1 is released and the second MILP finds x1 = 1 ($1.52).
    prob = _cover([1.0, 1.52], [1.0, 1.5], 1.5)
    res = _solve(prob)
    assert res.status == "optimal" and res.objective == pytest.approx(1.52)
    assert "$" not in res.message and "LP bound 1.5 " in res.message and "2 MILP solve(s)" in res.message
    assert [v.varValue for v in prob.variables()] == [0, 1]


def test_a_plan_within_the_screen_is_proven_in_one_milp():
    # need 2: x0 = 2 is integral, $2.00 = LB; x1 (reduced cost $0.02) stays held, the proof holds.
    res = _solve(_cover([1.0, 1.52], [1.0, 1.5], 2.0))
    assert res.objective == pytest.approx(2.0) and "1 of 2 columns held" in res.message
    assert "1 MILP solve(s)" in res.message and res.mip_gap == 0.0


def test_column_generation_prices_in_a_late_column_the_lp_needs():
    # x1 covers 1.5 for $1.40 ($0.933 per unit, cheaper than x0): the LP needs it; it starts held.
    prob = _cover([1.0, 1.4], [1.0, 1.5], 1.5, late=(1,))
    res = _solve(prob)
    assert res.objective == pytest.approx(1.4)
    assert "LP bound 1.4 by column generation (2 LP solves, 1 commitment columns priced in)" in res.message


def test_late_columns_a_row_forces_are_all_released():
    # x1 >= 1 is forced: the LP without the late columns is infeasible, so all are released at once.
    prob = _cover([1.0, 1.52], [1.0, 1.5], 1.5, late=(1,))
    prob += prob.variablesDict()["x1"] >= 1, "forced"
    res = _solve(prob)
    assert res.status == "optimal" and res.objective == pytest.approx(1.52)


def test_screened_proof_gap_is_reported_when_no_time_is_left(monkeypatch):
    # With the second MILP refused (no time left), the first plan ($2.00) stands, proven only to the
    # bound LB + the held column's reduced cost = $1.52: gap (2 - 1.52) / 2 = 24%.
    monkeypatch.setattr(screen, "_time_left", _time_for(2))  # the LP and the first MILP only
    res = _solve(_cover([1.0, 1.52], [1.0, 1.5], 1.5))
    assert res.status == "feasible" and res.objective == pytest.approx(2.0)
    assert res.mip_gap == pytest.approx((2.0 - 1.52) / 2.0)


def _time_for(calls: int):
    """A clock with time left for the first `calls` checks only."""
    seen = {"n": 0}

    def time_left(_deadline: float) -> float:
        seen["n"] += 1
        return 100.0 if seen["n"] <= calls else 0.0

    return time_left


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.integers(1, 6), st.booleans(), st.integers(0, 2)),
        min_size=2,
        max_size=6,
    ),
    st.integers(3, 25),
)
def test_random_covering_milps_match_the_direct_solve(columns, need):
    """Two rows (cover, and a per-row cap), integer columns, some marked late: same optimum as direct."""

    def build() -> Problem:
        prob = _cover(
            [float(c) for c, *_ in columns],
            [float(a) for _, a, *_ in columns],
            float(need),
            late=tuple(j for j, (*_, is_late, _cap) in enumerate(columns) if is_late),
        )
        xs = sorted(prob.variables(), key=lambda v: int(v.name[1:]))
        prob += pulp.lpSum(cap * x for (*_, cap), x in zip(columns, xs, strict=True)) <= 2 * need, "cap"
        return prob

    direct = solve_direct(build(), PlanOptions(mip_gap=0.0))
    screened = _solve(build())
    assert screened.status == direct.status
    if direct.status == "optimal":
        assert screened.objective == pytest.approx(direct.objective, abs=1e-6)
        assert screened.message.startswith("LP bound")


def _misread_instance() -> Problem:
    """Found by the hypothesis test above: HiGHS 1.16 with light presolve, started from x2 = 1
    ($5), reported that start as optimal at $0 (screen.start_misread). The optimum is x1 = 1, $4."""
    prob = _cover([2.0, 4.0, 5.0], [1.0, 3.0, 4.0], 3.0)
    x1 = next(v for v in prob.variables() if v.name == "x1")
    prob += x1 <= 6, "cap"
    return prob


def test_a_misread_start_is_solved_again_without_it():
    screened = _solve(_misread_instance())
    assert screened.status == "optimal" and screened.objective == pytest.approx(4.0)
    prob = _misread_instance()
    for v in prob.variables():
        v.varValue = 1.0 if v.name == "x2" else 0.0
    direct = solve_direct(prob, PlanOptions(mip_gap=0.0), warm_start=True)
    assert direct.status == "optimal" and direct.objective == pytest.approx(4.0)
    assert {v.name: v.varValue for v in prob.variables()} == {"x0": 0, "x1": 1, "x2": 0}


@pytest.mark.parametrize(("x0", "x1", "rens"), [(2, 0, False), (0, 2, True)])
def test_rens_is_off_only_for_a_milp_started_near_the_lp_bound(monkeypatch, x0, x1, rens):
    # need 2, LB = $2.00: the start x0 = 2 is the optimum ($2.00, near: RENS off for the MILP);
    # x1 = 2 costs $3.04, 52% above the bound (RENS on). Either way it is on again afterwards.
    seen: list[bool] = []

    def spy(run):
        def spied(h, deadline):
            seen.append(h.getOptionValue("mip_heuristic_run_rens")[1])
            return run(h, deadline)

        return spied

    monkeypatch.setattr(screen, "_run", spy(screen._run))  # the LP rounds
    monkeypatch.setattr(screen, "_run_anyway", spy(screen._run_anyway))  # the MILP
    prob = _cover([1.0, 1.52], [1.0, 1.5], 2.0)
    for v in prob.variables():
        v.varValue = {"x0": x0, "x1": x1}[v.name]
    res = solve(prob, PlanOptions(mip_gap=0.0), warm_start=True)
    assert res.status == "optimal" and res.objective == pytest.approx(2.0)
    assert "1 MILP solve(s)" in res.message
    assert seen[0] is True and seen[-1] is rens  # the LP round, then the MILP
    assert prob.solverModel.getOptionValue("mip_heuristic_run_rens")[1] is True
