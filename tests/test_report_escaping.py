"""User strings in markdown and PNG reports are shown as text, never acted on.

- Markdown (`planner plan|compare --format markdown`): names cannot become links, images, emphasis,
  code, headings, nested lists or table cells; ordinary names (llama-2-70b, us-east-1, reserved_1y)
  are left as they are. No markdown renderer is installed, so the tests assert on the escaped text
  and on the CommonMark rule behind each escape.
- PNG (`--format png`): long names are cut with an ellipsis so every title and legend stays inside
  the figure (the accelerator names whole), and drawing CJK/emoji or a crowded layout prints no
  library warning on stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from planner import plots
from planner.api import plan
from planner.cli import main
from planner.compare import compare
from planner.report import _md_line, _md_text, render_comparison
from planner.workloads import parse_budget

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "catalogs" / "tiny"

LINK = "[x](javascript:alert(1))"
IMAGE = "![i](http://e/x.png)"
FORMATTING = "*b* `c` ~~s~~ _u_ # h|p <i>"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        (LINK, r"\[x\](javascript:alert(1))"),  # no '](' left: no inline link
        (IMAGE, r"!\[i\](http://e/x.png)"),  # '!' without '[' is text
        (FORMATTING, r"\*b\* \`c\` \~\~s\~\~ \_u\_ \# h\|p &lt;i&gt;"),
        ("a &amp; b", "a &amp;amp; b"),  # an entity the user wrote is shown, not decoded
        ("back\\slash", "back\\\\slash"),
        ("two\nlines [d]: http://e", r"two lines \[d\]: http://e"),  # no line starts with user text
        ("_lead trail_ a__b", r"\_lead trail\_ a__b"),  # '_' inside a word cannot emphasize
    ],
)
def test_markup_characters_are_escaped(text: str, escaped: str):
    assert _md_text(text) == escaped


@pytest.mark.parametrize(
    "ordinary",
    [
        "llama-2-70b",
        "us-east-1",
        "p5.48xlarge",
        "reserved_1y",
        "primeintellect/FI/datacrunch__1xV100_16GB__6__23",
        "gcp/asia-east1/1x L4 (GPU SKU, host VM not priced): TPOT ≤ 50 ms, $55.04/h",
        "训练🔥 预算",
    ],
)
def test_ordinary_names_are_left_as_they_are(ordinary: str):
    assert _md_text(ordinary) == ordinary


@pytest.mark.parametrize(
    ("line", "escaped"),
    [
        ("- - item (training)", r"- \- item (training)"),  # would be a nested list (CommonMark 5.2)
        ("- + item", r"- \+ item"),
        ("- 1. item", r"- 1\. item"),  # an ordered list (5.3)
        ("- 2) item", r"- 2\) item"),
        ("- # heading", r"- \# heading"),
        ("- llama-2-70b (inference)", "- llama-2-70b (inference)"),
        ("- 2026.01 release", "- 2026.01 release"),
        ("note: - x", "note: - x"),
    ],
)
def test_list_markers_are_escaped_only_where_a_block_starts(line: str, escaped: str):
    assert _md_line(line) == escaped


def _service(name: str, rps: float = 40) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "inference",
        "model": "llama-2-7b",
        "input_tokens": 1000,
        "output_tokens": 200,
        "requests_per_s": rps,
        "tpot_ms": 50,
    }


def _budget(tmp_path: Path, name: str, service: str, training: str, **extra: Any) -> Path:
    spec = {
        "name": name,
        "catalog": str(TINY),
        "horizon_months": 4,
        "workloads": [
            _service(service),
            {
                "name": training,
                "kind": "training",
                "model": "llama-2-7b",
                "tokens": "20B",
                "deadline_days": 30,
            },
        ],
        **extra,
    }
    path = tmp_path / "budget.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


UNESCAPED = re.compile(r"(?<!\\)[`*~\[\]]|(?<!\\)_(?![A-Za-z0-9])")


def test_plan_markdown_holds_no_live_markup(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    budget = _budget(tmp_path, LINK, service=IMAGE, training=f"- {FORMATTING}")
    assert main(["plan", str(budget), "--format", "markdown", "--no-explain"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith(r"# Plan: \[x\](javascript:alert(1))" + "\n")
    assert r"## Service !\[i\](http://e/x.png): demand" in markdown
    assert r"- \- \*b\* \`c\` \~\~s\~\~ \_u\_ \# h\|p &lt;i&gt; (training)" in markdown
    assert r"| !\[i\](http://e/x.png) " in markdown  # an allocation table cell
    for line in markdown.splitlines():
        assert not UNESCAPED.search(line), line  # the planner's own text has none of these
        assert not line.startswith(("- - ", "- #")), line
    assert "<" not in markdown


def test_compare_markdown_escapes_its_title_and_the_own_data_center_diagnosis():
    name, service = "cmp|<script>x</script>*b*", "s|<i>v</i>`c`"
    spec = {
        "name": name,
        "horizon_months": 4,
        "datacenter": {"lead_time_months": 2, "min_site_kw": 0, "operations_usd_per_month": 0},
        "workloads": [_service(service)],
    }
    c = compare(parse_budget(spec), TINY, explain=False)
    assert c.own_dc_only.status == "infeasible"  # servers arrive in month 2, the service starts in 0
    markdown = render_comparison(c, "github")
    escaped = r"s\|&lt;i&gt;v&lt;/i&gt;\`c\`"
    assert markdown.startswith(r"# Compare: cmp\|&lt;script&gt;x&lt;/script&gt;\*b\*" + "\n")
    section = markdown.split("## Own data center only\n", 1)[1].split("\n## ", 1)[0]
    diagnosis = [line for line in section.splitlines() if line.startswith("- ")]
    assert diagnosis and any(escaped in line for line in diagnosis), section
    assert r"# Plan: cmp\|&lt;script&gt;x&lt;/script&gt;\*b\*" in markdown  # the mixed plan
    assert "<" not in markdown and "`c`" not in markdown


# --------------------------------------------------------------------------- PNG

LONG_BUDGET = "B" * 500
LONG_SERVICE = "S" * 500


def test_long_names_are_cut_and_every_label_stays_inside_the_figure(tmp_path: Path):
    budget = _budget(tmp_path, LONG_BUDGET, service=LONG_SERVICE, training="训练🔥")
    spec = yaml.safe_load(budget.read_text(encoding="utf-8"))
    p = plan(parse_budget(spec), explain=False)
    assert p.status == "optimal"
    fig = plots.combined_figure(p)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        plots.figure_png(fig)  # draws the figure
    assert [str(w.message) for w in seen] == []  # no missing-glyph or layout warning escapes
    canvas = FigureCanvasAgg(fig)  # draw again at the PNG's resolution to measure the labels
    fig.set_dpi(plots.DPI)
    with plots._style(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        canvas.draw()
    renderer = canvas.get_renderer()
    texts: list[Text] = []  # titles and legends (tick labels outside the view are not drawn)
    for ax in fig.findobj(Axes):
        texts += [ax.title, ax._left_title]  # set_title(loc="left") fills the second
        legend = ax.get_legend()
        if legend is not None:
            texts += [legend.get_title(), *legend.get_texts()]
    texts = [t for t in texts if t.get_text()]
    labels = {t.get_text() for t in texts}
    title = "Capacity by month: " + "B" * (plots.TITLE_CHARS - len("Capacity by month: ") - 1) + "…"
    assert title in labels and len(title) == plots.TITLE_CHARS
    assert "S" * (plots.LEGEND_NAME_CHARS - 1) + "…: supplied, peak" in labels
    assert any(label.startswith("H100-SXM · ") for label in labels), labels  # accelerators whole
    width = fig.bbox.width
    for t in texts:
        box = t.get_window_extent(renderer)
        assert box.x0 >= -1 and box.x1 <= width + 1, (t.get_text()[:40], box.x0, box.x1, width)


def test_cli_png_prints_no_library_warnings(tmp_path: Path):
    """In a fresh process with Python's default warning filters, as a user runs it."""
    budget = _budget(tmp_path, "预算 🚀 " + LONG_BUDGET, service="服务🔥 " + LONG_SERVICE, training="训练")
    out = tmp_path / "plots.png"
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    run = subprocess.run(
        [sys.executable, "-m", "planner.cli", "plan", str(budget), "--format", "png", "--output", str(out),
         "--no-explain"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert out.read_bytes().startswith(b"\x89PNG")
