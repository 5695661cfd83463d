"""The physics of the planner: FLOPs, memory, time, throughput and latency. Pure functions.

Every function names its source in one docstring line. Units are in the names: ``_bytes`` (B),
``_gib`` (2**30 B), ``_flops`` (floating-point operations), ``_flops_per_s``, ``_s``, ``_ms``,
``_hours``, ``_usd``. Parameter counts and token counts are plain floats.

Fitted defaults (MFU per accelerator, scaling with cluster size, inference efficiency factors)
live in ONE place, ``planner/data/efficiency.yaml``, written by
``catalogs/calibration/fit_defaults.py`` from the calibration tables; this module only reads it.
Constants that come from the literature rather than a fit (bytes per parameter, 16 B/param of
training state, usable memory, goodput, spot overhead) are defined here with their evidence.
See docs/modelling.md for every formula and default with its evidence and fit error.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.catalog.schema import Accelerator
from planner.enums import Precision
from planner.errors import InputError

GIB = float(2**30)
SECONDS_PER_HOUR = 3600.0

BYTES_PER_PARAM: Mapping[Precision, float] = MappingProxyType(
    {
        Precision.FP32: 4.0,
        Precision.TF32: 4.0,  # TF32 is a tensor-core math mode; values are stored as fp32.
        Precision.BF16: 2.0,
        Precision.FP16: 2.0,
        Precision.FP8: 1.0,
        Precision.INT8: 1.0,
        Precision.INT4: 0.5,
    }
)
"""Storage bytes per parameter (or per cached value) for each numeric format (IEEE 754 / OCP FP8 / INT widths)."""

DEFAULT_TRAINING_STATE_BYTES_PER_PARAM = 16.0
"""Mixed-precision Adam: 2 (fp16 weights) + 2 (fp16 grads) + 4+4+4 (fp32 master, momentum, variance); Rajbhandari et al. 2020 (ZeRO) Sec. 3.1."""

DEFAULT_USABLE_MEMORY_FRACTION = 0.90
"""Share of device memory usable for weights, optimizer state and KV cache: vLLM's default
``gpu_memory_utilization=0.9``; the remaining 10% covers the CUDA context, NCCL buffers, allocator
fragmentation and (training) checkpointed activations and gathered-layer buffers."""

DEFAULT_GOODPUT = 0.90
"""Share of wall-clock time spent on useful training: Llama 3 405B reports >90% effective training
time despite 466 interruptions in 54 days on 16K H100 (Llama Team 2024, Sec. 3.3.4, Table 5;
tco_figures.csv O07). OPT-175B (>=35 manual restarts in ~2 months on 1,024 A100, O08) did worse;
0.90 is what a team with automated restarts achieves."""

DEFAULT_SPOT_OVERHEAD = 0.10
"""Fraction of paid spot hours lost to preemption (lost work since the last checkpoint, re-acquiring
capacity, restart). ASSUMPTION, not a measurement: Young's (1974) first-order model,
``checkpoint_restart_overhead``, gives 0.107 for a cluster-level mean time between preemptions of
10 h, a 2-minute checkpoint write and a 15-minute restart. Bamboo (Thorpe et al., NSDI 2023) shows
checkpoint-restart on frequently preempted multi-node spot fleets can lose far more; users should
override it for their provider."""

ModelBound = Literal["memory_bandwidth", "compute"]


# --------------------------------------------------------------------------------------------------
# Training: FLOPs, memory, time, money
# --------------------------------------------------------------------------------------------------


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be a positive finite number, got {value!r}")


def _check_fraction(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and 0 < value <= 1):
        raise InputError(f"{name} must be in (0, 1], got {value!r}")


def training_flops(active_params: float, tokens: float) -> float:
    """C = 6·N·D (forward 2N + backward 4N per token); Kaplan et al. 2020 Sec. 2.1, Narayanan et al. 2021 Sec. 5.1."""
    _check_positive(active_params=active_params, tokens=tokens)
    return 6.0 * active_params * tokens


def forward_flops(active_params: float, tokens: float) -> float:
    """Forward pass = 2·N FLOPs per token (one multiply-add per weight); Kaplan et al. 2020 Table 1."""
    _check_positive(active_params=active_params, tokens=tokens)
    return 2.0 * active_params * tokens


def inference_flops_per_request(active_params: float, input_tokens: float, output_tokens: float) -> float:
    """2·N·(I+O): every prompt and generated token passes the weights once; Kaplan et al. 2020 Table 1 (attention term excluded)."""
    _check_positive(active_params=active_params, input_tokens=input_tokens, output_tokens=output_tokens)
    return 2.0 * active_params * (input_tokens + output_tokens)


def attention_flops_per_token(layers: int, context_tokens: float, attention_dim: int) -> float:
    """Forward attention FLOPs per token = 2·n_layer·n_ctx·d_attn (the QK^T and AV products); Kaplan et al. 2020 Table 1."""
    return 2.0 * layers * context_tokens * attention_dim


def weights_bytes(params: float, precision: Precision) -> float:
    """Weight memory = parameters × bytes per parameter of the storage format (IEEE 754 / OCP FP8 widths)."""
    _check_positive(params=params)
    return params * BYTES_PER_PARAM[Precision(precision)]


def training_memory_bytes(
    params: float,
    state_bytes_per_param: float = DEFAULT_TRAINING_STATE_BYTES_PER_PARAM,
    activation_bytes: float = 0.0,
) -> float:
    """Weights + gradients + Adam state at ``state_bytes_per_param`` (16 B: Rajbhandari et al. 2020) plus activations.

    Activations are NOT estimated by default (``activation_bytes=0``): with full activation
    checkpointing only each layer's input is kept, 2·s·b·h bytes per layer per micro-batch
    (Korthikanti et al. 2022, Sec. 4.3) — e.g. 80 × 2·2048·8192 = 2.7 GB for a 70B model at
    micro-batch 1, small next to its 1.12 TB of sharded state — and the 10% memory headroom of
    ``DEFAULT_USABLE_MEMORY_FRACTION`` covers it. Pass a cluster-wide figure (for instance from
    ``checkpointed_activation_bytes`` × GPUs) when training with long sequences or large micro-batches.
    """
    _check_positive(params=params, state_bytes_per_param=state_bytes_per_param)
    if activation_bytes < 0:
        raise InputError(f"activation_bytes must be >= 0, got {activation_bytes!r}")
    return params * state_bytes_per_param + activation_bytes


def checkpointed_activation_bytes(
    layers: int, hidden_size: int, tokens_per_micro_batch: float, bytes_per_value: float = 2.0
) -> float:
    """Activations kept per GPU under full recomputation = 2·s·b·h bytes per layer (fp16 layer inputs); Korthikanti et al. 2022 Sec. 4.3."""
    _check_positive(layers=layers, hidden_size=hidden_size, tokens_per_micro_batch=tokens_per_micro_batch)
    return layers * hidden_size * tokens_per_micro_batch * bytes_per_value


def min_gpus_for_memory(
    total_bytes: float, memory_gib: float, usable_fraction: float = DEFAULT_USABLE_MEMORY_FRACTION
) -> int:
    """Fewest devices holding ``total_bytes`` when state is fully sharded (ZeRO-3 / FSDP): ceil(total / (mem·usable)); Rajbhandari et al. 2020 Sec. 5."""
    _check_positive(total_bytes=total_bytes, memory_gib=memory_gib)
    _check_fraction("usable_fraction", usable_fraction)
    per_device = memory_gib * GIB * usable_fraction
    # Tolerate float noise: 2.0000000001 devices' worth is 2 devices.
    return max(1, math.ceil(total_bytes / per_device - 1e-9))


def training_seconds(
    flops: float,
    n_gpus: int,
    peak_flops_per_s: float,
    mfu: float,
    goodput: float = DEFAULT_GOODPUT,
) -> float:
    """Wall-clock time = C / (n · peak · MFU) / goodput; MFU as defined by Chowdhery et al. 2022 (PaLM) App. B."""
    _check_positive(flops=flops, n_gpus=n_gpus, peak_flops_per_s=peak_flops_per_s)
    _check_fraction("mfu", mfu)
    _check_fraction("goodput", goodput)
    return flops / (n_gpus * peak_flops_per_s * mfu) / goodput


def training_gpu_hours(
    flops: float, peak_flops_per_s: float, mfu: float, goodput: float = DEFAULT_GOODPUT
) -> float:
    """GPU-hours = C / (peak · MFU) / goodput / 3600, independent of cluster size at fixed MFU; PaLM App. B."""
    return training_seconds(flops, 1, peak_flops_per_s, mfu, goodput) / SECONDS_PER_HOUR


def cost_usd(gpu_hours: float, price_per_gpu_hour_usd: float) -> float:
    """Cost = GPU-hours × price per GPU-hour (cloud per-hour billing)."""
    if gpu_hours < 0 or price_per_gpu_hour_usd < 0:
        raise InputError(
            f"gpu_hours and price must be >= 0, got {gpu_hours!r} and {price_per_gpu_hour_usd!r}"
        )
    return gpu_hours * price_per_gpu_hour_usd


def checkpoint_restart_overhead(
    mtbf_hours: float,
    checkpoint_write_hours: float,
    restart_hours: float,
    checkpoint_interval_hours: float | None = None,
) -> float:
    """Share of time lost = δ/τ + (τ/2 + R)/M with Young's optimal τ = sqrt(2·δ·M); Young 1974, 'A first order approximation to the optimum checkpoint interval'."""
    _check_positive(mtbf_hours=mtbf_hours, checkpoint_write_hours=checkpoint_write_hours)
    if restart_hours < 0:
        raise InputError(f"restart_hours must be >= 0, got {restart_hours!r}")
    tau = (
        math.sqrt(2.0 * checkpoint_write_hours * mtbf_hours)
        if checkpoint_interval_hours is None
        else checkpoint_interval_hours
    )
    _check_positive(checkpoint_interval_hours=tau)
    lost = checkpoint_write_hours / tau + (tau / 2.0 + restart_hours) / mtbf_hours
    return min(lost, 1.0)


