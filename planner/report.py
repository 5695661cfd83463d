"""Render plans for people and programs: text, markdown and JSON (no printing anywhere else).

Every figure carries its unit: dollars are formatted with `$`, column headers name their units.
"""

from __future__ import annotations

import html
import math
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pandas as pd
from tabulate import tabulate

from planner.io import json_text
from planner.result import (
    Plan,
    excluded_accelerators_sentence,
    exclusion_summary,
    runner_ups_by_workload,
)
from planner.units import format_count, format_usd

_TERM_LABEL = {
    "on_demand": "on-demand",
    "spot": "spot",
    "reserved_1y": "1-year commitment",
    "reserved_3y": "3-year commitment",
    "own_dc": "own data center",
    "egress": "internet egress",
    "own_dc_capex": "own data center: servers (capex less value at horizon end)",
    "own_dc_power": "own data center: power",
    "own_dc_facility": "own data center: colocation / facility",
    "own_dc_operations": "own data center: staff and maintenance",
}


def to_json(plan: Plan, timings: bool = False) -> str:
    """Deterministic JSON (sorted keys, rounded floats); timings only when asked for."""
    return json_text(plan.to_dict(timings=timings), ensure_ascii=False)


def _usd(x: Any) -> str:
    return "" if _missing(x) else format_usd(float(x))


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and pd.isna(x))


def _num(x: Any, digits: int = 0) -> str:
    return "" if _missing(x) else f"{float(x):,.{digits}f}"


def _text(x: Any) -> str:
    """A label cell: blank where the row has none (an own-data-center site row has no accelerator)."""
    return "" if _missing(x) else str(x)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]


def _aggregated_rows(plan: Plan) -> list[dict[str, Any]]:
    """Allocation rows with service rows (one per month and snapshot) summed per offering and term;
    the full per-slot rows are in the JSON (`allocations`)."""
    out: list[dict[str, Any]] = []
    merged: dict[tuple, dict[str, Any]] = {}
    for r in _records(plan.allocations):
        if _missing(r.get("slice")):
            out.append(r)
            continue
        key = (r["workload"], r["row_type"], r["term"], r["provider"], r["region"], r["instance_type"])
        if key not in merged:
            merged[key] = {
                **r,
                "gpus": 0.0,
                "gpu_hours": 0.0,
                "cost_usd": 0.0,
                "_first": r["start_month"],
                "_last": r["start_month"],
            }
            out.append(merged[key])
        m = merged[key]
        m["gpu_hours"] += r["gpu_hours"]
        m["cost_usd"] += r["cost_usd"]
        m["gpus"] = max(m["gpus"], r["gpus"])  # peak GPUs in any slot
        m["_first"], m["_last"] = min(m["_first"], r["start_month"]), max(m["_last"], r["start_month"])
    for m in merged.values():
        m["start_month"], m["months"] = m.pop("_first"), m.pop("_last") - m["start_month"] + 1
    return out


class _Table(str):
    """Rendered markdown (a table, a heading): escaped already, render_text leaves it as it is."""


def _headings(md: bool) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """(heading, title) makers: in markdown the text is escaped and the '#'s stay markup."""
    if md:
        return (lambda t: _Table(f"\n## {_md_text(t)}\n")), (lambda t: _Table(f"# {_md_text(t)}"))
    return (lambda t: f"\n{t}\n{'-' * len(t)}"), (lambda t: t)


# Characters that CommonMark (and GitHub's tables and strikethrough) act on anywhere in a line:
# code spans, emphasis, links and images ('[' ... '](' ...), headings' closing '#'s, table cells.
# A backslash before ASCII punctuation makes it literal (CommonMark 0.31, section 2.4).
_MD_ALWAYS = re.compile(r"([\\`*~\[\]#|])")
# '_' opens or closes emphasis only next to a space, punctuation or the line's end: a run of '_'
# between two letters or digits (reserved_1y, datacrunch__1xV100) is literal (CommonMark 6.2).
_MD_UNDERSCORES = re.compile(r"_+")


def _underscores(m: re.Match[str]) -> str:
    text, start, end = m.string, m.start(), m.end()
    if start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum():
        return m.group()
    return m.group().replace("_", "\\_")


