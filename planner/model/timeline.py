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
# Time points closer than this (hours, ~3.6 ms) are the same point: segment boundaries and window
# ends are computed from different sums of floats, so exact comparison would drop a segment.
_SAME_HOUR = 1e-6


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
class Segment:
    """A stretch of time between consecutive boundaries (month starts, training windows' ends)."""

    index: int
    start_hour: float
    end_hour: float
    month: int

    @property
    def hours(self) -> float:
        return self.end_hour - self.start_hour


@dataclass(frozen=True)
class Timeline:
    months: int
    slices: tuple[Slice, ...]
    segments: tuple[Segment, ...] = ()

    def slice_hours(self, k: int) -> float:
        """Hours of slice k in one month."""
        return self.slices[k].hours_per_month


def build_timeline(budget: Budget) -> Timeline:
    services = [w for w in budget.workloads if isinstance(w, InferenceService)]
    runs = [w for w in budget.workloads if isinstance(w, TrainingRun)]
    return Timeline(
        months=budget.horizon,
        slices=tuple(common_slices(services)),
        segments=tuple(training_segments(runs, budget.horizon)),
    )


def training_segments(runs: list[TrainingRun], months: int) -> list[Segment]:
    """Split the horizon at month starts and at every training window's start and end.

    Each window then covers whole segments, and two runs share a segment only if both may run in
    all of it: supply caps are checked per segment (runs sharing one are taken to be sequenced).
    """
    end = months * HOURS_PER_MONTH
    cuts = {m * HOURS_PER_MONTH for m in range(months + 1)}
    for run in runs:
        start = run.start_month * HOURS_PER_MONTH
        cuts |= {start, min(start + run.deadline_days * HOURS_PER_DAY, end)}
    points: list[float] = []
    for c in sorted(c for c in cuts if c <= end + _SAME_HOUR):
        if not points or c - points[-1] > _SAME_HOUR:  # merge cuts closer than a few milliseconds
            points.append(c)
    out: list[Segment] = []
    for a, b in itertools.pairwise(points):
        out.append(Segment(len(out), a, b, min(int((a + _SAME_HOUR) // HOURS_PER_MONTH), months - 1)))
    return out


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


def training_window_hours(run: TrainingRun, segments: tuple[Segment, ...]) -> dict[int, float]:
    """Hours of each segment inside the run's window [start, start + deadline) (whole segments)."""
    start_h = run.start_month * HOURS_PER_MONTH
    end_h = start_h + run.deadline_days * HOURS_PER_DAY
    return {
        s.index: s.hours
        for s in segments
        if s.start_hour >= start_h - _SAME_HOUR and s.end_hour <= end_h + _SAME_HOUR
    }
