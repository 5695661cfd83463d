"""Catalog validation: readable per-cell messages and cross-reference checks.

Every problem names the file, the row (CSV: 1-based, the header is row 1) or YAML line, and the
field, e.g. ``offerings.csv: row 12, column on_demand_usd_per_hour: must be > 0 (got -3.0)``.
Checks collect all problems of a catalog and raise one CatalogError listing them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from planner.catalog.aliases import NameIndex, suggest_words
from planner.catalog.schema import Accelerator, Offering, Provider
from planner.errors import CatalogError, Problem

MAX_PROBLEMS_PER_FILE = 200
"""A file with more problems than this lists the first ones and says how many were left out."""

# A locator turns (record index, field or None) into (source file, location text).
Locator = Callable[[int, str | None], tuple[str | None, str | None]]


def _number_text(value: Any) -> str:
    """0.0 -> '0', 2.5 -> '2.5' (bounds in messages read like the schema, not like floats)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: Any) -> str:
    """How a bad input is quoted in a message: numbers as written, other text in quotes."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return repr(value)
        return value
    return repr(value)


_REQUIRED_HINTS = {
    "source": "give where the figures come from (a URL, or a dataset and its commit)",
    "as_of": "give the date the figures were valid, e.g. 2025-06-30",
}


def _field_hint(field: str) -> str | None:
    """What a catalog field holds, for 'required value is empty' messages."""
    if field in _REQUIRED_HINTS:
        return _REQUIRED_HINTS[field]
    for model in (Offering, Accelerator, Provider):
        info = model.model_fields.get(field)
        if info is not None and info.description:
            return "give " + info.description[0].lower() + info.description[1:].rstrip(".")
    return None


_BOUND_KINDS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def _not_finite(value: Any) -> bool:
    """True for inf/nan as a float or as text ('nan', '-inf'), as pydantic reads them."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return False
    try:
        return not math.isfinite(float(value))
    except (ValueError, OverflowError):
        return False


def friendly_message(err: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence a catalog author can act on."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    got = f" (got {_shown(value)})"
    field = str(err["loc"][-1]) if err.get("loc") else ""
    if kind == "missing" or (value is None and kind.endswith("_type")):
        hint = _field_hint(field)
        return "required value is empty" + (f": {hint}" if hint else "")
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; docs/catalog.md lists the allowed fields)"
    if kind in _BOUND_KINDS and _not_finite(value):  # nan fails the bound before the finite check
        kind = "finite_number"
    if kind == "greater_than":
        return f"must be > {_number_text(ctx.get('gt'))}{got}"
    if kind == "greater_than_equal":
        return f"must be >= {_number_text(ctx.get('ge'))}{got}"
    if kind in ("less_than", "less_than_equal"):
        op = "<" if kind == "less_than" else "<="
        return f"must be {op} {_number_text(ctx.get('lt', ctx.get('le')))}{got}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        empty = (
            " (or leave the cell empty if the term is not sold)" if field.endswith("_usd_per_hour") else ""
        )
        what = "a finite number" if kind == "finite_number" else "a number"
        return f"must be {what}{got}: write digits only, e.g. 2.5, without units or currency signs{empty}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number{got}: write digits only, e.g. 8"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}{got}"
    if kind == "string_too_short":
        return "must not be empty"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    return msg + (got if value is not None and len(got) <= 70 else "")


def problems_from_error(exc: ValidationError, locate: Locator) -> list[Problem]:
    """Map a pydantic error on a list of records to Problems via `locate(index, field)`.

    The first element of each error path is the record index (we validate a list of records);
    the rest is the field path inside the record.
    """
    problems = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
        index = loc[0] if loc and isinstance(loc[0], int) else 0
        field = ".".join(str(p) for p in loc[1:]) or None
        source, location = locate(index, field)
        problems.append(Problem(friendly_message(err), source=source, location=location))
    return problems


def cap_problems(problems: list[Problem], source: str | None) -> list[Problem]:
    """Keep the first MAX_PROBLEMS_PER_FILE problems and say how many more there were."""
    if len(problems) <= MAX_PROBLEMS_PER_FILE:
        return problems
    extra = len(problems) - MAX_PROBLEMS_PER_FILE
    return [
        *problems[:MAX_PROBLEMS_PER_FILE],
        Problem(f"... and {extra} more problems (first {MAX_PROBLEMS_PER_FILE} shown)", source=source),
    ]


def check_columns(
    columns: Sequence[str], source: str, allowed: Sequence[str], required: Iterable[str]
) -> list[Problem]:
    """Header checks: empty, duplicate, unknown (with 'did you mean') and missing required columns."""
    problems = []
    seen: set[str] = set()
    for i, col in enumerate(columns, start=1):
        where = f"row 1, column {i}"
        if not col:
            problems.append(Problem("empty column name", source=source, location=where))
        elif col in seen:
            problems.append(Problem(f"column {col!r} appears twice", source=source, location=where))
        elif col not in allowed:
            hint = suggest_words(col, allowed)
            msg = f"unknown column {col!r}" + (f": did you mean {', '.join(hint)}?" if hint else "")
            problems.append(Problem(msg, source=source, location=where))
        seen.add(col)
    missing = [c for c in required if c not in seen]
    if missing:
        problems.append(
            Problem(
                "missing required column(s): " + ", ".join(missing) + "; add them to the header row "
                "(docs/catalog.md lists the columns)",
                source=source,
                location="row 1",
            )
        )
    return problems


