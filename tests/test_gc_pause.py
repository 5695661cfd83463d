"""planner.gc_pause: the collector is off inside, as it was afterwards (also after an error), and
the decorated bulk builders leave it on."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import planner
from planner.api import build_model, build_timeline, generate_candidates
from planner.gc_pause import gc_paused


def test_paused_inside_and_restored_after():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the outer block turns it back on, not this one
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_switched_off_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_candidates_and_build_leave_the_collector_on():
    budget = planner.load_budget(
        Path(__file__).resolve().parents[1] / "examples" / "portfolio-train-and-serve.yaml"
    )
    cands = generate_candidates(budget, planner.load_catalog())
    assert gc.isenabled()
    build_model(budget, cands, build_timeline(budget))
    assert gc.isenabled()
