"""Check every name a budget uses (models, accelerators, providers, regions) against the zoo and
the catalog, reporting all unknown names at once with the closest known ones."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from planner import zoo
from planner.catalog.catalog import Catalog
from planner.errors import InputError, Problem
from planner.workloads import Budget


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
        if w.model is not None:
            try:
                zoo.get_model(w.model)
            except InputError as exc:
                problems.append(Problem(exc.problems[0].message, source, f"workloads[{i}].model"))
        for j, a in enumerate(w.accelerators or []):
            check_accelerator(a, f"workloads[{i}].accelerators[{j}]")
    if problems:
        raise InputError(problems)
