"""Hardening of the `planner` command: bounds on flags, no Infinity in JSON, honest --output errors.

Each case is one the adversarial probe of issue "Scale and hardening" found: a traceback-free exit 2
with one argparse-style message that names the flag and the fix.
"""

from __future__ import annotations

import argparse
import json
import math
import os

import pytest

from planner import estimate
from planner.cli import build_parser, main
from planner.errors import InputError


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run a command that argparse must reject: exit code 2, nothing on stdout, one line on stderr."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def strict_json(text: str):
    """json.loads, refusing the non-standard NaN and Infinity that json.dumps writes by default."""

    def refuse(constant: str):
        raise AssertionError(f"not valid JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


TRAIN = ("estimate", "training", "--gpu", "H100")
INFER = ("estimate", "inference", "--gpu", "H100")
POWER = ("estimate", "power")

# --------------------------------------------------------------------------- items 1, 3, 4: bounds


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            (*TRAIN, "--params", "1e300", "--tokens", "1T"),
            "planner estimate training: error: argument --params: must be at most 1e15 "
            "(1,000T; the largest published models have ~2T), got '1e300'",
        ),
        (
            (*TRAIN, "--params", "7B", "--tokens", "1e300"),
            "planner estimate training: error: argument --tokens: must be at most 1e18 "
            "(the largest published training sets have ~36T tokens), got '1e300'",
        ),
        (
            (*TRAIN, "--params", "7B", "--tokens", "1T", "--gpus", "1000000000000"),
            "planner estimate training: error: argument --gpus: must be at most 10,000,000 "
            "(the largest clusters built hold a few hundred thousand GPUs), got '1000000000000'",
        ),
        (
            (*TRAIN, "--params", "7B", "--tokens", "1T", "--mfu", "1e-300"),
            "planner estimate training: error: argument --mfu: must be at least 0.001 "
            "(0.1%; lower values multiply GPU-hours by over 1000), got '1e-300'",
        ),
        (
            (*TRAIN, "--params", "7B", "--tokens", "1T", "--goodput", "0"),
            "planner estimate training: error: argument --goodput: must be at least 0.001 "
            "(0.1%; lower values multiply GPU-hours by over 1000), got '0'",
        ),
        (
            (*TRAIN, "--params", "7B", "--tokens", "1T", "--price-per-gpu-hour", "1e300"),
            "planner estimate training: error: argument --price-per-gpu-hour: must be at most 10000 "
            "(USD per GPU-hour; list prices are below $20), got '1e300'",
        ),
        (
            (*INFER, "--params", "1e300", "--input-tokens", "100", "--output-tokens", "10"),
            "planner estimate inference: error: argument --params: must be at most 1e15 "
            "(1,000T; the largest published models have ~2T), got '1e300'",
        ),
        (
            (*INFER, "--params", "7B", "--input-tokens", "1e300", "--output-tokens", "10"),
            "planner estimate inference: error: argument --input-tokens: must be at most 1e8 "
            "(the longest context windows hold ~10M tokens), got '1e300'",
        ),
        (
            (
                *INFER,
                "--params",
                "7B",
                "--input-tokens",
                "100",
                "--output-tokens",
                "10",
                "--tpot-ms",
                "1e300",
            ),
            "planner estimate inference: error: argument --tpot-ms: must be at most 8.64e7 "
            "(one day; leave the flag out for no target), got '1e300'",
        ),
        (
            (*INFER, "--params", "7B", "--input-tokens", "100", "--output-tokens", "10", "--gpus", "2e7"),
            "planner estimate inference: error: argument --gpus: must be at most 10,000,000 "
            "(the largest clusters built hold a few hundred thousand GPUs), got '2e7'",
        ),
        (
            (*POWER, "--watts", "1e300", "--years", "1", "--usd-per-kwh", "0.1"),
            "planner estimate power: error: argument --watts: must be at most 1e10 "
            "(10 GW; the largest announced AI campuses draw a few GW), got '1e300'",
        ),
        (
            (*POWER, "--watts", "700", "--years", "1e300", "--usd-per-kwh", "0.1"),
            "planner estimate power: error: argument --years: must be at most 50 "
            "(longer than any server or facility life), got '1e300'",
        ),
        (
            (*POWER, "--watts", "700", "--years", "1", "--usd-per-kwh", "1e300", "--format", "json"),
            "planner estimate power: error: argument --usd-per-kwh: must be at most 100 "
            "(electricity costs under 1 USD/kWh almost everywhere), got '1e300'",
        ),
    ],
)
def test_absurd_values_are_refused_at_the_flag(capsys, argv, message):
    assert usage_error(capsys, *argv) == message + "\n"


