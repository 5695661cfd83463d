"""Serving capacities are remembered across plans (planner.model.serving._estimate): the same
service on the same accelerator is estimated once, and a catalog whose accelerator of the same id
has other figures is estimated afresh."""

from __future__ import annotations

from tinycat import X1000

from planner import compute, zoo
from planner.catalog.schema import Accelerator
from planner.enums import Precision
from planner.model import serving


def _capacity(acc: Accelerator) -> compute.InferenceEstimate:
    return serving._estimate(zoo.get_model("llama-3-8b"), acc, 1, Precision.BF16, 1024, 256, 50, 1000)


def test_an_estimate_is_reused_for_the_same_accelerator_only():
    fast = Accelerator.model_validate(X1000)
    slow = Accelerator.model_validate({**X1000, "memory_bandwidth_gb_per_s": 500})
    first = _capacity(fast)
    assert _capacity(fast) is first  # remembered
    assert first == compute.estimate_inference(
        zoo.get_model("llama-3-8b"), fast, 1, Precision.BF16, 1024, 256, 50, 1000
    )
    # same id, a quarter of the bandwidth: decode is bandwidth-bound, so it serves less
    other = _capacity(slow)
    assert other is not first
    assert 0 < other.tokens_per_s < first.tokens_per_s
