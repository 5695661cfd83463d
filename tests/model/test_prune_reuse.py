"""Re-plans reuse the plan's dominance pruning (prune._PRUNE_CACHE) and skip exclusion records
(generate_candidates(exclusions=False)): same candidates, never a stale result."""

from __future__ import annotations

from test_training_hand import X_PRICE, run
from tinycat import catalog, offering

from planner.enums import Term
from planner.model.candidates import generate_candidates, group_offerings
from planner.model.prune import prune_dominated
from planner.whatif import with_run
from planner.workloads import Budget


def _cat():
    # beta sells the same 8 x X1000 for $10/h more: dominated by alpha on every term.
    return catalog(offering("alpha", "x8", "X1000", X_PRICE), offering("beta", "x8", "X1000", X_PRICE + 10))


def test_a_re_plan_keeps_the_plans_candidates_without_the_exclusion_records():
    cat, budget = _cat(), Budget(name="one", workloads=[run()])
    plan_cands = generate_candidates(budget, cat)
    [dominated] = [e for e in plan_cands.exclusions if e.code == "dominated"]
    assert dominated.group == "beta/r1/x8"
    assert dominated.reason.startswith("dominated by alpha/r1/x8: same hardware for every workload")
    assert "on_demand $80.00 vs $90.00/h" in dominated.reason
    later = with_run(budget, "pretrain", deadline_days=40)  # the same capabilities: a cache hit
    replan = generate_candidates(later, cat, exclusions=False)
    assert not any(e.code == "dominated" for e in replan.exclusions)
    ids = sorted({o.group.id for o in replan.training["pretrain"]})
    assert ids == sorted({o.group.id for o in plan_cands.training["pretrain"]}) == ["alpha/r1/x8"]


def test_the_prune_cache_answers_only_the_same_inputs():
    groups = group_offerings(_cat())
    terms = [Term.ON_DEMAND]

    def prune(flops_per_instance: dict[str, float]):
        kept, gone = prune_dominated(
            groups,
            terms,
            cap_signature=lambda g: (),
            egress_of=lambda g: 0.0,
            capability=lambda g: (flops_per_instance[g.offering.provider],),
        )
        return [g.id for g in kept], [(d.group.id, d.by.id) for d in gone]

    same = {"alpha": 1.0, "beta": 1.0}
    assert prune(same) == prune(same) == (["alpha/r1/x8"], [("beta/r1/x8", "alpha/r1/x8")])
    # beta now does more per instance: no longer dominated, whatever was cached.
    assert prune({"alpha": 1.0, "beta": 2.0}) == (["alpha/r1/x8", "beta/r1/x8"], [])


def test_the_prune_cache_keeps_one_catalogs_groups():
    """Pruning another catalog's groups evicts the entries of the last one (which the cache alone
    would keep alive); the same catalog's entries stay, up to the cache size."""
    from planner.model import prune

    def prune_on(groups, flops: float):
        prune_dominated(
            groups,
            [Term.ON_DEMAND],
            cap_signature=lambda g: (),
            egress_of=lambda g: 0.0,
            capability=lambda g: (flops,),
        )
        return {id(g) for key in prune._PRUNE_CACHE for g in prune._PRUNE_CACHE[key][0]}

    prune._PRUNE_CACHE.clear()
    first, second = group_offerings(_cat()), group_offerings(_cat())
    assert {id(g) for g in first} <= prune_on(first, 1.0)
    assert {id(g) for g in first} <= prune_on(first, 2.0)  # same catalog: both entries kept
    assert sum(k[0][:1] == (id(first[0]),) for k in prune._PRUNE_CACHE) == 2
    cached = prune_on(second, 1.0)
    assert cached == {id(g) for g in second}  # only the new catalog's groups are held


