"""Dominance pruning: drop offering groups that cannot appear in any optimal plan.

Claim. Let g and h be offering groups with
  (1) the same GPUs per instance, and h has a cluster fabric whenever g has one;
  (2) an h instance at least as capable as a g instance for every workload of the budget: for a
      training run, effective FLOPs per GPU-hour (peak x MFU x goodput) and memory per GPU no
      lower; for a service, output tokens/s per instance for every request bucket (at the
      latency targets) and replicas per instance no lower. A workload that may not use a group
      (allow-list, no native precision, latency) counts as capability 0;
  (3) for every purchase term t allowed for some workload and sold by g, h sells t and
      price_h(t) <= price_g(t) (USD per instance-hour); h's egress price <= g's; and h's
      capacity cap is at least g's;
  (4) h and g belong to exactly the same budget caps.
Then for every plan P using g there is a plan P' that uses h instead, costs no more and is
feasible; so removing g does not change the optimal cost.

Proof. Build P' by renaming: every variable of P on g (cluster choices, instances, hours on each
term, served tokens, commitments r[g,t,s]) moves to the same variable on h with the same value.
Same GPUs per instance (1) gives the same scaling-efficiency tiers and GPU counts in caps (4);
cluster-size bounds are no tighter on h (1, 3). With the same instances and hours, h delivers at
least the FLOPs, holds at least the memory, serves at least the tokens of every bucket within
each slot's instances and at least the replicas (2), so FLOP, memory, deadline, demand, serving
capacity and availability constraints hold; spot shares and commitment pools see the same hours
and counts. Every cost term is a price times an unchanged quantity (egress: the same tokens
served), and each price is no higher (3), so cost(P') <= cost(P). If g and h dominate each other,
exactly one is kept, by a fixed order, so no frontier member is lost. ∎

Groups are bucketed by GPUs per instance, fabric flag and cap membership; inside a bucket a
skyline over (prices, egress, -capacity cap, -capabilities) keeps the non-dominated groups. Each
removed group is reported with the group that dominates it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.enums import Term

if TYPE_CHECKING:  # candidates imports this module to prune its groups
    from planner.model.candidates import OfferingGroup

_INF = math.inf


@dataclass(frozen=True)
class Dominated:
    group: OfferingGroup
    by: OfferingGroup
    reason: str


def _vector(
    g: OfferingGroup, terms: Sequence[Term], egress: float, capability: tuple[float, ...]
) -> tuple[float, ...]:
    """Smaller is better in every coordinate: prices (absent = +inf), egress, minus capacity cap,
    minus each capability."""
    prices = tuple(p if (p := g.price(t)) is not None else _INF for t in terms)
    cap = g.offering.capacity_max_instances
    return (*prices, egress, -(cap if cap is not None else _INF), *(-c for c in capability))


def _dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True))


def prune_dominated(
    groups: Sequence[OfferingGroup],
    terms: Sequence[Term],
    cap_signature: Callable[[OfferingGroup], tuple[bool, ...]],
    egress_of: Callable[[OfferingGroup], float],
    capability: Callable[[OfferingGroup], tuple[float, ...]],
) -> tuple[list[OfferingGroup], list[Dominated]]:
    """The non-dominated groups (in input order) and the dominated ones with their dominator."""
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        key = (g.gpus, g.offering.cluster_interconnect is not None, cap_signature(g))
        buckets[key].append(i)
    keep = [True] * len(groups)
    dominated: list[Dominated] = []
    for members in buckets.values():
        if len(members) == 1:
            continue
        vectors = {i: _vector(groups[i], terms, egress_of(groups[i]), capability(groups[i])) for i in members}
        # Sorted by the vector (then input order) a dominator always comes before what it dominates,
        # and of two equal vectors the earlier one is kept.
        order = sorted(members, key=lambda i: (vectors[i], i))
        frontier: list[int] = []
        for i in order:
            by = next((f for f in frontier if _dominates(vectors[f], vectors[i])), None)
            if by is None:
                frontier.append(i)
                continue
            keep[i] = False
            dominated.append(Dominated(groups[i], groups[by], _reason(groups[i], groups[by], terms)))
    return [g for i, g in enumerate(groups) if keep[i]], dominated


def _reason(g: OfferingGroup, h: OfferingGroup, terms: Sequence[Term]) -> str:
    parts = []
    for t in terms:
        pg, ph = g.price(t), h.price(t)
        if pg is not None and ph is not None:
            parts.append(f"{t.value} ${ph:,.2f} vs ${pg:,.2f}/h")
    prices = "; ".join(parts) or "no dearer on any term"
    same = (
        "same hardware"
        if g.accelerator.id == h.accelerator.id
        else f"{h.accelerator.id} instance at least as capable"
    )
    return f"dominated by {h.id}: {same} for every workload, no dearer on any allowed term ({prices})"
