"""Plots of a plan or a comparison, as matplotlib Figures (the HTML and PNG reports embed them).

No pyplot and no display: figures are `matplotlib.figure.Figure` objects rendered by the Agg
canvas, so nothing here touches a user's interactive backend or keeps figures alive. Every figure
is drawn under matplotlib's default style plus `_RC` (whatever the user's matplotlibrc says), with
a fixed size, and `figure_png` strips the PNG's `Software` text, so the same plan gives the same PNG
bytes with the same matplotlib.

The numbers behind each plot are public functions returning DataFrames (`capacity_by_month`,
`service_by_month`, `cost_by_month`), so a notebook user can plot them another way.

  capacity_figure        GPUs per month stacked by accelerator · provider · term, against GPUs in
                         use; with services, a second panel of output tokens/s supplied vs demand
  cost_breakdown_figure  a plan: USD by term; a comparison: USD by category per scenario
  cumulative_cost_figure a comparison: cumulative USD month by month, cloud only vs mixed (vs own
                         data center only when it has a plan)
"""

from __future__ import annotations

import io
import math
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from planner.result import Plan
from planner.units import HOURS_PER_MONTH, format_usd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from planner.compare import Comparison

WIDTH_IN = 10.0  # every figure is 10 inches wide
DPI = 110  # 1,100 px wide PNGs
MAX_SERIES = 12  # capacity categories drawn separately; the rest is summed into "other"
# User strings (budget, workload and provider names) are cut to these lengths with an ellipsis: a
# 10-inch title holds about 80 wide capitals at 11 pt bold (measured on a 500-letter name), and a
# legend to the right of the axes takes its width from the plot, which constrained layout shrinks to
# nothing for a long enough label.
TITLE_CHARS = 78
LEGEND_NAME_CHARS = 32
# Warnings matplotlib prints while drawing that say nothing the figure does not show: a glyph that
# DejaVu Sans lacks (CJK, emoji) is drawn as a box; a layout squeezed by a large legend still draws.
_DRAW_WARNINGS = (r"Glyph \d+ .*missing from font", r"constrained_layout not applied")

# Drawn under matplotlib's defaults plus these, whatever the user's matplotlibrc or style says.
_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs everywhere
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.alpha": 0.35,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "savefig.facecolor": "white",
    "text.parse_math": False,  # names and "$" amounts are plain text, never mathtext
}

# Order from the bottom of a stack up: held capacity first, pay-per-use last.
TERM_ORDER = ("own_dc", "reserved_3y", "reserved_1y", "on_demand", "spot")
TERM_SHORT = {
    "own_dc": "own data center",
    "reserved_3y": "3-year commitment",
    "reserved_1y": "1-year commitment",
    "on_demand": "on-demand",
    "spot": "spot",
}
# One hue family per term; accelerator/provider pairs within a term get shades of it.
_TERM_CMAP = {
    "own_dc": "Greens",
    "reserved_3y": "Blues",
    "reserved_1y": "Purples",
    "on_demand": "Oranges",
    "spot": "Reds",
}
_SHADES = (0.75, 0.5, 0.9, 0.62, 0.38, 0.83)
_CATEGORY_COLOR = {
    "on_demand": matplotlib.colormaps["Oranges"](0.6),
    "spot": matplotlib.colormaps["Reds"](0.6),
    "reserved_1y": matplotlib.colormaps["Purples"](0.6),
    "reserved_3y": matplotlib.colormaps["Blues"](0.65),
    "egress": (0.55, 0.55, 0.55, 1.0),
    "own_dc_capex": matplotlib.colormaps["Greens"](0.85),
    "own_dc_power": matplotlib.colormaps["Greens"](0.65),
    "own_dc_facility": matplotlib.colormaps["Greens"](0.5),
    "own_dc_operations": matplotlib.colormaps["Greens"](0.35),
}
RENTED_TERMS = ("on_demand", "spot")  # paid per hour used; the other terms are held capacity
_SCENARIOS = {"cloud_only": "cloud only", "own_dc_only": "own data center only", "mixed": "mixed"}
_SCENARIO_STYLE = {
    "cloud_only": {"color": "#d95f02", "marker": "o"},
    "own_dc_only": {"color": "#1b9e77", "marker": "s"},
    "mixed": {"color": "#7570b3", "marker": "D"},
}
_SERVICE_COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.style.context(["default", _RC]):
        yield


