"""The result of planning: a Plan, with its allocations, explanation, verification and JSON form."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

PlanStatus = Literal["optimal", "feasible", "infeasible", "error"]


@dataclass(frozen=True)
class SolverInfo:
    name: str
    seconds: float
    mip_gap: float | None
    termination: str
    build_seconds: float = 0.0
    variables: int = 0
    constraints: int = 0
    message: str = ""


@dataclass(frozen=True)
class BindingConstraint:
    name: str
    family: str
    workload: str | None
    shadow_price: float | None  # in `unit`; None when the fixed LP could not be solved
    unit: str
    explanation: str
    lhs: float | None = None
    rhs: float | None = None


@dataclass(frozen=True)
class WhatIf:
    name: str  # e.g. "deadline:pretrain:+25%"
    description: str
    status: str
    cost_usd: float | None
    delta_usd: float | None  # vs the plan; negative = saves money
    mip_gap: float | None = None  # proven relative gap of a "feasible" (time-limited) re-solve


@dataclass(frozen=True)
class RunnerUp:
    workload: str
    kind: Literal["accelerator", "provider"]
    label: str  # the accelerator id or provider compared
    offering: str | None
    status: str
    cost_usd: float | None
    delta_usd: float | None
    reason: str
    # status "excluded": the exclusion code of most of the accelerator's offerings (Plan.exclusions)
    exclusion: str | None = None


@dataclass(frozen=True)
class DiagnosisItem:
    constraint: str  # family or constraint name that must move
    amount: float | None
    unit: str
    message: str


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


@dataclass
class Plan:
    """A procurement plan (or the reason there is none). See docs/output.md for every field."""

    name: str
    status: PlanStatus
    total_cost_usd: float | None
    solver: SolverInfo
    allocations: pd.DataFrame
    workloads: list[dict[str, Any]]
    usage: pd.DataFrame = field(default_factory=pd.DataFrame)  # draws on committed capacity per month/slice
    serving: pd.DataFrame = field(default_factory=pd.DataFrame)  # tokens/s per bucket per offering and slot
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    binding: list[BindingConstraint] = field(default_factory=list)
    what_ifs: list[WhatIf] = field(default_factory=list)
    runner_ups: list[RunnerUp] = field(default_factory=list)
    exclusions: pd.DataFrame = field(default_factory=pd.DataFrame)
    diagnosis: list[DiagnosisItem] = field(default_factory=list)
    verification: Verification = field(default_factory=Verification)
    catalog: str = "default"
    notes: list[str] = field(default_factory=list)
    budget_usd: float | None = None
    horizon_months: int = 12
    # seconds per pipeline phase (candidates, build, solve, verify, explain); not in byte-stable JSON
    phase_seconds: dict[str, float] = field(default_factory=dict)
    offering_groups: int = 0  # offering groups left after filters, aggregation and dominance pruning

    def explain(self) -> str:
        """Plain-language explanation: the plan, what binds and what it costs, runner-ups, exclusions."""
        from planner.report import render_text

        return render_text(self)

    def to_dict(self, timings: bool = True) -> dict[str, Any]:
        """JSON-ready dict (the CLI's --format json). `timings=False` makes it byte-reproducible."""
        return plan_to_dict(self, timings=timings)


def _clean(x: Any) -> Any:
    """Round floats for stable output and turn NaN into None."""
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        return round(x, 6) if abs(x) < 1e15 else float(f"{x:.9e}")
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str):  # numpy scalars from pandas
        return _clean(x.item())
    return x


def exclusion_summary(exclusions: pd.DataFrame) -> list[dict[str, Any]]:
    """Exclusions grouped by workload and reason code: count, accelerators, one example sentence."""
    if exclusions.empty:
        return []
    out = []
    for (w, code), grp in exclusions.groupby(["workload", "code"], sort=True):
        out.append(
            {
                "workload": w,
                "code": code,
                "offerings": len(grp),
                "accelerators": sorted(grp["accelerator"].unique().tolist()),
                "example": f"{grp.iloc[0]['group']}: {grp.iloc[0]['reason']}",
            }
        )
    return out


def runner_ups_by_workload(
    runner_ups: list[RunnerUp],
) -> list[tuple[str, list[RunnerUp], dict[str, list[str]]]]:
    """Per workload, in the plan's order: its compared runner-ups, and the accelerators with no
    offering it may use (status excluded) by exclusion code, so a report can fold those (often 40
    and more per run on the bundled catalog) into one line whose detail is in the exclusions."""
    out: dict[str, tuple[list[RunnerUp], dict[str, list[str]]]] = {}
    for r in runner_ups:
        compared, excluded = out.setdefault(r.workload, ([], {}))
        if r.status == "excluded" and r.kind == "accelerator":
            excluded.setdefault(r.exclusion or "other", []).append(r.label)
        else:
            compared.append(r)
    return [(w, compared, dict(sorted(excluded.items()))) for w, (compared, excluded) in out.items()]


def excluded_accelerators_sentence(excluded: dict[str, list[str]]) -> str:
    """E.g. '3 other accelerators not compared, every offering excluded (by reason code, as in the
    exclusions): dominated: GH200; provider: A10, A40'."""
    count = sum(len(v) for v in excluded.values())
    by_code = "; ".join(f"{code}: {', '.join(accs)}" for code, accs in excluded.items())
    noun = "accelerator" if count == 1 else "accelerators"
    return f"{count} other {noun} not compared, every offering excluded (by reason code, as in the exclusions): {by_code}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def plan_to_dict(plan: Plan, timings: bool = True) -> dict[str, Any]:
    solver = {
        "name": plan.solver.name,
        "seconds": plan.solver.seconds if timings else None,
        "build_seconds": plan.solver.build_seconds if timings else None,
        "mip_gap": plan.solver.mip_gap,
        "termination": plan.solver.termination,
        "variables": plan.solver.variables,
        "constraints": plan.solver.constraints,
        "offering_groups": plan.offering_groups,
        "phase_seconds": dict(plan.phase_seconds) if timings else None,
    }
    if plan.solver.message:
        solver["message"] = plan.solver.message
    allocations = _records(plan.allocations)
    out = {
        "name": plan.name,
        "status": plan.status,
        "total_cost_usd": plan.total_cost_usd,
        "budget_usd": plan.budget_usd,
        "horizon_months": plan.horizon_months,
        "catalog": plan.catalog,
        "solver": solver,
        "cost_breakdown_usd": plan.cost_breakdown,
        "allocations": allocations,
        "workloads": plan.workloads,
        "usage": _records(plan.usage),
        "serving": _records(plan.serving),
        "binding_constraints": [
            {
                "name": b.name,
                "family": b.family,
                "workload": b.workload,
                "shadow_price": b.shadow_price,
                "unit": b.unit,
                "explanation": b.explanation,
            }
            for b in plan.binding
        ],
        "what_ifs": [asdict(w) for w in plan.what_ifs],
        "runner_ups": [asdict(r) for r in plan.runner_ups],
        "exclusions": exclusion_summary(plan.exclusions),
        "diagnosis": [asdict(d) for d in plan.diagnosis] if plan.status == "infeasible" else None,
        "verification": {
            "ok": plan.verification.ok,
            "checks": [asdict(c) for c in plan.verification.checks],
        },
        "notes": plan.notes,
    }
    return _clean(out)
