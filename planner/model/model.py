"""The built model: the PuLP problem, its variables by role, and what is needed to read it back.

Notation (hours are instance-hours unless said otherwise; a month is 730 h):
  w          a workload; o an option (an offering group, for training at one cluster-size tier);
  g          an offering group; m a month; k a day slice (timeline.Slice); b a request bucket
  y[w,o]     1 if training run w runs on option o (binary)
  n[w,o]     instances in w's training cluster (integer)
  x[w,o,t,m] instance-hours of run w on o bought on pay-per-use term t (on-demand, spot) in month m
  xp[w,o,m]  instance-hours of run w on o drawn from g's commitments in month m
  u[w,o,m,k,t] instances serving service w on o in month m, slice k, bought on t (on-demand,
             spot) or drawn from commitments ("committed"): a time average over the slice's hours
             (integer when the service asks for whole_instances)
  f[w,o,m]   whole instances of o held all month for service w's availability floor (integer)
  s[w,b,o,m,k] output tokens/s of bucket b of service w served on o in month m, slice k
  r[g,t,s]   instances of g committed on term t (1y, 3y) from month s (integer)
  A[g,m]     committed instances of g active in month m = sum over t, s <= m < s + L_t of r[g,t,s]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pulp

from planner.enums import Term
from planner.model.candidates import Candidates, OfferingGroup, TrainingOption
from planner.model.registry import ConstraintInfo, ConstraintRegistry
from planner.model.serving import ServingOption
from planner.model.timeline import Timeline
from planner.workloads import Budget, InferenceService, TrainingRun

COMMITTED = "committed"  # the u/usage key for instances drawn from commitments
POOL_TERMS = (Term.RESERVED_1Y, Term.RESERVED_3Y, Term.OWN_DC)


def linear(terms: Iterable[tuple[pulp.LpVariable, float]], constant: float = 0) -> pulp.LpAffineExpression:
    """sum of coefficient x variable over `terms`, built in one pass (a variable listed twice adds up;
    a zero coefficient adds no term, as with `0 * v`). PuLP's operators copy an expression for every
    `c * v` and every `+`: on the 36-month benchmark that was a third of the model's build time."""
    acc: dict[pulp.LpVariable, float] = {}
    for v, c in terms:
        if c:
            acc[v] = acc[v] + c if v in acc else c
    return pulp.LpAffineExpression(acc, constant=constant)


class Problem(pulp.LpProblem):  # type: ignore[misc]
    """A pulp.LpProblem whose variables() does not walk every row on each call.

    PuLP's variables() collects the columns again from the objective and every constraint, then
    sorts them: O(non-zeros) per call, and a solve calls it several times (isMIP, the HiGHS adapter
    build and read-back). On the 36-month benchmark's explanation that was about 5 s. Every column
    here is created with add_variable, which registers it, so the registered list is already
    complete (tests/model/test_problem.py checks it against PuLP's walk); it is sorted the same way,
    again only when a column was added since. (PuLP registers a column only when a new row uses it,
    so add_variable registers it too: a column put into an existing row is not missed.)
    """

    def add_variable(self, *args: Any, **kwargs: Any) -> pulp.LpVariable:
        v = super().add_variable(*args, **kwargs)
        self._register_variable(v)  # PuLP registers a column only once a new row uses it
        return v

    def variables(self) -> list[pulp.LpVariable]:
        if self.dummyVar is not None:  # PuLP's stand-in column for an empty objective (fixObjective)
            self._register_variable(self.dummyVar)
        if getattr(self, "_sorted_count", -1) != len(self._variables):
            self._variables.sort(key=lambda v: v.name)
            self._sorted_count = len(self._variables)
        return list(self._variables)


@dataclass(frozen=True)
class CapSpec:
    """A supply cap over a set of offering groups: at most max_gpus GPUs at any one time."""

    label: str
    groups: frozenset[str]
    max_gpus: int
    origin: str  # "budget" (constraints.caps) or "catalog" (an offering's capacity_max_instances)


