"""Options of one planning run (solver choice and limits, which explanations to compute)."""

from __future__ import annotations

import dataclasses
import os
import time
import typing
from dataclasses import dataclass, fields
from typing import Any, Literal

from planner.errors import InputError

SolverName = Literal["auto", "highs", "cbc"]
# A solve given less than this many seconds is not started (it could not even load the model).
MIN_SOLVE_S = 0.5
# Most explanation re-solves run at once by default: HiGHS uses about one core per solve, and each
# concurrent re-solve holds its own copy of the model.
MAX_EXPLAIN_WORKERS = 4


@dataclass(frozen=True)
class PlanOptions:
    solver: SolverName = "auto"  # auto: HiGHS when highspy imports, else CBC
    time_limit_s: float = 120.0
    mip_gap: float = 1e-6  # relative; hand-checkable plans want the proven optimum
    explain: bool = True  # shadow prices, what-ifs, runner-ups (extra re-solves)
    # The explanation's re-solves (what-ifs, runner-ups) compare whole plans in dollars: a 0.01% gap
    # and a per-solve time limit keep them affordable; each result carries its own status and gap.
    explain_mip_gap: float = 1e-4
    explain_time_limit_s: float = 20.0
    # All of the explanation's re-solves together: past it, the rest are reported as not re-solved
    # (a 36-month portfolio on the full catalog would otherwise spend minutes explaining).
    explain_budget_s: float = 60.0
    # Re-solves the explanation runs at once, each on its own copy of the model (jobs.run_jobs);
    # None: the CPU count, at most MAX_EXPLAIN_WORKERS (each copy holds a model in memory).
    explain_workers: int | None = None
    max_runner_ups: int = 3  # per workload, accelerators re-solved (the others are compared by price)
    verify: bool = True  # independent re-check of the plan
    prune_dominated: bool = True  # drop offerings that cannot be in any optimal plan
    compact_model: bool = True  # substitute rows that are identities at the optimum (build_model)
    # Large MILPs: LP relaxation by column generation, LP-priced-out columns held at zero, then a
    # proof (planner.model.screen).
    screen: bool = True
    threads: int | None = None
    # time.monotonic() by which every solve must end (set for the explanation's re-solves and for
    # the rounds of one screened solve): the time limit of each solve is cut to what is left.
    deadline: float | None = None

    def for_explanation(self) -> PlanOptions:
        """Options of the explanation's re-solves: quieter, looser gap, shorter limit, and all of
        them within explain_budget_s from now."""
        return dataclasses.replace(
            self,
            explain=False,
            verify=False,
            mip_gap=max(self.mip_gap, self.explain_mip_gap),
            time_limit_s=min(self.time_limit_s, self.explain_time_limit_s),
            deadline=time.monotonic() + self.explain_budget_s,
        )

    def explain_threads(self) -> int:
        """How many of the explanation's re-solves run at once."""
        if self.explain_workers is not None:
            return self.explain_workers
        return max(1, min(os.cpu_count() or 1, MAX_EXPLAIN_WORKERS))

    def seconds_left(self) -> float:
        """Time limit of the next solve: time_limit_s, cut to what is left before the deadline."""
        if self.deadline is None:
            return self.time_limit_s
        return min(self.time_limit_s, self.deadline - time.monotonic())

    def out_of_time(self) -> bool:
        """True when too little time is left to start another re-solve: a quarter of its own limit
        (a re-solve cut much shorter would report a plan with a gap too wide to mean anything)."""
        return self.seconds_left() < max(MIN_SOLVE_S, self.time_limit_s / 4)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> PlanOptions:
        """Options a caller gives (planner.plan(..., time_limit_s=30)), checked: InputError for an
        unknown name, a value of the wrong type (a bool for a number, text for a flag) or out of range.
        `deadline` is set by the planner itself, never by a caller (None is accepted)."""
        known = {f.name for f in fields(cls)} - {"deadline"}
        unknown = sorted(set(kwargs) - known - {"deadline"})
        if unknown:
            raise InputError(f"unknown plan option(s) {unknown}: allowed are {sorted(known)}")
        if kwargs.get("deadline") is not None:  # None passes: dataclasses.asdict of a caller's options
            raise InputError("plan option deadline is set by the planner itself: leave it out")
        hints = typing.get_type_hints(cls)
        for name, value in kwargs.items():
            _check_type(name, value, hints[name])
        opts = cls(**kwargs)
        if opts.solver not in ("auto", "highs", "cbc"):
            raise InputError(f"solver must be 'auto', 'highs' or 'cbc', got {opts.solver!r}")
        if not opts.time_limit_s > 0:
            raise InputError(f"time_limit_s must be > 0, got {opts.time_limit_s!r}")
        if not 0 <= opts.mip_gap < 1:
            raise InputError(f"mip_gap must be in [0, 1), got {opts.mip_gap!r}")
        if not 0 <= opts.explain_mip_gap < 1:
            raise InputError(f"explain_mip_gap must be in [0, 1), got {opts.explain_mip_gap!r}")
        if not opts.explain_time_limit_s > 0:
            raise InputError(f"explain_time_limit_s must be > 0, got {opts.explain_time_limit_s!r}")
        if not opts.explain_budget_s >= 0:
            raise InputError(f"explain_budget_s must be >= 0, got {opts.explain_budget_s!r}")
        if opts.explain_workers is not None and opts.explain_workers < 1:
            raise InputError(
                f"explain_workers must be >= 1 (or None: automatic), got {opts.explain_workers!r}"
            )
        if opts.max_runner_ups < 0:
            raise InputError(f"max_runner_ups must be >= 0, got {opts.max_runner_ups!r}")
        return opts


def _check_type(name: str, value: Any, hint: Any) -> None:
    """InputError unless `value` fits the option's annotation (bool is not a number here)."""
    args = typing.get_args(hint)
    if value is None and type(None) in args:
        return
    kinds = (
        [a for a in args if a is not type(None)]
        if args and typing.get_origin(hint) is not Literal
        else [hint]
    )
    for kind in kinds:
        if typing.get_origin(kind) is Literal:
            if isinstance(value, str):
                return
        elif kind is bool:
            if isinstance(value, bool):
                return
        elif kind in (int, float):
            is_number = isinstance(value, int if kind is int else (int, float))
            if is_number and not isinstance(value, bool):
                return
    wanted = {bool: "True or False", int: "a whole number", float: "a number"}
    expected = " or ".join(
        "text" if typing.get_origin(k) is Literal else wanted.get(k, str(k)) for k in kinds
    ) + (" or None" if type(None) in args else "")
    raise InputError(f"plan option {name} must be {expected}, got {value!r}")
