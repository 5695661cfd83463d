"""Re-plans of one workload start from the plan (whatif.carry_plan) when it is still a plan of the
loosened budget: the carried start satisfies every row, and the warm and cold re-solves agree."""

from __future__ import annotations

import pytest
from test_training_hand import run
from tinycat import catalog, chat_service, offering

from planner.api import prepare
from planner.catalog.catalog import Catalog
from planner.model.build import build_model
from planner.model.candidates import generate_candidates
from planner.model.model import Model
from planner.model.options import PlanOptions
from planner.model.solve import solve, solve_direct
from planner.model.timeline import build_timeline
from planner.whatif import carry_plan, hold_planned, planned_options_only, with_run
from planner.workloads import Budget


def _solved(budget: Budget, opts: PlanOptions, cat: Catalog) -> Model:
    model = build_model(budget, generate_candidates(budget, cat), build_timeline(budget))
    assert solve(model.prob, opts).status == "optimal"
    return model


def _portfolio(*extra: dict) -> tuple[Budget, PlanOptions, Catalog]:
    """A training run and a growing service with a tight TPOT target and an availability floor, on
    two instance sizes with 1-year commitments (so the plan holds integer commitments)."""
    cat = catalog(
        offering("alpha", "x8", "X1000", 80.0, reserved_1y=50.0),
        offering("beta", "x1", "X1000", 11.0, gpus=1, reserved_1y=7.0),
        *extra,
    )
    service = chat_service(requests_per_s=40, growth_per_month=0.1, tpot_ms=12, min_replicas=2)
    budget = Budget(name="t", horizon_months=12, workloads=[run(deadline_days=20), service])
    budget, cat, opts = prepare(budget, cat, explain=False)
    return budget, opts, cat


def test_a_looser_latency_target_starts_from_the_plan_and_solves_to_the_same_cost():
    budget, opts, cat = _portfolio()
    old = _solved(budget, opts, cat)
    looser = with_run(budget, "chat", tpot_ms=40)  # larger batches: every option serves more

    def replanned(warm: bool) -> float:
        new = build_model(looser, generate_candidates(looser, cat), build_timeline(looser))
        assert hold_planned(old, new, "chat", exact=True)
        if warm:
            assert carry_plan(old, new)
            # The carried start is the old plan: it meets every row of the new model and costs the same.
            assert new.prob.valid(1e-6)
            assert new.cost_value() == pytest.approx(old.cost_value(), rel=1e-9)
        res = solve_direct(new.prob, opts, warm_start=warm)
        assert res.status == "optimal"
        return new.cost_value()

    warm_cost, cold_cost = replanned(warm=True), replanned(warm=False)
    assert warm_cost == pytest.approx(cold_cost, rel=1e-6)
    assert warm_cost <= old.cost_value() * (1 + 1e-6)  # a looser target never costs more


def test_nothing_is_carried_across_a_changed_timeline():
    budget, opts, cat = _portfolio()
    old = _solved(budget, opts, cat)
    later = with_run(budget, "pretrain", deadline_days=25)  # splits the months at another hour
    new = build_model(later, generate_candidates(later, cat), build_timeline(later))
    assert new.timeline != old.timeline
    assert not carry_plan(old, new)
    assert all(v.varValue is None for v in new.prob.variables())  # left as built


@pytest.mark.parametrize(
    ("workload", "change"), [("pretrain", {"deadline_days": 15}), ("chat", {"tpot_ms": 40})]
)
def test_held_workloads_built_with_their_planned_options_only_cost_the_same(workload, change):
    # Cutting the held workloads to the options their plan uses drops only columns held at zero:
    # the re-plan costs exactly what it costs on the whole model, with fewer columns.
    # A third provider, dearer per GPU-hour on every term but not dominated (larger): unused.
    budget, opts, cat = _portfolio(offering("gamma", "x4", "X1000", 60.0, gpus=4, reserved_1y=40.0))
    old = _solved(budget, opts, cat)
    changed = with_run(budget, workload, **change)
    full = generate_candidates(changed, cat)
    costs, columns = [], []
    for cands in (full, planned_options_only(old, full, workload)):
        new = build_model(changed, cands, build_timeline(changed))
        assert hold_planned(old, new, workload, exact=True)
        assert solve_direct(new.prob, opts).status == "optimal"
        costs.append(new.cost_value())
        columns.append(len(new.prob.variables()))
    assert costs[1] == pytest.approx(costs[0], rel=1e-9)
    assert columns[1] < columns[0]
