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
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
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
    terms: tuple[Term, ...]  # the terms compared

    @property
    def reason(self) -> str:
        """Why, in words (built on demand: a 100k-offering catalog has ~95k dominated groups and a
        re-plan reads none of the reasons)."""
        return _reason(self.group, self.by, self.terms)


# Recent prune_dominated results, keyed by the identity of its groups (held here, so no id is
# reused while cached) and every other input. The explanation's re-plans that change a training
# run's deadline pass the same groups, terms, caps and capabilities as the plan: on the 100k
# synthetic catalog the prune is ~2 s of Python each time, under the GIL. Groups of another catalog
# evict the entries (see _remember): a session planning on catalog after catalog keeps one alive.
# An entry: the groups (held), the kept ones' positions, (dominated, dominator) position pairs
# (None: the prune was asked for the kept groups only).
_Entry = tuple["Sequence[OfferingGroup]", list[int], "list[tuple[int, int]] | None"]
_PRUNE_CACHE: dict[tuple, _Entry] = {}
_PRUNE_CACHE_SIZE = 4
_PRUNE_LOCK = threading.Lock()


def _vector(
    g: OfferingGroup, terms: Sequence[Term], egress: float, capability: tuple[float, ...]
) -> tuple[float, ...]:
    """Per GPU, smaller is better in every coordinate: prices per GPU-hour (absent = +inf),
    egress, minus each capability per GPU."""
    n = g.gpus
    prices = tuple(p / n if (p := g.price(t)) is not None else _INF for t in terms)
    return (*prices, egress, *(-c / n for c in capability))


def prune_dominated(
    groups: Sequence[OfferingGroup],
    terms: Sequence[Term],
    cap_signature: Callable[[OfferingGroup], tuple[bool, ...]],
    egress_of: Callable[[OfferingGroup], float],
    capability: Callable[[OfferingGroup], tuple[float, ...]],
    dominators: bool = True,
) -> tuple[list[OfferingGroup], list[Dominated]]:
    """The non-dominated groups (in input order) and the dominated ones with their dominator.

    `capability(g)` is per instance (bigger is better); it is normalised per GPU here. Results are
    cached on the inputs (_PRUNE_CACHE): groups by identity, the rest by value. dominators=False
    returns no dominated list (a re-plan reads only the kept groups), which lets a prune whose
    capabilities only rose since a cached one look at far fewer groups (_risen).
    """
    signatures = [cap_signature(g) for g in groups]
    capabilities = [capability(g) for g in groups]
    egress = [egress_of(g) for g in groups]
    key = (tuple(map(id, groups)), tuple(terms), tuple(signatures), tuple(capabilities), tuple(egress))
    with _PRUNE_LOCK:  # the explanation's re-plans may run in threads
        hit = _PRUNE_CACHE.get(key)
        entries = list(_PRUNE_CACHE.items())
    pairs: list[tuple[int, int]] | None
    if hit is not None and (hit[2] is not None or not dominators):
        _, kept, pairs = hit
    else:
        subset = None if dominators else _risen(key, entries)
        if subset is None:
            kept, pairs = _prune(groups, terms, signatures, egress, capabilities)
        else:
            found, _ = _prune(
                [groups[i] for i in subset],
                terms,
                [signatures[i] for i in subset],
                [egress[i] for i in subset],
                [capabilities[i] for i in subset],
            )
            kept, pairs = [subset[i] for i in found], None
        _remember(key, (groups, kept, pairs))
    if not dominators:
        return [groups[i] for i in kept], []
    assert pairs is not None
    names = tuple(terms)
    return [groups[i] for i in kept], [Dominated(groups[i], groups[by], names) for i, by in pairs]


