"""Explanation for inference services: what latency targets exclude and what relaxing them would
save, the best single-accelerator fleets (runner-ups), and why a service has no candidates."""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from planner import compute
from planner.catalog.catalog import Catalog
from planner.enums import Term
from planner.jobs import Job, Ready
from planner.model.candidates import Candidates, Exclusion, TrainingOption
from planner.model.extract import val
from planner.model.model import Model
from planner.model.options import PlanOptions
from planner.model.serving import ServingOption
from planner.model.solve import solve_direct
from planner.result import DiagnosisItem, Plan, RunnerUp, WhatIf
from planner.units import format_usd
from planner.whatif import (
    HELD_NOTE,
    fix_rest,
    no_plan_reason,
    not_solved_runner_up,
    not_solved_what_if,
    preserved,
    replan_workload,
    what_if,
    with_run,
)
from planner.workloads import InferenceService

Opt = TypeVar("Opt", TrainingOption, ServingOption)

# Latency what-ifs per service: the accelerators excluded by a target with the cheapest GPU-hour.
MAX_LATENCY_WHAT_IFS = 3


def best_latency(
    model_or_cands: Candidates,
    svc: InferenceService,
    catalog: Catalog,
    accelerator: str,
    sizes: set[int] | None = None,
) -> tuple[float, float]:
    """(best TPOT ms, best TTFT ms) an instance of `accelerator` reaches for the service's buckets:
    batch 1, over every tensor-parallel degree of the instance sizes given (default: every size the
    catalog sells)."""
    needs = model_or_cands.services[svc.name]
    acc = catalog.accelerator(accelerator)
    sold = sizes or {o.gpus_per_instance for o in catalog.offerings if o.accelerator == accelerator}
    best_tpot = best_ttft = math.inf
    for gpus in sorted(sold, reverse=True):
        for t in compute.tensor_parallel_degrees(gpus):  # at batch 1 the default picks the smallest t
            tpot = ttft = 0.0
            for b in needs.buckets:
                est = compute.estimate_inference(
                    needs.arch,
                    acc,
                    gpus,
                    svc.precision,
                    b.input_tokens,
                    b.output_tokens,
                    max_batch=1,
                    tensor_parallel=t,
                )
                if not est.feasible or est.tpot_ms is None or est.ttft_ms is None:
                    break
                tpot, ttft = max(tpot, est.tpot_ms), max(ttft, est.ttft_ms)
            else:
                best_tpot, best_ttft = min(best_tpot, tpot), min(best_ttft, ttft)
    return best_tpot, best_ttft


def latency_what_ifs(model: Model, plan: Plan, catalog: Catalog, opts: PlanOptions) -> list[Job[WhatIf]]:
    """For accelerators a latency target excludes: relax the target just enough to admit them, re-plan
    (one job each, see jobs.run_jobs)."""
    out: list[Job[WhatIf]] = []
    base = plan.total_cost_usd or 0.0
    offering = {g.id: g.offering for g in model.candidates.groups}
    for w, svc in model.services.items():
        if svc.tpot_ms is None and svc.ttft_ms is None:
            continue
        excluded = [e for e in model.candidates.excluded(w) if e.code == "latency"]
        cheapest: dict[str, float] = {}
        sizes: dict[str, set[int]] = defaultdict(set)  # instance sizes the targets excluded
        for e in excluded:
            o = offering.get(e.group)
            if o is not None:
                sizes[e.accelerator].add(o.gpus_per_instance)
            price = o.price_per_gpu_hour(Term.ON_DEMAND) if o else None
            if price is not None:
                cheapest[e.accelerator] = min(price, cheapest.get(e.accelerator, math.inf))
        for acc in sorted(cheapest, key=lambda a: cheapest[a])[:MAX_LATENCY_WHAT_IFS]:
            tpot, ttft = best_latency(model.candidates, svc, catalog, acc, sizes[acc])
            if not math.isfinite(tpot):
                continue
            changes = {}
            parts = []
            if svc.tpot_ms is not None and tpot > svc.tpot_ms:
                changes["tpot_ms"] = math.ceil(tpot * 1.01)
                parts.append(f"TPOT {svc.tpot_ms:g} → {changes['tpot_ms']} ms")
            if svc.ttft_ms is not None and ttft > svc.ttft_ms:
                changes["ttft_ms"] = math.ceil(ttft * 1.01)
                parts.append(f"TTFT {svc.ttft_ms:g} → {changes['ttft_ms']} ms")
            if not changes:
                continue
            name, what = f"latency:{w}:{acc}", f"{w} with {' and '.join(parts)}, so {acc} qualifies"
            best = f" (its best at batch 1: TPOT {tpot:.0f} ms, TTFT {ttft:.0f} ms)"
            out.append(
                functools.partial(
                    _latency_what_if,
                    w=w,
                    changes=changes,
                    name=name,
                    what=what,
                    best=best,
                    base=base,
                    catalog=catalog,
                    opts=opts,
                )
            )
    return out


