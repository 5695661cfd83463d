"""Self-contained HTML and PNG reports of a plan or a comparison (`--format html|png`).

`render_html` returns one HTML5 document: inline CSS, the plots of `planner.plots` embedded as
`data:image/png;base64` images, and the tables and explanation of the text report. It refers to
nothing outside itself (no scripts, no fonts, no stylesheets, no URLs), so it opens offline and can
be mailed or archived as one file. Every string that comes from a budget file, a catalog or the
planner's own sentences is escaped with `html.escape`.

`render_png` returns the plots alone, stacked in one PNG.

Both are deterministic: the same plan gives byte-identical output (no timestamps, no timings).
"""

from __future__ import annotations

import base64
import html
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from planner import __version__, plots
from planner.report import (
    _TERM_LABEL,
    _aggregated_rows,
    _missing,
    _num,
    _signed,
    _usd,
    tco_tables,
    workload_lines,
)
from planner.result import (
    BindingConstraint,
    Plan,
    excluded_accelerators_sentence,
    exclusion_summary,
    runner_ups_by_workload,
)
from planner.units import format_usd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from planner.compare import Comparison

_WRAP_CHARS = 48  # a column with a longer cell is a column of sentences: it wraps
MAX_DETAIL_ROWS = 500  # all allocation rows (per month and snapshot) are listed up to this many

_SCENARIOS = {"cloud_only": "cloud only", "own_dc_only": "own data center only", "mixed": "mixed"}

