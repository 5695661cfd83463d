"""Running the explanation's re-solves side by side: in forked worker processes where the platform
has fork (Linux), else on threads.

A job is handed a model of its own at the plan's values (the plan's model, a forked copy of it or a
rebuilt clone); it may change bounds and re-solve inside whatif.preserved, and returns its item.
An item depends only on the model's values, which every job leaves at the plan, so which lane runs
a job does not change its item: one worker and several give the same explanation.

Why processes: candidate generation and model building are Python and hold the GIL, so threads
overlap only the solver's own time. On the 36-month benchmark with the 100k-offering catalog two
threads took 21.1 s for the re-solves, no better than one after the other (22.3 s); two processes
take about half. A forked child also starts with the plan's model as it is (copy-on-write), where
a thread needs a clone built first (~1 s on that benchmark).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from planner.model.build import build_model
from planner.model.model import Model

T = TypeVar("T")
Job = Callable[[Model], T]


class Ready(Generic[T]):
    """A job whose item needs no re-solve (kept in the jobs list so the output order is the list's)."""

    def __init__(self, item: T) -> None:
        self.item = item

    def __call__(self, _model: Model) -> T:
        return self.item


# fork is safe here on Linux (HiGHS's thread pool is reset in the child, see _child_lane); macOS
# offers fork but its system libraries do not support it, and Windows has none.
FORK = sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def run_jobs(model: Model, jobs: list[Job[T]], workers: int) -> list[T]:
    """Each job's item, in the jobs' order, run on up to `workers` lanes at once (processes where
    FORK, else threads); every lane takes the next job not yet started, so a long re-solve does
    not hold up the others. A job that raises stops the lanes from starting more, and its
    exception is raised here."""
    solves = [i for i, job in enumerate(jobs) if not isinstance(job, Ready)]
    if workers <= 1 or len(solves) <= 1:
        return [job(model) for job in jobs]
    lanes = min(workers, len(solves))
    # A daemonic process (a multiprocessing pool's worker, say) may not have children.
    run = _in_processes if FORK and not multiprocessing.current_process().daemon else _in_threads
    items = run(model, jobs, solves, lanes)
    return [job.item if isinstance(job, Ready) else items[i] for i, job in enumerate(jobs)]


def _in_processes(model: Model, jobs: list[Job[T]], todo: list[int], lanes: int) -> dict[int, T]:
    """The items of jobs[i] for i in `todo`: this process is one lane, `lanes - 1` forked children
    the others, each on its copy of `model`; a child sends its items back when it runs out of jobs."""
    ctx = multiprocessing.get_context("fork")
    taken = ctx.Value("i", 0)  # how many of `todo` some lane has started (shared memory)

    def take() -> int | None:
        with taken.get_lock():
            k = taken.value
            taken.value = k + 1
        return todo[k] if k < len(todo) else None

    def stop() -> None:
        with taken.get_lock():
            taken.value = len(todo)

    def lane() -> dict[int, T]:
        items: dict[int, T] = {}
        while (i := take()) is not None:
            items[i] = jobs[i](model)
        return items

    def child(conn: Connection) -> None:
        # Ctrl-C reaches the whole process group: the parent handles it and terminates the lanes.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _reset_solver_threads()
        try:
            conn.send((True, lane()))
        except BaseException as error:  # the parent raises it
            stop()
            with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
                conn.send((False, _portable(error)))

    children = []
    for _ in range(lanes - 1):
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=child, args=(send,), daemon=True, name="explain")
        try:
            process.start()
        except OSError:  # no memory or process slot for a copy: fewer lanes (this one at least)
            send.close()
            receive.close()
            break
        send.close()  # the child holds its end: if it dies, receive() ends with EOFError
        children.append((process, receive))
    try:
        items = lane()
        for process, receive in children:
            try:
                ok, got = receive.recv()
            except EOFError:
                process.join()
                raise RuntimeError(
                    f"an explanation worker process ended without an answer (exit code {process.exitcode})"
                ) from None
            if not ok:
                raise got
            items.update(got)
        return items
    except BaseException:
        stop()
        for process, _ in children:
            process.terminate()
        raise
    finally:
        for process, receive in children:
            process.join()
            receive.close()


def _reset_solver_threads() -> None:
    """HiGHS's worker threads do not survive a fork, but its scheduler still counts them: a forked
    child's first parallel solve would wait on them forever. Reset it (not waiting for them)."""
    try:
        import highspy
    except ImportError:  # CBC runs as a subprocess of its own
        return
    highspy.Highs.resetGlobalScheduler(False)


def _portable(error: BaseException) -> BaseException:
    """`error` if it survives pickling (to be raised in the parent), else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _in_threads(model: Model, jobs: list[Job[T]], todo: list[int], lanes: int) -> dict[int, T]:
    """The items of jobs[i] for i in `todo`, on `lanes` threads: HiGHS releases the GIL while it
    solves. A job changes its model inside `preserved`, so each thread needs a model of its own:
    the first takes the plan's, the others a clone (built in the thread that needs it, from values
    read before any job starts)."""
    values = {v.name: v.varValue for v in model.prob.variables()}
    free = [model]  # models no thread is using
    lock = threading.Lock()

    def run(i: int) -> T:
        with lock:  # a free model, else build one: never more models than threads
            mine = free.pop() if free else None
        if mine is None:
            mine = clone_model(model, values)
        try:
            return jobs[i](mine)
        finally:
            with lock:
                free.append(mine)

    pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="explain")
    try:
        futures = {i: pool.submit(run, i) for i in todo}
        items = {i: future.result() for i, future in futures.items()}
    except BaseException:  # an error or Ctrl-C: start no more re-solves (running ones end at their limit)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return items


def clone_model(model: Model, values: dict[str, Any]) -> Model:
    """Another copy of `model`, built from the same budget, candidates and timeline (so the same
    variable names), with every variable at `values` (the plan)."""
    clone = build_model(model.budget, model.candidates, model.timeline, compact=model.compact)
    for v in clone.prob.variables():
        v.varValue = values.get(v.name)
    return clone