def figure_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes: reproducible (no `Software` text; the Agg canvas writes no time).
    Only the cosmetic warnings of `_DRAW_WARNINGS` are silenced; any other warning or error shows."""
    buf = io.BytesIO()
    with _style(), warnings.catch_warnings():
        for message in _DRAW_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=UserWarning)
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def shorten(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars` characters, the last an ellipsis when it was cut."""
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def _title(prefix: str, name: str, suffix: str = "") -> str:
    """A plot title quoting a user's name: the name shortened so that the title fits on one line."""
    return f"{prefix}{shorten(name, max(TITLE_CHARS - len(prefix) - len(suffix), 12))}{suffix}"


# --------------------------------------------------------------------------- data behind the plots


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _month_overlaps(start: float, months: float, horizon: int) -> Iterator[tuple[int, float]]:
    """(month, fraction of that month) covered by [start, start + months), inside the horizon."""
    end = start + months
    for m in range(max(0, math.floor(start)), min(horizon, math.ceil(end))):
        frac = min(end, m + 1.0) - max(start, float(m))
        if frac > 1e-12:
            yield m, frac


CAPACITY_COLUMNS = ["month", "accelerator", "provider", "term", "held_gpus", "used_gpus"]


def capacity_by_month(plan: Plan) -> pd.DataFrame:
    """GPUs per month of the horizon by accelerator, provider and term (hour-weighted averages).

    held_gpus: capacity paid for in the month: rented GPU-hours ÷ 730; commitments and own servers:
      every GPU, for the part of the month they are held.
    used_gpus: GPU-hours that workloads ran on it (rented, or drawn from commitments and own
      servers) ÷ 730.
    A training run's hours per month are the model's own (`plan.usage`, per time segment), so draws
    never exceed what is held; a service's rows are per month and snapshot, so its GPUs are averaged
    over the month's peak, shoulder and base hours.
    """
    horizon = plan.horizon_months
    if plan.allocations.empty:
        return pd.DataFrame(columns=CAPACITY_COLUMNS)
    acc: dict[tuple[int, str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])

    def add(month: int, key: tuple[str, str, str], gpus: float, held: bool) -> None:
        if 0 <= month < horizon:
            cell = acc[(month, *key)]
            cell[1] += gpus
            if held:
                cell[0] += gpus

    rows = _records(plan.allocations)
    hardware = {  # offering -> (accelerator, GPUs per instance), for the usage table's rows
        (r["provider"], r["region"], r["instance_type"]): (
            str(r["accelerator"]),
            float(r["gpus_per_instance"]),
        )
        for r in rows
        if r["row_type"] in ("rent", "draw", "commitment", "purchase")
        and not _missing(r["gpus_per_instance"])
    }
    usage = _records(plan.usage) if not plan.usage.empty else []
    from_usage = set()
    for u in usage:
        hw = hardware.get((u["provider"], u["region"], u["instance_type"]))
        if not _missing(u.get("slice")) or hw is None:
            continue  # services' draws are in the allocation rows already
        from_usage.add(u["workload"])
        gpus = float(u["instance_hours"]) * hw[1] / HOURS_PER_MONTH
        add(int(u["month"]), (hw[0], str(u["provider"]), str(u["term"])), gpus, u["term"] in RENTED_TERMS)
    for r in rows:
        kind = r["row_type"]
        key = (str(r["accelerator"]), str(r["provider"]), str(r["term"]))
        if kind in ("commitment", "purchase"):
            for m, frac in _month_overlaps(float(r["start_month"]), float(r["months"]), horizon):
                acc[(m, *key)][0] += float(r["gpus"]) * frac
        elif kind in ("rent", "draw"):
            held = kind == "rent"
            gpu_hours = float(r["gpu_hours"] or 0.0)
            if not _missing(r.get("slice")):  # a service row: one month and snapshot
                add(int(r["start_month"]), key, gpu_hours / HOURS_PER_MONTH, held)
            elif r["workload"] not in from_usage and float(r["months"] or 0.0) > 0:
                # no usage detail: the run's hours evenly over its wall-clock months
                months = float(r["months"])
                for m, frac in _month_overlaps(float(r["start_month"]), months, horizon):
                    add(m, key, gpu_hours / (months * HOURS_PER_MONTH) * frac, held)
        # egress and site rows hold no GPUs
    out = [
        {
            "month": k[0],
            "accelerator": k[1],
            "provider": k[2],
            "term": k[3],
            "held_gpus": v[0],
            "used_gpus": v[1],
        }
        for k, v in sorted(acc.items())
    ]
    return pd.DataFrame(out, columns=CAPACITY_COLUMNS)