def _md_text(text: str) -> str:
    """User text (names, and sentences that quote them) shown literally in markdown, never as markup.

    '&', '<', '>' become HTML entities (no raw HTML, no autolink '<http://...>', no entity the user
    wrote); backslash, backtick, '*', '~', '[', ']', '#' and '|' are backslash-escaped everywhere; '_'
    except inside a word. A line break would let the next line start a block (a heading, a link
    definition), so it becomes a space. List markers ('-', '+', '1.') act only where a block starts:
    `_md_line` escapes them there; hyphens and dots inside names (llama-2-70b, us-east-1) stay."""
    text = " ".join(text.splitlines())
    text = _MD_ALWAYS.sub(r"\\\1", html.escape(text, quote=False))
    return _MD_UNDERSCORES.sub(_underscores, text)


# A list marker where a block starts (the start of a line or of a list item's text) opens a nested
# list: '- - x', '- 1. x' (CommonMark 5.2, 5.3). '*', '#', '>' and '`' are escaped everywhere already.
_MD_BLOCK_MARKER = re.compile(r"^([-+]|\d{1,9}[.)])(?=\s|$)")


def _md_line(line: str) -> str:
    """One report line in markdown: a list item's '- ' stays markup, the rest is escaped text."""
    prefix = "- " if line.startswith("- ") else ""
    text = _md_text(line[len(prefix) :])
    return prefix + _MD_BLOCK_MARKER.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], text)


def _cells(rows: list[list[Any]], fmt: str) -> list[list[Any]]:
    """Markdown table cells escaped as text (a '|' in a name would split its cell, '<' start HTML)."""
    if fmt != "github":
        return rows
    return [[_md_text(str(c)) for c in row] for row in rows]


def allocation_table(plan: Plan, fmt: str = "simple") -> str:
    """Purchases (rent, commitment, egress rows) and draws, with units in the headers. Service rows
    are summed per offering and term (GPUs: the peak over the month-snapshots)."""
    if plan.allocations.empty:
        return "(no allocations)"
    rows = []
    for r in _aggregated_rows(plan):
        util = r.get("utilization")
        rows.append(
            [
                r["workload"],
                r["row_type"],
                _TERM_LABEL.get(r["term"], r["term"]),
                f"{r['provider']}/{r['region']}",
                _text(r["instance_type"]),
                _text(r["accelerator"]),
                _num(r["gpus"]),
                _num(r["start_month"]),
                _num(r["months"], 2),
                _num(r["gpu_hours"]),
                "" if _missing(util) else f"{util:.0%}",
                _usd(r["price_per_hour_usd"]),
                _usd(r["cost_usd"]),
            ]
        )
    headers = [
        "workload", "row", "term", "provider/region", "instance", "accelerator", "GPUs",
        "start month", "months", "GPU-hours", "used", "USD/instance-hour", "cost (USD)",
    ]  # fmt: skip
    return _Table(tabulate(_cells(rows, fmt), headers=headers, tablefmt=fmt, disable_numparse=True))


def service_table(plan: Plan, w: dict[str, Any], fmt: str = "simple") -> str:
    """Per month and snapshot: demand, output tokens/s supplied, and GPUs by term."""
    supplied: dict[tuple[int, int], float] = defaultdict(float)
    gpus: dict[tuple[int, int, str], float] = defaultdict(float)
    for r in plan.allocations.to_dict(orient="records"):
        if r["workload"] != w["name"] or _missing(r.get("slice")):
            continue
        key = (int(r["start_month"]), int(r["slice"]))
        supplied[key] += r["tokens_per_s"] or 0.0
        gpus[(*key, r["term"])] += r["gpus"]
    terms = sorted({t for (_, _, t) in gpus})
    rows = []
    for d in w["demand"]:
        key = (int(d["month"]), int(d["slice"]))
        rows.append(
            [
                d["month"],
                d["snapshot"],
                _num(d["hours_per_day"], 1),
                _num(d["requests_per_s"], 1),
                _num(d["output_tokens_per_s"]),
                _num(supplied.get(key, 0.0)),
            ]
            + [_num(gpus.get((*key, t), 0.0)) for t in terms]
        )
    headers = ["month", "snapshot", "h/day", "requests/s", "demand tok/s", "supplied tok/s"] + [
        f"GPUs {_TERM_LABEL.get(t, t)}" for t in terms
    ]
    return _Table(tabulate(_cells(rows, fmt), headers=headers, tablefmt=fmt, disable_numparse=True))


