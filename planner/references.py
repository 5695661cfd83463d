"""Check every name a budget uses (models, accelerators, providers, regions) against the zoo and
the catalog, reporting all unknown names at once with the closest known ones; and the sizes only
the zoo can check: a training run too small to plan, requests longer than the model's context."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from planner import compute, zoo
from planner.catalog.catalog import Catalog
from planner.errors import InputError, Problem
from planner.units import format_count
from planner.workloads import Budget, InferenceService, TrainingRun

MIN_TRAINING_FLOPS = 1e18
"""Smallest training run planned: about one GPU-hour (an H100 at 35% of its 989 TFLOP/s bf16 peak
delivers 1.2e18 FLOPs an hour, NVIDIA H100 datasheet). A smaller one is most likely a unit left off
(`tokens: 2000` for 2T), and its few seconds of instance time are below the solver's tolerances."""


def _suggest(name: str, known: Iterable[str]) -> str:
    """'did you mean a, b?' with up to 4 names by difflib ratio (ties alphabetical), else some known."""
    known = sorted(set(known))
    matcher = difflib.SequenceMatcher(b=name.lower(), autojunk=False)
    scored = []
    for k in known:
        matcher.set_seq1(k.lower())
        scored.append((-matcher.ratio(), k))
    close = [k for score, k in sorted(scored) if -score >= 0.5][:4]
    if close:
        return f"did you mean {', '.join(close)}?"
    return f"known: {', '.join(known[:12])}{', ...' if len(known) > 12 else ''}"


def check_references(budget: Budget, catalog: Catalog, source: str | None = None) -> None:
    """Raise InputError listing every unknown model, accelerator, provider or region name.

    Each problem names `source` (default: the file the budget was read from) and the field path.
    """
    source = source if source is not None else budget.source
    problems: list[Problem] = []
    providers = {o.provider for o in catalog.offerings} | set(catalog.providers)
    regions = {o.region for o in catalog.offerings}
    provider_l = {p.lower() for p in providers}
    region_l = {r.lower() for r in regions}

    def check_accelerator(name: str, where: str) -> None:
        try:
            catalog.resolve_accelerator(name)
        except InputError as exc:
            problems.append(Problem(exc.problems[0].message, source=source, location=where))

    def check_provider(name: str, where: str) -> None:
        if name.lower() not in provider_l:
            problems.append(Problem(f"unknown provider {name!r}: {_suggest(name, providers)}", source, where))

    def check_region(name: str, where: str) -> None:
        if name.lower() not in region_l:
            problems.append(Problem(f"unknown region {name!r}: {_suggest(name, regions)}", source, where))

    c = budget.constraints
    for i, p in enumerate(c.providers or []):
        check_provider(p, f"constraints.providers[{i}]")
    for i, p in enumerate(c.exclude_providers):
        check_provider(p, f"constraints.exclude_providers[{i}]")
    for i, r in enumerate(c.regions or []):
        check_region(r, f"constraints.regions[{i}]")
    for i, r in enumerate(c.exclude_regions):
        check_region(r, f"constraints.exclude_regions[{i}]")
    for i, cap in enumerate(c.caps):
        if cap.accelerator:
            check_accelerator(cap.accelerator, f"constraints.caps[{i}].accelerator")
        if cap.provider:
            check_provider(cap.provider, f"constraints.caps[{i}].provider")
        if cap.region:
            check_region(cap.region, f"constraints.caps[{i}].region")
    for i, w in enumerate(budget.workloads):
        arch = None
        if w.model is not None:
            try:
                arch = zoo.get_model(w.model)
            except InputError as exc:
                problems.append(Problem(exc.problems[0].message, source, f"workloads[{i}].model"))
        if isinstance(w, TrainingRun) and (w.model is None or arch is not None):
            problems += _too_small(w, arch, source, f"workloads[{i}]")
        if isinstance(w, InferenceService) and arch is not None and arch.context_length:
            problems += _beyond_context(w, arch, source, f"workloads[{i}]")
        for j, a in enumerate(w.accelerators or []):
            check_accelerator(a, f"workloads[{i}].accelerators[{j}]")
    problems += _datacenter_problems(budget, catalog, source)
    if problems:
        raise InputError(problems)


def _datacenter_problems(budget: Budget, catalog: Catalog, source: str | None) -> list[Problem]:
    """The ``datacenter:`` section against the catalog's servers and site, even with enabled: false
    (a section kept to switch back on should not hide a typo until then)."""
    if budget.datacenter is None:
        return []
    if catalog.datacenter is None:
        if not budget.datacenter.enabled:
            return []
        return [
            Problem(
                f"the catalog ({catalog.name}) has no datacenter.yaml, so this section has no effect and "
                "no own servers can be planned: use a catalog with one (the bundled catalog has one) or "
                "remove the section",
                source,
                "datacenter",
            )
        ]
    try:
        catalog.datacenter.merged(budget.datacenter, accelerators=catalog.accelerator_index, source=source)
    except InputError as exc:
        return list(exc.problems)
    return []


def _too_small(
    run: TrainingRun, arch: compute.ModelArch | None, source: str | None, where: str
) -> list[Problem]:
    """A problem when the run needs fewer than MIN_TRAINING_FLOPS (6·N·D with N its active params)."""
    if run.flops is not None:
        flops, field, what = run.flops, "flops", f"{format_count(run.flops)} FLOPs"
    else:
        active = arch.active_params if arch is not None else (run.active_params or run.params or 0.0)
        flops, field = compute.training_flops(active, run.tokens or 0.0), "tokens"
        what = f"{format_count(run.tokens or 0.0)} tokens on {format_count(active)} parameters ({flops:.3g} FLOPs, 6·N·D)"
    if flops >= MIN_TRAINING_FLOPS:
        return []
    floor = f"{MIN_TRAINING_FLOPS:.0e}".replace("e+", "e")
    return [
        Problem(
            f"{what} is below the {floor} FLOPs (about one GPU-hour) of the smallest run the planner "
            "plans; check the unit (2T is 2 trillion tokens, 8.4e23 FLOPs)",
            source,
            f"{where}.{field}",
        )
    ]


def _beyond_context(
    service: InferenceService, arch: compute.ModelArch, source: str | None, where: str
) -> list[Problem]:
    """A problem per request class whose prompt and output together exceed the model's context."""
    limit = arch.context_length or 0
    out = []
    for j, b in enumerate(service.buckets):
        if b.input_tokens + b.output_tokens > limit:
            field = "input_tokens" if service.request_mix is None else f"request_mix[{j}]"
            out.append(
                Problem(
                    f"{b.input_tokens:,.0f} input + {b.output_tokens:,.0f} output tokens exceed "
                    f"{service.model}'s context of {limit:,} tokens: shorten the request or pick a "
                    "model with a longer context",
                    source,
                    f"{where}.{field}",
                )
            )
    return out
