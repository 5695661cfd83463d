"""Output that can be trusted: byte-identical across runs, escaped, and written atomically.

- The same budget and catalog give byte-identical JSON (without --timings) and markdown in two
  separate processes with different hash seeds (set and dict iteration orders differ).
- User strings (workload and budget names) cannot break a markdown table or inject HTML.
- A write to --output that fails midway leaves the previous file intact, with no temporary file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import planner.io
from planner.cli import main

ACCELERATORS = """\
- {id: X1000, vendor: Acme, memory_gib: 80, memory_bandwidth_gb_per_s: 2000,
   peak_tflops: {bf16: 1000, fp16: 1000}, source: made up for tests, as_of: 2026-01}
- {id: Y500, vendor: Acme, memory_gib: 80, memory_bandwidth_gb_per_s: 2000,
   peak_tflops: {bf16: 500, fp16: 500}, source: made up for tests, as_of: 2026-01}
"""
PROVIDERS = """\
- {id: alpha, name: Alpha, kind: neocloud, source: made up, as_of: 2026-01}
- {id: beta, name: Beta, kind: neocloud, source: made up, as_of: 2026-01}
"""
# Ties on purpose: the same X1000 price in two regions and two zones, so that an order that
# depended on hashing would show.
OFFERINGS = """\
provider,region,zone,instance_type,accelerator,gpus_per_instance,on_demand_usd_per_hour,spot_usd_per_hour,\
reserved_1y_usd_per_hour,reserved_1y_basis,cluster_interconnect,source,as_of
alpha,r1,r1a,x8,X1000,8,80.0,30.0,48.0,quoted,made-up fabric,made up,2026-01
alpha,r1,r1b,x8,X1000,8,80.0,30.0,48.0,quoted,made-up fabric,made up,2026-01
alpha,r2,,x8,X1000,8,80.0,,48.0,quoted,made-up fabric,made up,2026-01
alpha,r1,r1a,x1,X1000,1,10.0,4.0,6.0,quoted,,made up,2026-01
beta,r3,,y8,Y500,8,48.0,,,,made-up fabric,made up,2026-01
beta,r3,,y1,Y500,1,6.0,2.5,,,,made up,2026-01
"""


def write_inputs(tmp_path: Path, training_name: str = "pretrain", budget_name: str = "tiny") -> Path:
    """A tinycat-style catalog folder and a budget with a training run and a service; the budget path."""
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "accelerators.yaml").write_text(ACCELERATORS)
    (catalog / "providers.yaml").write_text(PROVIDERS)
    (catalog / "offerings.csv").write_text(OFFERINGS)
    budget = {
        "name": budget_name,
        "catalog": "catalog",
        "horizon_months": 4,
        "constraints": {"max_spot_fraction": 0.25},
        "workloads": [
            {"name": training_name, "kind": "training", "params": "1B", "flops": 1.44e21, "mfu": 0.5,
             "goodput": 1, "deadline_days": 20},
            {"name": "chat", "kind": "inference", "model": "llama-3-8b", "input_tokens": 100,
             "output_tokens": 100, "requests_per_s": [10, 20, 40, 20], "min_replicas": 1,
             "daily_profile": {"peak_factor": 2, "peak_hours": 8, "base_factor": 0.5, "base_hours": 8}},
        ],
    }  # fmt: skip
    path = tmp_path / "budget.yaml"
    path.write_text(json.dumps(budget, indent=1))  # JSON is YAML
    return path


def run_in_process(budget: Path, out_dir: Path, seed: str) -> dict[str, bytes]:
    """`planner plan --format json` and `--format markdown` in a fresh process with PYTHONHASHSEED=seed."""
    out_dir.mkdir()
    script = (
        "import sys; from planner.cli import main\n"
        "for fmt in ('json', 'markdown'):\n"
        "    code = main(['plan', sys.argv[1], '--format', fmt, '--output', f'{sys.argv[2]}/plan.{fmt}'])\n"
        "    assert code == 0, code\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-c", script, str(budget), str(out_dir)], env=env, check=True, timeout=120
    )
    return {fmt: (out_dir / f"plan.{fmt}").read_bytes() for fmt in ("json", "markdown")}


def test_same_inputs_give_byte_identical_json_and_markdown_across_processes(tmp_path: Path):
    budget = write_inputs(tmp_path)
    first = run_in_process(budget, tmp_path / "run1", seed="0")
    second = run_in_process(budget, tmp_path / "run2", seed="4242")
    assert first["json"] == second["json"]
    assert first["markdown"] == second["markdown"]
    plan = json.loads(first["json"])
    # A real plan with both workloads, no timings (which would differ run to run).
    assert plan["status"] == "optimal"
    assert {w["name"] for w in plan["workloads"]} == {"pretrain", "chat"}
    assert plan["solver"]["seconds"] is None and plan["solver"]["phase_seconds"] is None
    assert plan["what_ifs"] and plan["binding_constraints"] and plan["runner_ups"]
    assert b"# Plan: tiny" in first["markdown"]


# --------------------------------------------------------------------------- escaping

PIPE = re.compile(r"(?<!\\)\|")


def table_blocks(markdown: str) -> list[list[str]]:
    """The markdown's tables: runs of lines that start with '|'."""
    blocks: list[list[str]] = []
    previous = False
    for line in markdown.splitlines():
        is_row = line.startswith("|")
        if is_row and not previous:
            blocks.append([])
        if is_row:
            blocks[-1].append(line)
        previous = is_row
    return blocks


