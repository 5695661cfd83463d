"""The `planner` command: catalog browsing, estimates, number formats, schema and input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.catalog.load import load_catalog
from planner.catalog_view import OFFERING_COLUMNS
from planner.cli import main
from planner.enums import Precision
from planner.schema import budget_json_schema_text

ROOT = Path(__file__).resolve().parent.parent


def run_json(capsys: pytest.CaptureFixture[str], *argv: str):
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a command that argparse must reject: exit code 2 and the one-line error it printed."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# --------------------------------------------------------------------------- catalog


def test_catalog_gpu_json_lists_real_h100_rows_cheapest_first(capsys):
    rows = run_json(capsys, "catalog", "--gpu", "H100", "--format", "json")
    assert len(rows) > 50
    assert list(rows[0]) == OFFERING_COLUMNS
    assert {r["accelerator"] for r in rows} == {"H100-SXM"}  # the alias resolves to the canonical id
    assert {"aws", "gcp", "lambda"} <= {r["provider"] for r in rows}
    prices = [r["price_per_gpu_hour_usd"] for r in rows]
    assert all(p is not None and p > 0 for p in prices) and prices == sorted(prices)
    for r in rows:
        assert r["price_quality"] == "listed"  # placeholder/suspect prices only with --include-unlisted
        assert r["source"] and r["as_of"]
        assert r["price_per_instance_hour_usd"] == pytest.approx(r["price_per_gpu_hour_usd"] * r["gpus"])
    p5 = [r for r in rows if r["provider"] == "aws" and r["instance_type"] == "p5.48xlarge"]
    assert p5 and all(r["gpus"] == 8 and r["cluster_interconnect"] for r in p5)


def test_catalog_provider_filter_and_term(capsys):
    rows = run_json(
        capsys, "catalog", "--gpu", "H100", "--provider", "aws", "--term", "reserved_1y", "--format", "json"
    )
    assert rows and {r["provider"] for r in rows} == {"aws"}
    reserved = [r["reserved_1y_per_gpu_hour_usd"] for r in rows]
    assert reserved == sorted(reserved)
    assert all(r["reserved_1y_per_gpu_hour_usd"] < r["price_per_gpu_hour_usd"] for r in rows)


def test_catalog_accelerators_table(capsys):
    assert main(["catalog", "--accelerators"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:2] == ["accelerator", "vendor"] and "TFLOPS" in header
    h100 = next(line for line in out.splitlines() if line.startswith("H100-SXM "))
    assert h100.split()[1:5] == ["NVIDIA", "80.0", "3350.0", "989.4"]  # GiB, GB/s, bf16 TFLOPS


def test_catalog_accelerators_json(capsys):
    rows = run_json(capsys, "catalog", "--accelerators", "--gpu", "A100-80GB", "--format", "json")
    assert [(r["accelerator"], r["memory_gib"], r["bf16_tflops"]) for r in rows] == [
        ("A100-80GB", 80.0, 312.0)
    ]


def test_catalog_unknown_gpu_is_an_input_error(capsys):
    assert main(["catalog", "--gpu", "H1OO"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("planner: error:") and "H1OO" in err and "H100" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- estimate


def test_estimate_training_gpt3_on_a100(capsys):
    out = run_json(
        capsys, "estimate", "training", "--model", "gpt-3-175b", "--tokens", "300B", "--gpu", "A100-80GB",
        "--format", "json",
    )  # fmt: skip
    assert out["flops"] == pytest.approx(6 * 175e9 * 300e9)  # 3.15e23
    assert out["weights_bytes"] == pytest.approx(175e9 * 2)  # bf16: 3.5e11 B
    assert out["training_memory_bytes"] == pytest.approx(175e9 * 16)  # 2.8e12 B
    assert out["min_gpus_for_memory"] == 37  # 2.8e12 / (80 GiB x 0.9) = 36.2
    assert out["peak_flops_per_s"] == 312e12 and out["accelerator"] == "A100-80GB"
    assert out["gpu_hours"] == pytest.approx(3.15e23 / (312e12 * out["mfu"] * out["goodput"]) / 3600)
    assert out["cost_usd"] == pytest.approx(out["gpu_hours"] * out["price_per_gpu_hour_usd"])
    assert "cheapest on-demand" in out["cost_basis"]


def test_estimate_training_fp32_weights_and_explicit_cluster(capsys):
    out = run_json(
        capsys, "estimate", "training", "--model", "gpt-3-175b", "--tokens", "300B", "--gpu", "A100-80GB",
        "--precision", "fp32", "--gpus", "1024", "--mfu", "40%", "--goodput", "1", "--price-per-gpu-hour", "2",
        "--format", "json",
    )  # fmt: skip
    assert out["weights_bytes"] == pytest.approx(175e9 * 4)  # 7e11 B
    # fp32 computes at the A100's fp32 peak (19.5 TFLOPS, no tensor cores): 16x slower than bf16.
    assert out["compute_precision"] == "fp32"
    peak = load_catalog().accelerator("A100-80GB").peak_flops_per_s(Precision.FP32)
    assert out["peak_flops_per_s"] == peak == pytest.approx(19.49e12)
    eff = out["scaling_efficiency"]
    assert eff == pytest.approx((1 - 0.00479) ** 7, rel=1e-3)  # 7 doublings above one 8-GPU node
    assert out["days"] == pytest.approx(3.15e23 / (1024 * peak * 0.4 * eff) / 86400)
    assert out["cost_usd"] == pytest.approx(2 * 3.15e23 / (peak * 0.4 * eff) / 3600)


def test_estimate_inference_json_keys(capsys):
    out = run_json(
        capsys, "estimate", "inference", "--model", "llama-2-70b", "--gpu", "H100", "--input-tokens", "1000",
        "--output-tokens", "200", "--tpot-ms", "50", "--format", "json",
    )  # fmt: skip
    assert {
        "model", "accelerator", "gpus", "precision", "flops_per_request", "weights_bytes",
        "kv_cache_bytes_per_token", "feasible", "tensor_parallel", "max_batch", "tpot_ms", "ttft_ms",
        "tokens_per_s", "requests_per_s", "bound", "price_per_gpu_hour_usd", "cost_per_million_tokens_usd",
    } <= set(out)  # fmt: skip
    assert out["feasible"] is True and out["tpot_ms"] <= 50
    assert out["kv_cache_bytes_per_token"] == 2 * 80 * 8 * 128 * 2  # Llama 2 70B, GQA, bf16
    assert out["flops_per_request"] == pytest.approx(2 * out["active_params"] * 1200)
    assert out["requests_per_s"] == pytest.approx(out["tokens_per_s"] / 200)
    per_m = out["price_per_gpu_hour_usd"] * out["gpus"] / (out["tokens_per_s"] * 3600) * 1e6
    assert out["cost_per_million_tokens_usd"] == pytest.approx(per_m)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("175B", 175e9),
        ("1.4T", 1.4e12),
        ("3.14e11", 3.14e11),
        ("175_000_000_000", 175e9),
        ("70,000,000", 7e7),
    ],
)
def test_number_formats_on_the_command_line(capsys, text, value):
    out = run_json(
        capsys,
        "estimate",
        "training",
        "--params",
        text,
        "--tokens",
        "1T",
        "--gpu",
        "H100",
        "--format",
        "json",
    )
    assert out["params"] == value
    assert out["flops"] == pytest.approx(6 * value * 1e12)


@pytest.mark.parametrize(
    ("flag", "bad"), [("--params", "17x5B"), ("--tokens", "lots"), ("--tokens", "-3B"), ("--mfu", "140%")]
)
def test_malformed_number_is_a_one_line_error_naming_the_flag(capsys, flag, bad):
    argv = {"--params": "175B", "--tokens": "300B", "--mfu": "0.4"} | {flag: bad}
    args = [f"{k}={v}" for k, v in argv.items()]  # "=" so that "-3B" is not read as an option
    err = usage_error(capsys, "estimate", "training", *args, "--gpu", "H100")
    assert len(err.strip().splitlines()) == 1
    assert f"argument {flag}:" in err and bad in err


def test_missing_required_flag_exits_2(capsys):
    err = usage_error(capsys, "estimate", "training", "--params", "7B", "--gpu", "H100")
    assert "--tokens" in err


# --------------------------------------------------------------------------- schema and plan input errors


def test_schema_output_is_the_committed_schema_file(capsys):
    committed = (ROOT / "docs" / "budget.schema.json").read_text(encoding="utf-8")
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    # If this fails, regenerate: planner schema --output docs/budget.schema.json
    assert printed == committed == budget_json_schema_text()
    schema = json.loads(printed)
    assert schema["$id"] == "urn:planner:budget:v1"
    assert set(schema["required"]) >= {"name", "workloads"}
    assert set(schema["$defs"]) >= {"Constraints", "Cap", "TrainingRun"}


def test_schema_title_names_the_file():
    # planner/schema.py sets this title, but pydantic's "Budget" title overrides it (**schema last).
    assert json.loads(budget_json_schema_text())["title"] == "planner budget file"


def test_schema_to_file(tmp_path, capsys):
    target = tmp_path / "schema.json"
    assert main(["schema", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text(encoding="utf-8") == budget_json_schema_text()


BAD_BUDGET = """\
name: broken
constraints:
  budget_usd: four million