def workload_lines(plan: Plan) -> list[str]:
    lines = []
    for w in plan.workloads:
        if w.get("kind") == "inference":
            targets = (
                ", ".join(
                    x
                    for x in (
                        f"TPOT ≤ {w['tpot_ms']:g} ms" if w.get("tpot_ms") else "",
                        f"TTFT ≤ {w['ttft_ms']:g} ms" if w.get("ttft_ms") else "",
                    )
                    if x
                )
                or "no latency targets (batch)"
            )
            cov = w.get("committed_coverage") or {}
            low, high = (f"{f(cov.values()):.0%}" for f in (min, max)) if cov else ("", "")
            covered = (
                f"; committed capacity serves {low if low == high else f'{low}-{high}'} of monthly output"
                if cov and max(cov.values()) > 0
                else ""
            )
            lines.append(
                f"- {w['name']} (inference, {w['model']} {w['precision']}, {targets}): {w['requests']:,.0f} requests, "
                f"{format_count(w['flops'])} FLOPs, {w['gpu_hours']:,.0f} GPU-hours{covered}"
            )
            continue
        if w.get("kind") == "training":
            c = w.get("cluster")
            if not c:
                lines.append(f"- {w['name']} (training, {format_count(w['flops'])} FLOPs): no cluster")
                continue
            finish = w.get("finish_days")
            lines.append(
                f"- {w['name']} (training): {format_count(w['flops'])} FLOPs on {c['instances']:,} x "
                f"{c['instance_type']} = {c['gpus']:,} {c['accelerator']} at {c['provider']}/{c['region']}; "
                f"{w['gpu_hours']:,.0f} GPU-hours; finishes in {finish:.1f} of {w['deadline_days']:g} days "
                f"(MFU {w['mfu']:.2f}, goodput {w['goodput']:.2f}, scaling efficiency {w['scaling_efficiency']:.2f})"
            )
    return lines


def render_text(plan: Plan, fmt: str = "simple") -> str:
    """The plan, its costs and its explanation in plain sentences (fmt: tabulate table format)."""
    md = fmt == "github"
    h, title = _headings(md)
    out = [title(f"Plan: {plan.name}")]
    gap = f", proven gap {plan.solver.mip_gap:.3%}" if plan.solver.mip_gap is not None else ""
    out.append(
        f"status: {plan.status} ({plan.solver.name}{gap}); catalog: {plan.catalog}; horizon: {_months(plan.horizon_months)}"
    )
    if plan.total_cost_usd is not None:
        budget = f" of a {format_usd(plan.budget_usd)} budget" if plan.budget_usd else ""
        out.append(f"total cost: {format_usd(plan.total_cost_usd)}{budget}")
    out += [f"note: {n}" for n in plan.notes]
    if plan.status == "infeasible":
        out.append(h("Why there is no plan"))
        out += [f"- {d.message}" for d in plan.diagnosis]
    else:
        out.append(h("Workloads"))
        out += workload_lines(plan)
        for svc in plan.workloads:
            if svc.get("kind") == "inference":
                out.append(h(f"Service {svc['name']}: demand and capacity by month and snapshot"))
                out.append(service_table(plan, svc, fmt))
        if plan.cost_breakdown:
            out.append(h("Cost by term"))
            out += [
                f"- {_TERM_LABEL.get(k, k)}: {format_usd(v)}"
                for k, v in plan.cost_breakdown.items()
                if abs(v) > 0.005
            ]
        out.append(h("Allocations"))
        out.append(allocation_table(plan, fmt))
        if plan.binding:
            out.append(h("What binds and what it costs"))
            for b in plan.binding:
                name = _md_text(b.name) if md else b.name  # its brackets are markup-free text
                line = f"- [{name}] {_md_text(b.explanation) if md else b.explanation}"
                out.append(_Table(line) if md else line)
        if plan.what_ifs:
            out.append(h("What if"))
            for w in plan.what_ifs:
                if w.cost_usd is None:
                    out.append(f"- {w.description}: {w.status} (no plan)")
                else:
                    bound = "" if w.mip_gap is None else f"; time limit: within {w.mip_gap:.1%} of optimal"
                    out.append(f"- {w.description}: {format_usd(w.cost_usd)} ({_signed(w.delta_usd)}{bound})")
        if plan.runner_ups:
            out.append(h("Runner-ups"))
            for workload, compared, excluded in runner_ups_by_workload(plan.runner_ups):
                for r in compared:
                    what = f"{r.kind} {r.label}"
                    if r.cost_usd is None:
                        out.append(f"- {workload}, {what}: {r.status}: {r.reason}")
                    else:
                        where = f" on {r.offering}" if r.offering else ""
                        out.append(f"- {workload}, {what}: {format_usd(r.cost_usd)}{where}: {r.reason}")
                if excluded:
                    out.append(f"- {workload}: {excluded_accelerators_sentence(excluded)}")
    excl = exclusion_summary(plan.exclusions)
    if excl:
        out.append(h("Excluded offerings"))
        for e in excl:
            out.append(f"- {e['workload']}: {e['offerings']:,} excluded ({e['code']}), e.g. {e['example']}")
    if plan.verification.checks:
        v = plan.verification
        out.append(h("Verification"))
        out.append(f"independent check: {'passed' if v.ok else 'FAILED'} ({len(v.checks)} checks)")
        out += [f"- FAILED {c.name}: {c.detail}" for c in v.failures()]
    if md:
        out = [line if isinstance(line, _Table) else _md_line(line) for line in out]
    return "\n".join(out) + "\n"


