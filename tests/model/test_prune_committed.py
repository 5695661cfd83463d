"""Pruning of services' committed columns (planner/model/prune.py, ``prune_committed_terms``), by hand.

One service of 10 requests/s x 100 output tokens = 1,000 output tokens/s, all hours alike; a
1-GPU replica of either accelerator serves exactly 1,000 tokens/s (measured table; a test may set
Y500 lower), so the plan holds one 1-GPU instance in every month of the service and costs are
price x 730 h x months. Each case checks the candidates (which terms are pruned, by whom) and the
optimal cost with pruning on and off against the hand-computed figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tinycat import catalog, chat_service, offering

import planner
from planner.api import prepare
from planner.catalog.catalog import Catalog
from planner.enums import Term
from planner.model.candidates import Candidates, generate_candidates
from planner.workloads import Budget, Cap, Constraints, InferenceService, TrainingRun

EXACT = {"rel": 1e-9}
HOURS_PER_MONTH = 730.0
CHEAP = "alpha/r1/x1"  # the dominator in every case: reserved terms cheaper than DEAR's
DEAR = "beta/r1/x1"


def service(tmp_path: Path, y500_tokens_per_s: float = 1000, **kw: Any) -> InferenceService:
    """`y500_tokens_per_s`: measured output tokens/s of a 1-GPU Y500 replica (X1000: 1,000)."""
    table = tmp_path / "measured.csv"
    table.write_text(
        "accelerator,gpus,input_tokens,output_tokens,tokens_per_s\n"
        f"X1000,1,100,100,1000\nY500,1,100,100,{y500_tokens_per_s:g}\n"
    )
    return chat_service(throughput_table=str(table), **kw)


def with_egress(row: dict[str, Any], usd_per_gb: float) -> dict[str, Any]:
    return row | {"egress_usd_per_gb": usd_per_gb}


def cheap(**kw: Any) -> dict[str, Any]:
    """1 x X1000: $10/h on demand, $6/h on 1 year, $4/h on 3 years; egress $0.09/GB."""
    terms = {"reserved_1y": 6.0, "reserved_3y": 4.0} | kw
    return with_egress(offering("alpha", "x1", "X1000", 10.0, gpus=1, **terms), 0.09)


def dear(**kw: Any) -> dict[str, Any]:
    """1 x X1000, the same on demand, commitments $1/h dearer; cheaper egress ($0.01/GB), which
    keeps it from whole-group dominance (the service here pays no egress, so it does not matter)."""
    terms = {"reserved_1y": 7.0, "reserved_3y": 5.0} | kw
    return with_egress(offering("beta", "x1", "X1000", 10.0, gpus=1, **terms), 0.01)


def candidates(budget: Budget, cat: Catalog) -> Candidates:
    prepared, cat, _ = prepare(budget, cat)
    return generate_candidates(prepared, cat, prune=True)


def options(cands: Candidates) -> dict[str, tuple[Term, ...]]:
    return {o.id: o.terms for o in cands.serving["chat"]}


def cost_both_ways(budget: Budget, cat: Catalog) -> tuple[float, float]:
    """Optimal cost with pruning (the default) and without; both plans must verify."""
    costs = []
    for prune in (True, False):
        plan = planner.plan(budget, catalog=cat, explain=False, prune_dominated=prune)
        assert plan.status == "optimal" and plan.verification.ok
        assert plan.total_cost_usd is not None
        costs.append(plan.total_cost_usd)
    return costs[0], costs[1]


def test_a_dearer_service_only_pool_is_dropped_with_its_reason(tmp_path):
    cat = catalog(cheap(), dear())
    budget = Budget(name="dearer", horizon_months=12, workloads=[service(tmp_path)])
    cands = candidates(budget, cat)
    # DEAR's on-demand goes to the rented-term pruning (same price, same capacity, listed later),
    # its 1y and 3y to the committed pruning: nothing is left of it.
    assert options(cands) == {CHEAP: (Term.ON_DEMAND, Term.RESERVED_1Y, Term.RESERVED_3Y)}
    committed = {(d.option.id, d.term, d.by.id) for d in cands.pruned_terms if d.term.is_pooled}
    assert committed == {(DEAR, Term.RESERVED_1Y, CHEAP), (DEAR, Term.RESERVED_3Y, CHEAP)}
    [excluded] = [e for e in cands.excluded("chat") if e.group == DEAR]
    assert excluded.code == "dominated"
    assert excluded.reason == (
        "every term is dominated (no optimal plan uses it): on_demand by alpha/r1/x1; "
        "reserved_1y by alpha/r1/x1 ($6.00 vs $7.00/h, serves as much per instance); "
        "reserved_3y by alpha/r1/x1 ($4.00 vs $5.00/h, serves as much per instance)"
    )
    # 12 months on CHEAP's 1-year term: $6 x 8,760 h (3 years at $4 = $105,120; on demand $87,600).
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(6.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)
    plan = planner.plan(budget, catalog=cat, explain=False)
    unpruned = planner.plan(budget, catalog=cat, explain=False, prune_dominated=False)
    assert plan.solver.variables < unpruned.solver.variables


def test_a_cap_holding_the_dominated_group_only_does_not_stop_it(tmp_path):
    """A budget cap on DEAR's provider alone (it also keeps DEAR from whole-group dominance, as the
    groups' caps differ): CHEAP's commitments add no GPUs to it (condition 4)."""
    cat = catalog(cheap(), with_egress(dear(), 0.09))
    caps = Constraints(caps=[Cap(provider="beta", max_gpus=1)])
    budget = Budget(name="capped", horizon_months=12, workloads=[service(tmp_path)], constraints=caps)
    cands = candidates(budget, cat)
    assert list(options(cands)) == [CHEAP]
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(6.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)


def test_a_cap_holding_the_dominator_stops_it(tmp_path):
    """A cap of 1 GPU on CHEAP's provider and 2,000 tokens/s: one instance on CHEAP's 1-year term,
    the second on DEAR's ($6 + $7) x 8,760 h = $113,880; DEAR's on demand would cost $87,600."""
    cat = catalog(cheap(), dear())
    caps = Constraints(caps=[Cap(provider="alpha", max_gpus=1)])
    budget = Budget(
        name="capped", horizon_months=12, workloads=[service(tmp_path, requests_per_s=20)], constraints=caps
    )
    cands = candidates(budget, cat)
    assert Term.RESERVED_1Y in options(cands)[DEAR]
    assert not [d for d in cands.pruned_terms if d.term.is_pooled]
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx((6.0 + 7.0) * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)


def test_a_pool_training_can_draw_on_is_kept(tmp_path):
    """DEAR (1 x Y500 here) is the only offering the training run may use. One 1-year commitment
    on it trains in month 0 and serves the service from month 1, for 7 x 8,760 = $61,320; without
    it, CHEAP's 1-year term ($52,560, the 12 months paid) plus 700 h of training on demand at
    $20/h ($14,000) cost $66,560. So DEAR's commitment is in the optimum and must stay."""
    dear_y = with_egress(offering("beta", "x1", "Y500", 20.0, gpus=1, reserved_1y=7.0), 0.01)
    cat = catalog(cheap(reserved_3y=None), dear_y)
    run = TrainingRun(
        name="tune",
        params=1e9,
        flops=700 * 0.9e18,  # 700 hours of one Y500 (0.9 EFLOP per GPU-hour at MFU 0.5)
        mfu=0.5,
        goodput=1.0,
        deadline_days=30,
        accelerators=["Y500"],
    )
    budget = Budget(name="shared", horizon_months=12, workloads=[service(tmp_path, start_month=1), run])
    cands = candidates(budget, cat)
    assert options(cands)[DEAR] == (Term.RESERVED_1Y,)  # its $20/h on demand: CHEAP's $10 serves as much
    assert not [d for d in cands.pruned_terms if d.term.is_pooled]
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(7.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)
    plan = planner.plan(budget, catalog=cat, explain=False)
    commitments = [r for r in plan.allocations.to_dict(orient="records") if r["row_type"] == "commitment"]
    got = [
        (c["provider"], c["accelerator"], c["term"], c["start_month"], c["instances"]) for c in commitments
    ]
    assert got == [("beta", "Y500", "reserved_1y", 0, 1.0)]


