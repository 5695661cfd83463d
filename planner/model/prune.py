"""Dominance pruning: drop offering groups that cannot appear in any optimal plan.

Claim. Let g and h be offering groups such that
  (1) h's GPUs per instance divide g's: gpus_g = k·gpus_h for an integer k >= 1; h has a cluster
      fabric if g has one, and also whenever k > 1 (k instances of h stand in for one of g);
  (2) per GPU, h is at least as capable as g for every workload of the budget: for a training
      run, effective FLOPs per GPU-hour (peak x MFU x goodput) and memory per GPU no lower; for a
      service, output tokens/s per GPU for every request bucket (at the latency targets) and
      replicas per GPU no lower. A workload that may not use a group (allow-list, no native
      precision, latency) counts as capability 0;
  (3) per GPU-hour, for every purchase term t allowed for some workload and sold by g, h sells t
      no dearer; h's egress price (USD/GB) is no higher; and h has no capacity cap (an offering's
      capacity adds to the others', so a capped h could not absorb g's share as well as its own);
  (4) h and g belong to exactly the same budget caps.
Then for every plan P using g there is a plan P' that uses h instead, costs no more and is
feasible; so removing g does not change the optimal cost.

Proof. Build P' by replacing every g instance by k h instances: cluster sizes, instance counts
per term and slot, and commitments r[g,t,s] are multiplied by k and moved to h; hours, served
tokens and draws move unchanged. The GPU count of every cluster and slot is unchanged, so the
scaling-efficiency tiers and every cap see the same GPUs (4); a cluster of several h instances
has a fabric (1), and h has no capacity cap to exceed (3). Per GPU, h delivers at least the FLOPs,
memory, tokens per bucket and replicas (2), so FLOP, memory, deadline, demand, serving capacity
and availability constraints hold; spot shares and commitment pools see the same GPU-hours.
Every cost term is a price per GPU-hour times unchanged GPU-hours (egress: the same tokens), each
no higher (3), so cost(P') <= cost(P). Of two groups that dominate each other, exactly one is
kept, by a fixed order, so no frontier member is lost. ∎

Groups are bucketed by cap membership; within a bucket a skyline over per-GPU vectors
(prices, egress, -capabilities) keeps the non-dominated groups, a candidate dominator also
having to pass the size, fabric and capacity test (1), (3). Each removed group is reported with
the group that dominates it.
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
    """Per GPU, smaller is better in every coordinate: prices per GPU-hour (absent = +inf),
    egress, minus each capability per GPU."""
    n = g.gpus
    prices = tuple(p / n if (p := g.price(t)) is not None else _INF for t in terms)
    return (*prices, egress, *(-c / n for c in capability))


def _dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True))


def _can_stand_in(h: OfferingGroup, g: OfferingGroup) -> bool:
    """Conditions (1) and the capacity part of (3): k whole instances of h replace one of g, with a
    fabric where one is needed, and h has no capacity cap."""
    if g.gpus % h.gpus or h.offering.capacity_max_instances is not None:
        return False
    fabric_h = h.offering.cluster_interconnect is not None
    fabric_g = g.offering.cluster_interconnect is not None
    return fabric_h or (not fabric_g and g.gpus == h.gpus)


def prune_dominated(
    groups: Sequence[OfferingGroup],
    terms: Sequence[Term],
    cap_signature: Callable[[OfferingGroup], tuple[bool, ...]],
    egress_of: Callable[[OfferingGroup], float],
    capability: Callable[[OfferingGroup], tuple[float, ...]],
) -> tuple[list[OfferingGroup], list[Dominated]]:
    """The non-dominated groups (in input order) and the dominated ones with their dominator.

    `capability(g)` is per instance (bigger is better); it is normalised per GPU here.
    """
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        buckets[cap_signature(g)].append(i)
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
            by = next(
                (
                    f
                    for f in frontier
                    if _dominates(vectors[f], vectors[i]) and _can_stand_in(groups[f], groups[i])
                ),
                None,
            )
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
