"""Errors the planner raises on purpose. Anything else escaping to the CLI is a bug.

Input problems are collected, not raised one at a time: a user who wrote a budget by hand
wants every mistake in the file at once, each naming the file, the field path and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError


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