# --------------------------------------------------------------------------------------------------
# Fitted defaults: efficiency.yaml
# --------------------------------------------------------------------------------------------------


@cache
def load_efficiency() -> Mapping[str, Any]:
    """The fitted defaults written by catalogs/calibration/fit_defaults.py (package data planner/data/efficiency.yaml)."""
    path = resources.files("planner") / "data" / "efficiency.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "training" not in data or "inference" not in data:
        raise RuntimeError(
            "planner/data/efficiency.yaml is malformed: re-run catalogs/calibration/fit_defaults.py --write"
        )
    return data


@dataclass(frozen=True)
class MfuDefault:
    """One row of the default-MFU table: the value and why."""

    accelerator_id: str
    mfu: float
    basis: str
    """'fitted' (benchmark rows for this accelerator), 'production_run', 'family:<id>' or 'generic'."""
    benchmark_mfu: float | None
    evidence: str


def mfu_table() -> dict[str, MfuDefault]:
    """Default MFU per canonical accelerator id (6·N·D model FLOPs, bf16 dense peak, at the reference cluster size); efficiency.yaml."""
    return dict(_mfu_rows())


@cache
def _mfu_rows() -> Mapping[str, MfuDefault]:
    table = load_efficiency()["training"]["accelerators"]
    rows = {
        acc_id: MfuDefault(
            accelerator_id=acc_id,
            mfu=float(row["mfu"]),
            basis=str(row["basis"]),
            benchmark_mfu=None if row.get("benchmark_mfu") is None else float(row["benchmark_mfu"]),
            evidence=str(row["evidence"]),
        )
        for acc_id, row in table.items()
    }
    return MappingProxyType(rows)


@cache
def _mfu_by_upper() -> Mapping[str, MfuDefault]:
    return MappingProxyType({k.upper(): v for k, v in _mfu_rows().items()})


def mfu_default_info(accelerator_id: str) -> MfuDefault:
    """The default-MFU row for an accelerator id (case-insensitive); unknown ids get the documented generic fallback."""
    row = _mfu_by_upper().get(accelerator_id.strip().upper())
    if row is not None:
        return row
    generic = load_efficiency()["training"]["generic_fallback"]
    return MfuDefault(
        accelerator_id=accelerator_id,
        mfu=float(generic["mfu"]),
        basis="generic",
        benchmark_mfu=None,
        evidence=f"unknown accelerator id {accelerator_id!r}: {generic['rule']}",
    )