workloads:
  - name: pretrain
    kind: training
    params: 7B
    tokens: lots
    deadline_days: 30
    deadlne_days: 30
"""


def test_plan_on_a_malformed_budget_lists_every_problem_without_traceback(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(BAD_BUDGET, encoding="utf-8")
    assert main(["plan", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert "Traceback" not in err
    assert err.startswith("planner: error: 3 problems:")
    assert f"{path}: constraints.budget_usd: cannot read 'four million' as US dollars" in err
    assert f"{path}: workloads[0].tokens: cannot read 'lots' as a number" in err
    assert f"{path}: workloads[0].deadlne_days: unknown field" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", "broken.yaml"),
        ("- just\n- a list\n", "expected a mapping"),
        ("name: x\nworkloads: []\n", "workloads"),
    ],
)
def test_plan_on_unreadable_budgets_exits_2(tmp_path, capsys, text, message):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("planner: error:") and message in err


def test_plan_on_a_missing_file_exits_2(tmp_path, capsys):
    assert main(["plan", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err and "Traceback" not in err


def test_plan_with_an_unknown_model_suggests_the_closest(tmp_path, capsys):
    path = tmp_path / "typo.yaml"
    path.write_text(
        "name: typo\nworkloads:\n  - {name: a, kind: training, model: llama-2-7OB, tokens: 1T, deadline_days: 9}\n",
        encoding="utf-8",
    )
    assert main(["plan", str(path), "--no-explain"]) == 2
    err = capsys.readouterr().err
    assert "workloads[0].model" in err and "llama-2-70b" in err