def _latency_what_if(
    model: Model,
    *,
    w: str,
    changes: Mapping[str, float],
    name: str,
    what: str,
    best: str,
    base: float,
    catalog: Catalog,
    opts: PlanOptions,
) -> WhatIf:
    if opts.out_of_time():
        return not_solved_what_if(name, what, opts)
    status, cost, gap, held = replan_workload(model, with_run(model.budget, w, **changes), w, catalog, opts)
    return what_if(name, what + best + (HELD_NOTE if held else ""), status, cost, gap, base)


def _only(model: Model, w: str, accelerator: str) -> None:
    """Forbid service w every offering not of `accelerator` (inside whatif.preserved)."""
    for (ww, o, _, _, _), v in model.u.items():
        if ww == w and model.group_of(o).accelerator.id != accelerator:
            v.upBound = 0


def cheapest_per_accelerator(options: Iterable[Opt], rate: Callable[[Opt], float | None]) -> dict[str, float]:
    """The lowest unit price (rate: $/EFLOP, $/million tokens, ...) of the options of each accelerator."""
    best: dict[str, float] = {}
    for opt in options:
        r = rate(opt)
        acc = opt.group.accelerator.id
        if r is not None and r < best.get(acc, math.inf):
            best[acc] = r
    return best


def _usd_per_million_tokens(opt: ServingOption) -> float | None:
    """The option's cheapest price per million output tokens at full load (spot derated)."""
    tokens = max((c.tokens_per_s for c in opt.capacity if c is not None), default=0.0)
    rates = [
        price / (tokens * (1 - compute.DEFAULT_SPOT_OVERHEAD if t == Term.SPOT else 1.0) * 3600) * 1e6
        for t in opt.terms
        if (price := opt.group.price(t)) is not None and tokens > 0
    ]
    return min(rates, default=None)


def priced_runner_up(
    w: str, acc: str, rate: float | None, win_rate: float | None, unit: str, limit: int
) -> RunnerUp:
    """An alternative not re-solved (beyond opts.max_runner_ups): compared by its best price per unit."""
    if rate is None or win_rate is None or win_rate <= 0:
        why = "no hourly price to compare"
    else:
        why = (
            f"best {format_usd(rate)} per {unit} vs {format_usd(win_rate)} for the plan ({rate / win_rate - 1:+.0%}); "
            f"not re-solved (the {limit} closest by price are)"
        )
    return RunnerUp(w, "accelerator", acc, None, "not_solved", None, None, why)


def service_runner_ups(model: Model, plan: Plan, catalog: Catalog, opts: PlanOptions) -> list[Job[RunnerUp]]:
    """Per service: the best fleet of a single accelerator type, by re-solve for the
    opts.max_runner_ups types closest by price per million tokens (the others compared by that
    price); other workloads are held at the plan (whatif.fix_rest). One job each (jobs.run_jobs)."""
    out: list[Job[RunnerUp]] = []
    base = plan.total_cost_usd or 0.0
    others = len(model.budget.workloads) > 1
    for w in model.services:
        used: dict[str, float] = defaultdict(float)
        for (ww, o, _, _, _), v in model.u.items():
            if ww == w:
                used[model.group_of(o).accelerator.id] += val(v)
        mix = sorted(a for a, n in used.items() if n > 1e-6)
        best = cheapest_per_accelerator(model.serving(w), _usd_per_million_tokens)
        plan_rate = min((best[a] for a in mix if a in best), default=None)
        accels = sorted(
            {opt.group.accelerator.id for opt in model.serving(w)} - ({mix[0]} if len(mix) == 1 else set()),
            key=lambda a: (best.get(a, math.inf), a),
        )
        for i, acc in enumerate(accels):
            if i >= opts.max_runner_ups and acc in best:  # unpriced (own servers): always re-solved
                out.append(
                    Ready(
                        priced_runner_up(
                            w, acc, best[acc], plan_rate, "million output tokens", opts.max_runner_ups
                        )
                    )
                )
                continue
            out.append(
                functools.partial(
                    _single_fleet, w=w, acc=acc, mix=mix, base=base, others=others, catalog=catalog, opts=opts
                )
            )
    return out