def test_a_capacity_capped_dominator_does_not_stand_in(tmp_path):
    cat = catalog(cheap() | {"capacity_max_instances": 4}, dear())
    budget = Budget(name="cap", horizon_months=12, workloads=[service(tmp_path)])
    cands = candidates(budget, cat)
    assert options(cands)[DEAR] == (Term.ON_DEMAND, Term.RESERVED_1Y, Term.RESERVED_3Y)
    assert not cands.pruned_terms
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(6.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)


@pytest.mark.parametrize("cheap_3y", [None, 5.5])
def test_a_dominator_must_sell_every_committed_term_no_dearer(tmp_path, cheap_3y):
    """CHEAP sells no 3-year term, or a dearer one ($5.50/h); over 36 months DEAR's 3 years
    ($5 x 26,280 h = $131,400) beat three of CHEAP's 1-year terms ($6 x 26,280 h = $157,680) and
    CHEAP's 3 years ($5.50 x 26,280 h = $144,540), so DEAR must stay."""
    cat = catalog(cheap(reserved_3y=cheap_3y), dear())
    budget = Budget(name="terms", horizon_months=36, workloads=[service(tmp_path)])
    cands = candidates(budget, cat)
    assert options(cands)[DEAR] == (Term.RESERVED_1Y, Term.RESERVED_3Y)  # on demand: CHEAP's
    assert not [d for d in cands.pruned_terms if d.term.is_pooled]
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(5.0 * 36 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)


