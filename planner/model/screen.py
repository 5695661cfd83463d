"""Exact MILP solve on a HiGHS model: LP relaxation by column generation, then reduced-cost screening.

1. LP relaxation by column generation (Dantzig & Wolfe's pricing): the `late` columns (commitment
   purchases, one per group, term and start month: thousands, of which a plan uses a handful) start
   held at zero. Solve the LP, price every held column with the row duals y (d_j = c_j - a_j·y),
   release those with d_j < 0, and repeat until none is left: that is the optimum LB of the full
   relaxation, with reduced costs d_j >= 0 for the columns at zero. The commitment columns are what
   make the full LP slow (36-month benchmark: 3.4 s cold, 0.4 s this way).
2. Screen: hold at zero every integer column the relaxation leaves at zero with d_j > tolerance·|LB|,
   and solve that MILP: incumbent UB.
3. Prove: by LP duality every feasible plan costs at least LB + sum_j d_j·x_j (reduced-cost fixing,
   Nemhauser & Wolsey, Integer and Combinatorial Optimization, I.2.1), so a plan that uses a held
   integer column j (x_j >= 1) costs at least LB + d_j. When LB + d_j >= UB less the MIP gap for every
   held column, UB is optimal for the full model within that gap. Otherwise release the held columns
   that could still be in a cheaper plan and solve again from UB's plan, which is then exact.

The PuLP variables are never touched: bounds and integrality change on the HiGHS model only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp

# Reduced costs (USD) below this are pricing noise, not a column worth releasing.
PRICE_TOLERANCE = 1e-7
# Column-generation rounds before the remaining late columns are released all at once.
MAX_PRICING_ROUNDS = 50
# The problem attribute naming the columns the relaxation starts without (mark_late).
_LATE_ATTRIBUTE = "planner_late_columns"
# A MILP started from a plan this close to the LP bound (relative) runs without RENS (run_from).
NEAR_START = 1e-2
_RENS = "mip_heuristic_run_rens"


def mark_late(prob: pulp.LpProblem, columns: list[pulp.LpVariable]) -> None:
    """Name the columns the screened solve's LP relaxation starts without and prices in as needed."""
    setattr(prob, _LATE_ATTRIBUTE, frozenset(v.name for v in columns))


def late_columns(prob: pulp.LpProblem) -> frozenset[str]:
    return getattr(prob, _LATE_ATTRIBUTE, frozenset())


@dataclass(frozen=True)
class ScreenReport:
    """What one screened solve did, and the lower bound it proved for the full model."""

    lp_bound: float | None  # LB: the optimum of the full LP relaxation (None: not solved)
    lp_rounds: int  # LP solves of the column generation
    priced_in: int  # late columns the pricing released
    held: int  # integer columns held at zero in the last MILP
    milp_rounds: int
    proven_bound: float | None  # lower bound on the full model's optimum (None: no proof)

    def message(self, columns: int) -> str:
        if self.lp_bound is None:
            return "screening skipped (the LP relaxation did not solve); direct MILP"
        return (
            f"LP bound {self.lp_bound:,.6g} by column generation ({self.lp_rounds} LP solves, "
            f"{self.priced_in:,} commitment columns priced in); {self.held:,} of {columns:,} columns "
            f"held at zero by reduced cost; {self.milp_rounds} MILP solve(s)"
        )


class _Matrix:
    """The constraint matrix as coordinate arrays, for pricing all columns at once (a_j·y)."""

    def __init__(self, lp: Any) -> None:
        import highspy

        a = lp.a_matrix_
        starts = np.asarray(a.start_, dtype=np.int64)
        index = np.asarray(a.index_, dtype=np.int64)
        outer = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        if a.format_ == highspy.MatrixFormat.kColwise:
            self.cols, self.rows = outer, index
        else:
            self.cols, self.rows = index, outer
        self.values = np.asarray(a.value_, dtype=float)
        self.n = int(lp.num_col_)

    def reduced_costs(self, cost: np.ndarray, row_dual: np.ndarray) -> np.ndarray:
        return cost - np.bincount(self.cols, weights=self.values * row_dual[self.rows], minlength=self.n)