SERVICE_COLUMNS = ["workload", "month", "demand_peak", "supplied_peak", "demand_avg", "supplied_avg"]


def service_by_month(plan: Plan) -> pd.DataFrame:
    """Output tokens/s per service and month: demand and supply in the month's peak snapshot (the
    one with the most demand) and their hour-weighted averages over the month's snapshots."""
    supplied: dict[tuple[str, int, int], float] = defaultdict(float)
    for r in _records(plan.allocations) if not plan.allocations.empty else []:
        if r["row_type"] in ("rent", "draw") and not _missing(r.get("slice")):
            supplied[(str(r["workload"]), int(r["start_month"]), int(r["slice"]))] += float(
                r["tokens_per_s"] or 0.0
            )
    rows = []
    for w in plan.workloads:
        if w.get("kind") != "inference" or not w.get("demand"):
            continue
        by_month: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for d in w["demand"]:
            by_month[int(d["month"])].append(d)
        for m in sorted(by_month):
            slots = by_month[m]
            peak = max(slots, key=lambda d: (float(d["output_tokens_per_s"]), -int(d["slice"])))
            hours = sum(float(d["hours_per_month"]) for d in slots) or 1.0

            got = {int(d["slice"]): supplied.get((w["name"], m, int(d["slice"])), 0.0) for d in slots}
            rows.append(
                {
                    "workload": w["name"],
                    "month": m,
                    "demand_peak": float(peak["output_tokens_per_s"]),
                    "supplied_peak": got[int(peak["slice"])],
                    "demand_avg": sum(
                        float(d["output_tokens_per_s"]) * float(d["hours_per_month"]) for d in slots
                    )
                    / hours,
                    "supplied_avg": sum(got[int(d["slice"])] * float(d["hours_per_month"]) for d in slots)
                    / hours,
                }
            )
    return pd.DataFrame(rows, columns=SERVICE_COLUMNS)


def cost_by_month(plan: Plan, horizon: int | None = None) -> tuple[list[float], float]:
    """USD per month of the horizon and USD after it, each row spread over the months it covers as
    in the comparison's TCO table (commitments and servers evenly over their months; rented rows
    over the run's months; a service row in its month)."""
    from planner.compare import _spread  # the TCO table's rule, so both add up the same

    horizon = plan.horizon_months if horizon is None else horizon
    monthly = [0.0] * horizon
    after = 0.0
    if plan.status not in ("optimal", "feasible") or plan.allocations.empty:
        return monthly, after
    for r in _records(plan.allocations):
        for m, usd in _spread(r, horizon).items():
            if m == "after":
                after += usd
            else:
                monthly[int(m)] += usd
    return monthly, after


# --------------------------------------------------------------------------- helpers


def _usd_tick(x: float, _pos: int | None = None) -> str:
    """Compact USD for axis ticks: $0, $750, $12.5K, $3M, $1.2B."""
    sign, ax = ("-" if x < 0 else ""), abs(x)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if ax >= scale:
            return f"{sign}${ax / scale:,.4g}{suffix}"
    return f"{sign}${ax:,.4g}" if ax >= 1e-9 else "$0"


