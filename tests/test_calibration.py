"""The committed defaults are what catalogs/calibration/fit_defaults.py produces, and their reported errors hold."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from statistics import median
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
import yaml

from planner import compute
from planner.compute import default_kv_precision, max_batch_for_memory, replica_performance

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = ROOT / "catalogs" / "calibration"


@pytest.fixture(scope="module")
def fit_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_defaults", CALIBRATION / "fit_defaults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fit_defaults"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fitted(fit_module: ModuleType) -> dict[str, Any]:
    data, _report = fit_module.fit(CALIBRATION)
    return data


def test_calibration_tables_are_present_with_provenance():
    expected_rows = {
        "training_throughput.csv": 235,
        "inference_throughput.csv": 338,
        "hardware_reference.csv": 8,
    }
    for name, rows in expected_rows.items():
        table = pd.read_csv(CALIBRATION / name)
        assert len(table) == rows, name
        assert "source" in table.columns
    assert "shared/data/calibration" in (CALIBRATION / "README.md").read_text()


def test_committed_efficiency_yaml_is_the_fit_output(fit_module: ModuleType, fitted: dict[str, Any]):
    committed_text = (ROOT / "planner" / "data" / "efficiency.yaml").read_text(encoding="utf-8")
    assert fit_module.render(fitted) == committed_text, (
        "re-run: python catalogs/calibration/fit_defaults.py --write"
    )
    assert yaml.safe_load(committed_text) == fit_module._plain(fitted)
    assert compute.load_efficiency() == yaml.safe_load(committed_text)


def test_training_benchmark_errors_hold_through_the_public_api(fit_module: ModuleType):
    """default benchmark MFU × size factor × scaling efficiency reproduces the llm-foundry rows."""
    training = pd.read_csv(CALIBRATION / "training_throughput.csv")
    bench = fit_module.benchmark_rows(training)
    std = bench[(~bench["fp8"]) & (bench["seq_len"] == 2048)]
    table = compute.mfu_table()
    for hardware, acc_id in fit_module.TRAINING_HARDWARE_TO_ID.items():
        rows = std[std["hardware"] == hardware]
        row = table[acc_id]
        assert row.benchmark_mfu is not None
        errors = [
            abs(
                row.benchmark_mfu * compute.model_size_mfu_factor(p) * compute.scaling_efficiency(int(g)) / m
                - 1
            )
            * 100
            for p, g, m in zip(rows["params"], rows["gpus"], rows["mfu"], strict=True)
        ]
        stored = compute.load_efficiency()["training"]["accelerators"][acc_id]
        assert len(errors) == stored["n_rows"]
        assert median(errors) <= stored["median_abs_pct_error"] + 0.05
        assert median(errors) < 6.0  # the benchmark model describes its own rows well


def test_competent_team_default_is_below_the_benchmark():
    train = compute.load_efficiency()["training"]
    assert 0.5 < train["production_factor"]["value"] <= 1.0
    for row in compute.mfu_table().values():
        if row.benchmark_mfu is not None:
            assert row.mfu == pytest.approx(row.benchmark_mfu * train["production_factor"]["value"], rel=1e-3)


def test_inference_errors_hold_through_the_public_api(fit_module: ModuleType):
    """replica_performance with the committed factors reproduces the reported TensorRT-LLM errors."""
    rows, _ = fit_module.inference_rows(pd.read_csv(CALIBRATION / "inference_throughput.csv"))
    eff = compute.inference_efficiency()
    stored = compute.load_efficiency()["inference"]["fit"]
    groups: dict[str, list[float]] = {"throughput": [], "ttft": [], "validation": []}
    for r in rows:
        kv = default_kv_precision(r.precision)
        if r.group == "validation":
            memory = max_batch_for_memory(
                r.arch, r.device, r.tp, r.precision, kv, r.input_tokens + r.output_tokens
            )
            batch = max(1, min(eff.max_batch, memory))
        else:
            batch = r.batch
        perf = replica_performance(
            r.arch, r.device, r.tp, r.precision, kv, r.input_tokens, r.output_tokens, batch, eff
        )
        predicted = perf.prefill_one_s if r.group == "ttft" else perf.tokens_per_s
        groups[r.group].append(abs(predicted / r.measured - 1) * 100)
    for group, key in (
        ("throughput", "throughput_at_listed_batch"),
        ("ttft", "ttft_batch_1"),
        ("validation", "throughput_trtllm_bench"),
    ):
        assert len(groups[group]) == stored[key]["n_rows"]
        assert median(groups[group]) <= stored[key]["median_abs_pct_error"] + 0.05
        assert median(groups[group]) < 15.0


def test_fitted_inference_factors_are_physical():
    eff = compute.inference_efficiency()
    for value in (eff.memory_bandwidth, eff.prefill_compute, eff.decode_compute, eff.link_bandwidth):
        assert 0.3 <= value <= 1.0
    assert 0 <= eff.allreduce_latency_us <= 100 and 0 <= eff.layer_overhead_us <= 200
    assert eff.max_batch in (128, 256, 512, 1024, 2048, 4096)