def test_training_at_every_upper_bound_is_finite_and_hand_checked(capsys):
    assert main([
        *TRAIN, "--params", "1e15", "--tokens", "1e18", "--gpus", "1", "--mfu", "0.001", "--goodput", "0.001",
        "--price-per-gpu-hour", "1e4", "--format", "json",
    ]) == 0  # fmt: skip
    out = strict_json(capsys.readouterr().out)
    assert out["flops"] == pytest.approx(6e33)  # C = 6 N D
    peak = 989.4e12  # H100-SXM dense bf16, catalogs/default/accelerators.yaml
    assert out["peak_flops_per_s"] == pytest.approx(peak)
    gpu_hours = 6e33 / (peak * 0.001 * 0.001) / 3600  # 1.68e24 GPU-hours: absurd input, finite answer
    assert out["gpu_hours"] == pytest.approx(gpu_hours) and out["scaling_efficiency"] == 1.0
    assert out["days"] == pytest.approx(gpu_hours / 24)
    assert out["cost_usd"] == pytest.approx(gpu_hours * 1e4)
    assert "cannot hold the training state" in out["warning"]


def test_power_at_every_upper_bound_is_finite_and_hand_checked(capsys):
    assert main([
        *POWER, "--watts", "10000MW", "--pue", "5", "--years", "50", "--usd-per-kwh", "100", "--format", "json",
    ]) == 0  # fmt: skip
    out = strict_json(capsys.readouterr().out)
    kwh = 1e10 * 5 * 50 * 8760 / 1000  # W x PUE x h / 1000 = 2.19e13 kWh
    assert out["kwh"] == pytest.approx(kwh) and out["cost_usd"] == pytest.approx(kwh * 100)


def test_a_non_finite_estimate_names_the_flags_involved():
    """Below the CLI's bounds (e.g. the Python API): the overflow is reported, never printed as inf."""
    args = argparse.Namespace(watts=1e300, pue=None, years=1e300, usd_per_kwh=1e300, utilization=1.0)
    with pytest.raises(InputError) as info:
        estimate.power(args)
    assert str(info.value) == (
        "the power estimate overflows (kwh = inf, cost_usd = inf): "
        "use smaller values of --watts, --pue, --years, --usd-per-kwh and --utilization"
    )


def test_json_output_never_contains_infinity(capsys, monkeypatch):
    """Whatever a computation returns, the CLI prints standard JSON or a one-line error (exit 3)."""
    monkeypatch.setattr(estimate, "power", lambda args: {"cost_usd": math.inf})
    argv = [*POWER, "--watts", "700", "--years", "1", "--usd-per-kwh", "0.1", "--format", "json"]
    assert main(argv) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "planner: error: the JSON output would contain a non-finite number (NaN or Infinity), which JSON "
        "cannot represent; nothing was written: please report this with the command line\n"
    )


# --------------------------------------------------------------------------- item 2: PUE


@pytest.mark.parametrize(
    ("pue", "message"),
    [
        ("0.5", "must be >= 1, got '0.5'"),
        ("100", "must be at most 5 (the range datacenter.yaml accepts), got '100'"),
    ],
)
def test_pue_has_the_range_datacenter_yaml_accepts(capsys, pue, message):
    err = usage_error(capsys, *POWER, "--watts", "700", "--years", "1", "--usd-per-kwh", "0.1", "--pue", pue)
    assert err == f"planner estimate power: error: argument --pue: {message}\n"