def _usd_axis(ax: Axes, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(_usd_tick))


def _count_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.3g}"))


def _month_axis(ax: Axes, horizon: int, label: bool = True) -> None:
    ax.set_xlim(-0.6, horizon - 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=min(horizon, 18), integer=True))
    if label:
        ax.set_xlabel("month of the horizon (0 = first month; a month is 730 hours)")


def _edges(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y for a step drawn with where="post" that covers each month from m - 0.5 to m + 0.5."""
    x = np.arange(len(values) + 1) - 0.5
    return x, np.append(values, values[-1] if len(values) else np.nan)


def _no_data(target: Figure | SubFigure, title: str, message: str) -> None:
    ax = target.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, loc="left")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)


def _new_figure(height_in: float) -> Figure:
    with _style():
        return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def _label(acc: str, provider: str, term: str) -> str:
    """The legend entry of a capacity series; the accelerator is never cut (it is what the colour means)."""
    where = "" if term == "own_dc" else f" · {shorten(provider, LEGEND_NAME_CHARS)}"
    return f"{acc}{where} · {TERM_SHORT.get(term, term)}"


# --------------------------------------------------------------------------- capacity


def _draw_capacity(target: Figure | SubFigure, plan: Plan, title: str | None = None) -> None:
    horizon = plan.horizon_months
    cap = capacity_by_month(plan)
    svc = service_by_month(plan)
    title = title or _title("Capacity by month: ", plan.name)
    if cap.empty:
        _no_data(target, title, f"No capacity to show (plan status: {plan.status}).")
        return
    if svc.empty:
        ax = target.add_subplot()
        ax2 = None
    else:
        ax, ax2 = target.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    months = np.arange(horizon)

    totals = cap.groupby(["accelerator", "provider", "term"], sort=True)["held_gpus"].sum()
    order = sorted(
        (k for k in totals.index if totals[k] > 1e-9),
        key=lambda k: (TERM_ORDER.index(k[2]) if k[2] in TERM_ORDER else len(TERM_ORDER), -totals[k], k),
    )
    shown, rest = order[:MAX_SERIES], order[MAX_SERIES:]
    if rest:  # keep the biggest series; the smallest go to "other"
        keep = set(sorted(order, key=lambda k: (-totals[k], k))[: MAX_SERIES - 1])
        shown = [k for k in order if k in keep]
        rest = [k for k in order if k not in keep]
    series: dict[tuple[str, str, str], np.ndarray] = defaultdict(lambda: np.zeros(horizon))
    for r in _records(cap):
        series[(str(r["accelerator"]), str(r["provider"]), str(r["term"]))][int(r["month"])] += float(
            r["held_gpus"]
        )
    bottom = np.zeros(horizon)
    shade_index: dict[str, int] = defaultdict(int)
    for key in shown:
        cmap = matplotlib.colormaps[_TERM_CMAP.get(key[2], "Greys")]
        color = cmap(_SHADES[shade_index[key[2]] % len(_SHADES)])
        shade_index[key[2]] += 1
        ax.bar(months, series[key], bottom=bottom, width=0.8, color=color, label=_label(*key), linewidth=0)
        bottom += series[key]
    if rest:
        values = np.sum([series[k] for k in rest], axis=0)
        ax.bar(months, values, bottom=bottom, width=0.8, color="0.7", label=f"other ({len(rest)} series)")
        bottom += values
    if set(cap["term"]) & {"own_dc", "reserved_1y", "reserved_3y"}:
        used = np.zeros(horizon)
        for m, v in zip(cap["month"], cap["used_gpus"], strict=True):
            used[int(m)] += v
        ax.step(*_edges(used), where="post", color="black", linewidth=1.4, label="GPUs in use (all terms)")
    ax.set_title(title, loc="left")
    ax.set_ylabel("GPUs (hour-weighted\nmonthly average)")
    ax.set_ylim(0, max(float(bottom.max()), 1.0) * 1.08)
    _count_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="accelerator · provider · term")
    _month_axis(ax, horizon, label=ax2 is None)
    if ax2 is None:
        return
    top = 1.0
    for i, (workload, grp) in enumerate(svc.groupby("workload", sort=False)):
        name = shorten(str(workload), LEGEND_NAME_CHARS)
        svc_color = _SERVICE_COLORS[i % len(_SERVICE_COLORS)]
        arrays = {c: np.full(horizon, np.nan) for c in ("supplied_peak", "demand_peak", "demand_avg")}
        for c, a in arrays.items():  # NaN in months the service does not run: no line there
            a[grp["month"].to_numpy(dtype=int)] = grp[c].to_numpy(dtype=float)
        x, supplied = _edges(arrays["supplied_peak"])
        ax2.fill_between(x, np.nan_to_num(supplied), step="post", color=svc_color, alpha=0.18, linewidth=0)
        ax2.step(x, supplied, where="post", color=svc_color, linewidth=1.2, label=f"{name}: supplied, peak")
        ax2.plot(
            months,
            arrays["demand_peak"],
            color=svc_color,
            marker="o",
            markersize=3.5,
            linestyle="none",
            label=f"{name}: demand, peak",
        )
        ax2.plot(
            months,
            arrays["demand_avg"],
            color=svc_color,
            linestyle="--",
            linewidth=1.0,
            label=f"{name}: demand, hour-weighted average",
        )
        top = max(top, float(np.nanmax(np.concatenate([arrays["supplied_peak"], arrays["demand_peak"]]))))
    ax2.set_ylim(0, top * 1.1)
    ax2.set_title("Output tokens/s: supplied vs demand (peak snapshot of each month)", loc="left")
    ax2.set_ylabel("output tokens/s")
    _count_axis(ax2)
    ax2.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _month_axis(ax2, horizon)


def _capacity_height(plan: Plan) -> float:
    return 7.5 if not service_by_month(plan).empty else 4.6


def capacity_figure(plan: Plan, title: str | None = None) -> Figure:
    """GPUs per month of the horizon, stacked by accelerator · provider · term (hour-weighted monthly
    averages: rented GPU-hours ÷ 730; commitments and own servers: held), with a black step line for
    the GPUs in use when commitments or own servers hold capacity; with inference services, a second
    panel of output tokens/s supplied vs demand in each month's peak snapshot (and the average demand)."""
    fig = _new_figure(_capacity_height(plan))
    with _style():
        _draw_capacity(fig, plan, title)
    return fig


# --------------------------------------------------------------------------- cost breakdown


def _cost_items(plan: Plan) -> list[tuple[str, str, float]]:
    from planner.report import _TERM_LABEL

    return [(k, _TERM_LABEL.get(k, k), float(v)) for k, v in plan.cost_breakdown.items() if abs(v) > 0.005]


def _draw_plan_costs(target: Figure | SubFigure, plan: Plan, title: str | None = None) -> None:
    items = _cost_items(plan)
    title = title or _title("Cost by term: ", plan.name)
    if not items:
        _no_data(target, title, f"No costs to show (plan status: {plan.status}).")
        return
    ax = target.add_subplot()
    y = np.arange(len(items))[::-1]
    values = [v for _, _, v in items]
    ax.barh(y, values, color=[_CATEGORY_COLOR.get(k, "0.6") for k, _, _ in items], height=0.6)
    ax.set_yticks(y, [label for _, label, _ in items])
    total = sum(values)
    for yi, v in zip(y, values, strict=True):
        share = f" ({v / total:.0%})" if total > 0 else ""
        ax.text(v, yi, f"  {format_usd(v)}{share}", va="center", ha="left")
    ax.set_xlim(min(0.0, min(values)) * 1.1, max(max(values), 1.0) * 1.3)
    _usd_axis(ax, "x")
    ax.grid(axis="x", alpha=0.35)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"USD over the horizon (total {format_usd(total)})")
    ax.set_title(title, loc="left")


