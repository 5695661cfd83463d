"""Solver adapter: HiGHS (via highspy) by default, CBC as fallback; status, gap and MILP duals.

A time-limited MILP can report "Optimal" through PuLP with an unproven incumbent, so the status
here comes from the solution status and the proven gap, not from `prob.status` alone. Duals of a
MILP are meaningless (HiGHS returns 0 on every row); `fixed_lp_duals` fixes every integer at its
solution value, re-solves the LP and reads the duals: marginal costs *given the chosen clusters
and commitments* (linopy's fix-and-relax recipe).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import pulp

from planner.errors import SolverError
from planner.model import screen as screen_module
from planner.model.options import PlanOptions

Status = Literal["optimal", "feasible", "infeasible", "unbounded", "no_solution"]


@dataclass(frozen=True)
class SolveResult:
    status: Status
    termination: str  # what stopped the solver: optimal, time_limit, infeasible, unbounded, ...
    objective: float | None
    mip_gap: float | None  # proven relative gap (None: LP, or the solver does not report it)
    seconds: float
    solver: str
    message: str = ""

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")


@cache
def _highs_available() -> bool:
    """True when highspy imports; also swallows the banner HiGHS prints on its first use.

    highspy writes "Running HiGHS ..." straight to file descriptor 1 the first time a Highs object
    is created, whatever the output options, which would corrupt `--format json` on stdout. We
    create that first object with descriptor 1 pointed at /dev/null.
    """
    try:
        if not pulp.HiGHS(msg=False).available():
            return False
        import highspy

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        return True
    except Exception:  # a broken highspy install must not take the planner down: fall back to CBC
        return False


@cache
def _highs_tuning() -> dict[str, Any]:
    """HiGHS options for these models: light presolve.

    Full MIP presolve spends seconds probing the many cluster-choice binaries while the LP
    relaxation of these models is already tight (the root bound is the optimum); light presolve
    keeps the cheap reductions. Measured on examples/gpt3-175b-30d.yaml with the default catalog:
    2.5 s -> 0.06 s, same optimum. Skipped on highspy versions without the option.
    """
    import highspy

    probe = highspy.Highs()
    probe.setOptionValue("output_flag", False)
    status, _ = probe.getOptionValue("presolve_mode")
    return {"presolve_mode": 2} if status == highspy.HighsStatus.kOk else {}


@cache
def _mip_tuning() -> dict[str, Any]:
    """HiGHS options for every MILP: no RINS and no root reduced-cost sub-MIPs (RENS stays).

    On these models the root LP bound is close to the optimum and HiGHS's own reduced-cost fixing
    restarts on a small core, where branching closes the gap; the two sub-MIPs re-solve
    near-copies of that core. 36-month benchmark through PuLP, 8 random seeds, same optimum:
    median 10.3 s -> 7.3 s, slowest 13 s -> 9.0 s; its service alone 4.0 s -> 3.5 s. Small models
    too: examples/chat-mixed-gpus.yaml's spot:50% re-plan (480 integers, the optimum found by
    rounding at the root) 1.2-2.2 s -> 0.5-0.7 s over 3 seeds; every example end to end as fast
    or faster (3.7 s -> 2.6-2.7 s for that one); a hard 189-integer knapsack reaches the same plan
    under 1, 3 and 10 s limits. RENS stays: it finds the near-optimal first plan that lets the
    reduced-cost fixing bite (without it, one seed in eight branched on the full benchmark for
    20 s). Skipped on highspy versions without the options.
    """
    import highspy

    probe = highspy.Highs()
    probe.setOptionValue("output_flag", False)
    names = ("mip_heuristic_run_rins", "mip_heuristic_run_root_reduced_cost")
    return {n: False for n in names if probe.getOptionValue(n)[0] == highspy.HighsStatus.kOk}


@cache
def _cbc_available() -> bool:
    try:
        return bool(pulp.PULP_CBC_CMD(msg=False).available())
    except Exception:
        return False


class _HiGHS(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's HiGHS adapter, optionally starting from a plan and screening (planner.model.screen).

    start: the variables' current values, handed to HiGHS as a starting plan (PuLP's adapter has no
    warm start; a known feasible plan lets HiGHS skip straight to proving). screen: the tolerance of
    reduced-cost screening, None to solve the model as it is.
    """

    def __init__(self, *, start: bool = False, screen: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start = start
        self.screen = screen
        self.report: screen_module.ScreenReport | None = None

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        """PuLP's build, with the columns and the rows each passed in one call (PuLP makes one call
        per column and per row: a quarter of a second per solve on the 36-month benchmark)."""
        import highspy
        import numpy as np

        columns = lp.variables()
        if not columns:  # HiGHS reads a model built this way with no columns as empty, not infeasible
            super().buildSolverModel(lp)
            return
        a = ModelArrays.of(lp, columns)
        check_range(lp, a)
        h = lp.solverModel
        empty = np.array([], dtype=np.int32)
        h.addCols(len(columns), a.cost, a.lower, a.upper, 0, empty, empty, np.array([], dtype=float))
        h.addRows(len(a.starts), a.row_lower, a.row_upper, len(a.index), a.starts, a.index, a.values)
        if self.mip:
            ints = np.array([i for i, v in enumerate(columns) if v.cat == pulp.LpInteger], dtype=np.int32)
            if len(ints):
                kind = highspy.HighsVarType.kInteger
                h.changeColsIntegrality(len(ints), ints, np.array([kind] * len(ints)))

    def callSolver(self, lp: pulp.LpProblem) -> None:
        import numpy as np

        columns = lp.variables()
        start = [float(v.varValue or 0.0) for v in columns] if self.start else None
        deadline = time.monotonic() + float(self.timeLimit or math.inf)
        if self.screen is not None:
            late = screen_module.late_columns(lp)
            self.report = screen_module.run_screened(
                lp.solverModel,
                np.array([v.name in late for v in columns], dtype=bool),
                start,
                self.screen,
                float(self.gapRel or 0.0),
                deadline,
            )
            return
        screen_module.run_from(lp.solverModel, deadline, start)


# Numbers HiGHS reads as infinite (its infinite_bound and infinite_cost) or refuses in the matrix
# (large_matrix_value): its defaults, and beyond what any double-precision LP solver can work with.
INFINITE = 1e20
LARGE_COEFFICIENT = 1e15


@dataclass(frozen=True)
class ModelArrays:
    """A PuLP model as arrays (columns in lp.variables() order, rows in constraint order, the matrix
    row by row), with each variable's and constraint's `index` set as PuLP's HiGHS adapter expects."""

    columns: list[pulp.LpVariable]
    cost: Any
    lower: Any
    upper: Any
    row_lower: Any
    row_upper: Any
    starts: Any
    index: Any
    values: Any

    @classmethod
    def of(cls, lp: pulp.LpProblem, columns: list[pulp.LpVariable]) -> ModelArrays:
        import numpy as np

        inf = math.inf
        for i, v in enumerate(columns):
            v.index = i
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        objective = lp.objective or {}
        starts: list[int] = []
        index: list[int] = []
        values: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []
        for i, row in enumerate(lp._constraints.values()):
            row.index = i
            starts.append(len(index))
            for v, a in row.items():
                if a != 0:
                    index.append(v.index)
                    values.append(a)
            lb, ub = row.getLb(), row.getUb()
            row_lower.append(-inf if lb is None else lb)
            row_upper.append(inf if ub is None else ub)
        return cls(
            columns=columns,
            cost=np.array([sign * objective.get(v, 0.0) for v in columns], dtype=float),
            lower=np.array([-inf if v.lowBound is None else v.lowBound for v in columns], dtype=float),
            upper=np.array([inf if v.upBound is None else v.upBound for v in columns], dtype=float),
            row_lower=np.array(row_lower, dtype=float),
            row_upper=np.array(row_upper, dtype=float),
            starts=np.array(starts, dtype=np.int32),
            index=np.array(index, dtype=np.int32),
            values=np.array(values, dtype=float),
        )


def check_range(lp: pulp.LpProblem, a: ModelArrays) -> None:
    """SolverError naming the first number a solver would read as infinite (a cost or bound of
    INFINITE or more) or refuse (a coefficient of LARGE_COEFFICIENT or more), by its column or
    constraint. Unchecked, HiGHS drops the rows it refuses and 'solves' what is left, and CBC calls
    the model infeasible."""
    import numpy as np

    def first_beyond(numbers: Any, limit: float) -> int | None:
        size = np.abs(numbers)
        beyond = np.flatnonzero(np.isfinite(size) & (size >= limit))
        return int(beyond[0]) if len(beyond) else None

    def row_name(i: int) -> str:
        return str(list(lp._constraints)[i])

    def first_of_pair(first: Any, second: Any) -> tuple[int, float] | None:
        for numbers in (first, second):
            if (i := first_beyond(numbers, INFINITE)) is not None:
                return i, float(numbers[i])
        return None

    what = None
    if (i := first_beyond(a.cost, INFINITE)) is not None:
        what = f"a cost of {a.cost[i]:.3g} per unit of {a.columns[i].name}"
    elif bound := first_of_pair(a.lower, a.upper):
        what = f"a bound of {bound[1]:.3g} on {a.columns[bound[0]].name}"
    elif rhs := first_of_pair(a.row_lower, a.row_upper):
        what = f"a right-hand side of {rhs[1]:.3g} in {row_name(rhs[0])}"
    elif (k := first_beyond(a.values, LARGE_COEFFICIENT)) is not None:
        row = row_name(int(np.searchsorted(a.starts, k, side="right")) - 1)
        what = f"a coefficient of {a.values[k]:.3g} on {a.columns[a.index[k]].name} in {row}"
    if what:
        raise SolverError(
            f"the model cannot be solved with {what}: an input is many orders of magnitude off "
            "(a demand compounding for years, a size or a price off by thousands?); check the "
            "budget's quantities and the catalog's figures"
        )


def make_solver(
    options: PlanOptions, *, mip: bool = True, warm_start: bool = False, screen: float | None = None
) -> tuple[Any, str]:
    """The PuLP solver object and its label; falls back from HiGHS to CBC, errors if neither exists.
    screen: the reduced-cost screening tolerance (HiGHS only; planner.model.screen)."""
    want_highs = options.solver in ("auto", "highs")
    kwargs: dict[str, Any] = {"msg": False, "timeLimit": max(options.seconds_left(), 1e-6)}
    if mip:
        kwargs["gapRel"] = options.mip_gap
    if options.threads:
        kwargs["threads"] = options.threads
    if want_highs and _highs_available():
        return _HiGHS(start=warm_start, screen=screen, **kwargs, **_highs_tuning()), "HiGHS"
    if _cbc_available():
        label = "CBC" if options.solver == "cbc" else "CBC (HiGHS unavailable: pip install highspy)"
        return pulp.PULP_CBC_CMD(**kwargs), label
    raise SolverError(
        "no MILP solver is available: install highspy (pip install highspy) or a CBC binary "
        "(bundled with pulp on most platforms)"
    )


# MILPs with at least this many integer variables are solved with reduced-cost screening.
SCREEN_MIN_INTEGERS = 1000
# Integer columns priced out by more than this share of the LP bound start held at zero (the proof
# releases any that could still matter). The LP bound of these models is within 0.1% of the optimum
# unless an own-data-center site could open (its fixed costs are what the LP spreads thin: the
# 36-month benchmark without spot is 5% under, and integer site-open flags alone close all of it).
SCREEN_TOLERANCE = 1e-3


def solve(prob: pulp.LpProblem, options: PlanOptions, warm_start: bool = False) -> SolveResult:
    """Solve `prob` in place and classify the outcome (large MILPs: with reduced-cost screening,
    planner.model.screen). warm_start: hand the variables' current values to the MILP as a start."""
    screen = options.screen and prob.isMIP() and len(integer_variables(prob)) >= SCREEN_MIN_INTEGERS
    return solve_direct(prob, options, warm_start=warm_start, screen=screen)


def solve_direct(
    prob: pulp.LpProblem, options: PlanOptions, warm_start: bool = False, screen: bool = False
) -> SolveResult:
    """Solve `prob` in place as it is and classify the outcome (warm_start: from the current values;
    screen: with reduced-cost screening, when the solver is HiGHS)."""
    solver, label = make_solver(
        options, mip=prob.isMIP(), warm_start=warm_start, screen=SCREEN_TOLERANCE if screen else None
    )
    if label == "HiGHS" and prob.isMIP():
        solver.optionsDict.update(_mip_tuning())
    if label != "HiGHS" and prob.variables():
        check_range(prob, ModelArrays.of(prob, prob.variables()))  # the HiGHS adapter checks as it builds
    started = time.perf_counter()
    try:
        prob.solve(solver)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{label} failed: {exc}") from exc
    result = _classify(prob, label, time.perf_counter() - started)
    report = getattr(solver, "report", None)
    return result if report is None else _screened(result, report, len(prob.variables()), options.mip_gap)


def _screened(
    result: SolveResult, report: screen_module.ScreenReport, columns: int, gap: float
) -> SolveResult:
    """The result with the gap the screening proved for the full model (not only the screened one)."""
    message = report.message(columns)
    if not result.has_solution or result.objective is None or report.lp_bound is None:
        return dataclasses.replace(result, message=message)
    bound = report.proven_bound if report.proven_bound is not None else report.lp_bound
    proven = max(0.0, (result.objective - bound) / max(abs(result.objective), 1e-9))
    if result.status == "optimal" and proven > gap * (1 + 1e-6) + 1e-12:
        # the screened MILP closed its gap, but no time was left to release what it held
        return dataclasses.replace(
            result, status="feasible", termination="time limit reached", mip_gap=proven, message=message
        )
    return dataclasses.replace(result, mip_gap=max(result.mip_gap or 0.0, proven), message=message)


def _classify(prob: pulp.LpProblem, label: str, seconds: float) -> SolveResult:
    status = pulp.LpStatus.get(prob.status, "Undefined")
    sol = prob.sol_status
    gap = None
    termination = status.lower()
    highs = getattr(prob, "solverModel", None) if label == "HiGHS" else None
    if highs is not None:
        termination = highs.modelStatusToString(highs.getModelStatus()).lower()
        info = highs.getInfo()
        if prob.isMIP():
            g = float(info.mip_gap)
            gap = g if math.isfinite(g) and g >= 0 else None
        if int(info.primal_solution_status) == 0 and status == "Optimal":
            return SolveResult(
                "no_solution", termination, None, None, seconds, label, "stopped before any plan was found"
            )
    if status == "Infeasible":
        return SolveResult("infeasible", "infeasible", None, None, seconds, label)
    if status == "Unbounded":
        return SolveResult("unbounded", "unbounded", None, None, seconds, label)
    if status != "Optimal" or sol == pulp.LpSolutionNoSolutionFound:
        return SolveResult("no_solution", termination, None, None, seconds, label, f"solver status {status}")
    objective = pulp.value(prob.objective)
    objective = float(objective) if objective is not None else 0.0
    proven = sol == pulp.LpSolutionOptimal and "time" not in termination and "limit" not in termination
    return SolveResult("optimal" if proven else "feasible", termination, objective, gap, seconds, label)


def integer_variables(prob: pulp.LpProblem) -> list[pulp.LpVariable]:
    return [v for v in prob.variables() if v.cat == pulp.LpInteger]


def fixed_lp_duals(
    prob: pulp.LpProblem,
    options: PlanOptions,
    fixed: list[pulp.LpVariable] | None = None,
    objective: pulp.LpAffineExpression | None = None,
) -> dict[str, float]:
    """Duals (by PuLP constraint name) of the LP with the `fixed` integers held at their solution
    values and every other integer relaxed (all integers fixed when `fixed` is None), minimising
    `objective` when given (e.g. the cost without tie-break terms).

    The problem is restored afterwards: objective, categories, bounds and the MILP solution values.
    """
    ints = integer_variables(prob)
    hold = {id(v) for v in (fixed if fixed is not None else ints)}
    saved = {v.name: (v.lowBound, v.upBound, v.cat) for v in ints}
    values = {v.name: v.varValue for v in prob.variables()}
    original = prob.objective
    try:
        if objective is not None:
            prob.setObjective(objective)
        for v in ints:
            if id(v) in hold:
                v.lowBound = v.upBound = round(v.varValue or 0.0)
            v.cat = pulp.LpContinuous
        solver, _ = make_solver(options, mip=False)
        prob.solve(solver)
        if pulp.LpStatus.get(prob.status) != "Optimal":
            return {}
        return {c.name: float(c.pi or 0.0) for c in prob.constraints()}
    finally:
        prob.setObjective(original)
        for v in ints:
            v.lowBound, v.upBound, v.cat = saved[v.name]
        for v in prob.variables():
            v.varValue = values.get(v.name)