def _risen(key: tuple, entries: list[tuple[tuple, _Entry]]) -> list[int] | None:
    """Indices (ascending) of a subset of the groups that holds every non-dominated one, from a
    cached prune whose inputs differ from `key`'s only in that capabilities rose or groups were
    added; None when no cached prune is such.

    Claim: the subset S of that prune's kept groups and the groups added or whose capability rose
    has the same non-dominated groups as the whole list (so pruning S keeps exactly them).
    Proof. Dominance (prune_dominated's (1)-(4)) is transitive, so with a fixed order (vector, then
    position) a group is kept iff no group before it dominates it. Let g be unchanged and dropped
    by the cached prune, dominated by h before it. h's capabilities only rose and g's did not
    change, so h still dominates g, and still comes first (a vector no larger; ties keep the
    cached order, as the groups kept their relative positions): g is dropped from the whole list,
    so every kept group is in S. A kept group has no dominator before it in the whole list, hence
    none in S. A dropped one is dominated by a kept group before it (follow its dominators), which
    is in S. ∎
    """
    ids, terms, signatures, capabilities, egress = key
    position: dict[int, int] | None = None
    for old, (_, kept, _) in entries:
        if old[1] != terms or len(old[0]) > len(ids) or old[0][:1] == ():
            continue
        if position is None:
            position = {x: i for i, x in enumerate(ids)}
        changed = set(range(len(ids)))  # new groups, and those whose capabilities rose
        last = -1
        for j, x in enumerate(old[0]):
            i = position.get(x)
            if i is None or i <= last or old[2][j] != signatures[i] or old[4][j] != egress[i]:
                break  # a group gone or moved before another, or its caps or egress changed
            before, now = old[3][j], capabilities[i]
            if before == now:
                changed.discard(i)
            elif len(before) != len(now) or any(b > a for a, b in zip(now, before, strict=True)):
                break
            last = i
        else:
            return sorted(changed | {position[old[0][j]] for j in kept})
    return None


def _remember(key: tuple, entry: _Entry) -> None:
    """Cache `entry`, evicting the oldest beyond _PRUNE_CACHE_SIZE and every entry that shares no
    group with it: groups are a catalog's (candidates.group_offerings), so those are another
    catalog's, which the cache alone would keep in memory (three 100k-offering catalogs planned in
    a row: 1.6 GiB, against 0.8 GiB for one)."""
    ids = set(key[0])
    with _PRUNE_LOCK:  # the explanation's re-plans may run in threads
        for old in [k for k in _PRUNE_CACHE if k[0] and k[0][0] not in ids]:
            del _PRUNE_CACHE[old]
        _PRUNE_CACHE.pop(key, None)
        while len(_PRUNE_CACHE) >= _PRUNE_CACHE_SIZE:
            del _PRUNE_CACHE[next(iter(_PRUNE_CACHE))]
        _PRUNE_CACHE[key] = entry


def _prune(
    groups: Sequence[OfferingGroup],
    terms: Sequence[Term],
    signatures: list[tuple[bool, ...]],
    egress: list[float],
    capabilities: list[tuple[float, ...]],
) -> tuple[list[int], list[tuple[int, int]]]:
    """prune_dominated on indices: the kept ones (in input order) and (dominated, dominator) pairs."""
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i, sig in enumerate(signatures):
        buckets[sig].append(i)
    keep = [True] * len(groups)
    dominated: list[tuple[int, int]] = []
    for members in buckets.values():
        if len(members) == 1:
            continue
        vectors = {i: _vector(groups[i], terms, egress[i], capabilities[i]) for i in members}
        # Sorted by the vector (then input order) a dominator always comes before what it dominates,
        # and of two equal vectors the earlier one is kept.
        order = sorted(members, key=lambda i: (vectors[i], i))
        for pos, by in _dominators([groups[i] for i in order], np.array([vectors[i] for i in order])):
            keep[order[pos]] = False
            dominated.append((order[pos], order[by]))
    return [i for i in range(len(groups)) if keep[i]], dominated


# Groups compared with the frontier at once (one array operation per block instead of per group:
# on the 100k synthetic catalog ~95k groups are dominated, and per-group numpy calls cost ~1.5 s).
_BLOCK = 256


