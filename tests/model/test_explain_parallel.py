"""The explanation's re-solves run on several lanes (jobs.run_jobs: forked processes, or threads):
each lane on a model of its own at the plan's values, items in the jobs' order, and the same
explanation as one lane."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from types import SimpleNamespace

import pulp
import pytest
from test_training_hand import X_PRICE, Y_PRICE, run
from tinycat import catalog, chat_service, offering

import planner
from planner import jobs
from planner.api import prepare
from planner.jobs import Ready, clone_model, run_jobs
from planner.model.build import build_model
from planner.model.candidates import generate_candidates, group_offerings
from planner.model.extract import snap_noise
from planner.model.model import Model
from planner.model.solve import solve
from planner.model.timeline import build_timeline
from planner.report import to_json
from planner.whatif import preserved
from planner.workloads import Budget


def _solved_model() -> Model:
    """A two-month service on two offerings, solved (no explanation)."""
    cat = catalog(offering("alpha", "x8", "X1000", 80.0), offering("beta", "x1", "X1000", 9.0, gpus=1))
    budget = Budget(name="t", horizon_months=2, workloads=[chat_service(requests_per_s=[10, 20])])
    budget, cat, opts = prepare(budget, cat, explain=False)
    model = build_model(budget, generate_candidates(budget, cat), build_timeline(budget))
    assert solve(model.prob, opts).status == "optimal"
    return model


LANES = [
    pytest.param(
        True, id="processes", marks=pytest.mark.skipif(not jobs.FORK, reason="no fork on this platform")
    ),
    pytest.param(False, id="threads"),
]


@pytest.mark.parametrize("fork", LANES)
def test_jobs_run_on_models_of_their_own_at_the_plan_and_come_back_in_order(fork, monkeypatch):
    monkeypatch.setattr(jobs, "FORK", fork)
    model = _solved_model()
    plan = {v.name: v.varValue for v in model.prob.variables()}

    def job(i: int):
        def run(m: Model) -> tuple[int, int, int, str]:
            values = {v.name: v.varValue for v in m.prob.variables()}
            assert values == plan  # every job starts from the plan, whichever model it gets
            with preserved(m):
                for v in m.prob.variables():
                    v.varValue, v.upBound = 123.0, 0  # undone by `preserved`
                time.sleep(0.05)  # overlap with the other lanes' jobs
            return i, os.getpid(), id(m), threading.current_thread().name

        return run

    todo = [job(i) for i in range(8)]
    todo.insert(3, Ready((-1, 0, 0, "")))
    items = run_jobs(model, todo, workers=3)
    assert [i for i, *_ in items] == [0, 1, 2, -1, 3, 4, 5, 6, 7]
    lanes = {(pid, m, thread) for _, pid, m, thread in items if pid}
    assert 2 <= len(lanes) <= 3  # this lane plus at most two more, each on a model of its own
    if fork:  # this process is a lane on the plan's model, the others forked processes on copies
        assert (os.getpid(), id(model), threading.current_thread().name) in lanes
        assert len({pid for pid, _, _ in lanes}) == len(lanes)
    else:  # one process; the other threads on clones
        assert {pid for pid, _, _ in lanes} == {os.getpid()} and id(model) in {m for _, m, _ in lanes}
    assert {v.name: v.varValue for v in model.prob.variables()} == plan  # restored
    assert all(v.upBound != 0 or plan[v.name] == 0 for v in model.prob.variables() if v.upBound is not None)


def test_one_worker_runs_every_job_on_the_plans_model_in_this_thread():
    model = _solved_model()
    names = run_jobs(model, [lambda m: (id(m), threading.current_thread().name)] * 3, workers=1)
    assert names == [(id(model), threading.current_thread().name)] * 3


@pytest.mark.parametrize("fork", LANES)
def test_a_failing_job_raises_and_no_further_jobs_start(fork, monkeypatch, tmp_path):
    monkeypatch.setattr(jobs, "FORK", fork)
    model = _solved_model()
    log = tmp_path / "started"  # a file: the lanes may be other processes

    def job(i: int):
        def run(_m: Model) -> int:
            with log.open("a") as f:
                f.write(f"{i}\n")
            if i == 0:
                raise ValueError("boom")
            time.sleep(0.05)
            return i

        return run

    with pytest.raises(ValueError, match="boom"):
        run_jobs(model, [job(i) for i in range(20)], workers=2)
    assert len(log.read_text().split()) < 20


@pytest.mark.skipif(not jobs.FORK, reason="no fork on this platform")
def test_a_worker_process_error_reaches_the_caller_even_when_it_cannot_be_pickled():
    """Jobs fail only in the forked lane; their exception class is local (not picklable), so the
    caller gets a RuntimeError naming it."""
    model = _solved_model()
    parent = os.getpid()

    class Local(Exception):
        pass

    def job(_m: Model) -> int:
        time.sleep(0.05)
        if os.getpid() != parent:
            raise Local("only in the worker")
        return 1

    with pytest.raises(RuntimeError, match="Local: only in the worker"):
        run_jobs(model, [job] * 6, workers=2)


@pytest.mark.skipif(not jobs.FORK, reason="no fork on this platform")
def test_a_worker_process_that_dies_is_reported():
    model = _solved_model()
    parent = os.getpid()

    def job(_m: Model) -> int:
        time.sleep(0.05)
        if os.getpid() != parent:
            os._exit(3)
        return 1

    with pytest.raises(RuntimeError, match=r"ended without an answer \(exit code 3\)"):
        run_jobs(model, [job] * 6, workers=2)


@pytest.mark.skipif(not jobs.FORK, reason="no fork on this platform")
def test_when_no_worker_process_can_start_this_process_runs_every_job(monkeypatch):
    def refuse(self):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    model = _solved_model()
    assert run_jobs(model, [lambda m: (os.getpid(), id(m))] * 4, workers=3) == [(os.getpid(), id(model))] * 4


def _lanes_in_this_process(_: int) -> set[int]:
    model = _solved_model()
    return set(run_jobs(model, [lambda m: (time.sleep(0.05), os.getpid())[1]] * 4, workers=2))


@pytest.mark.skipif(not jobs.FORK, reason="no fork on this platform")
def test_a_daemonic_process_runs_its_lanes_on_threads():
    """A multiprocessing pool's worker may not have children: its jobs run on threads in it."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        [(pids, worker)] = pool.map(_pids_and_worker, [0])
    assert pids == {worker}


def _pids_and_worker(_: int) -> tuple[set[int], int]:
    return _lanes_in_this_process(0), os.getpid()


def test_a_clone_has_the_same_columns_rows_and_plan():
    model = _solved_model()
    values = {v.name: v.varValue for v in model.prob.variables()}
    clone = clone_model(model, values)
    assert [v.name for v in clone.prob.variables()] == [v.name for v in model.prob.variables()]
    assert list(clone.constraints) == list(model.constraints)
    assert {v.name: v.varValue for v in clone.prob.variables()} == values
    assert pulp.value(clone.prob.objective) == pytest.approx(pulp.value(model.prob.objective), rel=1e-12)
    assert clone.prob is not model.prob


@pytest.mark.parametrize("fork", LANES)
def test_parallel_explanation_is_the_serial_one(fork, monkeypatch):
    """A training run and a service on two accelerators from two providers (deadline and spot
    what-ifs, training and service runner-ups): one lane and three give byte-identical JSON."""
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
    monkeypatch.setattr(jobs, "FORK", fork)
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