def accelerator_index(accelerators: Sequence[Accelerator], source: str | None = None) -> NameIndex:
    """Name index over accelerator ids and aliases (raises CatalogError on a shared alias)."""
    return NameIndex("accelerator", {a.id: a.aliases for a in accelerators}, source=source)


def provider_index(providers: Sequence[Provider], source: str | None = None) -> NameIndex:
    """Name index over provider ids, with each provider's display name as an alias."""
    return NameIndex("provider", {p.id: (p.name,) for p in providers}, source=source)


def duplicate_ids(items: Sequence[Accelerator | Provider], kind: str, locate: Locator) -> list[Problem]:
    """One problem per repeated id, pointing at the repeat and naming the first occurrence."""
    first: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        if item.id in first:
            _src, loc = locate(first[item.id], None)
            source, location = locate(i, "id")
            problems.append(
                Problem(
                    f"duplicate {kind} id {item.id!r} (first defined at {loc})",
                    source=source,
                    location=location,
                )
            )
        else:
            first[item.id] = i
    return problems


def cross_reference(
    accelerators: Sequence[Accelerator],
    providers: Sequence[Provider],
    offerings: Sequence[Offering],
    locate_accelerator: Locator,
    locate_provider: Locator,
    locate_offering: Locator,
    sources: tuple[str | None, str | None] = (None, None),
    catalog: str | None = None,
    problems: list[Problem] | None = None,
) -> tuple[dict[str, Accelerator], dict[str, Provider], tuple[Offering, ...]]:
    """Check a parsed catalog as a whole and return it keyed by canonical id.

    Checks: at least one accelerator, provider and offering; unique ids; aliases that name one
    accelerator only; every offering's accelerator and provider known (aliases are accepted and
    rewritten to the canonical id); no two offerings with the same provider/region/zone/instance
    type. Raises one CatalogError with every problem found. O(rows + distinct names).
    `sources` names the accelerator and provider files in alias-collision messages, `catalog` the
    catalog in "has no offerings" messages; `problems` found earlier (rows that failed the schema)
    are raised together with these.
    """
    problems = list(problems or [])
    structural: list[Problem] = []
    files = {"accelerator": "accelerators.yaml", "provider": "providers.yaml", "offering": "offerings.csv"}
    for items, kind in ((accelerators, "accelerator"), (providers, "provider"), (offerings, "offering")):
        if not items and not problems:
            structural.append(
                Problem(
                    f"the catalog has no {kind}s; at least one is required (add one to {files[kind]})",
                    source=catalog,
                )
            )
    structural += duplicate_ids(accelerators, "accelerator", locate_accelerator)
    structural += duplicate_ids(providers, "provider", locate_provider)
    if structural:
        raise CatalogError(capped(problems + structural))
    try:
        acc_index = accelerator_index(accelerators, source=sources[0])
        prov_index = provider_index(providers, source=sources[1])
    except CatalogError as exc:
        raise CatalogError(capped([*problems, *exc.problems])) from None
    resolved, name_problems = _resolve_names(offerings, acc_index, prov_index, locate_offering)
    problems += name_problems
    problems += _duplicates(resolved, locate_offering)
    if problems:
        raise CatalogError(capped(problems))
    return (
        {a.id: a for a in accelerators},
        {p.id: p for p in providers},
        tuple(resolved),
    )


def _resolve_names(
    offerings: Sequence[Offering], acc_index: NameIndex, prov_index: NameIndex, locate: Locator
) -> tuple[list[Offering], list[Problem]]:
    """Rewrite accelerator/provider names to canonical ids; unknown names become problems."""
    cache: dict[tuple[str, str], str | None] = {}
    problems: list[Problem] = []
    out: list[Offering] = []
    for i, off in enumerate(offerings):
        update: dict[str, str] = {}
        for field, index in (("accelerator", acc_index), ("provider", prov_index)):
            name = getattr(off, field)
            key = (field, name)
            if key not in cache:
                cache[key] = index.get(name)
            canonical = cache[key]
            if canonical is None:
                source, location = locate(i, field)
                problems.append(Problem(index.unknown_message(name), source=source, location=location))
            elif canonical != name:
                update[field] = canonical
        out.append(off.model_copy(update=update) if update else off)
    return out, problems


def _duplicates(offerings: Sequence[Offering], locate: Locator) -> list[Problem]:
    """Offerings sharing provider/region/zone/instance_type: one problem per repeat."""
    first: dict[str, int] = {}
    problems = []
    for i, off in enumerate(offerings):
        key = off.key
        j = first.setdefault(key, i)
        if j != i:
            first_source, first_loc = locate(j, None)
            source, location = locate(i, None)
            where = first_loc if first_source == source else f"{first_source} {first_loc}"
            problems.append(
                Problem(
                    f"duplicate offering: same provider/region/zone/instance_type ({key}) as {where}",
                    source=source,
                    location=location,
                )
            )
    return problems


def _row_number(problem: Problem) -> float:
    m = _ROW_RE.match(problem.location or "")
    return float(m.group(1)) if m else math.inf


_ROW_RE = re.compile(r"^row (\d+)")


def capped(problems: list[Problem]) -> list[Problem]:
    """Group problems by file (first appearance first), rows in file order, capped per file."""
    by_source: dict[str | None, list[Problem]] = {}
    for p in problems:
        by_source.setdefault(p.source, []).append(p)
    out: list[Problem] = []
    for source, items in by_source.items():
        out += cap_problems(sorted(items, key=_row_number), source)  # stable: same row keeps order
    return out
