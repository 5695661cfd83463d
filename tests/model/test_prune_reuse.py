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