_CSS = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --head: #f3f5f8; --accent: #3b4c8c; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7em; margin: 0 0 .3em; }
h2 { font-size: 1.3em; margin: 1.8em 0 .5em; padding-bottom: .2em; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1em; margin: 1.4em 0 .4em; }
h4 { font-size: 1em; margin: 1.2em 0 .3em; }
nav { font-size: .9em; color: var(--muted); margin: .4em 0 1em; }
nav a { margin-right: .9em; color: var(--accent); text-decoration: none; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25em 1.2em; margin: 1em 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; }
.total { font-size: 1.25em; font-weight: 700; }
.status { display: inline-block; padding: 0 .55em; border-radius: .8em; font-weight: 600; font-size: .9em; }
.status-optimal { background: #dff3e4; color: #17602c; }
.status-feasible { background: #fff1cc; color: #7a5300; }
.status-infeasible, .status-error, .failed { background: #fde0de; color: #8f1d14; }
.passed { color: #17602c; font-weight: 600; }
.note { color: var(--muted); font-size: .92em; }
.scroll { overflow-x: auto; margin: .5em 0 1em; }
table { border-collapse: collapse; font-size: .84em; }
th, td { border-bottom: 1px solid var(--line); padding: .3em .6em; text-align: left; vertical-align: top;
  white-space: nowrap; }
td.text { white-space: normal; min-width: 22em; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .95em; }
td.code.text { min-width: 14em; overflow-wrap: anywhere; }
tr.sum td { font-weight: 700; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .9em; max-width: 60em; }
details { margin: .6em 0; }
summary { cursor: pointer; color: var(--accent); }
ul.tight { margin: .3em 0; padding-left: 1.3em; }
footer { margin-top: 3em; color: var(--muted); font-size: .85em; }
@media print { nav, details > summary { display: none; } details { display: block; } }
"""

# Short labels of the table of contents (section id -> label); other sections use their title.
_NAV = {
    "diagnosis": "Diagnosis",
    "costs": "Costs",
    "binding": "Binding constraints",
    "what-ifs": "What-ifs",
    "categories": "By category",
    "years": "By year",
    "own-dc-only": "Own data center only",
    "tco": "TCO",
}

_CAPTIONS = {
    "capacity": (
        "GPUs in each month of the horizon, stacked by accelerator · provider · term. Rented capacity "
        "(on-demand, spot) is the hour-weighted monthly average (GPU-hours ÷ 730); commitments and own "
        "servers count as held for every hour of the months they cover. The black line is the GPUs in "
        "use; the gap above it is idle committed capacity. With inference services, the lower panel "
        "shows output tokens/s supplied against demand in each month's peak snapshot, and the "
        "hour-weighted average demand (dashed)."
    ),
    "cost": "Cost of the plan by purchase term, in USD over the horizon, with each term's share.",
    "cumulative-cost": (
        "USD paid through the end of each month for each scenario that has a plan; commitments and own "
        "servers are spread evenly over the months they cover, as in the TCO table. The dotted line "
        "marks the month from which the mixed plan stays cheaper than cloud only."
    ),
    "cost-comparison": "Total cost of each scenario over the horizon, in USD, by cost category.",
}


# --------------------------------------------------------------------------- HTML helpers


def _e(x: Any) -> str:
    """Escape any value for HTML text or an attribute."""
    return html.escape("" if x is None else str(x), quote=True)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: Iterable[int] = (),
    code: Iterable[int] = (),
) -> str:
    """An escaped table: `numeric` columns right-aligned, `code` columns monospaced; cells do not
    wrap, except in columns of sentences (any cell longer than `_WRAP_CHARS`)."""
    rows = [[_e(c) for c in row] for row in rows]
    num, mono = set(numeric), set(code)
    text = {i for row in rows for i, c in enumerate(row) if len(c) > _WRAP_CHARS}

    def cls(i: int, head: bool = False) -> str:
        flags = (("num", i in num), ("code", i in mono and not head), ("text", i in text and not head))
        names = [n for n, on in flags if on]
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{cls(i, head=True)}>{_e(h)}</th>" for i, h in enumerate(headers))
    body = "\n".join(
        "<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>'


def _ul(items: Iterable[str]) -> str:
    lis = "".join(f"<li>{_e(i)}</li>" for i in items)
    return f'<ul class="tight">{lis}</ul>' if lis else ""


def _status(status: str) -> str:
    return f'<span class="status status-{_e(status)}">{_e(status)}</span>'


def _img(fig: Figure, alt: str) -> str:
    png = plots.figure_png(fig)
    w, h = (round(v * plots.DPI) for v in fig.get_size_inches())
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" width="{w}" height="{h}" alt="{_e(alt)}">'


def _figure(fig_id: str, fig: Figure, alt: str, caption: str) -> str:
    return f'<figure id="{_e(fig_id)}">{_img(fig, alt)}<figcaption>{_e(caption)}</figcaption></figure>'


def _section(sid: str, title: str, level: int, body: str) -> str:
    return f'<section id="{_e(sid)}">\n<h{level}>{_e(title)}</h{level}>\n{body}\n</section>'


def _document(title: str, nav: list[tuple[str, str]], body: str) -> str:
    links = "".join(f'<a href="#{_e(i)}">{_e(t)}</a>' for i, t in nav)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="planner {_e(__version__)}">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_e(title)}</h1>\n<nav>{links}</nav>\n{body}\n"
        f"<footer>Generated by planner {_e(__version__)}. Self-contained: this file loads nothing "
        "from the network. Money in USD; a month is 730 hours; months are numbered from 0.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- plan sections


def _summary(plan: Plan) -> str:
    gap = f", proven gap {plan.solver.mip_gap:.3%}" if plan.solver.mip_gap is not None else ""
    items = [("status", _status(plan.status))]
    if plan.total_cost_usd is not None:
        budget = f" of a {_e(format_usd(plan.budget_usd))} budget" if plan.budget_usd else ""
        items.append(
            ("total cost", f'<span class="total">{_e(format_usd(plan.total_cost_usd))}</span>{budget}')
        )
    elif plan.budget_usd:
        items.append(("budget", _e(format_usd(plan.budget_usd))))
    items += [
        ("solver", _e(f"{plan.solver.name} ({plan.solver.termination}{gap})")),
        ("catalog", _e(plan.catalog)),
        ("horizon", _e(f"{plan.horizon_months} months")),
    ]
    if plan.verification.checks:
        v = plan.verification
        verdict = (
            '<span class="passed">passed</span>' if v.ok else '<span class="status failed">FAILED</span>'
        )
        items.append(("independent check", f"{verdict} ({len(v.checks)} checks)"))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items)
    notes = "".join(f'<p class="note">Note: {_e(n)}</p>' for n in plan.notes)
    return f'<dl class="summary">{dl}</dl>{notes}'


def _service_rows(plan: Plan, w: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per month and snapshot: demand, output tokens/s supplied and GPUs by term (as the text report)."""
    supplied: dict[tuple[int, int], float] = defaultdict(float)
    gpus: dict[tuple[int, int, str], float] = defaultdict(float)
    if not plan.allocations.empty:
        for r in plan.allocations.to_dict(orient="records"):
            if (
                r["workload"] != w["name"]
                or _missing(r.get("slice"))
                or r["row_type"] not in ("rent", "draw")
            ):
                continue
            key = (int(r["start_month"]), int(r["slice"]))
            supplied[key] += float(r["tokens_per_s"] or 0.0)
            gpus[(*key, str(r["term"]))] += float(r["gpus"])
    terms = sorted({t for (_, _, t) in gpus}, key=lambda t: (*plots.TERM_ORDER, t).index(t))
    headers = ["month", "snapshot", "h/day", "requests/s", "demand tok/s", "supplied tok/s"] + [
        f"GPUs {_TERM_LABEL.get(t, t)}" for t in terms
    ]
    rows = []
    for d in w.get("demand") or []:
        key = (int(d["month"]), int(d["slice"]))
        rows.append(
            [
                str(d["month"]),
                str(d["snapshot"]),
                _num(d["hours_per_day"], 1),
                _num(d["requests_per_s"], 1),
                _num(d["output_tokens_per_s"]),
                _num(supplied.get(key, 0.0)),
            ]
            + [_num(gpus.get((*key, t), 0.0)) for t in terms]
        )
    return headers, rows


_ALLOC_HEADERS = [
    "workload", "row", "term", "provider/region", "instance", "accelerator", "GPUs", "start month",
    "months", "GPU-hours", "used", "USD/instance-hour", "cost (USD)",
]  # fmt: skip
_ALLOC_NUMERIC = range(6, 13)


def _allocation_row(r: dict[str, Any], snapshot: bool = False) -> list[str]:
    util = r.get("utilization")
    row = [
        str(r["workload"]),
        str(r["row_type"]),
        _TERM_LABEL.get(str(r["term"]), str(r["term"])),
        f"{r['provider']}/{r['region']}",
        "" if _missing(r["instance_type"]) else str(r["instance_type"]),
        "" if _missing(r["accelerator"]) else str(r["accelerator"]),
        _num(r["gpus"], 0 if not snapshot else 1),
        _num(r["start_month"]),
        _num(r["months"], 2),
        _num(r["gpu_hours"]),
        "" if _missing(util) else f"{util:.0%}",
        _usd(r["price_per_hour_usd"]),
        _usd(r["cost_usd"]),
    ]
    if snapshot:
        snap = "" if _missing(r.get("snapshot")) else str(r["snapshot"])
        row.insert(8, snap)
        row.insert(9, _num(r.get("tokens_per_s")))
    return row


def _allocations(plan: Plan) -> str:
    if plan.allocations.empty:
        return '<p class="note">No allocations.</p>'
    rows = [_allocation_row(r) for r in _aggregated_rows(plan)]
    out = [
        '<p class="note">Service rows (one per month and snapshot) are summed per offering and term; '
        "their GPUs are the peak over the month-snapshots. Draw rows use committed capacity or own "
        "servers and cost nothing: the commitment or purchase row carries the cost.</p>",
        _table(_ALLOC_HEADERS, rows, numeric=_ALLOC_NUMERIC),
    ]
    full = plan.allocations
    if "slice" in full and bool(full["slice"].notna().any()):  # services: rows per month and snapshot
        records = [{str(k): v for k, v in r.items()} for r in full.to_dict(orient="records")]
        if len(records) <= MAX_DETAIL_ROWS:
            headers = [*_ALLOC_HEADERS[:8], "snapshot", "output tok/s", *_ALLOC_HEADERS[8:]]
            detail = _table(
                headers,
                (_allocation_row(r, snapshot=True) for r in records),
                numeric=(6, 7, 9, 10, 11, 12, 13, 14),
            )
            out.append(f"<details><summary>All {len(records):,} allocation rows</summary>{detail}</details>")
        else:
            out.append(
                f'<p class="note">{len(records):,} allocation rows in all: see <code>--format json</code>.</p>'
            )
    return "\n".join(out)


def _costs(plan: Plan) -> str:
    items = [(k, v) for k, v in plan.cost_breakdown.items() if abs(v) > 0.005]
    total = sum(v for _, v in items)
    rows = [[_TERM_LABEL.get(k, k), format_usd(v), f"{v / total:.1%}" if total else ""] for k, v in items]
    return _table(["term", "cost (USD)", "share"], rows, numeric=(1, 2))


def _price(b: BindingConstraint) -> str:
    if b.shadow_price is None:
        return "—"
    return f"{b.shadow_price:,.4g} {b.unit}"


def _plan_body(plan: Plan, level: int, prefix: str) -> tuple[str, list[tuple[str, str]]]:
    """The sections of a plan under headings of `level`, ids prefixed; and the (id, title) list."""
    parts: list[str] = []
    nav: list[tuple[str, str]] = []

    def add(sid: str, title: str, body: str, short: str | None = None) -> None:
        parts.append(_section(prefix + sid, title, level, body))
        nav.append((prefix + sid, short or _NAV.get(sid, title)))

    parts.append(f'<div id="{_e(prefix)}summary">{_summary(plan)}</div>')
    if plan.status == "infeasible":
        rows = [
            [d.constraint, _num(d.amount, 2) if d.amount is not None else "", d.unit] for d in plan.diagnosis
        ]
        add(
            "diagnosis",
            "Why there is no plan",
            _ul(d.message for d in plan.diagnosis)
            + (_table(["what must move", "by", "unit"], rows, (1,), (0,)) if rows else ""),
        )
    else:
        figs = [
            _figure(prefix + "fig-" + fid, fig, f"{fid} plot of {plan.name}", _CAPTIONS[fid])
            for fid, fig in plots.figures(plan)
        ]
        if figs:
            add("plots", "Plots", "\n".join(figs))
        add("workloads", "Workloads", _ul(s.removeprefix("- ") for s in workload_lines(plan)))
        services = [w for w in plan.workloads if w.get("kind") == "inference"]
        for i, w in enumerate(services):
            headers, rows = _service_rows(plan, w)
            add(
                f"service-{i}",
                f"Service {w['name']}: demand and capacity by month and snapshot",
                _table(headers, rows, numeric=range(2, len(headers))),
                short=f"Service {w['name']}",
            )
        if plan.cost_breakdown:
            add("costs", "Cost by term", _costs(plan))
        add("allocations", "Allocations", _allocations(plan))
        if plan.binding:
            rows = [[b.name, b.family, _price(b), b.explanation] for b in plan.binding]
            add(
                "binding",
                "What binds and what it costs",
                _table(
                    ["constraint", "family", "shadow price", "explanation"], rows, numeric=(2,), code=(0,)
                ),
            )
        if plan.what_ifs:
            rows = [
                [
                    w.description,
                    w.status if w.mip_gap is None else f"{w.status} (gap {w.mip_gap:.1%})",
                    _usd(w.cost_usd),
                    _signed(w.delta_usd) if w.cost_usd is not None else "no plan",
                ]
                for w in plan.what_ifs
            ]
            add(
                "what-ifs",
                "What if",
                _table(["change", "status", "cost", "vs the plan"], rows, numeric=(2, 3)),
            )
        if plan.runner_ups:
            rows = []
            for workload, compared, excluded in runner_ups_by_workload(plan.runner_ups):
                rows += [
                    [
                        workload,
                        f"{r.kind} {r.label}",
                        r.status,
                        _usd(r.cost_usd),
                        _signed(r.delta_usd) if r.cost_usd is not None else "",
                        r.offering or "",
                        r.reason,
                    ]
                    for r in compared
                ]
                if excluded:
                    count = sum(len(v) for v in excluded.values())
                    rows.append(
                        [
                            workload,
                            f"{count} accelerators",
                            "excluded",
                            "",
                            "",
                            "",
                            excluded_accelerators_sentence(excluded),
                        ]
                    )
            add(
                "runner-ups",
                "Runner-ups",
                _table(
                    ["workload", "instead", "status", "cost", "vs the plan", "offering", "why"],
                    rows,
                    numeric=(3, 4),
                ),
            )
    excl = exclusion_summary(plan.exclusions)
    if excl:
        rows = [
            [e["workload"], e["code"], f"{e['offerings']:,}", ", ".join(e["accelerators"]), e["example"]]
            for e in excl
        ]
        add(
            "exclusions",
            "Excluded offerings",
            _table(["workload", "reason", "offerings", "accelerators", "example"], rows, numeric=(2,)),
        )
    if plan.verification.checks:
        v = plan.verification
        verdict = "passed" if v.ok else "FAILED"
        rows = [[c.name, "ok" if c.ok else "FAILED", c.detail] for c in v.checks]
        failures = _ul(f"FAILED {c.name}: {c.detail}" for c in v.failures())
        add(
            "verification",
            "Verification",
            f"<p>Independent re-check of the plan against the catalog and the budget, without the solver: "
            f"<strong>{verdict}</strong> ({len(v.checks)} checks).</p>{failures}"
            f"<details><summary>All checks</summary>{_table(['check', 'result', 'detail'], rows)}</details>",
        )
    return "\n".join(parts), nav


def _plan_html(plan: Plan) -> str:
    body, nav = _plan_body(plan, level=2, prefix="")
    return _document(f"Plan: {plan.name}", nav, body)


# --------------------------------------------------------------------------- comparison


def _comparison_html(c: Comparison) -> str:
    parts: list[str] = []
    nav: list[tuple[str, str]] = []

    def add(sid: str, title: str, body: str) -> None:
        parts.append(_section(sid, title, 2, body))
        nav.append((sid, _NAV.get(sid, title)))

    parts.append(
        f'<p class="note">Horizon: {c.horizon_months} months. The same demand planned three ways: '
        "cloud only (own data center switched off), own data center only, and mixed (the budget as "
        "written).</p>"
    )
    scen = c.scenarios()
    rows = []
    for key, p in scen.items():
        rows.append(
            [_SCENARIOS[key], p.status, _usd(p.total_cost_usd) if p.total_cost_usd is not None else "no plan"]
        )
    summary = _table(["scenario", "status", "total cost"], rows, numeric=(2,))
    if c.cloud_only.total_cost_usd and c.mixed.total_cost_usd is not None:
        saving = c.cloud_only.total_cost_usd - c.mixed.total_cost_usd
        if saving > 0.005:
            summary += (
                f'<p>The mixed plan saves <span class="total">{_e(format_usd(saving))}</span> '
                f"({saving / c.cloud_only.total_cost_usd:.1%}) against cloud only.</p>"
            )
        else:
            summary += "<p>The mixed plan costs the same as cloud only: no own servers beat the cloud for this demand.</p>"
    add("tco", "Total cost of ownership", summary)

    figs = [
        _figure(
            "fig-cumulative-cost",
            plots.cumulative_cost_figure(c),
            "cumulative cost by scenario",
            _CAPTIONS["cumulative-cost"],
        ),
        _figure(
            "fig-cost-comparison",
            plots.cost_breakdown_figure(c),
            "cost by category and scenario",
            _CAPTIONS["cost-comparison"],
        ),
    ]
    if c.cloud_only.status in ("optimal", "feasible"):
        figs.append(
            _figure(
                "fig-capacity-cloud-only",
                plots.capacity_figure(c.cloud_only, "Capacity by month: cloud only"),
                "capacity plot of the cloud-only plan",
                _CAPTIONS["capacity"].replace("GPUs in each month", "Cloud only: GPUs in each month", 1),
            )
        )
    add("plots", "Plots", "\n".join(figs))

    table, per_year = tco_tables(c, list(_SCENARIOS), math.ceil(c.horizon_months / 12))
    add(
        "categories",
        "Cost by category (USD over the horizon)",
        _table(["cost", *_SCENARIOS.values()], table, numeric=(1, 2, 3)),
    )
    add(
        "years",
        "Cost by year (USD; commitments and servers spread over the months they cover)",
        _table(["", *_SCENARIOS.values()], per_year, numeric=(1, 2, 3)),
    )
    be = c.break_even
    lines = [be.get("explanation", "not computed")]
    if be.get("utilization_explanation"):
        lines.append(be["utilization_explanation"])
    facts = []
    for key, label, fmt in (
        (
            "demand_scale",
            "demand scale where own servers enter the plan",
            lambda x: f"{x:.3g}x this budget's demand",
        ),
        ("annual_cloud_spend_usd", "cloud-only spend per year at that scale", format_usd),
        ("cloud_spend_usd", "cloud-only spend over the horizon at that scale", format_usd),
        ("infeasible_from_scale", "scale where the scaled plan becomes infeasible", lambda x: f"{x:.2g}x"),
        ("cloud_price_per_gpu_hour_usd", "cloud price paid per GPU-hour", format_usd),
        ("break_even_utilization", "server utilization where owning wins", lambda x: f"{x:.0%}"),
    ):
        x = be.get(key)
        if x is not None and not (isinstance(x, float) and not math.isfinite(x)):
            facts.append([label, fmt(x)])
    add(
        "break-even",
        "Break-even",
        _ul(lines) + (_table(["figure", "value"], facts, numeric=(1,)) if facts else ""),
    )
    own = c.own_dc_only
    if own.status == "infeasible":
        add(
            "own-dc-only", "Own data center only: why there is no plan", _ul(d.message for d in own.diagnosis)
        )
    if c.notes:
        add("notes", "Notes", _ul(c.notes))
    mixed_body, _ = _plan_body(c.mixed, level=3, prefix="mixed-")
    parts.append(_section("mixed", "The mixed plan", 2, mixed_body))
    nav.append(("mixed", "The mixed plan"))
    if c.cloud_only.status in ("optimal", "feasible"):
        cloud = _allocations(c.cloud_only)
        parts.append(
            _section(
                "cloud-only",
                "The cloud-only plan",
                2,
                f"{_summary(c.cloud_only)}<details><summary>Its allocations</summary>{cloud}</details>",
            )
        )
        nav.append(("cloud-only", "The cloud-only plan"))
    return _document(f"Compare: {c.name}", nav, "\n".join(parts))


# --------------------------------------------------------------------------- public


def render_html(obj: Plan | Comparison) -> str:
    """One self-contained HTML5 document for a plan or a comparison (see the module docstring)."""
    if isinstance(obj, Plan):
        return _plan_html(obj)
    return _comparison_html(obj)


def render_png(obj: Plan | Comparison) -> bytes:
    """The plots of a plan or a comparison stacked in one PNG (`planner.plots.combined_figure`)."""
    return plots.figure_png(plots.combined_figure(obj))


__all__ = ["render_html", "render_png"]
