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