def _signed(x: float | None) -> str:
    if x is None:
        return ""
    if abs(x) < 0.005:
        return "no change"
    return f"+{format_usd(x)}" if x > 0 else format_usd(x)


def render_markdown(plan: Plan) -> str:
    return render_text(plan, fmt="github")


def tco_tables(comparison: Any, scenarios: list[str], years: int) -> tuple[list[list[str]], list[list[str]]]:
    """The comparison's TCO as display rows: by cost category (total over the horizon; categories
    that are zero everywhere left out) and by year (plus what falls after the horizon, if any)."""
    tco = comparison.tco_table()
    by_category = []
    for row in tco:
        totals = [row[k]["total_usd"] for k in scenarios]
        if any(t and abs(t) > 0.005 for t in totals):
            by_category.append(
                [row["label"], *(_usd(t) if t is not None and abs(t) > 0.005 else "" for t in totals)]
            )
    by_year = []
    for i in range(years):
        cells = []
        for k in scenarios:
            vals = [row[k]["per_year_usd"][i] for row in tco if row[k]["total_usd"] is not None]
            cells.append(_usd(sum(vals)) if vals else "")
        by_year.append([f"year {i + 1}", *cells])
    after = [
        sum(row[k]["after_horizon_usd"] for row in tco if row[k]["total_usd"] is not None) for k in scenarios
    ]
    if any(abs(a) > 0.005 for a in after):
        by_year.append(["after the horizon", *(_usd(a) for a in after)])
    return by_category, by_year


def render_comparison(comparison: Any, fmt: str = "simple") -> str:
    """Cloud only vs own data center only vs mixed: TCO per year and in total, break-even, and the
    mixed plan with its explanation."""
    md = fmt == "github"
    h, title = _headings(md)
    out = [title(f"Compare: {comparison.name}")]
    out.append(f"horizon: {_months(comparison.horizon_months)}; the same demand planned three ways")
    names = {"cloud_only": "cloud only", "own_dc_only": "own data center only", "mixed": "mixed"}
    out.append(h("Total cost of ownership (USD)"))
    summary = []
    for key, p in comparison.scenarios().items():
        total = format_usd(p.total_cost_usd) if p.total_cost_usd is not None else p.status
        summary.append([names[key], p.status, total])
    out.append(
        _Table(
            tabulate(
                _cells(summary, fmt),
                headers=["scenario", "status", "total"],
                tablefmt=fmt,
                disable_numparse=True,
            )
        )
    )
    years = math.ceil(comparison.horizon_months / 12)
    table, per_year = tco_tables(comparison, list(names), years)
    out.append(h("By category (USD over the horizon)"))
    out.append(
        _Table(
            tabulate(
                _cells(table, fmt), headers=["cost", *names.values()], tablefmt=fmt, disable_numparse=True
            )
        )
    )
    out.append(h("By year (USD; commitments and servers spread over the months they cover)"))
    out.append(
        _Table(
            tabulate(
                _cells(per_year, fmt), headers=["", *names.values()], tablefmt=fmt, disable_numparse=True
            )
        )
    )
    be = comparison.break_even
    out.append(h("Break-even"))
    out.append(f"- {be.get('explanation', 'not computed')}")
    if be.get("utilization_explanation"):
        out.append(f"- {be['utilization_explanation']}")
    own = comparison.own_dc_only
    if own.status == "infeasible":
        out.append(h("Own data center only"))
        out += [f"- {d.message}" for d in own.diagnosis]
    out.append(h("The mixed plan"))
    if md:  # the diagnosis and break-even sentences quote names; render_text escapes its own lines
        out = [line if isinstance(line, _Table) else _md_line(line) for line in out]
    out.append(render_text(comparison.mixed, fmt))
    return "\n".join(out) + "\n"


def _months(n: int) -> str:
    return f"{n} month{'' if n == 1 else 's'}"