def test_block_frontier_finds_the_same_dominators_as_one_group_at_a_time():
    # prune._dominators compares a block of groups with the frontier at once; the plain loop below
    # compares each group with the frontier in turn. Same pairs, same first dominator, across
    # several blocks, with ties, GPU counts that do or do not divide, fabrics and capacity caps.
    import random
    from types import SimpleNamespace

    import numpy as np

    from planner.model.prune import _BLOCK, _dominators

    def can_stand_in(h, g) -> bool:  # prune_dominated's (1) and (3), one pair at a time
        if g.gpus % h.gpus or h.offering.capacity_max_instances is not None:
            return False
        fabric_h = h.offering.cluster_interconnect is not None
        return fabric_h or (g.offering.cluster_interconnect is None and g.gpus == h.gpus)

    rng = random.Random(7)
    n = 3 * _BLOCK + 17
    groups = [
        SimpleNamespace(
            gpus=rng.choice([1, 2, 4, 8]),
            offering=SimpleNamespace(
                capacity_max_instances=rng.choice([None, None, None, 4]),
                cluster_interconnect=rng.choice([None, "ib"]),
            ),
        )
        for _ in range(n)
    ]
    vectors = sorted(tuple(float(rng.randint(0, 6)) for _ in range(3)) for _ in range(n))
    expected, front = [], []
    for pos, v in enumerate(vectors):
        by = next(
            (
                q
                for q in front
                if all(a <= b for a, b in zip(vectors[q], v, strict=True))
                and can_stand_in(groups[q], groups[pos])
            ),
            None,
        )
        if by is None:
            front.append(pos)
        else:
            expected.append((pos, by))
    assert len(expected) > n // 2  # most are dominated, as in a real catalog
    assert _dominators(groups, np.array(vectors)) == expected


def _random_groups(rng, n: int):
    from types import SimpleNamespace

    def group(k: int):
        gpus = rng.choice([1, 2, 4, 8])
        prices = {
            t: (None if rng.random() < 0.1 else rng.randint(1, 6) * gpus) for t in (Term.ON_DEMAND, Term.SPOT)
        }
        return SimpleNamespace(
            id=f"g{k}",
            gpus=gpus,
            price=prices.get,
            offering=SimpleNamespace(
                capacity_max_instances=rng.choice([None, None, None, 4]),
                cluster_interconnect=rng.choice([None, "ib"]),
            ),
        )

    return [group(k) for k in range(n)]


def test_a_prune_whose_capabilities_only_rose_keeps_what_a_full_prune_keeps():
    """prune._risen: after a cached prune, a prune with some capabilities raised and some groups
    added (as a looser latency target does) looks only at the cached frontier and the changed
    groups; over many random instances (ties, caps, fabrics, buckets) it keeps exactly the groups
    a prune from a cold cache keeps. A capability that fell is not taken incrementally."""
    import random

    from planner.model import prune

    rng = random.Random(11)
    terms = [Term.ON_DEMAND, Term.SPOT]
    incremental = falls = 0
    for _ in range(150):
        pool = _random_groups(rng, rng.randint(5, 60))
        before = [g for g in pool if rng.random() < 0.8]
        caps = {g.id: tuple(float(rng.randint(0, 3) * g.gpus) for _ in range(2)) for g in pool}
        signature = {g.id: (rng.random() < 0.2,) for g in pool}

        def run(groups, capability, dominators=True, signature=signature):
            return prune_dominated(
                groups,
                terms,
                cap_signature=lambda x: signature[x.id],
                egress_of=lambda x: 0.0,
                capability=lambda x: capability[x.id],
                dominators=dominators,
            )

        prune._PRUNE_CACHE.clear()
        _, dominated = run(before, caps)
        raised = {
            gid: tuple(c + (rng.randint(0, 2) if rng.random() < 0.3 else 0) for c in cap)
            for gid, cap in caps.items()
        }
        if dominated and rng.random() < 0.2:  # a dominator's capability falls: no incremental prune
            raised[rng.choice(dominated).by.id] = (0.0, 0.0)
            falls += 1
        entries = list(prune._PRUNE_CACHE.items())
        key = (
            tuple(map(id, pool)),
            tuple(terms),
            tuple(signature[g.id] for g in pool),
            tuple(raised[g.id] for g in pool),
            tuple(0.0 for _ in pool),
        )
        incremental += prune._risen(key, entries) is not None
        kept, gone = run(pool, raised, dominators=False)
        assert gone == []
        prune._PRUNE_CACHE.clear()
        full, _ = run(pool, raised)
        assert [g.id for g in kept] == [g.id for g in full]
    assert incremental > 80 and falls > 10  # most instances took the incremental path
