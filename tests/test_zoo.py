"""The model zoo: required entries, figures as published, lookups and errors."""

from __future__ import annotations

from statistics import median

import pytest

from planner import compute
from planner.enums import Precision
from planner.errors import InputError
from planner.zoo import get_model, list_models

REQUIRED = [
    "gpt-3-175b",
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-405b",
    "mixtral-8x7b",
    "deepseek-v3",
]


def test_required_models_present_with_sources():
    ids = {m.id for m in list_models()}
    assert set(REQUIRED) <= ids
    for m in list_models():
        assert len(m.source) > 30, m.id


def test_gpt3_matches_table_2_1():
    m = get_model("gpt-3-175b")
    assert (m.total_params, m.layers, m.hidden_size, m.attention_heads, m.head_dim) == (
        175e9,
        96,
        12288,
        96,
        128,
    )
    assert m.kv_heads == m.attention_heads  # multi-head attention


def test_llama_figures():
    l2 = get_model("llama-2-70b")
    assert (l2.layers, l2.hidden_size, l2.attention_heads, l2.kv_heads, l2.head_dim) == (80, 8192, 64, 8, 128)
    assert compute.kv_cache_bytes_per_token(l2, Precision.FP16) == 327_680
    l3 = get_model("llama-3.1-405b")
    assert (l3.layers, l3.hidden_size, l3.attention_heads, l3.kv_heads) == (126, 16384, 128, 8)
    assert get_model("llama-2-7b").kv_heads == 32 and get_model("llama-3-8b").kv_heads == 8


def test_moe_active_and_total():
    mixtral = get_model("mixtral-8x7b")
    assert (mixtral.active_params, mixtral.total_params) == (12.9e9, 46.7e9)
    assert (mixtral.num_experts, mixtral.experts_per_token) == (8, 2)
    ds = get_model("deepseek-v3")
    assert (ds.active_params, ds.total_params) == (37e9, 671e9)
    assert (ds.kv_lora_rank, ds.qk_rope_head_dim, ds.layers) == (512, 64, 61)
    # Routed experts: 58 MoE layers × 256 × 3 × 7168 × 2048 = 653.8B; the formula gives 654.5B.
    assert ds.routed_expert_params == pytest.approx(58 * 256 * 3 * 7168 * 2048, rel=0.002)


@pytest.mark.parametrize(
    "model_id",
    ["llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "llama-3.1-405b", "mistral-7b"],
)
def test_dense_parameter_counts_match_the_architecture(model_id):
    """Transcription guard: attention + SwiGLU MLP + untied embeddings reproduce the stated count."""
    m = get_model(model_id)
    assert m.ffn_hidden_size is not None and m.vocab_size is not None
    d, kv = m.hidden_size, m.kv_heads * m.head_dim
    per_layer = 2 * d * m.attention_dim + 2 * d * kv + 3 * d * m.ffn_hidden_size + 2 * d
    total = m.layers * per_layer + 2 * m.vocab_size * d + d
    assert total == pytest.approx(m.total_params, rel=1e-4)


def test_aspect_ratio_rule_is_the_zoo_median():
    dense = [m for m in list_models() if not m.is_moe]
    assert median(m.hidden_size / m.layers for m in dense) == compute.ARCH_ASPECT_RATIO


@pytest.mark.parametrize("spelling", ["LLaMA-2-70B", " llama_2_70b ", "Llama 2 70b"])
def test_lookup_is_case_and_separator_insensitive(spelling):
    assert get_model(spelling).id == "llama-2-70b"


def test_unknown_model_names_the_closest_ids():
    with pytest.raises(InputError) as exc:
        get_model("llama-2-70")
    assert "llama-2-70b" in str(exc.value)
    with pytest.raises(InputError, match="known:"):
        get_model("zzzzzz")
