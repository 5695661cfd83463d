"""Time structure of a plan: months of 730 hours, and within each month the daily demand slices.

Inference services describe their day as snapshots (peak, shoulder, base). Services may use
different profiles, but shared capacity (a commitment, an own data center) must be checked on one
common grid, so every service's day is laid out highest-factor first from hour 0 and the union of
breakpoints forms the common slices. This aligns every service's peak with every other's: the
conservative assumption for shared capacity (peaks coincide), as in energy-system snapshot models.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from planner.units import HOURS_PER_DAY, HOURS_PER_MONTH
from planner.workloads import Budget, InferenceService, TrainingRun

_EPS = 1e-9


@dataclass(frozen=True)
class Slice:
    """One slice of every day: `hours_per_day` long; each service's demand factor within it."""

    index: int
    hours_per_day: float
    factors: dict[str, float] = field(default_factory=dict)  # service name -> demand factor
    names: dict[str, str] = field(default_factory=dict)  # service name -> its snapshot name

    @property
    def hours_per_month(self) -> float:
        return HOURS_PER_MONTH * self.hours_per_day / HOURS_PER_DAY

    @property
    def label(self) -> str:
        """Readable name: the services' snapshot names, deduplicated ('peak', 'shoulder', ...)."""
        names = sorted(set(self.names.values()))
        return "+".join(names) if names else f"s{self.index}"


@dataclass(frozen=True)
class Timeline:
    months: int
    slices: tuple[Slice, ...]

    def slice_hours(self, k: int) -> float:
        """Hours of slice k in one month."""
        return self.slices[k].hours_per_month


def build_timeline(budget: Budget) -> Timeline:
    services = [w for w in budget.workloads if isinstance(w, InferenceService)]
    return Timeline(months=budget.horizon, slices=tuple(common_slices(services)))


def common_slices(services: list[InferenceService]) -> list[Slice]:
    """Partition the day so that every service's snapshots are unions of slices (peaks aligned)."""
    layouts: dict[str, list[tuple[float, float, float, str]]] = {}
    cuts = {0.0, HOURS_PER_DAY}
    for svc in services:
        start = 0.0
        spans = []
        for snap in sorted(svc.daily_snapshots(), key=lambda s: -s.factor):
            end = start + snap.hours_per_day
            spans.append((start, end, snap.factor, snap.name))
            cuts.add(round(end, 9))
            start = end
        layouts[svc.name] = spans
    points = sorted(cuts)
    out: list[Slice] = []
    for a, b in itertools.pairwise(points):
        if b - a <= _EPS:
            continue
        mid = (a + b) / 2
        factors: dict[str, float] = {}
        names: dict[str, str] = {}
        for svc_name, spans in layouts.items():
            for lo, hi, factor, snap_name in spans:
                if lo - _EPS <= mid < hi + _EPS:
                    factors[svc_name], names[svc_name] = factor, snap_name
                    break
        out.append(Slice(index=len(out), hours_per_day=b - a, factors=factors, names=names))
    return out


def training_window_hours(run: TrainingRun, months: int) -> dict[int, float]:
    """Hours of the run's window [start, start + deadline) falling in each month of the horizon."""
    start_h = run.start_month * HOURS_PER_MONTH
    end_h = start_h + run.deadline_days * HOURS_PER_DAY
    out: dict[int, float] = {}
    for m in range(run.start_month, months):
        lo, hi = m * HOURS_PER_MONTH, (m + 1) * HOURS_PER_MONTH
        overlap = min(hi, end_h) - max(lo, start_h)
        if overlap > _EPS:
            out[m] = overlap
        if hi >= end_h:
            break
    return out


def windows_overlap(a: TrainingRun, b: TrainingRun) -> bool:
    """True when two runs' windows share any time (so their clusters coexist)."""
    a0 = a.start_month * HOURS_PER_MONTH
    b0 = b.start_month * HOURS_PER_MONTH
    a1 = a0 + a.deadline_days * HOURS_PER_DAY
    b1 = b0 + b.deadline_days * HOURS_PER_DAY
    return a0 < b1 - _EPS and b0 < a1 - _EPS