def test_a_dominator_must_serve_as_much_per_instance(tmp_path):
    """TWO (2 x Y500, two 1,000-tokens/s replicas) serves 2,000 tokens/s per instance at $7/h on
    1 year, CHEAP's 1,000 at $6/h: for 2,000 tokens/s one TWO (7 x 8,760 = $61,320) beats two CHEAP
    ($105,120), so one-for-one CHEAP is no stand-in."""
    two = offering("beta", "y2", "Y500", 16.0, gpus=2, reserved_1y=7.0, reserved_3y=5.0)
    cat = catalog(cheap(), two)
    budget = Budget(name="more", horizon_months=12, workloads=[service(tmp_path, requests_per_s=20)])
    cands = candidates(budget, cat)
    assert Term.RESERVED_1Y in options(cands)["beta/r1/y2"]
    assert not [d for d in cands.pruned_terms if d.term.is_pooled]
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(7.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)


def test_a_dominator_with_more_gpus_does_not_stand_in_under_a_shared_cap(tmp_path):
    """BIG (2 x X1000, 2,000 tokens/s, $6/h on 1 year) serves more per instance for less, but a cap
    of 1 X1000 GPU holds both groups: BIG cannot be used at all, DEAR's 1 year ($61,320) serves."""
    big = offering("alpha", "x2", "X1000", 20.0, gpus=2, reserved_1y=6.0)
    cat = catalog(big, dear(reserved_3y=None))
    caps = Constraints(caps=[Cap(accelerator="X1000", max_gpus=1)])
    budget = Budget(name="gpus", horizon_months=12, workloads=[service(tmp_path)], constraints=caps)
    cands = candidates(budget, cat)
    assert Term.RESERVED_1Y in options(cands)[DEAR]
    assert not [d for d in cands.pruned_terms if d.term.is_pooled]
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(7.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)