@dataclass
class Model:
    """A built (not yet solved) model: the PuLP problem plus everything needed to read it back."""

    budget: Budget
    candidates: Candidates
    timeline: Timeline
    prob: pulp.LpProblem
    compact: bool = True  # build_model's compact flag: the served_is_capacity substitution
    registry: ConstraintRegistry = field(default_factory=ConstraintRegistry)
    constraints: dict[str, pulp.LpConstraint] = field(default_factory=dict)  # readable name -> row
    runs: dict[str, TrainingRun] = field(default_factory=dict)
    services: dict[str, InferenceService] = field(default_factory=dict)
    windows: dict[str, dict[int, float]] = field(default_factory=dict)  # run -> month -> window hours
    option_group: dict[str, OfferingGroup] = field(default_factory=dict)  # option id -> offering group
    # training
    y: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    n: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    x: dict[tuple[str, str, Term, int], pulp.LpVariable] = field(default_factory=dict)
    xp: dict[tuple[str, str, int], pulp.LpVariable] = field(default_factory=dict)
    x_by_option: dict[tuple[str, str], list[tuple[Term, int, pulp.LpVariable]]] = field(default_factory=dict)
    xp_by_option: dict[tuple[str, str], list[tuple[int, pulp.LpVariable]]] = field(default_factory=dict)
    # inference
    u: dict[tuple[str, str, int, int, str], pulp.LpVariable] = field(default_factory=dict)
    # output tokens/s served (thousands): a variable, or for served_is_capacity services the capacity
    s: dict[tuple[str, int, str, int, int], pulp.LpVariable | pulp.LpAffineExpression] = field(
        default_factory=dict
    )
    served_is_capacity: set[str] = field(default_factory=set)  # services whose s is their capacity
    # floor instances per month, per kind of non-spot capacity (on_demand, committed)
    f: dict[tuple[str, str, int, str], pulp.LpVariable] = field(default_factory=dict)
    # commitments
    r: dict[tuple[str, Term, int], pulp.LpVariable] = field(default_factory=dict)
    r_by_group: dict[str, list[tuple[Term, int, pulp.LpVariable]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    held: dict[tuple[str, int], pulp.LpVariable] = field(default_factory=dict)  # A[g,m], defined by held:g:m
    z: dict[int, pulp.LpVariable] = field(default_factory=dict)  # own site open in month m (binary)
    kw: dict[int, pulp.LpVariable] = field(default_factory=dict)  # own site's contracted kW in month m
    # money
    cost: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)  # category -> expression
    # objective-only term (see build.TIE_BREAK_USD_PER_GPU_HOUR)
    tie_break: pulp.LpAffineExpression | None = None
    caps: list[CapSpec] = field(default_factory=list)

    groups: dict[str, OfferingGroup] = field(init=False)  # every offering group by id

    def __post_init__(self) -> None:
        self.groups = {g.id: g for g in self.candidates.groups}

    def group_of(self, option_id: str) -> OfferingGroup:
        return self.option_group[option_id]

    def add(self, constraint: pulp.LpConstraint, info: ConstraintInfo) -> None:
        self.registry.add(self.prob, constraint, info)
        self.constraints[info.name] = constraint  # the problem holds this same object

    def options(self, workload: str) -> list[TrainingOption]:
        """Training options of a run."""
        return self.candidates.training.get(workload, [])

    def serving(self, workload: str) -> list[ServingOption]:
        """Serving options of a service."""
        return self.candidates.serving.get(workload, [])

    def active(self, t: Term, g: str, m: int) -> pulp.LpAffineExpression:
        """Instances of group g bought on pooled term t (a commitment, own servers) active in month m."""
        months = self.groups[g].term_months(t)
        return pulp.lpSum(v for tt, s, v in self.r_by_group.get(g, []) if tt == t and s <= m < s + months)

    def pool(self, g: str, m: int) -> pulp.LpAffineExpression | pulp.LpVariable:
        """A[g,m]: committed instances of g active in month m, all terms (a variable defined by
        the held:g:m row, so rows using it stay short)."""
        v = self.held.get((g, m))
        return v if v is not None else pulp.LpAffineExpression()

    def total_cost(self) -> pulp.LpAffineExpression:
        return pulp.lpSum(self.cost.values())

    def cost_value(self) -> float:
        """Total cost of the current solution in USD (without the objective's tie-break term)."""
        return float(pulp.value(self.total_cost()) or 0.0)

    def structural_variables(self) -> list[pulp.LpVariable]:
        """Decisions held fixed for shadow prices: cluster choices and sizes, commitments.

        Pay-per-use instance counts of services stay free, so a demand dual is the marginal
        cost of renting more capacity given the chosen clusters and commitments.
        """
        return [*self.y.values(), *self.n.values(), *self.r.values(), *self.f.values(), *self.z.values()]