def _dominators(groups: Sequence[OfferingGroup], vectors: np.ndarray) -> list[tuple[int, int]]:
    """(position, position of its dominator) for each group that a group before it dominates and
    can stand in for, the first such group of the frontier; `vectors` in sorted order, so a
    dominator always comes first. Block by block: the frontier as it stood before the block in one
    comparison, then the block's own additions to it one group at a time, which finds the same
    first dominator as comparing each group with the frontier in turn."""
    gpus = np.array([g.gpus for g in groups])
    uncapped = np.array([g.offering.capacity_max_instances is None for g in groups])
    fabric = np.array([g.offering.cluster_interconnect is not None for g in groups])

    def dominated_by(rows: np.ndarray, front: np.ndarray) -> np.ndarray:
        """[i, j]: front[j] dominates rows[i] and can stand in for it: conditions (1) and the
        capacity part of (3), k whole instances of it replace one, with a fabric where one is
        needed, and it has no capacity cap."""
        hit = np.ones((len(rows), len(front)), dtype=bool)
        for d in range(vectors.shape[1]):
            hit &= vectors[front, d][None, :] <= vectors[rows, d][:, None]
        g_gpus, h_gpus = gpus[rows][:, None], gpus[front][None, :]
        hit &= (g_gpus % h_gpus == 0) & uncapped[front][None, :]
        hit &= fabric[front][None, :] | (~fabric[rows][:, None] & (g_gpus == h_gpus))
        return hit

    front: list[int] = []
    found: list[tuple[int, int]] = []
    for start in range(0, len(groups), _BLOCK):
        rows = np.arange(start, min(start + _BLOCK, len(groups)))
        first = np.full(len(rows), -1)
        if front:
            f = np.array(front)
            hit = dominated_by(rows, f)
            some = hit.any(axis=1)
            first[some] = f[hit[some].argmax(axis=1)]
        added = len(front)
        for r, pos in enumerate(rows.tolist()):
            if first[r] >= 0:
                found.append((pos, int(first[r])))
                continue
            own = front[added:]
            hits = dominated_by(np.array([pos]), np.array(own))[0] if own else np.zeros(0, dtype=bool)
            if hits.any():
                found.append((pos, own[int(hits.argmax())]))
            else:
                front.append(pos)
    return found


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
    instances: int = 1  # whole instances of `by` that stand in for one of `option` (committed terms)


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
    ratio = _bucket_ratio(a, b)
    if ratio is None:
        return False
    phi = ratio * ga / gb  # per GPU
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


# --------------------------------------------------------------------------- committed terms

COMMITTED_TERMS = (Term.RESERVED_1Y, Term.RESERVED_3Y)  # the pooled cloud terms (own servers: never pruned)


