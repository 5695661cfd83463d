"""Constraint registry: every constraint's readable name, family and the unit of its dual.

A name is an address, `family:workload:entity[:period]`. PuLP rewrites characters such as
`-+[] ->/` to `_`, so `gpu-h100` and `gpu_h100` would collide; we sanitize ourselves, check the
sanitized names stay unique, and keep the readable name for explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulp

_SAFE = re.compile(r"[^A-Za-z0-9_:.]")


@dataclass(frozen=True)
class ConstraintInfo:
    name: str  # readable, unique: family:workload:entity[:period]
    family: str
    workload: str | None
    entity: str | None
    period: str | None
    pulp_name: str
    dual_unit: str  # unit of the shadow price after multiplying by dual_scale
    dual_scale: float  # multiplies the solver's dual (per unit of the written constraint)
    rhs_unit: str  # unit of the constraint's right-hand side, for "lhs vs rhs" messages


class ConstraintRegistry:
    def __init__(self) -> None:
        self.by_name: dict[str, ConstraintInfo] = {}
        self._pulp_names: set[str] = set()

    def register(
        self,
        family: str,
        workload: str | None = None,
        entity: str | None = None,
        period: str | None = None,
        *,
        dual_unit: str = "USD per unit",
        dual_scale: float = 1.0,
        rhs_unit: str = "",
    ) -> ConstraintInfo:
        name = ":".join(p for p in (family, workload, entity, period) if p is not None)
        if name in self.by_name:
            raise ValueError(f"duplicate constraint name {name!r} (a model-building bug)")
        pulp_name = _SAFE.sub("_", name)
        base, i = pulp_name, 1
        while pulp_name in self._pulp_names:
            i += 1
            pulp_name = f"{base}~{i}"
        self._pulp_names.add(pulp_name)
        info = ConstraintInfo(
            name, family, workload, entity, period, pulp_name, dual_unit, dual_scale, rhs_unit
        )
        self.by_name[name] = info
        return info

    def add(self, prob: pulp.LpProblem, constraint: pulp.LpConstraint, info: ConstraintInfo) -> None:
        prob.addConstraint(constraint, name=info.pulp_name)

    def families(self) -> set[str]:
        return {c.family for c in self.by_name.values()}
