"""The explanation's re-solves run on several threads (whatif.run_jobs): each thread on a model of
its own at the plan's values, items in the jobs' order, and the same explanation as one thread."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pulp
import pytest
from test_training_hand import X_PRICE, Y_PRICE, run
from tinycat import catalog, chat_service, offering

import planner
from planner.api import prepare
from planner.model.build import build_model
from planner.model.candidates import generate_candidates, group_offerings
from planner.model.extract import snap_noise
from planner.model.model import Model
from planner.model.solve import solve
from planner.model.timeline import build_timeline
from planner.report import to_json
from planner.whatif import Ready, clone_model, preserved, run_jobs
from planner.workloads import Budget


def _solved_model() -> Model:
    """A two-month service on two offerings, solved (no explanation)."""
    cat = catalog(offering("alpha", "x8", "X1000", 80.0), offering("beta", "x1", "X1000", 9.0, gpus=1))
    budget = Budget(name="t", horizon_months=2, workloads=[chat_service(requests_per_s=[10, 20])])
    budget, cat, opts = prepare(budget, cat, explain=False)
    model = build_model(budget, generate_candidates(budget, cat), build_timeline(budget))
    assert solve(model.prob, opts).status == "optimal"
    return model


def test_jobs_run_on_models_of_their_own_at_the_plan_and_come_back_in_order():
    model = _solved_model()
    plan = {v.name: v.varValue for v in model.prob.variables()}
    seen: list[tuple[int, str]] = []
    lock = threading.Lock()

    def job(i: int):
        def run(m: Model) -> int:
            values = {v.name: v.varValue for v in m.prob.variables()}
            assert values == plan  # every job starts from the plan, whichever model it gets
            with preserved(m):
                for v in m.prob.variables():
                    v.varValue, v.upBound = 123.0, 0  # undone by `preserved`
                time.sleep(0.02)  # overlap with the other threads' jobs
            with lock:
                seen.append((id(m), threading.current_thread().name))
            return i

        return run

    jobs = [job(i) for i in range(8)]
    jobs.insert(3, Ready(-1))
    assert run_jobs(model, jobs, workers=3) == [0, 1, 2, -1, 3, 4, 5, 6, 7]
    models = {m for m, _ in seen}
    assert 2 <= len(models) <= 3  # the plan's model plus at most a clone per extra thread
    assert id(model) in models
    assert {v.name: v.varValue for v in model.prob.variables()} == plan  # restored
    assert all(v.upBound != 0 or plan[v.name] == 0 for v in model.prob.variables() if v.upBound is not None)


def test_one_worker_runs_every_job_on_the_plans_model_in_this_thread():
    model = _solved_model()
    names = run_jobs(model, [lambda m: (id(m), threading.current_thread().name)] * 3, workers=1)
    assert names == [(id(model), threading.current_thread().name)] * 3


def test_a_failing_job_raises_and_no_further_jobs_start():
    model = _solved_model()
    started: list[int] = []

    def job(i: int):
        def run(_m: Model) -> int:
            started.append(i)
            if i == 0:
                raise ValueError("boom")
            time.sleep(0.05)
            return i

        return run

    with pytest.raises(ValueError, match="boom"):
        run_jobs(model, [job(i) for i in range(20)], workers=2)
    assert len(started) < 20


def test_a_clone_has_the_same_columns_rows_and_plan():
    model = _solved_model()
    values = {v.name: v.varValue for v in model.prob.variables()}
    clone = clone_model(model, values)
    assert [v.name for v in clone.prob.variables()] == [v.name for v in model.prob.variables()]
    assert list(clone.constraints) == list(model.constraints)
    assert {v.name: v.varValue for v in clone.prob.variables()} == values
    assert pulp.value(clone.prob.objective) == pytest.approx(pulp.value(model.prob.objective), rel=1e-12)
    assert clone.prob is not model.prob


def test_parallel_explanation_is_the_serial_one():
    """A training run and a service on two accelerators from two providers (deadline and spot
    what-ifs, training and service runner-ups): one thread and three give byte-identical JSON."""
    cat = catalog(
        offering("alpha", "x8", "X1000", X_PRICE, spot=30.0),
        offering("alpha", "x1", "X1000", 11.0, gpus=1, spot=4.0),
        offering("beta", "y8", "Y500", Y_PRICE),
        offering("beta", "y1", "Y500", 6.0, gpus=1),
    )
    workloads = [run("pretrain", deadline_days=20), chat_service(requests_per_s=[10, 20, 40], min_replicas=1)]
    budget = Budget(
        name="mixed", horizon_months=3, workloads=workloads, constraints={"max_spot_fraction": 0.25}
    )
    serial = planner.plan(budget, catalog=cat, explain_workers=1)
    parallel = planner.plan(budget, catalog=cat, explain_workers=3)
    assert serial.status == "optimal"
    assert len([w for w in serial.what_ifs if w.status == "optimal"]) >= 3
    assert len([r for r in serial.runner_ups if r.status == "optimal"]) >= 2
    assert to_json(parallel) == to_json(serial)


def test_snap_noise_reads_near_whole_values_as_whole():
    """Integers round; a continuous value within 1e-7 of a whole number becomes it; others stay."""
    prob = pulp.LpProblem("snap", pulp.LpMinimize)
    n = pulp.LpVariable("n", lowBound=0, cat=pulp.LpInteger)
    near, mid, tiny = (pulp.LpVariable(name, lowBound=-1) for name in ("near", "mid", "tiny"))
    prob += n + near + mid + tiny
    n.varValue, near.varValue, mid.varValue, tiny.varValue = 2.4, 0.99999997, 0.4999, -3e-8
    snap_noise(SimpleNamespace(prob=prob))  # type: ignore[arg-type]
    assert [v.varValue for v in (n, near, mid, tiny)] == [2.0, 1.0, 0.4999, 0.0]


def test_offering_groups_are_computed_once_per_catalog():
    """Re-plans regenerate candidates: the grouping of a catalog's offerings is cached on the
    catalog object (a fresh list each call), and a catalog with other offerings gets its own."""
    cat = catalog(
        offering("alpha", "x8", "X1000", 80.0, region="r1"),
        offering("alpha", "x8", "X1000", 80.0, region="r2"),
    )
    first, second = group_offerings(cat), group_offerings(cat)
    assert first == second and first is not second
    assert first[0] is second[0]  # the same objects: computed once
    first.clear()
    assert len(group_offerings(cat)) == 2  # callers may change their list without harm
    other = catalog(offering("alpha", "x8", "X1000", 80.0, region="r1"))
    assert [g.id for g in group_offerings(other)] == ["alpha/r1/x8"]