def model_size_mfu_factor(params: float | None) -> float:
    """MFU multiplier min(1, (N/N_knee)^α) for small models, fitted on MosaicML llm-foundry rows (efficiency.yaml size_factor)."""
    if params is None:
        return 1.0
    _check_positive(params=params)
    size = load_efficiency()["training"]["size_factor"]
    return min(1.0, (params / float(size["knee_params"])) ** float(size["exponent"]))


def default_mfu(
    accelerator_id: str, params: float | None = None, precision: Precision | None = Precision.BF16
) -> float:
    """Default MFU at the reference cluster size (fit of llm-foundry / Megatron / MT-NLG rows, PaLM MFU definition); efficiency.yaml.

    ``params`` applies the small-model factor; ``precision=fp8`` scales by the fitted ratio of fp8
    to bf16 utilisation (fp8 MFU is relative to the fp8 peak). Other precisions use the bf16
    value relative to their own peak (no calibration data). Multiply by ``scaling_efficiency(n)``
    for clusters larger than the reference (or use ``effective_mfu``).
    """
    value = mfu_default_info(accelerator_id).mfu * model_size_mfu_factor(params)
    if precision is not None and Precision(precision) == Precision.FP8:
        value *= float(load_efficiency()["training"]["fp8_mfu_ratio"]["value"])
    return value


def scaling_efficiency(n_gpus: int) -> float:
    """Per-GPU throughput at n GPUs relative to the reference size: (1−k)^max(0, log2(n/n_ref)), k fitted per doubling; efficiency.yaml scaling."""
    _check_positive(n_gpus=n_gpus)
    scaling = load_efficiency()["training"]["scaling"]
    doublings = max(0.0, math.log2(n_gpus / float(scaling["reference_gpus"])))
    return (1.0 - float(scaling["loss_per_doubling"])) ** doublings


def effective_mfu(
    accelerator_id: str,
    n_gpus: int,
    params: float | None = None,
    precision: Precision | None = Precision.BF16,
) -> float:
    """default_mfu × scaling_efficiency(n): the MFU to expect on an n-GPU cluster (both fitted; efficiency.yaml)."""
    return default_mfu(accelerator_id, params, precision) * scaling_efficiency(n_gpus)


def training_compute_precision(accelerator: Accelerator, precision: Precision) -> Precision | None:
    """Precision whose tensor peak a training run uses: the requested one if native, else bf16 then fp16 (mixed precision, Micikevicius et al. 2018)."""
    for candidate in _training_precisions(precision):
        if accelerator.peak_flops_per_s(candidate) is not None:
            return candidate
    return None


def _training_precisions(precision: Precision) -> list[Precision]:
    """The precisions training_compute_precision tries, in order, without repeats."""
    precision = Precision(precision)
    tried: list[Precision] = [precision] if precision not in (Precision.INT8, Precision.INT4) else []
    return tried + [p for p in (Precision.BF16, Precision.FP16) if p not in tried]


def no_training_peak(accelerator: Accelerator, precision: Precision) -> str:
    """Why an accelerator cannot run a training run of this precision (training_compute_precision is None)."""
    tried = "/".join(p.value for p in _training_precisions(precision))
    return f"{accelerator.id} has no known dense tensor peak for {tried} in the catalog"


# --------------------------------------------------------------------------------------------------
# Model architectures
# --------------------------------------------------------------------------------------------------


