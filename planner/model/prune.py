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

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from planner.enums import Term

if TYPE_CHECKING:  # candidates imports this module to prune its groups
    from planner.model.candidates import OfferingGroup
    from planner.model.serving import ServingOption

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
        # The frontier as one array, so "who dominates i" is one vectorised comparison per group
        # (a catalog has thousands of groups; a pairwise Python loop costs seconds).
        front = np.empty((len(order), len(vectors[order[0]])))
        front_ids: list[int] = []
        for i in order:
            v = np.asarray(vectors[i])
            hits = np.flatnonzero((front[: len(front_ids)] <= v).all(axis=1))
            by = next((front_ids[j] for j in hits if _can_stand_in(groups[front_ids[j]], groups[i])), None)
            if by is None:
                front[len(front_ids)] = v
                front_ids.append(i)
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


# --------------------------------------------------------------------------- serving terms

_REL = 1e-12  # relative tolerance of the price and ratio comparisons below


@dataclass(frozen=True)
class ServingDomination:
    option: ServingOption
    term: Term
    by: ServingOption


@dataclass(frozen=True)
class ServiceTraits:
    """What couples a service's rented capacity across offerings in the model."""

    spot_cap_active: bool  # 0 < max spot fraction < 1: spot's share of GPU-hours is limited
    floor_replicas: int  # min_replicas (0: no availability floor)
    whole_instances: bool
    egress_priced: bool  # egress_gb_per_request > 0: the provider's egress price matters


def prune_serving_terms(
    options: Sequence[ServingOption],
    traits: ServiceTraits,
    cap_signature: Callable[[OfferingGroup], tuple[bool, ...]],
) -> tuple[list[ServingOption], list[ServingDomination]]:
    """Drop a service's rented columns (spot, on-demand) that cannot be in any optimal plan.

    Claim. Let a and b be serving options of one service and t in {spot, on-demand} a term both
    sell. Let φ = max over the buckets b can serve of (c_b/G_b)/(c_a/G_a) (c: an instance's
    output tokens/s for the bucket; G: GPUs per instance; a must serve every bucket b serves), so
    φ·G_b/G_a instances of a serve whatever one instance of b serves, in every bucket mix.
    If (1) φ·(G_b/G_a)·p_a,t <= p_b,t; (2) a has no capacity cap and every budget cap a belongs to
    also holds b, and when a belongs to any, φ <= 1; (3) a's egress USD/GB is no higher (when the
    service pays egress); (4) t = spot and, when spot's share is capped, φ <= 1; or t = on-demand,
    and when spot's share is capped or a replica floor applies,
    φ >= 1, and with a floor G_a divides G_b and min(rep_a,R)·G_b/G_a >= min(rep_b,R);
    then every plan renting b on t has a plan at no higher cost that rents a instead.

    Proof. Move each slot's u_b,t instances to a as φ·(G_b/G_a)·u_b,t and the tokens they served
    with them. By the choice of φ the serving rows of a hold (both derate spot by the same ρ) and
    demand is unchanged. Cost changes by u_b,t·(φ·(G_b/G_a)·p_a,t − p_b,t) <= 0 (1); egress is the
    same tokens at a price no higher (3). GPUs change by the factor φ: caps holding a also hold b
    and see no more GPUs (2). Spot: the spot GPU-hours shrink (φ <= 1) and the others do not
    change, so the share stays within its cap; on-demand: non-spot GPU-hours grow (φ >= 1), which
    only loosens it. Floor: b's on-demand floor instances f_b,od <= u_b,od become f_b,od·G_b/G_a
    whole on-demand instances of a, held since φ >= 1, with at least as many replicas (the floor
    counts on-demand and committed instances separately, so b's committed floor is untouched). ∎

    Options left with no term are dropped. Whole-instance services are not pruned (their rounding
    does not scale by φ). A removed column's dominator is kept, so no frontier member is lost.
    """
    if traits.whole_instances:
        return list(options), []
    removed: dict[int, set[Term]] = defaultdict(set)
    found: list[ServingDomination] = []
    caps = [cap_signature(o.group) for o in options]
    for t in (Term.SPOT, Term.ON_DEMAND):
        sellers = [i for i, o in enumerate(options) if t in o.terms]
        order = sorted(sellers, key=lambda i: (_price_per_token(options[i], t), i))
        frontier: list[int] = []
        for i in order:
            b = options[i]
            by = next((j for j in frontier if _serves_for(options[j], b, t, traits, caps[j], caps[i])), None)
            if by is None:
                frontier.append(i)
            else:
                removed[i].add(t)
                found.append(ServingDomination(b, t, options[by]))
    out = []
    for i, o in enumerate(options):
        terms = tuple(x for x in o.terms if x not in removed.get(i, set()))
        if terms:
            out.append(o if len(terms) == len(o.terms) else dataclasses.replace(o, terms=terms))
    return out, found


def _price_per_token(o: ServingOption, t: Term) -> float:
    price = o.group.price(t)
    best = max((c.tokens_per_s for c in o.capacity if c is not None), default=0.0)
    return _INF if price is None or best <= 0 else price / best


def _serves_for(
    a: ServingOption,
    b: ServingOption,
    t: Term,
    traits: ServiceTraits,
    caps_a: tuple[bool, ...],
    caps_b: tuple[bool, ...],
) -> bool:
    """Conditions (1)-(4) of prune_serving_terms: a's t-capacity can stand in for b's."""
    if a.group.offering.capacity_max_instances is not None:
        return False
    if any(x and not y for x, y in zip(caps_a, caps_b, strict=True)):
        return False
    if traits.egress_priced and (a.group.egress_usd_per_gb or 0.0) > (b.group.egress_usd_per_gb or 0.0):
        return False
    ga, gb = a.group.gpus, b.group.gpus
    phi = 0.0
    for ca, cb in zip(a.capacity, b.capacity, strict=True):
        if cb is None:
            continue
        if ca is None or ca.tokens_per_s <= 0:
            return False
        phi = max(phi, (cb.tokens_per_s / gb) / (ca.tokens_per_s / ga))
    pa, pb = a.group.price(t), b.group.price(t)
    if pa is None or pb is None or phi * (gb / ga) * pa > pb * (1 + _REL):
        return False
    if any(caps_a) and phi > 1 + _REL:
        return False
    if t == Term.SPOT:
        return not (traits.spot_cap_active and phi > 1 + _REL)
    if (traits.spot_cap_active or traits.floor_replicas > 0) and phi < 1 - _REL:
        return False
    if traits.floor_replicas > 0:
        r = traits.floor_replicas
        if gb % ga or min(a.replicas, r) * (gb // ga) < min(b.replicas, r):
            return False
    return True