def test_user_strings_cannot_break_a_markdown_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    budget = write_inputs(tmp_path, training_name="pre|train <b>x</b>", budget_name="tiny | <script>")
    assert main(["plan", str(budget), "--format", "markdown", "--no-explain"]) == 0
    markdown = capsys.readouterr().out
    tables = table_blocks(markdown)
    assert tables
    for rows in tables:
        widths = {len(PIPE.findall(row)) for row in rows}
        assert len(widths) == 1, rows  # every row has as many cell separators as the header
    assert "<b>" not in markdown and "<script>" not in markdown
    assert "pre\\|train &lt;b&gt;x&lt;/b&gt;" in markdown


def test_user_strings_are_escaped_in_html(tmp_path: Path):
    """Names reach the HTML report only as text: the page holds no tag the user wrote."""
    budget = write_inputs(tmp_path, training_name="<script>alert(1)</script>", budget_name='tiny "<b>&')
    target = tmp_path / "plan.html"
    assert main(["plan", str(budget), "--format", "html", "--no-explain", "--output", str(target)]) == 0
    page = target.read_text()
    assert "<script>alert" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "tiny &quot;&lt;b&gt;&amp;" in page


# --------------------------------------------------------------------------- atomic writes


def test_a_failed_write_leaves_the_old_output_intact(tmp_path: Path, monkeypatch, capsys):
    budget = write_inputs(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "plan.md"
    target.write_text("the previous report\n")
    real_fdopen = os.fdopen

    class HalfWritten:
        """A file object that writes half of what it is given, then fails as a full disk would."""

        def __init__(self, fh: Any):
            self.fh = fh

        def __enter__(self) -> HalfWritten:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            self.fh.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(planner.io.os, "fdopen", lambda fd, mode: HalfWritten(real_fdopen(fd, mode)))
    code = main(["plan", str(budget), "--format", "markdown", "--no-explain", "--output", str(target)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        f"planner: error: cannot write {target}: No space left on device; nothing was changed "
        "(choose another --output path or free space)\n"
    )
    assert target.read_text() == "the previous report\n"
    assert [p.name for p in out_dir.iterdir()] == ["plan.md"]  # no temporary file left behind

    monkeypatch.setattr(planner.io.os, "fdopen", real_fdopen)
    assert main(["plan", str(budget), "--format", "markdown", "--no-explain", "--output", str(target)]) == 0
    assert target.read_text().startswith("# Plan: tiny\n")
    assert [p.name for p in out_dir.iterdir()] == ["plan.md"]


def test_output_to_a_directory_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["schema", "--output", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"planner: error: cannot write {tmp_path}: it is a directory; nothing was changed "
        "(choose another --output path or free space)\n"
    )
