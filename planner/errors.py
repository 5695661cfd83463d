"""Errors the planner raises on purpose. Anything else escaping to the CLI is a bug.

Input problems are collected, not raised one at a time: a user who wrote a budget by hand
wants every mistake in the file at once, each naming the file, the field path and the fix.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is and what to do about it."""

    message: str
    source: str | None = None  # file path (or "<budget>" for in-memory specs)
    location: str | None = None  # field path ("workloads[0].tokens") or "row 12, column price"

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.source, self.location) if p)
        return f"{where}: {self.message}" if where else self.message


class PlannerError(Exception):
    """Base class of every error the planner raises deliberately."""


class InputError(PlannerError, ValueError):
    """Bad user input (budget, catalog, CLI flag). The CLI exits with code 2."""

    def __init__(self, problems: Sequence[Problem] | str, source: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, source=source)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    @classmethod
    def from_validation(cls, exc: ValidationError, source: str | None = None, prefix: str = "") -> InputError:
        """Turn a pydantic ValidationError into one Problem per error, with a readable path."""
        return cls(list(problems_from_validation(exc, source=source, prefix=prefix)))


class CatalogError(InputError):
    """A catalog file is malformed or inconsistent (unknown accelerator, bad price, duplicate)."""


class OutputError(InputError):
    """An output file could not be written (bad --output path, no permission, disk full); the old
    file, if any, is left as it was. The CLI exits with code 2."""


class SolverError(PlannerError):
    """The solver could not be run or returned nothing usable. The CLI exits with code 3."""


# Discriminator tags pydantic inserts into error paths of tagged unions (workload kinds).
_UNION_TAGS = frozenset({"training", "inference"})


def format_location(loc: Iterable[int | str], prefix: str = "") -> str:
    """('workloads', 0, 'training', 'tokens') -> 'workloads[0].tokens'."""
    out = prefix
    previous: int | str | None = None
    for part in loc:
        if isinstance(previous, int) and part in _UNION_TAGS:
            previous = part
            continue
        previous = part
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation(
    exc: ValidationError, source: str | None = None, prefix: str = ""
) -> Iterable[Problem]:
    for err in exc.errors(include_url=False):
        # Drop pydantic's union/tag bookkeeping from the path ("function-after[...]" etc.).
        loc = [p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see docs for the allowed fields)"
        elif err["type"] == "missing":
            msg = "field required"
        if "input" in err and err["type"] not in ("missing", "extra_forbidden"):
            shown = repr(err["input"])
            if len(shown) <= 60 and shown not in msg:
                msg = f"{msg} (got {shown})"
        yield Problem(msg, source=source, location=format_location(loc, prefix) or None)


# -- readable messages for hand-written files (budgets) ----------------------------------------------