def prune_committed_terms(
    serving: Mapping[str, Sequence[ServingOption]],
    traits: Mapping[str, ServiceTraits],
    shared: Collection[str],
    cap_signature: Callable[[OfferingGroup], tuple[bool, ...]],
) -> tuple[dict[str, list[ServingOption]], list[ServingDomination]]:
    """Drop the committed columns (1y, 3y) of offering groups whose pool serves services only and
    that whole instances of another group's commitments replace (one big instance by k small ones).

    `serving`: every service's options; `shared`: ids of the groups whose pool some training run
    can draw on (an option with a pooled term).

    Claim. Let a and b be cloud offering groups (not own servers), b not in `shared`, and let
    T_wb be the committed terms (1y, 3y) of service w's option for b. Let k >= 1 be an integer
    such that
      (1) for every service w with T_wb non-empty, a is an option of w whose terms include T_wb,
          with k·p_a,t <= p_b,t (USD per instance-hour) for every t in T_wb;
      (2) for every such w: k·c_a,q >= c_b,q (output tokens/s per instance) for every request
          bucket q b serves (a must serve it); with a replica floor R > 0, k·min(rep_a, R) >=
          min(rep_b, R); when w pays egress, a's USD/GB is no higher;
      (3) k·G_a <= G_b (GPUs per instance), and k·G_a = G_b when any such w caps spot's share
          (0 < f_w < 1);
      (4) a has no capacity cap and every budget cap holding a also holds b;
    then every plan P has a plan P' at no higher cost with no commitment on b, so dropping every
    committed term of b from every option leaves the optimal cost unchanged.

    Proof. P' moves every commitment r[b,t,s] to k·r[a,t,s], and for every service w every draw
    u[w,b,m,k',committed] (month m, slice k') and floor instance f[w,b,m,committed] to k times as
    many of a, with the tokens those draws served: b's served tokens s[w,q,b,m,k'] in the
    committed share u_committed / (u_od + (1-ρ)·u_spot + u_committed) of b's capacity in the
    slot, after trimming P's served tokens to the demand (demand rows are >=; lower s only
    loosens the serving and small_demand rows and egress). The column r[a,t,s]
    exists: b's start months for t are the months of the services whose option for b has t (b has
    no training months, b not in `shared`), and by (1) each of those options of a has t too. Pool
    rows commitment:a:* gain k times b's draws on the left and k·A[b,m] on the right (the same
    terms t and start months s, so the same months held); training draws on a are unchanged,
    and b's pool rows become 0 <= 0. Serving rows: the moved tokens need sum_q s_q/c_a,q <=
    k·sum_q s_q/c_b,q <= k·u_committed instances of a by (2), and a gains exactly those; b keeps
    the rest of its load on the rest of its capacity. In the compact formulation (s = c·capacity)
    a's capacity serves at least b's tokens, and demand rows are >=. Where small_demand rows
    apply (whole instances), the moved tokens are at most D and the moved draws 0 or >= 1
    instance. Floors: floor_held gains k·f and k·u alike (f above its bound ceil(R/rep_a) is
    lowered to it, which still meets the replicas row alone); replicas (per month on f, or per
    slice on u with whole instances) gain k·min(rep_a,R) >= min(rep_b,R) per moved instance (2).
    Cost: each moved commitment costs k·p_a,t·730·L (L the same, also with
    credit_reserved_beyond_horizon, which depends on t and s only) no more than p_b,t·730·L (1);
    the draws' tie-break is per GPU-hour, so it changes by (k·G_a − G_b)·hours <= 0 (3); egress
    is the same tokens at a price no higher (2). Caps: held GPUs change by (k·G_a − G_b)·A[b,m]
    <= 0 in caps holding a, which hold b too (4); caps holding b only lose GPUs; a has no
    capacity cap (4). Spot share: the service's total GPU-hours change by (k·G_a − G_b)·hours·u,
    zero where the share is capped (3); with f_w >= 1 the row always holds, with f_w = 0 there
    is no spot. Whole-instance draws stay integers (k times an integer). So P' is feasible and
    costs no more. ∎

    Groups are visited by their price vector (1y, 3y; +inf where no service may buy the term),
    then id, so a dominator's vector, componentwise no higher (k·p_a <= p_b implies p_a <= p_b),
    comes first; a dominator is kept (never dropped here), so no frontier member is lost.
    Options left with no term are dropped. Not every dominated group is found (equal price vectors: the later one is not a dominator
    of the earlier), only none is dropped wrongly.
    """
    by_group: dict[str, dict[str, ServingOption]] = defaultdict(dict)
    for w, options in serving.items():
        for o in options:
            if not o.group.own_dc and any(t in COMMITTED_TERMS for t in o.terms):
                by_group[o.id][w] = o
    if len(by_group) < 2:
        return {w: list(options) for w, options in serving.items()}, []
    group = {gid: next(iter(per.values())).group for gid, per in by_group.items()}
    vectors = {gid: _committed_prices(group[gid], per.values()) for gid, per in by_group.items()}
    caps = {gid: cap_signature(g) for gid, g in group.items()}
    order = sorted(by_group, key=lambda gid: (vectors[gid], gid))
    # Candidate dominators as arrays: price and GPU tests are one vectorised comparison per group,
    # the per-service test runs on the few that pass it.
    front_prices = np.empty((len(order), len(COMMITTED_TERMS)))
    front_gpus = np.empty(len(order))
    front_ids: list[str] = []
    removed: dict[str, tuple[str, int]] = {}  # dominated group -> (dominator, its instances per one)
    for b in order:
        g = group[b]
        if b not in shared:
            n = len(front_ids)
            price_ok = (front_prices[:n] <= np.asarray(vectors[b]) * (1 + _REL)).all(axis=1)
            hits = np.flatnonzero(price_ok & (front_gpus[:n] <= g.gpus))
            for j in hits:
                k = _commits_for(by_group[front_ids[j]], by_group[b], traits, caps[front_ids[j]], caps[b])
                if k is not None:
                    removed[b] = (front_ids[j], k)
                    break
            if b in removed:
                continue
        if g.offering.capacity_max_instances is None:  # a capped group cannot stand in: (4)
            n = len(front_ids)
            front_prices[n] = vectors[b]
            front_gpus[n] = g.gpus
            front_ids.append(b)
    found: list[ServingDomination] = []
    out: dict[str, list[ServingOption]] = {}
    for w, options in serving.items():
        kept = []
        for o in options:
            if o.id not in removed or w not in by_group[o.id]:
                kept.append(o)
                continue
            a, k = removed[o.id]
            found += [ServingDomination(o, t, by_group[a][w], k) for t in o.terms if t in COMMITTED_TERMS]
            terms = tuple(t for t in o.terms if t not in COMMITTED_TERMS)
            if terms:
                kept.append(dataclasses.replace(o, terms=terms))
        out[w] = kept
    return out, found