def _set_bounds(h: Any, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
    if len(idx):
        h.changeColsBounds(len(idx), idx.astype(np.int32), lower[idx], upper[idx])


def _set_integrality(h: Any, idx: np.ndarray, kind: Any) -> None:
    if len(idx):
        h.changeColsIntegrality(len(idx), idx.astype(np.int32), np.array([kind] * len(idx)))


def _time_left(deadline: float) -> float:
    return deadline - time.monotonic()


def _run(h: Any, deadline: float) -> bool:
    """Run HiGHS within what is left of the time limit; False when nothing is left to run it."""
    left = _time_left(deadline)
    if left <= 0:
        return False
    h.setOptionValue("time_limit", left)
    h.run()
    return True


def run_from(h: Any, deadline: float, start: list[float] | None, near: bool = False) -> None:
    """_run, starting the MILP from `start` when given; a start HiGHS misread is solved again
    without it (start_misread). Direct solves and the screened solve's MILP rounds run here. near: the start is
    within NEAR_START of the LP bound, so HiGHS's RENS sub-MIP is off for this run: RENS is there
    to find a near-optimal first plan (solve._mip_tuning), and this one already is. The 36-month
    benchmark's latency what-ifs start from the plan, within 0.2% of their bound: 2.0-2.5 s ->
    1.5-1.6 s each; spot:none starts from a stand-in 5% above it, and RENS off cost it 1.1 s."""
    rens = near and _has_option(h, _RENS)
    if start is not None:
        give_start(h, start)
    if rens:
        h.setOptionValue(_RENS, False)
    try:
        _run_anyway(h, deadline)
    finally:
        if rens:
            h.setOptionValue(_RENS, True)
    if start is not None and start_misread(h):
        h.clearSolver()  # drops the start too (and runs with RENS, as without a start)
        _run_anyway(h, deadline)


def _run_anyway(h: Any, deadline: float) -> None:
    """Run HiGHS even with no time left: with a zero limit it stops at once and says so (a status
    of its own, not the previous run's)."""
    h.setOptionValue("time_limit", max(_time_left(deadline), 0.0))
    h.run()


def _has_option(h: Any, name: str) -> bool:
    import highspy

    return bool(h.getOptionValue(name)[0] == highspy.HighsStatus.kOk)


def _near(cost: np.ndarray, offset: float, plan: list[float] | None, bound: float) -> bool:
    """True when `plan` costs within NEAR_START of `bound` (relative)."""
    if plan is None:
        return False
    value = float(np.dot(cost, np.asarray(plan, dtype=float))) + offset
    return value - bound <= NEAR_START * max(1.0, abs(value))


def start_misread(h: Any) -> bool:
    """True when HiGHS reported an objective its own plan does not have. HiGHS 1.16 with light
    presolve (presolve_mode 2) can price a MIP start in the presolved space, without the offset
    presolve took out, and stop at once with that value as both plan and bound: "optimal" at $0 for
    a plan costing $5 (tests/model/test_screen.py). The caller re-solves without the start."""
    if not _has_plan(h):
        return False
    lp = h.getLp()
    x = np.asarray(h.getSolution().col_value, dtype=float)
    actual = float(np.dot(np.asarray(lp.col_cost_, dtype=float), x)) + float(lp.offset_)
    return abs(actual - float(h.getInfo().objective_function_value)) > 1e-6 * max(1.0, abs(actual))


def _has_plan(h: Any) -> bool:
    return int(h.getInfo().primal_solution_status) == 2  # kSolutionStatusFeasible


def run_screened(
    h: Any,
    late: np.ndarray,
    start: list[float] | None,
    tolerance: float,
    mip_gap: float,
    deadline: float,
) -> ScreenReport:
    """Solve the MILP loaded in `h` (module docstring); the final run's solution is left in `h`.

    late: boolean per column, the columns the relaxation starts without; start: a feasible plan to
    start the MILP from (its columns are never held); tolerance: screening threshold relative to LB.
    """
    import highspy

    lp = h.getLp()
    n = int(lp.num_col_)
    lower = np.asarray(lp.col_lower_, dtype=float)
    upper = np.asarray(lp.col_upper_, dtype=float)
    cost = np.asarray(lp.col_cost_, dtype=float)
    kinds = list(lp.integrality_) or [highspy.HighsVarType.kContinuous] * n
    integer = np.array([k != highspy.HighsVarType.kContinuous for k in kinds], dtype=bool)
    ints = np.flatnonzero(integer)
    matrix = _Matrix(lp)

    # 1. The relaxation, with the late columns held at zero and priced in round by round.
    _set_integrality(h, ints, highspy.HighsVarType.kContinuous)
    out = np.flatnonzero(late & (lower == 0) & (upper > 0))  # not those a caller fixed (held plans)
    zeros = np.zeros(n)
    _set_bounds(h, out, zeros, zeros)
    held_late = np.zeros(n, dtype=bool)
    held_late[out] = True
    rounds, priced = 0, 0
    lp_bound: float | None = None
    while _run(h, deadline):
        rounds += 1
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            if held_late.any() and status == highspy.HighsModelStatus.kInfeasible:
                _set_bounds(h, np.flatnonzero(held_late), lower, upper)  # needs commitments: all of them
                held_late[:] = False
                continue
            break
        d = matrix.reduced_costs(cost, np.asarray(h.getSolution().row_dual, dtype=float))
        release = np.flatnonzero(held_late & (d < -PRICE_TOLERANCE))
        if rounds >= MAX_PRICING_ROUNDS:
            release = np.flatnonzero(held_late)
        if not len(release):
            lp_bound = float(h.getInfo().objective_function_value)
            break
        _set_bounds(h, release, lower, upper)
        held_late[release] = False
        priced += len(release)
    x = np.asarray(h.getSolution().col_value, dtype=float) if lp_bound is not None else zeros
    _set_integrality(h, ints, highspy.HighsVarType.kInteger)
    if lp_bound is None:  # no relaxation optimum (infeasible, unbounded, out of time): plain MILP
        _set_bounds(h, np.flatnonzero(held_late), lower, upper)
        run_from(h, deadline, start)
        return ScreenReport(None, rounds, priced, 0, 1, None)

    # 2. Screen: integer columns at zero in the relaxation and priced out of contention.
    threshold = tolerance * max(1.0, abs(lp_bound))
    in_start = np.asarray(start, dtype=float) != 0 if start is not None else np.zeros(n, dtype=bool)
    held = integer & (np.abs(x) <= 1e-9) & (lower == 0) & (upper > 0) & (d > threshold) & ~in_start
    _set_bounds(h, np.flatnonzero(held_late & ~held), lower, upper)
    _set_bounds(h, np.flatnonzero(held), zeros, zeros)
    offset = float(lp.offset_)
    run_from(h, deadline, start, _near(cost, offset, start, lp_bound))
    milp_rounds = 1

    # 3. Prove, or release what could still be in a cheaper plan and solve once more.
    if _has_plan(h):
        upper_bound = float(h.getInfo().objective_function_value)
        slack = max(mip_gap * abs(upper_bound), 1e-9 * max(1.0, abs(upper_bound)))
        release = held & (lp_bound + d < upper_bound - slack)
    elif h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        release = held.copy()  # the held columns were needed after all
    else:
        release = np.zeros(n, dtype=bool)  # out of time before a plan: nothing proven either way
    # With no time left for a second solve, the first plan stands, proven as far as it goes.
    if release.any() and _time_left(deadline) > 0:
        incumbent = list(h.getSolution().col_value) if _has_plan(h) else start
        _set_bounds(h, np.flatnonzero(release), lower, upper)
        held &= ~release
        run_from(h, deadline, incumbent, _near(cost, offset, incumbent, lp_bound))
        milp_rounds += 1
    bound = float(h.getInfo().mip_dual_bound) if _has_plan(h) else math.nan
    if held.any():
        bound = min(bound, lp_bound + float(d[held].min()))
    return ScreenReport(
        lp_bound, rounds, priced, int(held.sum()), milp_rounds, bound if math.isfinite(bound) else None
    )


def give_start(h: Any, values: list[float]) -> None:
    import highspy

    start = highspy.HighsSolution()
    start.col_value = list(values)
    start.value_valid = True
    h.setSolution(start)