def _draw_comparison_costs(target: Figure | SubFigure, comparison: Comparison) -> None:
    table = comparison.tco_table()
    scenarios = [k for k, p in comparison.scenarios().items() if p.status in ("optimal", "feasible")]
    title = _title("Cost by category and scenario: ", comparison.name)
    if not scenarios:
        _no_data(target, title, "No scenario has a plan.")
        return
    ax = target.add_subplot()
    y = np.arange(len(scenarios))[::-1]
    left = np.zeros(len(scenarios))
    for row in table:
        values = np.array([float(row[s]["total_usd"] or 0.0) for s in scenarios])
        if not np.any(np.abs(values) > 0.005):
            continue
        ax.barh(
            y,
            values,
            left=left,
            height=0.55,
            color=_CATEGORY_COLOR.get(row["category"], "0.6"),
            label=row["label"],
        )
        left += values
    for yi, total in zip(y, left, strict=True):
        ax.text(total, yi, f"  {format_usd(float(total))}", va="center", ha="left", fontweight="bold")
    ax.set_yticks(y, [_SCENARIOS[s] for s in scenarios])
    ax.set_xlim(0, max(float(left.max()), 1.0) * 1.18)
    _usd_axis(ax, "x")
    ax.grid(axis="x", alpha=0.35)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("USD over the horizon (commitments running past it included)")
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="category")
    missing = [_SCENARIOS[k] for k, p in comparison.scenarios().items() if k not in scenarios]
    if missing:
        ax.text(
            0.0,
            -0.22,
            f"no plan: {', '.join(missing)} (infeasible; see the diagnosis)",
            transform=ax.transAxes,
            fontsize=8.5,
            color="0.3",
        )


