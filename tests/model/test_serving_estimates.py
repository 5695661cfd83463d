"""Serving estimates share their tensor-parallel attempts (planner.compute._attempt): an instance
size tries the degrees a smaller one of the same accelerator tried, and a re-plan asks again for the
same service on the same hardware. A catalog whose accelerator of the same id has other figures is
estimated afresh."""

from __future__ import annotations

from tinycat import X1000

from planner import compute, zoo
from planner.catalog.schema import Accelerator
from planner.enums import Precision


def _estimate(acc: Accelerator, gpus: int) -> compute.InferenceEstimate:
    return compute.estimate_inference(
        zoo.get_model("llama-3-8b"), acc, gpus, Precision.BF16, 1024, 256, 50, 1000
    )


def test_attempts_are_reused_for_the_same_accelerator_only():
    fast = Accelerator.model_validate(X1000)
    slow = Accelerator.model_validate({**X1000, "memory_bandwidth_gb_per_s": 500})
    compute._attempts.clear()
    eight = _estimate(fast, 8)  # tries TP 1, 2, 4 and 8
    tried = len(compute._attempts)
    assert tried == 4
    assert _estimate(fast, 8) == eight and _estimate(fast, 4).tensor_parallel in (1, 2, 4)
    assert len(compute._attempts) == tried  # nothing tried again
    # same id, a quarter of the bandwidth: decode is bandwidth-bound, so it serves less
    other = _estimate(slow, 8)
    assert len(compute._attempts) == tried + 4
    assert 0 < other.tokens_per_s < eight.tokens_per_s