class ModelArch(BaseModel):
    """Transformer shape needed for memory and the inference roofline. Counts are plain numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(min_length=1)
    name: str | None = None
    total_params: float = Field(gt=0, description="All weights (held in memory).")
    active_params: float = Field(gt=0, description="Weights used per token (= total for dense models).")
    layers: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    attention_heads: int = Field(gt=0)
    kv_heads: int = Field(gt=0, description="Key/value heads (GQA/MQA); = attention_heads for MHA.")
    head_dim: int = Field(gt=0)
    ffn_hidden_size: int | None = Field(default=None, gt=0)
    vocab_size: int | None = Field(default=None, gt=0)
    context_length: int | None = Field(default=None, gt=0)
    num_experts: int | None = Field(default=None, gt=0, description="Routed experts per MoE layer.")
    experts_per_token: int | None = Field(default=None, gt=0, description="Routed experts used per token.")
    kv_lora_rank: int | None = Field(default=None, gt=0, description="MLA latent KV dim (DeepSeek-V2/V3).")
    qk_rope_head_dim: int | None = Field(default=None, gt=0, description="MLA decoupled RoPE key dim.")
    kv_cache_dim_per_layer: int | None = Field(
        default=None, gt=0, description="Override: cached values per token per layer (K and V together)."
    )
    source: str = Field(min_length=1)
    notes: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ModelArch:
        if self.active_params > self.total_params:
            raise ValueError(
                f"active_params ({self.active_params:g}) cannot exceed total_params ({self.total_params:g})"
            )
        if self.kv_heads > self.attention_heads or self.attention_heads % self.kv_heads:
            raise ValueError(
                f"kv_heads ({self.kv_heads}) must divide attention_heads ({self.attention_heads})"
            )
        if (self.num_experts is None) != (self.experts_per_token is None):
            raise ValueError("num_experts and experts_per_token go together (both or neither)")
        if self.num_experts is not None and self.experts_per_token is not None:
            if self.experts_per_token > self.num_experts:
                raise ValueError("experts_per_token cannot exceed num_experts")
            if self.active_params >= self.total_params:
                raise ValueError("a mixture-of-experts model needs active_params < total_params")
        if (self.kv_lora_rank is None) != (self.qk_rope_head_dim is None):
            raise ValueError("kv_lora_rank and qk_rope_head_dim (MLA) go together (both or neither)")
        return self

    @property
    def is_moe(self) -> bool:
        return self.num_experts is not None

    @property
    def attention_dim(self) -> int:
        """d_attn = heads × head_dim (Kaplan et al. 2020 notation)."""
        return self.attention_heads * self.head_dim

    @property
    def routed_expert_params(self) -> float:
        """Weights of all routed experts: (total − active) / (1 − k/E), since active = shared + (k/E)·experts."""
        if self.num_experts is None or self.experts_per_token is None:
            return 0.0
        return (self.total_params - self.active_params) / (1.0 - self.experts_per_token / self.num_experts)

    @property
    def shared_params(self) -> float:
        """Weights every token uses (attention, embeddings, dense and shared-expert layers)."""
        return self.total_params - self.routed_expert_params


ARCH_ASPECT_RATIO = 128
"""d_model / n_layers used by architecture_from_params: the median over the dense zoo models
(GPT-3 128, Llama 2 7B/13B 128, Llama 2/3 70B 102.4, Llama 3 8B 128, Llama 3.1 405B 130)."""
ARCH_HEAD_DIM = 128
"""Head dimension of every Llama, Mistral and GPT-3 model in the zoo."""
ARCH_KV_HEADS = 8
"""GQA with 8 KV heads at every size, as Llama 3 (8B/70B/405B, Table 3), Mistral 7B and Mixtral."""


def architecture_from_params(params: float) -> ModelArch:
    """Dense shape from a parameter count via N ≈ 12·L·d² (Kaplan et al. 2020 Sec. 2.1) with d = 128·L, head_dim 128, 8 KV heads.

    L = round((N / (12·128²))^(1/3)); d = sqrt(N / (12·L)) rounded to a multiple of 1024 (of 128
    below d = 1024); heads = d / 128; kv_heads = 8 (all heads below 8). Reproduces GPT-3 175B's
    shape (96 layers, d 12288) and Llama 2 70B's KV bytes per token to within 11%. Use the zoo or
    describe mixture-of-experts models explicitly: this rule assumes a dense model.
    """
    _check_positive(params=params)
    layers = max(1, round((params / (12.0 * ARCH_ASPECT_RATIO**2)) ** (1.0 / 3.0)))
    exact_hidden = math.sqrt(params / (12.0 * layers))
    # Multiples of 8 heads from d = 1024 up, so that 8 KV heads divide the query heads.
    quantum = (
        ARCH_HEAD_DIM * ARCH_KV_HEADS if exact_hidden >= ARCH_HEAD_DIM * ARCH_KV_HEADS else ARCH_HEAD_DIM
    )
    hidden = max(ARCH_HEAD_DIM, round(exact_hidden / quantum) * quantum)
    heads = hidden // ARCH_HEAD_DIM
    kv_heads = ARCH_KV_HEADS if heads % ARCH_KV_HEADS == 0 else heads
    return ModelArch(
        id=f"generic-{params / 1e9:g}b",
        total_params=params,
        active_params=params,
        layers=layers,
        hidden_size=hidden,
        attention_heads=heads,
        kv_heads=kv_heads,
        head_dim=ARCH_HEAD_DIM,
        source=(
            "planner.compute.architecture_from_params: N = 12·L·d² (Kaplan et al. 2020), d = 128·L, "
            "head_dim 128, 8 KV heads (Llama 3 Table 3)"
        ),
    )


def kv_cache_bytes_per_token(arch: ModelArch, precision: Precision) -> float:
    """KV cache per token = 2·layers·kv_heads·head_dim·bytes (Pope et al. 2022 Sec. 3.1); MLA: layers·(d_c + d_rope)·bytes (DeepSeek-V3 report Sec. 2.1.1)."""
    width = BYTES_PER_PARAM[Precision(precision)]
    if arch.kv_cache_dim_per_layer is not None:
        return arch.layers * arch.kv_cache_dim_per_layer * width
    if arch.kv_lora_rank is not None and arch.qk_rope_head_dim is not None:
        return arch.layers * (arch.kv_lora_rank + arch.qk_rope_head_dim) * width
    return 2.0 * arch.layers * arch.kv_heads * arch.head_dim * width


def weights_read_bytes(arch: ModelArch, precision: Precision, tokens_in_step: float) -> float:
    """Weight bytes read by one forward step over ``tokens_in_step`` tokens: shared + experts·(1−(1−k/E)^T) (uniform top-k routing; assumption)."""
    width = BYTES_PER_PARAM[Precision(precision)]
    if arch.num_experts is None or arch.experts_per_token is None:
        return arch.total_params * width
    miss = (1.0 - arch.experts_per_token / arch.num_experts) ** max(tokens_in_step, 1.0)
    return (arch.shared_params + arch.routed_expert_params * (1.0 - miss)) * width


def forward_flops_per_token(arch: ModelArch, context_tokens: float) -> float:
    """Forward FLOPs per token = 2·N_active + 2·n_layer·n_ctx·d_attn; Kaplan et al. 2020 Table 1."""
    return 2.0 * arch.active_params + attention_flops_per_token(
        arch.layers, context_tokens, arch.attention_dim
    )


# --------------------------------------------------------------------------------------------------
# Inference: roofline per replica, then batch and tensor-parallel choice
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InferenceEfficiency:
    """Fractions of datasheet peaks and fixed latencies of a serving stack; fitted on TensorRT-LLM tables (efficiency.yaml)."""

    memory_bandwidth: float
    """Achieved / peak memory bandwidth (weight and KV-cache reads)."""
    prefill_compute: float
    """Achieved / peak tensor FLOP/s during prefill."""
    decode_compute: float
    """Achieved / peak tensor FLOP/s in compute-bound (large-batch) decode steps."""
    link_bandwidth: float
    """Achieved / peak GPU-to-GPU bandwidth in tensor-parallel all-reduces."""
    allreduce_latency_us: float
    """Fixed latency of one tensor-parallel all-reduce, microseconds."""
    layer_overhead_us: float
    """Fixed time per layer per forward pass (kernel launches, norms, sampling), microseconds."""
    max_batch: int
    """Cap on concurrent sequences per replica when memory allows more."""


def inference_efficiency() -> InferenceEfficiency:
    """The fitted inference efficiency factors (efficiency.yaml, inference section)."""
    inf = load_efficiency()["inference"]
    return InferenceEfficiency(
        memory_bandwidth=float(inf["memory_bandwidth_efficiency"]),
        prefill_compute=float(inf["prefill_compute_efficiency"]),
        decode_compute=float(inf["decode_compute_efficiency"]),
        link_bandwidth=float(inf["link_bandwidth_efficiency"]),
        allreduce_latency_us=float(inf["allreduce_latency_us"]),
        layer_overhead_us=float(inf["layer_overhead_us"]),
        max_batch=int(inf["max_batch"]),
    )


def inference_compute_precision(accelerator: Accelerator, precision: Precision) -> Precision | None:
    """Math precision of inference: native if the device has a tensor peak for it, else weight-only quantisation at bf16/fp16 (int4 always; Lin et al. 2024 AWQ)."""
    precision = Precision(precision)
    candidates = [] if precision == Precision.INT4 else [precision]
    candidates += [Precision.BF16, Precision.FP16, Precision.FP32]
    for candidate in candidates:
        if accelerator.peak_flops_per_s(candidate) is not None:
            return candidate
    return None


def default_kv_precision(precision: Precision) -> Precision:
    """KV cache format: fp8 with fp8 weights (TensorRT-LLM FP8 recipes), 16-bit for int8/int4 weight-only quantisation, else the weight format."""
    precision = Precision(precision)
    if precision in (Precision.INT8, Precision.INT4):
        return Precision.BF16
    return precision


PCIE_GB_PER_S_PER_DIRECTION: Mapping[int, float] = MappingProxyType({3: 16.0, 4: 32.0, 5: 64.0, 6: 128.0})
"""x16 link bandwidth per direction by PCIe generation (PCI-SIG specifications: 8/16/32/64 GT/s per lane)."""
_SCALE_UP_FABRIC_RE = re.compile(r"\b(nvlink|infinity fabric|xgmi|ici|neuronlink|roce)\b", re.IGNORECASE)
_RATE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([TG])(B|b)/s")  # "900 GB/s" bytes, "4.8 Tb/s" bits


def tensor_parallel_link_gb_per_s(accelerator: Accelerator, tensor_parallel: int) -> float:
    """GPU-to-GPU bandwidth per direction for a TP group, read from the catalog's interconnect text (documented rule; NVIDIA/PCI-SIG datasheet figures).

    A scale-up fabric (NVLink, Infinity Fabric, ICI, NeuronLink, on-chip RoCE) gives its quoted
    rate halved (vendors quote both directions: H100 NVLink 900 GB/s -> 450), or 100 GB/s when no
    rate is quoted. A 2-GPU NVLink bridge serves TP=2 only. Otherwise the PCIe x16 rate of the
    quoted generation (Gen4 when none is quoted) per direction.
    """
    text = accelerator.interconnect or ""
    for part in text.split(";"):
        fabric = _SCALE_UP_FABRIC_RE.search(part)
        lower = part.lower()
        if fabric is None or "c2c" in lower or f"no {fabric.group(1).lower()}" in lower:
            continue
        if ("bridge" in lower or "pair" in lower or "2-way" in lower) and tensor_parallel > 2:
            continue
        rate = _RATE_RE.search(part)
        if rate is None:
            return 100.0
        value = float(rate.group(1)) * (1000.0 if rate.group(2) == "T" else 1.0)
        if rate.group(3) == "b":
            value /= 8.0  # bits -> bytes
        return value / 2.0
    generation = re.search(r"gen\s*(\d)", text, re.IGNORECASE)
    return PCIE_GB_PER_S_PER_DIRECTION.get(int(generation.group(1)) if generation else 4, 32.0)


ACTIVATION_BYTES = 2.0
"""Activations are all-reduced in 16-bit (bf16/fp16) whatever the weight format."""


@dataclass(frozen=True)
class ReplicaPerformance:
    """Roofline of one model replica (tensor-parallel group) at a batch size."""

    batch: int
    decode_step_s: float
    prefill_batch_s: float
    prefill_one_s: float
    tokens_per_s: float
    bound: ModelBound

    @property
    def tpot_ms(self) -> float:
        return self.decode_step_s * 1e3

    @property
    def ttft_ms(self) -> float:
        """Prefill of one request plus one decode step of queueing behind the running batch."""
        return (self.prefill_one_s + self.decode_step_s) * 1e3


@dataclass(frozen=True)
class Roofline:
    """Times of one forward pass at 100% of the datasheet peaks, before efficiency factors.

    Weight matmuls and attention run as separate kernels, so each has its own roofline and the
    pass takes their sum (Pope et al. 2022 Sec. 3 treat weight loading and KV-cache loading
    apart); tensor parallelism adds two all-reduces per layer (Shoeybi et al. 2019 Sec. 3).
    """

    weights_memory_s: float
    """Weight bytes read / (t · peak bandwidth)."""
    weights_compute_s: float
    """2·N_active FLOPs per token × tokens / (t · peak FLOP/s)."""
    attention_memory_s: float
    """KV-cache bytes read / (t · peak bandwidth)."""
    attention_compute_s: float
    """Attention FLOPs (2·n_layer·n_ctx·d_attn per token) / (t · peak FLOP/s)."""
    allreduce_s: float
    """Ring all-reduce traffic 2(t−1)/t × 2·L × tokens·d·2 B / link bandwidth (0 when t = 1)."""
    allreduces: int
    """All-reduces per pass: 2 per layer when t > 1 (Megatron-LM tensor parallelism)."""
    layers: int


def _peaks(accelerator: Accelerator, precision: Precision) -> tuple[float, float]:
    compute = inference_compute_precision(accelerator, precision)
    if compute is None:
        raise InputError(f"{accelerator.id} has no tensor peak for {precision} or bf16/fp16/fp32")
    return accelerator.peak_flops_per_s(compute) or 0.0, accelerator.memory_bandwidth_gb_per_s * 1e9


def _allreduce(
    arch: ModelArch, accelerator: Accelerator, tensor_parallel: int, tokens: float
) -> tuple[float, int]:
    """(seconds at peak link bandwidth, count) of the TP all-reduces of one pass over ``tokens`` tokens."""
    if tensor_parallel <= 1:
        return 0.0, 0
    count = 2 * arch.layers
    per_gpu = (
        count * tokens * arch.hidden_size * ACTIVATION_BYTES * 2.0 * (tensor_parallel - 1) / tensor_parallel
    )
    return per_gpu / (tensor_parallel_link_gb_per_s(accelerator, tensor_parallel) * 1e9), count


def decode_roofline(
    arch: ModelArch,
    accelerator: Accelerator,
    tensor_parallel: int,
    precision: Precision,
    kv_precision: Precision,
    batch: int,
    context_tokens: float,
) -> Roofline:
    """One decode step of B sequences at mean context c: weights (experts touched) and B·c·KV bytes read; B·2N and B·attention FLOPs; Pope et al. 2022 Sec. 3."""
    peak, bandwidth = _peaks(accelerator, precision)
    t = float(tensor_parallel)
    kv_read = batch * context_tokens * kv_cache_bytes_per_token(arch, kv_precision)
    attention = batch * attention_flops_per_token(arch.layers, context_tokens, arch.attention_dim)
    allreduce_s, allreduces = _allreduce(arch, accelerator, tensor_parallel, batch)
    return Roofline(
        weights_memory_s=weights_read_bytes(arch, precision, batch) / (t * bandwidth),
        weights_compute_s=batch * 2.0 * arch.active_params / (t * peak),
        attention_memory_s=kv_read / (t * bandwidth),
        attention_compute_s=attention / (t * peak),
        allreduce_s=allreduce_s,
        allreduces=allreduces,
        layers=arch.layers,
    )


def prefill_roofline(
    arch: ModelArch,
    accelerator: Accelerator,
    tensor_parallel: int,
    precision: Precision,
    batch: int,
    input_tokens: float,
) -> Roofline:
    """Prefill of B prompts of I tokens: weights read once, B·I·2N FLOPs, attention at the mean causal context I/2; Pope et al. 2022 Sec. 3."""
    peak, bandwidth = _peaks(accelerator, precision)
    t = float(tensor_parallel)
    tokens = batch * input_tokens
    allreduce_s, allreduces = _allreduce(arch, accelerator, tensor_parallel, tokens)
    return Roofline(
        weights_memory_s=weights_read_bytes(arch, precision, tokens) / (t * bandwidth),
        weights_compute_s=tokens * 2.0 * arch.active_params / (t * peak),
        attention_memory_s=0.0,  # the prompt's K/V are produced on chip (FlashAttention), not re-read
        attention_compute_s=tokens
        * attention_flops_per_token(arch.layers, input_tokens / 2.0, arch.attention_dim)
        / (t * peak),
        allreduce_s=allreduce_s,
        allreduces=allreduces,
        layers=arch.layers,
    )


def _fixed_s(roof: Roofline, efficiency: InferenceEfficiency) -> float:
    """Communication and fixed latencies of a pass: traffic / (link·η_link) + all-reduces·α + layers·ℓ."""
    return (
        roof.allreduce_s / efficiency.link_bandwidth
        + roof.allreduces * efficiency.allreduce_latency_us * 1e-6
        + roof.layers * efficiency.layer_overhead_us * 1e-6
    )


def decode_step_seconds(
    arch: ModelArch,
    accelerator: Accelerator,
    tensor_parallel: int,
    precision: Precision,
    kv_precision: Precision,
    batch: int,
    context_tokens: float,
    efficiency: InferenceEfficiency,
) -> tuple[float, ModelBound]:
    """Step = max(W/BW·η_bw, 2NB/P·η_c) + max(KV/BW·η_bw, attn/P·η_c) + all-reduces + layers·ℓ: per-kernel roofline (Williams et al. 2009), Pope et al. 2022."""
    roof = decode_roofline(arch, accelerator, tensor_parallel, precision, kv_precision, batch, context_tokens)
    bw, comp = efficiency.memory_bandwidth, efficiency.decode_compute
    weights_s = max(roof.weights_memory_s / bw, roof.weights_compute_s / comp)
    attention_s = max(roof.attention_memory_s / bw, roof.attention_compute_s / comp)
    memory_total = (roof.weights_memory_s + roof.attention_memory_s) / bw
    compute_total = (roof.weights_compute_s + roof.attention_compute_s) / comp
    bound: ModelBound = "memory_bandwidth" if memory_total >= compute_total else "compute"
    return weights_s + attention_s + _fixed_s(roof, efficiency), bound


def prefill_seconds(
    arch: ModelArch,
    accelerator: Accelerator,
    tensor_parallel: int,
    precision: Precision,
    batch: int,
    input_tokens: float,
    efficiency: InferenceEfficiency,
) -> float:
    """Prefill = max((2N + attention) FLOPs / P·η_p, weights / BW·η_bw) + all-reduces + layers·ℓ: compute-bound but for tiny prompts (Pope et al. 2022 Sec. 3)."""
    roof = prefill_roofline(arch, accelerator, tensor_parallel, precision, batch, input_tokens)
    compute_s = (roof.weights_compute_s + roof.attention_compute_s) / efficiency.prefill_compute
    memory_s = roof.weights_memory_s / efficiency.memory_bandwidth
    return max(compute_s, memory_s) + _fixed_s(roof, efficiency)


def replica_performance(
    arch: ModelArch,
    accelerator: Accelerator,
    tensor_parallel: int,
    precision: Precision,
    kv_precision: Precision,
    input_tokens: float,
    output_tokens: float,
    batch: int,
    efficiency: InferenceEfficiency,
) -> ReplicaPerformance:
    """Output tokens/s of a replica serving B requests per cycle = B·O / (prefill(B) + (O−1)·step(B)) (static/continuous batching, Yu et al. 2022 Orca)."""
    context = input_tokens + output_tokens / 2.0  # mean context seen by the decode steps
    step_s, bound = decode_step_seconds(
        arch, accelerator, tensor_parallel, precision, kv_precision, batch, context, efficiency
    )
    prefill_b = prefill_seconds(
        arch, accelerator, tensor_parallel, precision, batch, input_tokens, efficiency
    )
    prefill_1 = prefill_seconds(arch, accelerator, tensor_parallel, precision, 1, input_tokens, efficiency)
    cycle_s = prefill_b + max(output_tokens - 1.0, 0.0) * step_s
    return ReplicaPerformance(
        batch=batch,
        decode_step_s=step_s,
        prefill_batch_s=prefill_b,
        prefill_one_s=prefill_1,
        tokens_per_s=batch * output_tokens / cycle_s,
        bound=bound,
    )


def max_batch_for_memory(
    arch: ModelArch,
    accelerator: Accelerator,
    tensor_parallel: int,
    precision: Precision,
    kv_precision: Precision,
    context_tokens: float,
    usable_memory_fraction: float = DEFAULT_USABLE_MEMORY_FRACTION,
) -> int:
    """Largest B with weights + B·(I+O)·KV bytes ≤ t·memory·usable (weights and KV split evenly by TP; Pope et al. 2022 Sec. 3.1)."""
    capacity = tensor_parallel * accelerator.memory_gib * GIB * usable_memory_fraction
    free = capacity - weights_bytes(arch.total_params, precision)
    per_request = context_tokens * kv_cache_bytes_per_token(arch, kv_precision)
    return max(0, math.floor(free / per_request)) if free > 0 else 0


@dataclass(frozen=True)
class InferenceEstimate:
    """What one instance (gpus_per_instance devices) of an accelerator delivers for a model and request shape."""

    feasible: bool
    reason: str | None
    """Why not feasible, in words with numbers; None when feasible."""
    model_id: str
    accelerator_id: str
    gpus_per_instance: int
    precision: Precision
    compute_precision: Precision | None
    """Tensor math format (differs from ``precision`` under weight-only quantisation)."""
    kv_precision: Precision
    tensor_parallel: int
    replicas_per_instance: int
    max_batch: int
    """Concurrent sequences per replica."""
    tpot_ms: float | None
    ttft_ms: float | None
    tokens_per_s_per_replica: float
    """Output tokens/s of one replica."""
    tokens_per_s: float
    """Output tokens/s of the whole instance."""
    tokens_per_s_per_gpu: float
    requests_per_s: float
    weights_bytes: float
    kv_cache_bytes_per_token: float
    bound: ModelBound | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Attempt:
    tensor_parallel: int
    feasible: bool
    reason: str | None
    perf: ReplicaPerformance | None
    stage: int
    """How far it got: 0 weights do not fit, 1 no room for KV, 2 latency target missed, 3 feasible."""


def _gb(x: float) -> str:
    return f"{x / 1e9:,.1f} GB"


def _largest_true(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """Largest b in [lo, hi] with ok(b), given ok(lo) and ok monotone non-increasing in b."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