def cost_breakdown_figure(obj: Plan | Comparison) -> Figure:
    """A plan: horizontal bars of USD by term (on-demand, spot, commitments, egress, own data center
    categories) with amounts and shares. A comparison: one stacked bar per scenario that has a plan,
    by cost category, with its total."""
    if isinstance(obj, Plan):
        n = len(_cost_items(obj))
        fig = _new_figure(1.4 + 0.42 * max(n, 1))
        with _style():
            _draw_plan_costs(fig, obj)
        return fig
    fig = _new_figure(3.4)
    with _style():
        _draw_comparison_costs(fig, obj)
    return fig


# --------------------------------------------------------------------------- cumulative cost


def _draw_cumulative(target: Figure | SubFigure, comparison: Comparison) -> None:
    horizon = comparison.horizon_months
    title = _title("Cumulative cost: cloud only vs own data center (", comparison.name, ")")
    series: dict[str, np.ndarray] = {}
    afters: dict[str, float] = {}
    for key, p in comparison.scenarios().items():
        if p.status not in ("optimal", "feasible"):
            continue
        monthly, after = cost_by_month(p, horizon)
        series[key] = np.cumsum(monthly)
        afters[key] = after
    if not series:
        _no_data(target, title, "No scenario has a plan.")
        return
    ax = target.add_subplot()
    x = np.arange(horizon)  # cost paid through the end of month x
    extra = any(abs(a) > 0.005 for a in afters.values())
    for key, cum in series.items():
        style = _SCENARIO_STYLE[key]
        ax.plot(
            x,
            cum,
            color=style["color"],
            marker=style["marker"],
            markersize=3,
            linewidth=1.6,
            label=f"{_SCENARIOS[key]}: {format_usd(float(cum[-1] + afters[key]))}",
        )
        if extra:
            ax.plot(
                [horizon - 1, horizon],
                [cum[-1], cum[-1] + afters[key]],
                color=style["color"],
                linestyle=":",
                linewidth=1.4,
            )
    if "cloud_only" in series and "mixed" in series:
        cheaper = np.nonzero(series["mixed"] < series["cloud_only"] - 0.5)[0]
        if (
            cheaper.size
            and cheaper[0] > 0
            and np.all(series["mixed"][cheaper[0] :] < series["cloud_only"][cheaper[0] :])
        ):
            month = int(x[cheaper[0]])
            ax.axvline(month, color="0.4", linestyle=":", linewidth=1.0)
            ax.annotate(
                f"mixed cheaper from month {month} on",
                xy=(month, 0),
                xytext=(4, 6),
                textcoords="offset points",
                fontsize=8.5,
                color="0.25",
            )
    ax.set_xlim(-0.6, horizon - (0.4 if not extra else -0.6))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=min(horizon, 18), integer=True))
    ax.set_xlabel(
        "month of the horizon (cost paid through the end of the month)"
        + ("; dotted: commitment months paid after the horizon" if extra else "")
    )
    ax.set_ylabel("cumulative cost (USD)")
    ax.set_ylim(0, None)
    _usd_axis(ax)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", title="scenario: total")
    own = comparison.own_dc_only
    if own.status not in ("optimal", "feasible"):
        ax.text(
            0.99,
            0.03,
            f"own data center only: {own.status} (see the diagnosis)",
            transform=ax.transAxes,
            ha="right",
            fontsize=8.5,
            color="0.3",
        )


