"""Runner-ups hold the other workloads as planned (whatif.fix_rest), and with them the commitments
on groups the re-solved workload cannot draw on: their other users' draws are fixed, so buying more
would be pure cost. Holding them must change no runner-up's cost."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from test_training_hand import run
from tinycat import catalog, chat_service, offering

import planner
from planner import whatif
from planner.workloads import Budget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _tiny_portfolio() -> tuple[Budget, planner.Catalog]:
    """Two runs and a growing service on two accelerators, every offering with 1-year commitments,
    so each runner-up (training by accelerator and provider, the service's single-type fleets)
    leaves commitment columns it cannot draw on."""
    cat = catalog(
        offering("alpha", "x8", "X1000", 80.0, reserved_1y=50.0),
        offering("beta", "x1", "X1000", 11.0, gpus=1, reserved_1y=7.0),
        offering("gamma", "y8", "Y500", 44.0, reserved_1y=26.0),
    )
    service = chat_service(requests_per_s=40, growth_per_month=0.1, tpot_ms=12, min_replicas=2)
    workloads = [run("a", deadline_days=20), run("b", deadline_days=20, start_month=5), service]
    return Budget(name="t", horizon_months=12, workloads=workloads), cat


def _runner_ups(budget: Budget, cat: planner.Catalog | None) -> list[planner.result.RunnerUp]:
    return planner.plan(budget, cat, explain_mip_gap=1e-9, explain_workers=1).runner_ups


@pytest.mark.parametrize("case", ["tiny-portfolio", "two-runs-commitment"])
def test_holding_commitments_nobody_can_draw_changes_no_runner_up(case, monkeypatch):
    if case == "tiny-portfolio":
        budget, cat = _tiny_portfolio()
    else:
        budget, cat = planner.load_budget(EXAMPLES / f"{case}.yaml"), None
    held_columns = []
    drawable = whatif._drawable_groups

    def counted(model, workload):
        groups = drawable(model, workload)
        held_columns.append(sum(g not in groups for g, _, _ in model.r))
        return groups

    monkeypatch.setattr(whatif, "_drawable_groups", counted)
    held = _runner_ups(budget, cat)
    assert held_columns and max(held_columns) > 0  # the hold fixed commitment columns
    monkeypatch.setattr(whatif, "_drawable_groups", lambda model, _w: set(model.groups))
    free = _runner_ups(budget, cat)

    assert sum(r.cost_usd is not None for r in held) >= 2
    for a, b in zip(held, free, strict=True):
        assert (a.workload, a.label, a.status) == (b.workload, b.label, b.status)
        if a.cost_usd is not None:
            assert b.cost_usd is not None
            assert math.isclose(a.cost_usd, b.cost_usd, rel_tol=1e-7), (a, b)