# _attempt results kept across estimates: an 8-GPU instance tries TP 1, 2, 4 and 8, and the 1-, 2- and
# 4-GPU instances of the same accelerator try the same degrees again (the 36-month benchmark's
# service: 1,129 attempts, 211 distinct). Accelerators are not hashable: keyed by identity, and
# each entry holds its accelerator so that no id is reused while it lives.
_ATTEMPTS_KEPT = 8192
_attempts: dict[tuple[Any, ...], tuple[Accelerator, _Attempt]] = {}
_attempts_lock = threading.Lock()


def _attempt(arch: ModelArch, accelerator: Accelerator, *rest: Any) -> _Attempt:
    """_try_degree(arch, accelerator, *rest), remembered (see _attempts)."""
    key = (arch, id(accelerator), *rest)
    with _attempts_lock:
        hit = _attempts.get(key)
    if hit is not None and hit[0] is accelerator:
        return hit[1]
    out = _try_degree(arch, accelerator, *rest)
    with _attempts_lock:
        if len(_attempts) >= _ATTEMPTS_KEPT:
            _attempts.clear()
        _attempts[key] = (accelerator, out)
    return out


def _try_degree(
    arch: ModelArch,
    accelerator: Accelerator,
    t: int,
    precision: Precision,
    kv_precision: Precision,
    input_tokens: float,
    output_tokens: float,
    tpot_ms: float | None,
    ttft_ms: float | None,
    usable: float,
    batch_cap: int,
    efficiency: InferenceEfficiency,
) -> _Attempt:
    need = weights_bytes(arch.total_params, precision)
    capacity = t * accelerator.memory_gib * GIB * usable
    if need > capacity:
        reason = (
            f"weights need {_gb(need)} ({arch.total_params / 1e9:,.1f}B params × "
            f"{BYTES_PER_PARAM[precision]:g} B at {precision.value}); {t}×{accelerator.id} hold "
            f"{_gb(capacity)} usable ({t} × {accelerator.memory_gib:g} GiB × {usable:.2f})"
        )
        return _Attempt(t, False, reason, None, 0)
    context = input_tokens + output_tokens
    b_mem = max_batch_for_memory(arch, accelerator, t, precision, kv_precision, context, usable)
    if b_mem < 1:
        per_request = context * kv_cache_bytes_per_token(arch, kv_precision)
        reason = (
            f"after {_gb(need)} of weights, {t}×{accelerator.id} have {_gb(capacity - need)} left, "
            f"less than the {_gb(per_request)} of KV cache one request of {context:,.0f} tokens needs"
        )
        return _Attempt(t, False, reason, None, 1)

    def perf(b: int) -> ReplicaPerformance:
        return replica_performance(
            arch, accelerator, t, precision, kv_precision, input_tokens, output_tokens, b, efficiency
        )

    def meets(b: int) -> bool:
        p = perf(b)
        return (tpot_ms is None or p.tpot_ms <= tpot_ms) and (ttft_ms is None or p.ttft_ms <= ttft_ms)

    one = perf(1)
    if tpot_ms is not None and one.tpot_ms > tpot_ms:
        reason = f"TPOT at batch 1 is {one.tpot_ms:,.1f} ms > target {tpot_ms:g} ms (TP={t})"
        return _Attempt(t, False, reason, one, 2)
    if ttft_ms is not None and one.ttft_ms > ttft_ms:
        reason = f"TTFT at batch 1 is {one.ttft_ms:,.1f} ms > target {ttft_ms:g} ms (TP={t})"
        return _Attempt(t, False, reason, one, 2)
    best = _largest_true(1, min(b_mem, batch_cap), meets)
    return _Attempt(t, True, None, perf(best), 3)