_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
_TYPE_MESSAGES = {
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_parsing_size": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text (quote it in YAML)",
    "list_type": "must be a list, e.g. [a, b] or one '- item' per line",
    "tuple_type": "must be a list, e.g. [a, b] or one '- item' per line",
    "dict_type": "must be a mapping of names to values",
    "model_type": "must be a mapping of fields (one 'field: value' per line)",
    "model_attributes_type": "must be a mapping of fields (one 'field: value' per line)",
    "string_too_short": "must not be empty",
    "too_short": "must not be empty",
    "none_required": "must be empty (null)",
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models an annotation can hold (through Optional, unions, Annotated, lists, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += [m for m in _models_in(arg) if m not in out]
    return out


def _models_at(root: type[BaseModel] | None, loc: Sequence[int | str]) -> list[type[BaseModel]]:
    """Models that can hold the field at `loc` (the models of its parent), following pydantic's path.

    List indices and dict keys are skipped; a union tag ('training') picks the model whose `kind`
    default is that tag.
    """
    models = [root] if root is not None else []
    for part in loc:
        if isinstance(part, int) or not models:
            continue
        tagged = [m for m in models if getattr(m.model_fields.get("kind"), "default", None) == part]
        if tagged:
            models = tagged
            continue
        nested: list[type[BaseModel]] = []
        for m in models:
            field = m.model_fields.get(part)
            if field is not None:
                nested += [n for n in _models_in(field.annotation) if n not in nested]
        if nested or any(part in m.model_fields for m in models):
            models = nested
        # else a dict key (a server id, say): the models stay those of the dict's values
    return models


def _fields_of(models: Sequence[type[BaseModel]]) -> list[str]:
    return sorted({name for m in models for name in m.model_fields})


def _description(models: Sequence[type[BaseModel]], name: str) -> str | None:
    for m in models:
        field = m.model_fields.get(name)
        if field is not None and field.description:
            return field.description.rstrip(".")
    return None


def _shown(value: Any) -> str:
    """The bad value as the user wrote it: short reprs in full, long lists and mappings by size."""
    text = repr(value)
    if len(text) <= 60:
        return text
    if isinstance(value, Mapping):
        return f"a mapping with {len(value)} keys"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} items"
    return text[:57] + "..."


def _choices(expected: str) -> list[str]:
    """ "'a', 'b' or 'c'" (pydantic's enum/literal context) -> ['a', 'b', 'c']."""
    return [c.strip().strip("'\"") for c in expected.replace(" or ", ", ").split(",") if c.strip()]


def _closest(word: str, choices: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)


def friendly_problem_message(err: Mapping[str, Any], models: Sequence[type[BaseModel]]) -> str:
    """One pydantic error as a sentence that names the bad value and the fix.

    `models` are the models that hold the field (for suggestions and field descriptions).
    """
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    got = f" (got {_shown(value)})"
    name = str(err["loc"][-1]) if err["loc"] else ""
    if kind == "extra_forbidden":
        hint = _closest(name, _fields_of(models))
        if hint:
            return f"unknown field {name!r}: did you mean {', '.join(hint)}?"
        allowed = _fields_of(models)
        return f"unknown field {name!r}" + (f": allowed fields are {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        about = _description(models, name)
        return "required field is missing" + (f": {about}" if about else "")
    if kind == "union_tag_invalid":
        tags = _choices(str(ctx.get("expected_tags", "")))
        hint = _closest(str(ctx.get("tag", "")), tags)
        did = f" (did you mean {hint[0]}?)" if hint else ""
        return f"unknown kind {ctx.get('tag')!r}: use {' or '.join(tags)}{did}"
    if kind == "union_tag_not_found":
        return "required field is missing: kind (training or inference)"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), "")
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        return f"must be {_BOUNDS[kind]} {bound}{got}"
    if kind in ("enum", "literal_error"):
        options = _choices(str(ctx.get("expected", "")))
        hint = _closest(str(value), options) if isinstance(value, str) else []
        did = f": did you mean {hint[0]}?" if hint else ""
        return f"must be one of {', '.join(options)}{got}{did}"
    if kind == "too_short" and ctx.get("min_length", 1) > 1:
        return f"must have at least {ctx['min_length']} items{got}"
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind] + ("" if kind.startswith("string_too") else got)
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]  # our validators name the value and the fix themselves
    return msg + (got if value is not None else "")


def describe_validation(
    exc: ValidationError, root: type[BaseModel] | None, source: str | None = None, prefix: str = ""
) -> list[Problem]:
    """Problems of a hand-written file validated as `root`: readable messages with suggestions.

    A misspelt required field is one problem, not two: when an unknown field's closest match is a
    missing field of the same mapping, only the unknown field is reported (with the suggestion).
    """
    located: list[tuple[tuple[int | str, ...], Any]] = []
    for err in exc.errors(include_url=False):
        # Drop pydantic's union/tag bookkeeping from the path ("function-after[...]" etc.).
        parts = [
            p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
        ]
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            parts.append("kind")
        located.append((tuple(parts), err))
    suggested: set[tuple[int | str, ...]] = set()
    for loc, err in located:
        if err["type"] == "extra_forbidden" and loc:
            models = _models_at(root, err["loc"][:-1])
            for hint in _closest(str(loc[-1]), _fields_of(models))[:1]:
                suggested.add((*loc[:-1], hint))
    problems = []
    for loc, err in located:
        if err["type"] == "missing" and loc in suggested:
            continue
        models = _models_at(root, err["loc"][:-1])
        message = friendly_problem_message({**err, "loc": loc}, models)
        problems.append(Problem(message, source=source, location=format_location(loc, prefix) or None))
    return problems
