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
from planner.model.options import MIN_SOLVE_S, PlanOptions

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


class _WarmHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's HiGHS adapter, handing the variables' current values to HiGHS as a starting plan.

    PuLP's adapter has no warm start; a known feasible plan lets HiGHS skip straight to proving
    (the second solve of solve_screened starts from the first solve's plan).
    """

    def callSolver(self, lp: pulp.LpProblem) -> None:
        import highspy

        start = highspy.HighsSolution()
        start.col_value = [float(v.varValue or 0.0) for v in lp.variables()]
        start.value_valid = True
        lp.solverModel.setSolution(start)
        super().callSolver(lp)


def make_solver(options: PlanOptions, *, mip: bool = True, warm_start: bool = False) -> tuple[Any, str]:
    """The PuLP solver object and its label; falls back from HiGHS to CBC, errors if neither exists."""
    want_highs = options.solver in ("auto", "highs")
    kwargs: dict[str, Any] = {"msg": False, "timeLimit": max(options.seconds_left(), 1e-6)}
    if mip:
        kwargs["gapRel"] = options.mip_gap
    if options.threads:
        kwargs["threads"] = options.threads
    if want_highs and _highs_available():
        cls = _WarmHiGHS if warm_start else pulp.HiGHS
        return cls(**kwargs, **_highs_tuning()), "HiGHS"
    if _cbc_available():
        label = "CBC" if options.solver == "cbc" else "CBC (HiGHS unavailable: pip install highspy)"
        return pulp.PULP_CBC_CMD(**kwargs), label
    raise SolverError(
        "no MILP solver is available: install highspy (pip install highspy) or a CBC binary "
        "(bundled with pulp on most platforms)"
    )


# Models with at least this many integer variables are solved with reduced-cost screening.
SCREEN_MIN_INTEGERS = 1000
# Columns unused by the LP relaxation with a reduced cost above this (relative to the bound) are
# held at zero in the first MILP; the proof step releases any that could still matter.
SCREEN_TOLERANCE = 1e-9


def solve(prob: pulp.LpProblem, options: PlanOptions, warm_start: bool = False) -> SolveResult:
    """Solve `prob` in place and classify the outcome (large MILPs: with reduced-cost screening).
    warm_start: hand the variables' current values to the MILP as a starting plan."""
    if options.screen and prob.isMIP() and len(integer_variables(prob)) >= SCREEN_MIN_INTEGERS:
        return solve_screened(prob, options, warm_start)
    return solve_direct(prob, options, warm_start=warm_start)


def solve_screened(prob: pulp.LpProblem, options: PlanOptions, warm_start: bool = False) -> SolveResult:
    """Exact MILP solve that first screens out columns the LP relaxation prices out of contention.

    1. Solve the LP relaxation: lower bound LB and reduced costs d_j >= 0 of the columns at zero.
       By LP duality every feasible plan costs at least LB + sum_j d_j·x_j, so a plan that uses an
       integer column j (x_j >= 1) costs at least LB + d_j.
    2. Hold at zero every column the LP leaves unused with d_j above a small threshold; solve that
       MILP: incumbent UB.
    3. If UB is within the MIP gap of LB, it is optimal for the full model whatever was held.
       Otherwise, if LB + d_j >= UB for every held integer column and no continuous column was
       held, none can be in a cheaper plan. Failing both, release the held continuous columns and
       the integer columns with LB + d_j < UB, and solve again (warm-started), which is exact.
    Bounds are restored afterwards; the solution values are those of the final MILP.
    """
    started = time.perf_counter()
    # One time limit for all rounds: each solve gets what the earlier ones left.
    deadline = time.monotonic() + options.seconds_left()
    options = dataclasses.replace(options, deadline=deadline)
    columns = prob.variables()
    start = [v.varValue for v in columns] if warm_start else None
    ints = [v for v in columns if v.cat == pulp.LpInteger]
    for v in ints:
        v.cat = pulp.LpContinuous
    try:
        relaxed = solve_direct(prob, options, lp_method="ipm")
    finally:
        for v in ints:
            v.cat = pulp.LpInteger
    if relaxed.status in ("infeasible", "unbounded"):
        return relaxed
    if not relaxed.has_solution or relaxed.objective is None:
        return solve_direct(prob, options)
    lower = relaxed.objective
    threshold = SCREEN_TOLERANCE * max(1.0, abs(lower))
    in_start = {id(v) for v, value in zip(columns, start or [], strict=False) if value}
    held = [
        v
        for v in columns
        if abs(v.varValue or 0.0) <= 1e-9
        and id(v) not in in_start  # holding a column the start uses would make the start infeasible
        and float(v.dj or 0.0) > threshold
        and v.lowBound is not None
        and v.lowBound >= 0
        and (v.upBound is None or v.upBound > 0)
    ]
    reduced = {v.name: float(v.dj or 0.0) for v in held}
    saved = {v.name: v.upBound for v in held}
    rounds = 1
    try:
        for v in held:
            v.upBound = 0
        if start is not None:  # the relaxation overwrote the values: start from the given plan
            for v, value in zip(columns, start, strict=True):
                v.varValue = value
        result = solve_direct(prob, options, warm_start=start is not None)
        if result.has_solution and result.objective is not None:
            upper = result.objective
            slack = max(options.mip_gap * abs(upper), 1e-9 * max(1.0, abs(upper)))
            if upper - lower <= slack:
                release: list[pulp.LpVariable] = []
            else:
                release = [
                    v for v in held if v.cat != pulp.LpInteger or lower + reduced[v.name] < upper - slack
                ]
        else:
            release = held  # the screened model found no plan: fall back to the full one
        if release and options.seconds_left() < MIN_SOLVE_S and result.objective is not None:
            # The time limit is spent: the screened plan stands, proven only against the LP bound.
            gap = (result.objective - lower) / max(abs(result.objective), 1e-9)
            result = dataclasses.replace(
                result, status="feasible", termination="time limit reached", mip_gap=max(gap, 0.0)
            )
            release = []
        if release:
            for v in release:
                v.upBound = saved[v.name]
            result = solve_direct(prob, options, warm_start=result.has_solution)
            rounds = 2
    finally:
        for v in held:
            v.upBound = saved[v.name]
    note = (
        f"screened {len(held):,} of {len(columns):,} columns by LP reduced cost "
        f"(LP bound {lower:,.6g}); {rounds} MILP solve(s)"
    )
    return dataclasses.replace(result, seconds=time.perf_counter() - started, message=note)


def solve_direct(
    prob: pulp.LpProblem, options: PlanOptions, warm_start: bool = False, lp_method: str | None = None
) -> SolveResult:
    """Solve `prob` in place as it is and classify the outcome (warm_start: from the current values;
    lp_method: HiGHS's LP algorithm for a pure LP, e.g. "ipm" for large relaxations)."""
    solver, label = make_solver(options, mip=prob.isMIP(), warm_start=warm_start)
    if lp_method is not None and label == "HiGHS" and not prob.isMIP():
        solver.optionsDict["solver"] = lp_method
    if label == "HiGHS" and prob.isMIP():
        solver.optionsDict.update(_mip_tuning())
    started = time.perf_counter()
    try:
        prob.solve(solver)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{label} failed: {exc}") from exc
    seconds = time.perf_counter() - started
    return _classify(prob, label, seconds)


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
