"""Hand-computed checks of the physics in planner.compute, plus the properties the optimizer relies on."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import compute as c
from planner.catalog.load import load_catalog
from planner.catalog.schema import Accelerator
from planner.compute import InferenceEfficiency, ModelArch
from planner.enums import Precision
from planner.errors import InputError

GIB = 2**30


def _acc(
    acc_id: str, memory_gib: float, bw: float, peaks: dict[Precision, float], interconnect: str | None = None
):
    return Accelerator(
        id=acc_id,
        vendor="NVIDIA",
        memory_gib=memory_gib,
        memory_bandwidth_gb_per_s=bw,
        peak_tflops=peaks,
        interconnect=interconnect,
        source="test fixture (NVIDIA datasheet figures)",
        as_of="2025",
    )


A100 = _acc(
    "A100-80GB", 80, 2039, {Precision.BF16: 312, Precision.FP16: 312}, "NVLink 3, 600 GB/s per GPU; PCIe Gen4"
)
H100 = _acc(
    "H100-SXM",
    80,
    3350,
    {Precision.BF16: 989.4, Precision.FP16: 989.4, Precision.FP8: 1979},
    "NVLink 900 GB/s per GPU; PCIe Gen5",
)
L4 = _acc("L4", 24, 300, {Precision.BF16: 121, Precision.FP16: 121, Precision.FP8: 242.5}, "PCIe Gen4 x16")

LLAMA2_70B = ModelArch(
    id="llama-2-70b",
    total_params=68976648192,
    active_params=68976648192,
    layers=80,
    hidden_size=8192,
    attention_heads=64,
    kv_heads=8,
    head_dim=128,
    source="Llama 2 paper / config.json",
)
MIXTRAL = ModelArch(
    id="mixtral-8x7b",
    total_params=46.7e9,
    active_params=12.9e9,
    layers=32,
    hidden_size=4096,
    attention_heads=32,
    kv_heads=8,
    head_dim=128,
    num_experts=8,
    experts_per_token=2,
    source="Mixtral paper Table 1",
)
DEEPSEEK_V3 = ModelArch(
    id="deepseek-v3",
    total_params=671e9,
    active_params=37e9,
    layers=61,
    hidden_size=7168,
    attention_heads=128,
    kv_heads=128,
    head_dim=128,
    num_experts=256,
    experts_per_token=8,
    kv_lora_rank=512,
    qk_rope_head_dim=64,
    source="DeepSeek-V3 report Sec. 4.2",
)
# Pure roofline: no fixed latencies, ideal links, so hand arithmetic is exact.
IDEAL = InferenceEfficiency(
    memory_bandwidth=0.8,
    prefill_compute=0.6,
    decode_compute=0.6,
    link_bandwidth=1.0,
    allreduce_latency_us=0.0,
    layer_overhead_us=0.0,
    max_batch=1024,
)


# ---------------------------------------------------------------- training


def test_gpt3_training_flops():
    assert c.training_flops(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-12)


def test_fp32_weights_of_gpt3():
    assert c.weights_bytes(175e9, Precision.FP32) == pytest.approx(7e11, rel=1e-12)


def test_bytes_per_param_table():
    assert [c.BYTES_PER_PARAM[p] for p in Precision] == [4, 4, 2, 2, 1, 1, 0.5]


def test_forward_pass_of_1024_tokens_on_an_a100_at_peak():
    flops = c.forward_flops(175e9, 1024)
    assert flops == pytest.approx(3.584e14, rel=1e-12)
    seconds = c.training_seconds(flops, 1, 312e12, mfu=1.0, goodput=1.0)
    assert seconds == pytest.approx(3.584e14 / 3.12e14, rel=1e-12)
    assert seconds == pytest.approx(1.1487, abs=1e-4)


def test_inference_flops_per_request_is_2n_per_token():
    assert c.inference_flops_per_request(7e9, 1000, 200) == pytest.approx(2 * 7e9 * 1200)


def test_training_state_of_70b_and_min_gpus_on_80gib():
    state = c.training_memory_bytes(70e9)
    assert state == pytest.approx(1.12e12)
    # 80 GiB × 0.90 = 77,309,411,328 B per GPU; 1.12e12 / 7.7309e10 = 14.49 -> 15 GPUs.
    assert c.DEFAULT_USABLE_MEMORY_FRACTION == 0.90
    assert c.min_gpus_for_memory(state, 80) == 15
    assert c.min_gpus_for_memory(state, 80, usable_fraction=1.0) == 14  # 13.04 -> 14
    assert c.training_memory_bytes(70e9, 16.0, activation_bytes=1e11) == pytest.approx(1.22e12)


def test_min_gpus_exact_multiple_is_not_rounded_up():
    assert c.min_gpus_for_memory(2 * 80 * GIB * 0.9, 80) == 2


def test_checkpointed_activations_of_a_70b_layer_stack():
    # 80 layers × 8192 hidden × 2048 tokens × 2 bytes
    assert c.checkpointed_activation_bytes(80, 8192, 2048) == pytest.approx(2.684e9, rel=1e-3)


def test_training_time_and_cost_chain():
    flops = c.training_flops(175e9, 300e9)
    seconds = c.training_seconds(flops, 1024, 312e12, mfu=0.4, goodput=0.9)
    assert seconds == pytest.approx(3.15e23 / (1024 * 312e12 * 0.4) / 0.9)
    hours = c.training_gpu_hours(flops, 312e12, 0.4, 0.9)
    assert hours == pytest.approx(seconds * 1024 / 3600)
    assert c.cost_usd(hours, 2.0) == pytest.approx(2 * hours)


@given(
    n=st.floats(min_value=1e6, max_value=1e13),
    d=st.floats(min_value=1e6, max_value=1e14),
    extra=st.floats(min_value=1.0, max_value=1e13),
)
def test_more_tokens_never_fewer_flops(n, d, extra):
    assert c.training_flops(n, d + extra) > c.training_flops(n, d)
    assert c.forward_flops(n, d + extra) > c.forward_flops(n, d)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (c.training_flops, (0, 1e9)),
        (c.training_flops, (1e9, -1)),
        (c.weights_bytes, (float("nan"), Precision.FP16)),
        (c.min_gpus_for_memory, (1e9, 0)),
        (c.training_seconds, (1e20, 8, 1e15, 1.5)),
        (c.training_seconds, (1e20, 8, 1e15, 0.4, 0.0)),
        (c.cost_usd, (-1.0, 2.0)),
    ],
)
def test_bad_inputs_raise_input_error(call, args):
    with pytest.raises(InputError):
        call(*args)


def test_young_checkpoint_overhead_supports_the_spot_default():
    # MTBF 10 h, 2-minute checkpoint, 15-minute restart: τ = sqrt(2 · 1/30 · 10) = 0.8165 h.
    lost = c.checkpoint_restart_overhead(10.0, 2 / 60, 0.25)
    assert lost == pytest.approx(1 / 30 / math.sqrt(2 / 3) + (math.sqrt(2 / 3) / 2 + 0.25) / 10)
    assert lost == pytest.approx(c.DEFAULT_SPOT_OVERHEAD, abs=0.01)
    assert c.checkpoint_restart_overhead(10.0, 2 / 60, 0.25, checkpoint_interval_hours=4) > lost


def test_goodput_default_is_the_llama3_figure():
    assert c.DEFAULT_GOODPUT == 0.90


# ---------------------------------------------------------------- MFU defaults


def test_default_mfu_reads_the_table_case_insensitively():
    table = c.mfu_table()
    assert c.default_mfu("H100-SXM") == table["H100-SXM"].mfu
    assert c.default_mfu("h100-sxm") == table["H100-SXM"].mfu
    assert table["H100-SXM"].basis == "fitted"
    assert table["H100-SXM"].mfu <= table["H100-SXM"].benchmark_mfu  # competent team <= tuned benchmark
    assert 0.2 < table["A100-80GB"].mfu < 0.6


def test_every_canonical_accelerator_has_a_default():
    """Every accelerator of the bundled catalog has a fitted or documented MFU default."""
    ids = list(load_catalog().accelerators)
    table = c.mfu_table()
    assert len(ids) >= 40 and len(set(ids) & set(table)) >= 46
    for acc_id in ids:
        info = c.mfu_default_info(acc_id)  # a table row, or the documented generic fallback
        assert acc_id in table or info.basis == "generic", acc_id
        assert 0.1 < info.mfu < 0.7 and info.evidence


def test_unknown_accelerator_uses_the_documented_generic_fallback():
    info = c.mfu_default_info("QUANTUM-X9000")
    assert info.basis == "generic"
    assert "QUANTUM-X9000" in info.evidence
    assert info.mfu == c.load_efficiency()["training"]["generic_fallback"]["mfu"]


def test_small_models_get_lower_mfu_and_fp8_uses_the_fitted_ratio():
    big = c.default_mfu("A100-80GB", params=70e9)
    assert big == c.default_mfu("A100-80GB")
    assert c.default_mfu("A100-80GB", params=125e6) < big
    ratio = c.load_efficiency()["training"]["fp8_mfu_ratio"]["value"]
    assert c.default_mfu("H100-SXM", precision=Precision.FP8) == pytest.approx(
        c.default_mfu("H100-SXM") * ratio
    )


def test_scaling_efficiency_is_one_below_reference_and_monotone():
    ref = c.load_efficiency()["training"]["scaling"]["reference_gpus"]
    assert c.scaling_efficiency(1) == 1.0
    assert c.scaling_efficiency(ref) == 1.0
    values = [c.scaling_efficiency(2**k) for k in range(0, 16)]
    assert all(b <= a for a, b in itertools.pairwise(values))
    assert values[-1] < 1.0
    assert c.effective_mfu("H100-SXM", 16384) == pytest.approx(
        c.default_mfu("H100-SXM") * c.scaling_efficiency(16384)
    )


def test_training_compute_precision_falls_back_to_16_bit():
    assert c.training_compute_precision(A100, Precision.FP8) == Precision.BF16
    assert c.training_compute_precision(H100, Precision.FP8) == Precision.FP8
    v100 = _acc("V100", 16, 897, {Precision.FP16: 125})
    assert c.training_compute_precision(v100, Precision.BF16) == Precision.FP16


# ---------------------------------------------------------------- architectures and KV cache


def test_kv_cache_of_llama2_70b_fp16():
    assert c.kv_cache_bytes_per_token(LLAMA2_70B, Precision.FP16) == 2 * 80 * 8 * 128 * 2 == 327_680


def test_kv_cache_of_deepseek_v3_uses_mla_latent():
    assert c.kv_cache_bytes_per_token(DEEPSEEK_V3, Precision.BF16) == 61 * (512 + 64) * 2 == 70_272


def test_kv_cache_override():
    arch = LLAMA2_70B.model_copy(update={"kv_cache_dim_per_layer": 1000})
    assert c.kv_cache_bytes_per_token(arch, Precision.FP8) == 80 * 1000


def test_moe_flops_use_active_and_memory_uses_total():
    assert c.forward_flops_per_token(MIXTRAL, 0) == pytest.approx(2 * 12.9e9)
    assert c.inference_flops_per_request(MIXTRAL.active_params, 100, 100) == pytest.approx(2 * 12.9e9 * 200)
    assert c.weights_bytes(MIXTRAL.total_params, Precision.BF16) == pytest.approx(93.4e9)
    # Expert weights: (46.7 - 12.9) / (1 - 2/8) = 45.07B (32 layers × 8 experts × 3 × 4096 × 14336 = 45.1B).
    assert MIXTRAL.routed_expert_params == pytest.approx(45.0667e9, rel=1e-4)
    # One token touches 2 of 8 experts; a large batch touches them all.
    one = c.weights_read_bytes(MIXTRAL, Precision.BF16, 1)
    assert one == pytest.approx((MIXTRAL.shared_params + 0.25 * MIXTRAL.routed_expert_params) * 2)
    assert one == pytest.approx(12.9e9 * 2)
    assert c.weights_read_bytes(MIXTRAL, Precision.BF16, 1000) == pytest.approx(46.7e9 * 2, rel=1e-6)
    assert DEEPSEEK_V3.active_params / DEEPSEEK_V3.total_params == pytest.approx(37 / 671)


def test_model_arch_validation():
    with pytest.raises(ValueError, match="cannot exceed"):
        ModelArch(**{**LLAMA2_70B.model_dump(), "active_params": 1e12})
    with pytest.raises(ValueError, match="divide"):
        ModelArch(**{**LLAMA2_70B.model_dump(), "kv_heads": 7})
    with pytest.raises(ValueError, match="both or neither"):
        ModelArch(**{**LLAMA2_70B.model_dump(), "num_experts": 8})


def test_architecture_from_params_reproduces_gpt3():
    arch = c.architecture_from_params(175e9)
    assert (arch.layers, arch.hidden_size, arch.attention_heads, arch.head_dim) == (96, 12288, 96, 128)
    assert arch.kv_heads == 8
    assert 12 * arch.layers * arch.hidden_size**2 == pytest.approx(175e9, rel=0.02)


def test_architecture_from_params_close_to_llama2_70b_kv():
    arch = c.architecture_from_params(70e9)
    kv = c.kv_cache_bytes_per_token(arch, Precision.FP16)
    assert kv == pytest.approx(327_680, rel=0.12)
    assert arch.attention_heads % arch.kv_heads == 0


@given(st.floats(min_value=1e8, max_value=2e12))
def test_architecture_from_params_is_valid_and_roughly_right(params):
    arch = c.architecture_from_params(params)
    assert arch.attention_heads % arch.kv_heads == 0
    assert 12 * arch.layers * arch.hidden_size**2 == pytest.approx(params, rel=0.6)


# ---------------------------------------------------------------- interconnect


@pytest.mark.parametrize(
    ("interconnect", "tp", "expected"),
    [
        ("NVLink 900 GB/s per GPU; PCIe Gen5", 8, 450.0),
        ("NVLink 5, 1.8 TB/s per GPU", 8, 900.0),
        ("NVLink bridge 600 GB/s (2-GPU); PCIe Gen5 128 GB/s", 2, 300.0),
        ("NVLink bridge 600 GB/s (2-GPU); PCIe Gen5 128 GB/s", 4, 64.0),
        ("PCIe Gen4 x16 64 GB/s bidirectional; no NVLink", 4, 32.0),
        ("PCIe Gen3 x16", 2, 16.0),
        ("ICI 400 GB/s bidirectional per chip (4 ports), 2D torus, 256-chip pod", 4, 200.0),
        ("AMD Infinity Fabric", 8, 100.0),
        ("24x 100 GbE RoCE integrated (4.8 Tb/s bidirectional); PCIe Gen4 x16 (64 GB/s)", 8, 300.0),
        ("24x 200 GbE RoCE (1200 GB/s bidirectional); PCIe Gen5 x16 (128 GB/s)", 8, 600.0),
        ("ICI, 3D torus", 4, 100.0),
        ("NVLink-C2C coherent CPU-GPU link (bandwidth not confirmed here)", 2, 32.0),
        (None, 2, 32.0),
    ],
)
def test_tensor_parallel_link_bandwidth(interconnect, tp, expected):
    acc = _acc("X", 80, 1000, {Precision.BF16: 100}, interconnect)
    assert c.tensor_parallel_link_gb_per_s(acc, tp) == expected


# ---------------------------------------------------------------- inference


def test_tpot_at_batch_one_of_llama2_70b_on_8_h100_is_the_weight_read():
    weights = c.weights_bytes(LLAMA2_70B.total_params, Precision.FP16)
    assert weights == pytest.approx(137.95e9, rel=1e-4)
    step, bound = c.decode_step_seconds(LLAMA2_70B, H100, 8, Precision.FP16, Precision.FP16, 1, 1.5, IDEAL)
    assert bound == "memory_bandwidth"
    expected = weights / (8 * 3.35e12 * 0.8)  # 6.43 ms; KV and all-reduce traffic add < 0.5%
    assert step == pytest.approx(expected, rel=0.005)
    assert step * 1e3 == pytest.approx(6.43, abs=0.05)


def test_tpot_with_fitted_latencies_adds_allreduces_and_layer_overhead():
    eff = c.inference_efficiency()
    roof = c.decode_roofline(LLAMA2_70B, H100, 8, Precision.FP16, Precision.FP16, 1, 1.5)
    step, bound = c.decode_step_seconds(LLAMA2_70B, H100, 8, Precision.FP16, Precision.FP16, 1, 1.5, eff)
    assert bound == "memory_bandwidth"
    weights = c.weights_bytes(LLAMA2_70B.total_params, Precision.FP16)
    assert roof.weights_memory_s == pytest.approx(weights / (8 * 3.35e12))
    assert roof.allreduces == 160
    expected = (
        weights / (8 * 3.35e12 * eff.memory_bandwidth)
        + 160 * eff.allreduce_latency_us * 1e-6
        + 80 * eff.layer_overhead_us * 1e-6
    )
    assert step == pytest.approx(expected, rel=0.01)


def test_decode_is_compute_bound_at_large_batch():
    _, bound = c.decode_step_seconds(LLAMA2_70B, A100, 8, Precision.FP16, Precision.FP16, 1024, 200, IDEAL)
    assert bound == "compute"
    _, bound = c.decode_step_seconds(LLAMA2_70B, A100, 8, Precision.FP16, Precision.FP16, 1, 200, IDEAL)
    assert bound == "memory_bandwidth"


def test_model_that_does_not_fit_is_infeasible_with_reason():
    est = c.estimate_inference(LLAMA2_70B, L4, 4, Precision.FP16, 1000, 200)
    assert not est.feasible
    assert est.tokens_per_s == 0 and est.replicas_per_instance == 0
    assert "weights need 138.0 GB" in est.reason
    assert "4×L4 hold 92.8 GB usable" in est.reason


def test_no_room_for_kv_cache_is_infeasible_with_reason():
    est = c.estimate_inference(LLAMA2_70B, H100, 2, Precision.FP16, 200_000, 1000)
    assert not est.feasible
    assert "KV cache" in est.reason


def test_tpot_target_below_batch_one_is_infeasible_with_numbers():
    est = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP16, 1000, 200, tpot_ms=1.0)
    assert not est.feasible
    assert est.reason.startswith("TPOT at batch 1 is ")
    assert "> target 1 ms" in est.reason
    est = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP16, 100_000, 200, ttft_ms=10.0)
    assert not est.feasible and est.reason.startswith("TTFT at batch 1 is ")


def test_big_model_uses_tensor_parallelism_inside_the_instance():
    est = c.estimate_inference(LLAMA2_70B, A100, 8, Precision.FP16, 1000, 200)
    assert est.feasible
    assert est.tensor_parallel >= 2
    assert est.replicas_per_instance * est.tensor_parallel == 8
    assert est.tokens_per_s == pytest.approx(est.tokens_per_s_per_replica * est.replicas_per_instance)
    assert est.requests_per_s == pytest.approx(est.tokens_per_s / 200)
    assert est.tokens_per_s_per_gpu == pytest.approx(est.tokens_per_s / 8)
    assert est.weights_bytes == pytest.approx(137.95e9, rel=1e-3)
    assert est.kv_cache_bytes_per_token == 327_680
    assert est.max_batch <= c.inference_efficiency().max_batch


def test_fp8_on_a100_and_int4_are_weight_only():
    est = c.estimate_inference(LLAMA2_70B, A100, 8, Precision.FP8, 1000, 200)
    assert est.compute_precision == Precision.BF16 and est.notes
    assert est.weights_bytes == pytest.approx(68.98e9, rel=1e-3)
    est = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.INT4, 1000, 200)
    assert est.compute_precision == Precision.BF16
    assert est.kv_precision == Precision.BF16
    native = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP8, 1000, 200)
    assert (
        native.compute_precision == Precision.FP8
        and native.kv_precision == Precision.FP8
        and not native.notes
    )


def test_quantised_weights_serve_more_tokens():
    fp16 = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP16, 1000, 200, tpot_ms=50)
    fp8 = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP8, 1000, 200, tpot_ms=50)
    assert fp8.tokens_per_s > fp16.tokens_per_s


def test_ttft_is_prefill_plus_one_decode_step():
    perf = c.replica_performance(LLAMA2_70B, H100, 4, Precision.FP16, Precision.FP16, 1000, 200, 16, IDEAL)
    assert perf.ttft_ms == pytest.approx((perf.prefill_one_s + perf.decode_step_s) * 1e3)
    cycle = perf.prefill_batch_s + 199 * perf.decode_step_s
    assert perf.tokens_per_s == pytest.approx(16 * 200 / cycle)


def test_prefill_is_compute_bound_for_long_prompts():
    roof = c.prefill_roofline(LLAMA2_70B, H100, 8, Precision.FP16, 1, 2048)
    assert roof.weights_compute_s > roof.weights_memory_s
    assert roof.weights_compute_s == pytest.approx(2048 * 2 * LLAMA2_70B.active_params / (8 * 989.4e12))


def test_moe_decode_reads_fewer_bytes_at_batch_one():
    roof_moe = c.decode_roofline(MIXTRAL, H100, 1, Precision.BF16, Precision.BF16, 1, 100)
    assert roof_moe.weights_memory_s == pytest.approx(12.9e9 * 2 / 3.35e12)


@settings(max_examples=40, deadline=None)
@given(
    tight=st.floats(min_value=5.0, max_value=200.0),
    loose_extra=st.floats(min_value=0.0, max_value=200.0),
    gpus=st.sampled_from([1, 2, 4, 8]),
    prompt=st.sampled_from([128.0, 1000.0, 4000.0]),
)
def test_tighter_tpot_never_raises_throughput(tight, loose_extra, gpus, prompt):
    arch = LLAMA2_70B if gpus >= 2 else MIXTRAL.model_copy(update={"total_params": 20e9})
    loose = c.estimate_inference(arch, H100, gpus, Precision.FP8, prompt, 200, tpot_ms=tight + loose_extra)
    strict = c.estimate_inference(arch, H100, gpus, Precision.FP8, prompt, 200, tpot_ms=tight)
    assert strict.tokens_per_s <= loose.tokens_per_s * (1 + 1e-12)
    if strict.feasible:
        assert strict.tpot_ms <= tight * (1 + 1e-9)


@settings(max_examples=20, deadline=None)
@given(cap=st.integers(min_value=1, max_value=2048))
def test_smaller_batch_cap_never_raises_throughput(cap):
    full = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP8, 1000, 200)
    capped = c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP8, 1000, 200, max_batch=cap)
    assert capped.tokens_per_s <= full.tokens_per_s * (1 + 1e-12)
    assert capped.max_batch <= cap


def test_estimate_inference_rejects_bad_inputs():
    with pytest.raises(InputError):
        c.estimate_inference(LLAMA2_70B, H100, 0, Precision.FP16, 100, 100)
    with pytest.raises(InputError):
        c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP16, 100, 0)
    with pytest.raises(InputError):
        c.estimate_inference(LLAMA2_70B, H100, 8, Precision.FP16, 100, 100, tpot_ms=-1)


def test_cost_per_million_tokens():
    assert c.cost_per_million_tokens_usd(3.6, 1000) == pytest.approx(1.0)
    with pytest.raises(InputError):
        c.cost_per_million_tokens_usd(3.6, 0)