def cumulative_cost_figure(comparison: Comparison) -> Figure:
    """USD paid by the end of each month, per scenario (commitments and servers spread over the
    months they cover, as in the TCO table), and where the mixed plan becomes cheaper for good."""
    fig = _new_figure(4.6)
    with _style():
        _draw_cumulative(fig, comparison)
    return fig


# --------------------------------------------------------------------------- all plots


def figures(obj: Plan | Comparison) -> list[tuple[str, Figure]]:
    """The report's figures with a short id each: a plan's capacity and cost; a comparison's
    cumulative cost, cost by scenario, and the capacity of its mixed and cloud-only plans."""
    if isinstance(obj, Plan):
        if obj.status not in ("optimal", "feasible"):
            return []
        return [("capacity", capacity_figure(obj)), ("cost", cost_breakdown_figure(obj))]
    out = [("cumulative-cost", cumulative_cost_figure(obj)), ("cost", cost_breakdown_figure(obj))]
    for key in ("mixed", "cloud_only"):
        p = obj.scenarios()[key]
        if p.status in ("optimal", "feasible"):
            out.append((f"capacity-{key}", capacity_figure(p, f"Capacity by month: {_SCENARIOS[key]}")))
    return out


def _panels(obj: Plan | Comparison) -> list[tuple[float, Any]]:
    """(height in inches, draw function) of each plot, for `combined_figure`."""
    if isinstance(obj, Plan):
        if obj.status not in ("optimal", "feasible"):
            return []
        n = len(_cost_items(obj))
        return [
            (_capacity_height(obj), lambda t: _draw_capacity(t, obj)),
            (1.4 + 0.42 * max(n, 1), lambda t: _draw_plan_costs(t, obj)),
        ]
    panels: list[tuple[float, Any]] = [
        (4.6, lambda t: _draw_cumulative(t, obj)),
        (3.4, lambda t: _draw_comparison_costs(t, obj)),
    ]
    for key in ("mixed", "cloud_only"):
        p = obj.scenarios()[key]
        if p.status in ("optimal", "feasible"):
            title = f"Capacity by month: {_SCENARIOS[key]}"
            panels.append((_capacity_height(p), lambda t, p=p, title=title: _draw_capacity(t, p, title)))
    return panels


def combined_figure(obj: Plan | Comparison) -> Figure:
    """Every plot of `figures(obj)` stacked in one figure (the `--format png` output); a plan without
    a solution gives a one-line figure saying so."""
    panels = _panels(obj)
    if not panels:
        fig = _new_figure(1.2)
        with _style():
            _no_data(
                fig,
                _title("Plan: ", obj.name),
                f"No plan to plot: status {getattr(obj, 'status', '?')}.",
            )
        return fig
    fig = _new_figure(sum(h for h, _ in panels))
    with _style():
        targets: list[Figure | SubFigure] = [fig]
        if len(panels) > 1:
            subs = fig.subfigures(len(panels), 1, height_ratios=[h for h, _ in panels])
            targets = list(np.asarray(subs, dtype=object).ravel())
        for target, (_, draw) in zip(targets, panels, strict=True):
            draw(target)
    return fig