def test_priced_egress_a_floor_and_a_spot_cap_are_respected(tmp_path):
    """Each condition alone keeps DEAR's commitments. Egress: the service pays it and CHEAP's is
    dearer. TWO (2 x Y500, two 1-GPU replicas of 400 tokens/s: 800 per instance, under CHEAP's
    1,000, at $7/$5 per instance-hour) is dominated one for one, except under a floor of 2
    replicas (2 per TWO instance against 1 per CHEAP instance) or a capped spot share (2 GPUs to 1)."""
    two = with_egress(offering("beta", "y2", "Y500", 16.0, gpus=2, reserved_1y=7.0, reserved_3y=5.0), 0.01)
    kept = [
        (catalog(cheap(), dear()), DEAR, {"egress_gb_per_request": 0.001}),
        (catalog(cheap(), two), "beta/r1/y2", {"min_replicas": 2}),
        (catalog(cheap(spot=3.0), two), "beta/r1/y2", {"max_spot_fraction": 0.5}),
    ]
    for cat, b, kw in kept:
        budget = Budget(name="kept", horizon_months=12, workloads=[service(tmp_path, 400, **kw)])
        cands = candidates(budget, cat)
        assert Term.RESERVED_1Y in options(cands)[b], kw
        assert not [d for d in cands.pruned_terms if d.term.is_pooled], kw
    for kw in ({}, {"max_spot_fraction": 1.0}):  # no floor; spot uncapped
        budget = Budget(name="dropped", horizon_months=12, workloads=[service(tmp_path, 400, **kw)])
        cat = catalog(cheap(spot=3.0), two)
        assert "beta/r1/y2" not in options(candidates(budget, cat)), kw
        pruned, full = cost_both_ways(budget, cat)
        assert full == pytest.approx(pruned, **EXACT)
        if not kw:
            assert pruned == pytest.approx(6.0 * 12 * HOURS_PER_MONTH, **EXACT)


def test_whole_small_instances_stand_in_for_a_big_one(tmp_path):
    """BIG (2 x X1000: two 1,000-tokens/s replicas, 2,000 tokens/s) at $13/h on 1 year is beaten
    by 2 CHEAP instances at $6/h ($12/h, the same 2 GPUs and tokens/s): its commitments go, k = 2.
    2,000 tokens/s for 12 months on 2 CHEAP 1-year commitments: $12 x 8,760 h = $105,120 (BIG
    on demand at $19/h, under CHEAP's 2 x $10 so not pruned, $166,440, loses too). At $11/h BIG
    wins ($96,360) and is kept."""
    budget = Budget(name="k", horizon_months=12, workloads=[service(tmp_path, requests_per_s=20)])
    big = offering("beta", "x2", "X1000", 19.0, gpus=2, reserved_1y=13.0, reserved_3y=9.0)
    cat = catalog(cheap(), big)
    cands = candidates(budget, cat)
    assert options(cands)["beta/r1/x2"] == (Term.ON_DEMAND,)
    committed = {(d.option.id, d.term, d.by.id, d.instances) for d in cands.pruned_terms if d.term.is_pooled}
    assert committed == {
        ("beta/r1/x2", Term.RESERVED_1Y, CHEAP, 2),
        ("beta/r1/x2", Term.RESERVED_3Y, CHEAP, 2),
    }
    text = [e.reason for e in cands.exclusions if e.group == "beta/r1/x2"]
    assert not text  # on demand is left, so BIG stays a candidate
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(12.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)

    cheaper = offering("beta", "x2", "X1000", 20.0, gpus=2, reserved_1y=11.0, reserved_3y=9.0)
    cat = catalog(cheap(), cheaper)
    assert Term.RESERVED_1Y in options(candidates(budget, cat))["beta/r1/x2"]
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(11.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)


def test_k_for_one_needs_the_floor_replicas_and_names_the_count(tmp_path):
    """Under a floor of 2 replicas, one BIG (2 replicas) needs 2 CHEAP (1 each): k = 2 also by the
    floor, and the reason names both prices. BIG's on-demand is dominated by CHEAP's too, so BIG is
    excluded, with the committed terms' k-for-one reason."""
    budget = Budget(name="k", horizon_months=12, workloads=[service(tmp_path, min_replicas=2)])
    big = offering("beta", "x2", "X1000", 20.0, gpus=2, reserved_1y=13.0, reserved_3y=9.0)
    cat = catalog(cheap(), big)
    cands = candidates(budget, cat)
    assert "beta/r1/x2" not in options(cands)
    [excluded] = [e for e in cands.excluded("chat") if e.group == "beta/r1/x2"]
    assert "reserved_1y by alpha/r1/x1 (2 instances at $6.00 = $12.00 vs $13.00/h, serve as much as one)" in (
        excluded.reason
    )
    # 1,000 tokens/s but 2 replicas all the time: 2 CHEAP 1-year commitments, $12 x 8,760 h.
    pruned, full = cost_both_ways(budget, cat)
    assert pruned == pytest.approx(12.0 * 12 * HOURS_PER_MONTH, **EXACT)
    assert full == pytest.approx(pruned, **EXACT)