def tensor_parallel_degrees(gpus_per_instance: int) -> list[int]:
    """Powers of two dividing the instance's GPU count (TP groups never span instances)."""
    degrees = []
    t = 1
    while t <= gpus_per_instance:
        if gpus_per_instance % t == 0:
            degrees.append(t)
        t *= 2
    return degrees


def estimate_inference(
    arch: ModelArch,
    accelerator: Accelerator,
    gpus_per_instance: int,
    precision: Precision,
    input_tokens: float,
    output_tokens: float,
    tpot_ms: float | None = None,
    ttft_ms: float | None = None,
    *,
    usable_memory_fraction: float = DEFAULT_USABLE_MEMORY_FRACTION,
    kv_precision: Precision | None = None,
    max_batch: int | None = None,
    efficiency: InferenceEfficiency | None = None,
    tensor_parallel: int | None = None,
) -> InferenceEstimate:
    """Best serving configuration of one instance: TP degree and batch maximising output tokens/s per GPU under TPOT/TTFT; roofline after Pope et al. 2022.

    For each tensor-parallel degree t (powers of two dividing ``gpus_per_instance``) the largest
    batch that fits memory (weights + B·(I+O)·KV bytes), stays under ``max_batch`` (default: the
    fitted cap) and meets the targets is taken; the t with the most output tokens/s per GPU wins
    (ties: smaller t). Decode is memory-bandwidth bound unless its FLOPs take longer; prefill is
    compute-bound. TPOT is the decode step time; TTFT is one prefill plus one decode step.
    ``tensor_parallel`` evaluates that one degree only (e.g. the fastest batch-1 latency, which
    the tokens-per-GPU choice would not pick).
    """
    precision = Precision(precision)
    _check_positive(
        gpus_per_instance=gpus_per_instance, input_tokens=input_tokens, output_tokens=output_tokens
    )
    _check_fraction("usable_memory_fraction", usable_memory_fraction)
    for name, target in (("tpot_ms", tpot_ms), ("ttft_ms", ttft_ms)):
        if target is not None:
            _check_positive(**{name: target})
    if max_batch is not None:
        _check_positive(max_batch=max_batch)
    if tensor_parallel is not None and tensor_parallel not in tensor_parallel_degrees(gpus_per_instance):
        raise InputError(
            f"tensor_parallel={tensor_parallel} must be a power of two dividing the instance's "
            f"{gpus_per_instance} GPUs: one of {tensor_parallel_degrees(gpus_per_instance)}"
        )
    eff = efficiency or inference_efficiency()
    kv = Precision(kv_precision) if kv_precision is not None else default_kv_precision(precision)
    compute = inference_compute_precision(accelerator, precision)
    notes: list[str] = []
    if compute is not None and compute != precision:
        notes.append(
            f"{accelerator.id} has no {precision.value} tensor math: weight-only quantisation, "
            f"compute at {compute.value} peak"
        )
    w_bytes = weights_bytes(arch.total_params, precision)
    kv_bytes = kv_cache_bytes_per_token(arch, kv)

    def result(attempt: _Attempt | None, reason: str | None) -> InferenceEstimate:
        perf = attempt.perf if attempt is not None else None
        ok = reason is None and perf is not None and attempt is not None
        t = attempt.tensor_parallel if attempt is not None else 0
        replicas = gpus_per_instance // t if ok else 0
        per_replica = perf.tokens_per_s if ok and perf is not None else 0.0
        return InferenceEstimate(
            feasible=ok,
            reason=reason,
            model_id=arch.id,
            accelerator_id=accelerator.id,
            gpus_per_instance=gpus_per_instance,
            precision=precision,
            compute_precision=compute,
            kv_precision=kv,
            tensor_parallel=t,
            replicas_per_instance=replicas,
            max_batch=perf.batch if ok and perf is not None else 0,
            tpot_ms=perf.tpot_ms if perf is not None else None,
            ttft_ms=perf.ttft_ms if perf is not None else None,
            tokens_per_s_per_replica=per_replica,
            tokens_per_s=per_replica * replicas,
            tokens_per_s_per_gpu=per_replica * replicas / gpus_per_instance,
            requests_per_s=per_replica * replicas / output_tokens,
            weights_bytes=w_bytes,
            kv_cache_bytes_per_token=kv_bytes,
            bound=perf.bound if perf is not None else None,
            notes=tuple(notes),
        )

    if compute is None:
        return result(
            None, f"{accelerator.id} lists no tensor peak for {precision.value}, bf16, fp16 or fp32"
        )
    cap = max_batch if max_batch is not None else eff.max_batch
    attempts = [
        _attempt(
            arch, accelerator, t, precision, kv, input_tokens, output_tokens,
            tpot_ms, ttft_ms, usable_memory_fraction, cap, eff,
        )
        for t in tensor_parallel_degrees(gpus_per_instance)
        if tensor_parallel is None or t == tensor_parallel
    ]  # fmt: skip
    feasible = [a for a in attempts if a.feasible and a.perf is not None]
    if feasible:
        best = max(
            feasible,
            key=lambda a: (a.perf.tokens_per_s / a.tensor_parallel if a.perf else 0.0, -a.tensor_parallel),
        )
        return result(best, None)

    # Not feasible: report the attempt that got furthest; among latency misses, the nearest miss.
    def miss(a: _Attempt) -> float:
        if a.perf is None:
            return 0.0
        ratios = [a.perf.tpot_ms / tpot_ms if tpot_ms else 0.0, a.perf.ttft_ms / ttft_ms if ttft_ms else 0.0]
        return max(ratios)

    closest = max(attempts, key=lambda a: (a.stage, -miss(a), a.tensor_parallel))
    return result(closest, closest.reason)


def cost_per_million_tokens_usd(price_per_hour_usd: float, tokens_per_s: float) -> float:
    """USD per 1e6 tokens = price per hour / (tokens/s × 3600) × 1e6."""
    _check_positive(tokens_per_s=tokens_per_s)
    if price_per_hour_usd < 0:
        raise InputError(f"price_per_hour_usd must be >= 0, got {price_per_hour_usd!r}")
    return price_per_hour_usd / (tokens_per_s * SECONDS_PER_HOUR) * 1e6