def _single_fleet(
    model: Model,
    *,
    w: str,
    acc: str,
    mix: list[str],
    base: float,
    others: bool,
    catalog: Catalog,
    opts: PlanOptions,
) -> RunnerUp:
    """Service w served by `acc` alone (the other workloads held as planned when there are any).

    In the plan's model when its pruning kept everything an all-`acc` fleet could use; else (a
    column of `acc` was pruned as dominated by another accelerator's, which the restriction
    removes) re-planned from candidates generated for `acc` alone, as a user's re-plan would be."""
    if opts.out_of_time():
        return not_solved_runner_up(w, "accelerator", acc, opts)
    if model.candidates.pruned_across(w, lambda g: g.accelerator.id == acc):
        status, cost, _, _ = replan_workload(
            model, with_run(model.budget, w, accelerators=[acc]), w, catalog, opts
        )
    else:
        with preserved(model):
            _only(model, w, acc)
            if others:
                fix_rest(model, w)
            # Not screened (solve_direct): forced onto one accelerator, the LP bound is loose (17%
            # below the B200 fleet on the 36-month benchmark), so the screened MILP's proof fails and
            # it solves twice: 3.8 s against 1.6 s direct; the runner-ups together gain nothing.
            res = solve_direct(model.prob, opts)
            status, cost = res.status, (model.cost_value() if res.has_solution else None)
    if cost is None:
        why = no_plan_reason(status, "cannot meet the demand alone (caps or budget)")
        return RunnerUp(w, "accelerator", acc, None, status, None, None, why)
    delta = cost - base
    if delta <= 0.005:
        reason = "ties with the plan"
    else:
        reason = f"an all-{acc} fleet costs {format_usd(delta)} more than the plan's mix of {', '.join(mix) or 'nothing'}"
    if others:
        reason += " (the other workloads as planned)"
    return RunnerUp(w, "accelerator", acc, None, status, cost, delta, reason)


def service_no_candidates(svc: InferenceService, cands: Candidates, catalog: Catalog) -> list[DiagnosisItem]:
    """Why no offering can serve a service: latency targets (with the best any accelerator reaches) or memory."""
    excl: list[Exclusion] = cands.excluded(svc.name)
    codes = Counter(e.code for e in excl)
    items = []
    latency = sorted({e.accelerator for e in excl if e.code == "latency"})
    if latency and svc.name in cands.services:
        best: dict[str, tuple[float, float]] = {a: best_latency(cands, svc, catalog, a) for a in latency}
        fastest_tpot = min(best.items(), key=lambda kv: kv[1][0])
        fastest_ttft = min(best.items(), key=lambda kv: kv[1][1])
        if svc.tpot_ms is not None and fastest_tpot[1][0] > svc.tpot_ms:
            items.append(
                DiagnosisItem(
                    f"latency:{svc.name}:tpot",
                    fastest_tpot[1][0],
                    "ms",
                    f"no allowed offering meets TPOT {svc.tpot_ms:g} ms: the fastest is {fastest_tpot[0]} at "
                    f"{fastest_tpot[1][0]:.1f} ms per output token (batch 1)",
                )
            )
        if svc.ttft_ms is not None and fastest_ttft[1][1] > svc.ttft_ms:
            items.append(
                DiagnosisItem(
                    f"latency:{svc.name}:ttft",
                    fastest_ttft[1][1],
                    "ms",
                    f"no allowed offering meets TTFT {svc.ttft_ms:g} ms: the fastest is {fastest_ttft[0]} at "
                    f"{fastest_ttft[1][1]:.0f} ms to first token (batch 1)",
                )
            )
    by_code: dict[str, list[Exclusion]] = defaultdict(list)
    for e in excl:
        by_code[e.code].append(e)
    if "memory" in by_code:
        e = by_code["memory"][0]
        items.append(
            DiagnosisItem(
                f"memory:{svc.name}",
                None,
                "",
                f"{len(by_code['memory'])} offerings cannot hold the model; e.g. {e.group}: {e.reason}",
            )
        )
    summary = ", ".join(f"{n} {code}" for code, n in codes.most_common())
    items.append(
        DiagnosisItem(
            f"candidates:{svc.name}",
            float(len(excl)),
            "offerings",
            f"no offering can serve {svc.name}: excluded {summary}",
        )
    )
    return items