def _committed_prices(g: OfferingGroup, options: Iterable[ServingOption]) -> tuple[float, ...]:
    """Per instance-hour price of each committed term some service may buy on g (+inf: none)."""
    offered = {t for o in options for t in o.terms}
    return tuple(p if t in offered and (p := g.price(t)) is not None else _INF for t in COMMITTED_TERMS)


def _commits_for(
    a: Mapping[str, ServingOption],
    b: Mapping[str, ServingOption],
    traits: Mapping[str, ServiceTraits],
    caps_a: tuple[bool, ...],
    caps_b: tuple[bool, ...],
) -> int | None:
    """Conditions (1)-(4) of prune_committed_terms (the price and GPU pre-test passed): the k
    whole instances of a's commitments that stand in for one of b's in every service that may
    buy b's (the fewest that serve what one b serves), or None."""
    if any(x and not y for x, y in zip(caps_a, caps_b, strict=True)):
        return None
    if any(w not in a for w in b):
        return None
    needs = [_instances_for(a[w], ob, traits[w].floor_replicas) for w, ob in b.items()]
    if None in needs:
        return None
    k = max(n for n in needs if n is not None)
    for w, ob in b.items():
        oa = a[w]
        ga, gb = oa.group, ob.group
        for t in ob.terms:
            if t not in COMMITTED_TERMS:
                continue
            pa, pb = ga.price(t), gb.price(t)
            if t not in oa.terms or pa is None or pb is None or k * pa > pb * (1 + _REL):
                return None
        tr = traits[w]
        if tr.egress_priced and (ga.egress_usd_per_gb or 0.0) > (gb.egress_usd_per_gb or 0.0):
            return None
        if k * ga.gpus > gb.gpus or (tr.spot_cap_active and k * ga.gpus != gb.gpus):
            return None
    return k


def _instances_for(oa: ServingOption, ob: ServingOption, floor_replicas: int) -> int | None:
    """The fewest whole instances of oa that serve every bucket one instance of ob serves and
    carry as many floor replicas; None where oa cannot serve a bucket ob serves."""
    ratio = _bucket_ratio(oa, ob)
    if ratio is None:
        return None
    k = max(1, math.ceil(ratio / (1 + _REL)))
    r = floor_replicas
    if r > 0:
        k = max(k, math.ceil(min(ob.replicas, r) / min(oa.replicas, r)))
    return k


def _bucket_ratio(a: ServingOption, b: ServingOption) -> float | None:
    """The largest, over the request buckets b serves, of one b instance's output tokens/s over one
    a instance's (0.0 where b serves none); None where a cannot serve a bucket b serves."""
    ratio = 0.0
    for ca, cb in zip(a.capacity, b.capacity, strict=True):
        if cb is None:
            continue
        if ca is None or ca.tokens_per_s <= 0:
            return None
        ratio = max(ratio, cb.tokens_per_s / ca.tokens_per_s)
    return ratio