@pytest.mark.parametrize("pue", ["1", "1.5", "5"])
def test_pue_within_range_scales_energy(capsys, pue):
    assert (
        main(
            [
                *POWER,
                "--watts",
                "700",
                "--years",
                "1",
                "--usd-per-kwh",
                "0.1",
                "--pue",
                pue,
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = strict_json(capsys.readouterr().out)
    assert out["kwh"] == pytest.approx(700 * float(pue) * 8760 / 1000)  # 6,132 kWh at PUE 1


# --------------------------------------------------------------------------- item 5: --years


@pytest.mark.parametrize("years", ["3", "3y", "3 years", "36 months", "36mo", "1095d"])
def test_years_accepts_the_duration_forms_of_datacenter_yaml(capsys, years):
    assert main([*POWER, "--watts", "700", "--years", years, "--usd-per-kwh", "0.1", "--format", "json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out["years"] == pytest.approx(3.0)
    assert out["cost_usd"] == pytest.approx(700 * 3 * 8760 / 1000 * 0.1)  # 18,396 kWh -> $1,839.60


@pytest.mark.parametrize(
    ("years", "message"),
    [
        (
            "3x",
            "unknown time unit 'x' in '3x': use one of h, d, w, mo, y (or hours, days, weeks, months, years)",
        ),
        ("0", "must be > 0, got '0'"),
        ("51y", "must be at most 50 (longer than any server or facility life), got '51y'"),
    ],
)
def test_bad_years_are_refused_at_the_flag(capsys, years, message):
    err = usage_error(capsys, *POWER, "--watts", "700", "--years", years, "--usd-per-kwh", "0.1")
    assert err == f"planner estimate power: error: argument --years: {message}\n"


# --------------------------------------------------------------------------- item 6: catalog --limit


def test_negative_limit_is_refused(capsys):
    err = usage_error(capsys, "catalog", "--limit", "-5")
    assert err == "planner catalog: error: argument --limit: must be a whole number >= 0, got '-5'\n"


def test_limit_shows_that_many_rows_and_zero_shows_all(capsys):
    assert main(["catalog", "--gpu", "A100-80GB", "--format", "json"]) == 0
    total = len(strict_json(capsys.readouterr().out))
    assert total > 3
    assert main(["catalog", "--gpu", "A100-80GB", "--limit", "3"]) == 0
    assert f"(showing 3 of {total}; --limit 0 shows all" in capsys.readouterr().out
    assert main(["catalog", "--gpu", "A100-80GB", "--limit", "0"]) == 0
    assert "(showing" not in capsys.readouterr().out


# --------------------------------------------------------------------------- item 7: --mip-gap


@pytest.mark.parametrize("command", ["plan", "compare"])
@pytest.mark.parametrize("gap", ["1", "100%"])
def test_mip_gap_of_one_is_refused_at_the_flag(capsys, command, gap):
    err = usage_error(capsys, command, "budget.yaml", "--mip-gap", gap)
    assert err == (
        f"planner {command}: error: argument --mip-gap: must be at least 0 and below 1 "
        f"(a relative gap such as 0.01 or 1%), got '{gap}'\n"
    )


def test_mip_gap_accepts_a_percentage():
    assert build_parser().parse_args(["plan", "budget.yaml", "--mip-gap", "1%"]).mip_gap == pytest.approx(
        0.01
    )


# --------------------------------------------------------------------------- items 8, 9: --output


@pytest.mark.parametrize("argv", [("schema",), ("plan", "budget.yaml"), ("compare", "budget.yaml")])
@pytest.mark.parametrize("path", ["", "  "])
def test_empty_output_is_refused(capsys, argv, path):
    err = usage_error(capsys, *argv, f"--output={path}")
    assert err == (
        f"planner {argv[0]}: error: argument --output: empty path; leave the flag out to write to stdout\n"
    )


def test_output_below_a_regular_file_says_the_parent_is_a_file(tmp_path, capsys):
    afile = tmp_path / "afile.txt"
    afile.write_text("keep me\n", encoding="utf-8")
    target = afile / "x.json"
    assert main(["schema", "--output", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"planner: error: cannot write {target}: {os.path.realpath(afile)} is a file, not a folder; "
        "nothing was changed (choose another --output path or free space)\n"
    )
    assert afile.read_text(encoding="utf-8") == "keep me\n"
