"""HTML and PNG reports (`planner.report_html`, `planner.plots`) and `--format html|png`.

The plans are tiny (a made-up catalog of three offerings, 6-8 months) but real: a service whose
demand grows, a training run, a 1-year commitment both draw on, and a comparison in which own
servers enter the mixed plan. The HTML is parsed with the standard library's HTMLParser; the
embedded plots are decoded and checked as images; a last test renders the page in headless
Chromium when it is installed.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from matplotlib.image import imread

from planner import plots
from planner.api import plan
from planner.catalog.catalog import Catalog
from planner.cli import main
from planner.compare import Comparison, compare
from planner.report_html import render_html, render_png
from planner.result import Plan
from planner.units import HOURS_PER_MONTH, format_usd
from planner.workloads import parse_budget

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "catalogs" / "tiny"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<script>alert(1)</script>"


def _offering(
    provider: str, region: str, itype: str, acc: str, gpus: int, od: float, r1: float | None = None
):
    row: dict[str, Any] = {
        "provider": provider,
        "region": region,
        "instance_type": itype,
        "accelerator": acc,
        "gpus_per_instance": gpus,
        "on_demand_usd_per_hour": od,
        "cluster_interconnect": "made-up fabric" if gpus == 8 else None,
        "source": "made up for the report tests",
        "as_of": "2026-01",
    }
    if r1 is not None:
        row |= {"reserved_1y_usd_per_hour": r1, "reserved_1y_basis": "quoted"}
    return row


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The tiny fixture's accelerators, providers and own data center; three offerings, one with a
    1-year commitment price."""
    return Catalog.from_records(
        yaml.safe_load((TINY / "accelerators.yaml").read_text()),
        yaml.safe_load((TINY / "providers.yaml").read_text()),
        [
            _offering("lambda", "us-west-1", "gpu_8x_h100_sxm5", "H100-SXM", 8, 23.92, r1=15.0),
            _offering("lambda", "us-east-1", "gpu_1x_h100_pcie", "H100-PCIE", 1, 2.49),
            _offering("aws", "us-east-1", "p5.48xlarge", "H100-SXM", 8, 55.04, r1=30.0),
        ],
        name="report-test",
        datacenter=yaml.safe_load((TINY / "datacenter.yaml").read_text()),
    )


def _chat(name: str = "chat", rps: float = 40, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "inference",
        "model": "llama-2-7b",
        "precision": "bf16",
        "input_tokens": 1000,
        "output_tokens": 200,
        "requests_per_s": rps,
        "tpot_ms": 50,
        "ttft_ms": 2000,
        **extra,
    }


def _spec(name: str = "report-test", service: str = "chat") -> dict[str, Any]:
    profile = {"peak_factor": 1.5, "peak_hours": 8, "base_factor": 0.5, "base_hours": 8}
    return {
        "name": name,
        "horizon_months": 6,
        "constraints": {"credit_reserved_beyond_horizon": True},
        "datacenter": {"enabled": False},
        "workloads": [
            _chat(service, growth_per_month=0.1, daily_profile=profile),
            {
                "name": "pretrain",
                "kind": "training",
                "model": "llama-2-7b",
                "tokens": "200B",
                "deadline_days": 45,
                "start_month": 1,
            },
        ],
    }


@pytest.fixture(scope="module")
def the_plan(catalog: Catalog) -> Plan:
    p = plan(parse_budget(_spec()), catalog)
    assert p.status == "optimal"
    rows = set(p.allocations["row_type"])
    assert {"rent", "draw", "commitment"} <= rows, rows  # the plots have held and rented capacity
    return p


@pytest.fixture(scope="module")
def the_comparison(catalog: Catalog) -> Comparison:
    spec = {
        "name": "report-compare",
        "horizon_months": 8,
        "datacenter": {"lead_time_months": 2, "min_site_kw": 0, "operations_usd_per_month": 1000},
        "workloads": [_chat(rps=100)],
    }
    c = compare(parse_budget(spec), catalog)
    assert c.mixed.status == "optimal" and c.own_dc_only.status == "infeasible"
    assert (c.mixed.allocations["row_type"] == "purchase").any()  # own servers enter the mixed plan
    return c


# The tiny fixture's site (tests/fixtures/catalogs/tiny/datacenter.yaml) with the overrides below.
SERVER_CAPEX_USD = 296_644 * (1 + 0.2346)  # hgx-h100-8gpu with its network/storage share
SERVER_KW, LOAD, IDLE = 10.2, 0.75, 0.25
ENERGY_USD_PER_KWH = 1.25 * 0.0826  # PUE x electricity
COLO_USD_PER_KW_MONTH = 184.06
STAFF_USD_PER_MONTH = 1_000  # override
MAINTENANCE_PER_YEAR = 0.06


@pytest.fixture(scope="module")
def growing(catalog: Catalog) -> Comparison:
    """14 months of a service growing 15% a month: the mixed plan buys servers month after month,
    so its site costs differ from month to month (and between its two years)."""
    spec = {
        "name": "report-growing",
        "horizon_months": 14,
        "datacenter": {
            "lead_time_months": 2,
            "min_site_kw": 0,
            "operations_usd_per_month": STAFF_USD_PER_MONTH,
        },
        "workloads": [_chat(rps=100, growth_per_month=0.15)],
    }
    c = compare(parse_budget(spec), catalog)
    assert c.mixed.status == "optimal"
    bought = c.mixed.allocations[c.mixed.allocations["row_type"] == "purchase"]
    assert bought["start_month"].nunique() >= 3  # the fleet grows
    return c


@pytest.fixture(scope="module")
def plan_html(the_plan: Plan) -> str:
    return render_html(the_plan)


class Page(HTMLParser):
    """What a test needs from a page: text, table cells, images, ids, links and tags seen."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.images: list[dict[str, str]] = []
        self.refs: list[str] = []  # every src/href attribute
        self.cells: list[str] = []
        self.text: list[str] = []
        self.title = ""
        self._cell: list[str] | None = None
        self._in_title = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        self.refs += [a[k] for k in ("src", "href") if k in a]
        if tag == "img":
            self.images.append(a)
        if tag in ("td", "th"):
            self._cell = []
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_title:
            self.title += data

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def decode_png(src: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix), src[:40]
    data = base64.b64decode(src[len(prefix) :], validate=True)
    assert data.startswith(PNG_MAGIC)
    return data


def assert_real_plot(png: bytes, min_width: int = 800) -> np.ndarray:
    """A plot matplotlib drew: a wide image with many colours and a fair share of ink."""
    img = imread(io.BytesIO(png), format="png")
    h, w = img.shape[:2]
    assert w >= min_width and h >= 200, (w, h)
    rgb = (img[..., :3] * 255).astype(np.uint32).reshape(-1, 3)
    colours = np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2])
    assert len(colours) > 20  # bars, lines, anti-aliased text
    ink = np.mean(np.any(rgb < 235, axis=1))
    assert 0.02 < ink < 0.9, ink
    return img


# --------------------------------------------------------------------------- the HTML of a plan


def test_html_is_one_document_with_the_summary(plan_html: str, the_plan: Plan):
    page = Page(plan_html)
    assert plan_html.startswith("<!DOCTYPE html>\n")
    assert page.tags.count("html") == 1 and page.tags.count("body") == 1
    assert page.title == "Plan: report-test"
    text = page.all_text
    assert the_plan.total_cost_usd is not None
    assert f"total cost {format_usd(the_plan.total_cost_usd)}" in text  # "$70.3K"
    assert "status optimal" in text and "HiGHS" in text
    assert "independent check passed" in text


def test_html_holds_the_plan_tables(plan_html: str, the_plan: Plan):
    page = Page(plan_html)
    for sid in (
        "plots",
        "workloads",
        "service-0",
        "costs",
        "allocations",
        "binding",
        "what-ifs",
        "verification",
    ):
        assert sid in page.ids, sid
    cells = page.cells
    # allocations: the instance types the plan uses, the commitment row and its cost
    for itype in set(the_plan.allocations["instance_type"]):
        assert itype in cells, itype
    commitment = the_plan.allocations[the_plan.allocations["row_type"] == "commitment"].iloc[0]
    assert "1-year commitment" in cells and format_usd(commitment["cost_usd"]) in cells
    # binding constraints by name, with their explanation sentence
    assert the_plan.binding
    for b in the_plan.binding:
        assert b.name in cells and b.explanation in cells
    assert any(n.startswith("flops:pretrain:") for n in cells)
    # the service table: demand of the first month's peak snapshot, in output tokens/s
    peak = the_plan.workloads[[w["name"] for w in the_plan.workloads].index("chat")]["demand"][0]
    assert f"{peak['output_tokens_per_s']:,.0f}" in cells  # "12,000"
    # what-ifs and the verification table
    assert the_plan.what_ifs and the_plan.what_ifs[0].description in cells
    assert {c.name for c in the_plan.verification.checks} <= set(cells)
    # every allocation row is listed in the details table (small plan)
    assert f"All {len(the_plan.allocations)} allocation rows" in page.all_text


def test_html_embeds_the_plots_as_png_data(plan_html: str):
    page = Page(plan_html)
    assert len(page.images) == 2  # capacity (with the tokens/s panel), cost by term
    for img in page.images:
        png = decode_png(img["src"])
        pixels = assert_real_plot(png)
        assert (int(img["width"]), int(img["height"])) == (pixels.shape[1], pixels.shape[0])
        assert img["alt"]
    assert {"fig-capacity", "fig-cost"} <= page.ids


def test_html_loads_nothing_from_outside(plan_html: str):
    page = Page(plan_html)
    assert all(r.startswith(("data:image/png;base64,", "#")) for r in page.refs)
    assert not {"script", "link", "iframe", "object", "embed"} & set(page.tags)
    lowered = plan_html.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "@import" not in lowered and "url(" not in lowered and "@font-face" not in lowered


def test_user_strings_are_escaped(catalog: Catalog):
    """Names from the budget file reach the page as text, never as markup; the plots draw them
    literally (a "$" pair is not mathtext)."""
    evil_budget = 'evil <b>budget</b> & "quotes" $x$'
    p = plan(parse_budget(_spec(name=evil_budget, service=HOSTILE)), catalog)
    assert p.status == "optimal"
    doc = render_html(p)
    page = Page(doc)
    assert "<script" not in doc.lower()
    assert "script" not in page.tags and "b" not in page.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert HOSTILE in page.cells  # the allocation table shows the name as text
    assert page.title == f"Plan: {evil_budget}"
    assert "&lt;b&gt;budget&lt;/b&gt; &amp; &quot;quotes&quot;" in doc
    assert f"Service {HOSTILE}" in page.all_text
    for img in page.images:
        assert_real_plot(decode_png(img["src"]))
        assert evil_budget in img["alt"]  # escaped in the attribute, read back as the original text


def test_same_plan_gives_identical_bytes(the_plan: Plan, plan_html: str):
    assert render_html(the_plan) == plan_html
    png = render_png(the_plan)
    assert render_png(the_plan) == png
    assert png.startswith(PNG_MAGIC)
    assert b"Software" not in png and b"tIME" not in png  # no version text, no timestamp chunk


# --------------------------------------------------------------------------- the numbers behind the plots


def test_capacity_by_month_adds_up(the_plan: Plan):
    cap = plots.capacity_by_month(the_plan)
    alloc = the_plan.allocations
    # every GPU-hour used (rented or drawn) is in some month of the plot
    used_hours = cap["used_gpus"].sum() * HOURS_PER_MONTH
    assert used_hours == pytest.approx(
        alloc[alloc["row_type"].isin(["rent", "draw"])]["gpu_hours"].sum(), rel=1e-6
    )
    # rented capacity is what was used; held capacity (the commitment) is never exceeded by its draws
    for r in cap.to_dict(orient="records"):
        if r["term"] in plots.RENTED_TERMS:
            assert r["held_gpus"] == pytest.approx(r["used_gpus"])
        else:
            assert r["used_gpus"] <= r["held_gpus"] * (1 + 1e-6), r
    c = alloc[alloc["row_type"] == "commitment"].iloc[0]
    held = cap[cap["term"] == "reserved_1y"].set_index("month")["held_gpus"]
    covered = range(int(c["start_month"]), the_plan.horizon_months)
    assert list(held.index) == list(covered) and np.allclose(held, c["gpus"])


def test_service_by_month_meets_demand(the_plan: Plan):
    svc = plots.service_by_month(the_plan)
    assert list(svc["month"]) == list(range(the_plan.horizon_months))
    assert (svc["supplied_peak"] >= svc["demand_peak"] * (1 - 1e-6)).all()
    assert (svc["demand_avg"] < svc["demand_peak"]).all()  # a daily profile: the average is below the peak
    assert svc["demand_peak"].is_monotonic_increasing  # 10% growth per month


def test_cumulative_cost_ends_at_the_total(the_comparison: Comparison):
    for p in (the_comparison.cloud_only, the_comparison.mixed):
        monthly, after = plots.cost_by_month(p)
        assert len(monthly) == the_comparison.horizon_months
        assert sum(monthly) + after == pytest.approx(p.total_cost_usd, rel=1e-9)
    totals = {k: sum(r[k]["total_usd"] for r in the_comparison.tco_table()) for k in ("cloud_only", "mixed")}
    assert totals["mixed"] == pytest.approx(the_comparison.mixed.total_cost_usd, rel=1e-9)


def _spread_evenly(monthly: list[float], start: int, months: float, usd: float) -> float:
    """Add `usd` evenly over `months` whole months from `start`; return what falls after the horizon."""
    span = round(months)
    after = 0.0
    for m in range(start, start + span):
        if m < len(monthly):
            monthly[m] += usd / span
        else:
            after += usd / span
    return after


def hand_monthly_cost(p: Plan) -> list[float]:
    """USD per month of a plan, worked out from its purchases, commitments, rented rows and own-server
    hours: site costs month by month from the servers held then (docs/datacenter.md), not from the
    plan's site rows. Capex and commitments are spread evenly over the months they cover."""
    horizon = p.horizon_months
    monthly = [0.0] * horizon
    held = [0] * horizon
    rows = p.allocations.to_dict(orient="records")
    for r in rows:
        kind, start = r["row_type"], int(r["start_month"])
        if kind == "rent":
            assert r["slice"] is not None  # service rows: one month each
            monthly[start] += r["cost_usd"]
        elif kind in ("commitment", "purchase"):
            _spread_evenly(monthly, start, r["months"], r["cost_usd"])
        if kind == "purchase":
            for m in range(start, start + round(r["months"])):
                held[m] += int(r["instances"])
    first = min((int(r["start_month"]) for r in rows if r["row_type"] == "purchase"), default=horizon)
    busy_kw = SERVER_KW * LOAD
    for m in range(first, horizon):  # the site is open from its first server on
        monthly[m] += held[m] * busy_kw * IDLE * HOURS_PER_MONTH * ENERGY_USD_PER_KWH  # idle power
        monthly[m] += held[m] * SERVER_KW * COLO_USD_PER_KW_MONTH  # colocation (no minimum here)
        monthly[m] += STAFF_USD_PER_MONTH + held[m] * SERVER_CAPEX_USD * MAINTENANCE_PER_YEAR / 12
    for u in p.usage.to_dict(orient="records"):
        if u["term"] == "own_dc":  # busy-minus-idle power for the hours used
            monthly[int(u["month"])] += u["instance_hours"] * busy_kw * (1 - IDLE) * ENERGY_USD_PER_KWH
    return monthly


def test_cumulative_cost_follows_a_growing_fleet_month_by_month(growing: Comparison):
    c = growing
    expected = hand_monthly_cost(c.mixed)
    assert sum(expected) == pytest.approx(c.mixed.total_cost_usd, rel=1e-9)
    monthly, after = plots.cost_by_month(c.mixed)
    assert after == pytest.approx(0.0, abs=1e-6)
    assert monthly == pytest.approx(expected, rel=1e-9)
    # The curve drawn is the running sum of those months.
    fig = plots.cumulative_cost_figure(c)
    [line] = [ln for ln in fig.axes[0].get_lines() if str(ln.get_label()).startswith("mixed:")]
    assert np.asarray(line.get_ydata(), dtype=float) == pytest.approx(np.cumsum(expected), rel=1e-9)
    # The TCO table's years add up the same months.
    years = [sum(r["mixed"]["per_year_usd"][i] for r in c.tco_table()) for i in range(2)]
    assert years == pytest.approx([sum(expected[:12]), sum(expected[12:])], rel=1e-9)


def _contiguous(cells: list[str], row: list[str]) -> bool:
    return any(cells[i : i + len(row)] == row for i in range(len(cells) - len(row) + 1))


def test_comparison_html_cells_match_the_tco_table(growing: Comparison):
    c = growing
    page = Page(render_html(c))
    scenarios = ("cloud_only", "own_dc_only", "mixed")
    table = c.tco_table()
    shown = 0
    for row in table:  # by category: one row per category with a cost, in scenario order
        totals = [row[k]["total_usd"] for k in scenarios]
        if not any(t and abs(t) > 0.005 for t in totals):
            continue
        cells = [row["label"], *(format_usd(t) if t and abs(t) > 0.005 else "" for t in totals)]
        assert _contiguous(page.cells, cells), cells
        shown += 1
    assert shown >= 6  # on demand, 1-year commitments, own capex, power, colocation, staff
    for i in range(2):  # by year
        cells = [f"year {i + 1}"]
        for k in scenarios:
            vals = [r[k]["per_year_usd"][i] for r in table if r[k]["total_usd"] is not None]
            cells.append(format_usd(sum(vals)) if vals else "")
        assert _contiguous(page.cells, cells), cells
    # ... and the mixed plan's year 1 is its first twelve months worked out by hand.
    assert format_usd(sum(hand_monthly_cost(c.mixed)[:12])) in page.cells


# --------------------------------------------------------------------------- comparison, infeasible


def test_comparison_html_holds_tco_break_even_and_plots(the_comparison: Comparison):
    c = the_comparison
    doc = render_html(c)
    page = Page(doc)
    assert page.title == "Compare: report-compare"
    for sid in (
        "tco",
        "plots",
        "categories",
        "years",
        "break-even",
        "own-dc-only",
        "mixed",
        "mixed-allocations",
    ):
        assert sid in page.ids, sid
    cells, text = page.cells, page.all_text
    assert c.cloud_only.total_cost_usd and c.mixed.total_cost_usd
    assert format_usd(c.cloud_only.total_cost_usd) in cells and format_usd(c.mixed.total_cost_usd) in cells
    saving = c.cloud_only.total_cost_usd - c.mixed.total_cost_usd
    assert f"The mixed plan saves {format_usd(saving)}" in text
    assert "own servers (capex less value at horizon end)" in cells
    assert c.break_even["explanation"] in text
    assert c.own_dc_only.diagnosis[0].message in text
    assert "hgx-h100-8gpu" in cells  # the server the mixed plan buys
    # cumulative cost, cost by scenario, cloud-only capacity; the mixed plan's capacity and cost
    assert {
        "fig-cumulative-cost",
        "fig-cost-comparison",
        "fig-capacity-cloud-only",
        "mixed-fig-capacity",
    } <= page.ids
    assert len(page.images) == 5
    for img in page.images:
        assert_real_plot(decode_png(img["src"]))
    assert render_html(c) == doc


def test_comparison_png_stacks_every_plot(the_comparison: Comparison):
    png = render_png(the_comparison)
    img = assert_real_plot(png)
    one = assert_real_plot(plots.figure_png(plots.cumulative_cost_figure(the_comparison)))
    assert (
        img.shape[1] == one.shape[1] and img.shape[0] > 4 * one.shape[0]
    )  # four panels, one above the other


def test_infeasible_plan_shows_the_diagnosis(catalog: Catalog):
    spec = _spec(name="too-dear")
    spec["constraints"]["budget_usd"] = 10_000  # the cheapest plan costs about $70K
    p = plan(parse_budget(spec), catalog)
    assert p.status == "infeasible"
    page = Page(render_html(p))
    assert "diagnosis" in page.ids and "Why there is no plan" in page.all_text
    assert p.diagnosis and p.diagnosis[0].message in page.all_text
    assert page.images == []
    png = render_png(p)  # a one-line image that says there is no plan
    assert png.startswith(PNG_MAGIC)


# --------------------------------------------------------------------------- the CLI


def _budget_file(tmp_path: Path, name: str = "cli-report") -> Path:
    spec = _spec(name=name)
    spec["catalog"] = str(TINY)  # the tiny fixture catalog folder (no commitment prices)
    del spec["datacenter"]  # its own data center is on: `compare` needs one
    path = tmp_path / "budget.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_cli_plan_html_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    budget = _budget_file(tmp_path)
    out = tmp_path / "out" / "report.html"
    assert main(["plan", str(budget), "--format", "html", "--output", str(out)]) == 0
    doc = out.read_text(encoding="utf-8")
    page = Page(doc)
    assert page.title == "Plan: cli-report" and len(page.images) == 2
    assert "gpu_8x_h100_sxm5" in page.cells
    assert capsys.readouterr().out == ""  # written to the file only
    png_path = tmp_path / "plots.png"
    assert main(["plan", str(budget), "--format", "png", "--output", str(png_path)]) == 0
    assert_real_plot(png_path.read_bytes())
    # html without --output goes to stdout
    assert main(["plan", str(budget), "--format", "html", "--no-explain"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_cli_png_needs_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    budget = _budget_file(tmp_path)
    for command in ("plan", "compare"):
        assert main([command, str(budget), "--format", "png"]) == 2
        captured = capsys.readouterr()
        assert "--format png writes an image: give the file with --output" in captured.err
        assert captured.out == "" and "Traceback" not in captured.err


def test_cli_compare_html_is_reproducible(tmp_path: Path):
    budget = _budget_file(tmp_path, name="cli-compare")
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    for out in (first, second):
        assert main(["compare", str(budget), "--format", "html", "--output", str(out), "--no-explain"]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert Page(first.read_text(encoding="utf-8")).title == "Compare: cli-compare"


def test_cli_compare_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    budget = _budget_file(tmp_path, name="cli-compare-png")
    out = tmp_path / "compare.png"
    capsys.readouterr()
    assert main(["compare", str(budget), "--format", "png", "--output", str(out), "--no-explain"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err  # written to the file only
    img = assert_real_plot(out.read_bytes())
    # The plots stacked: cumulative cost, cost by scenario and two capacity panels, each about as
    # tall as one cumulative-cost figure is (4.6 in at the report's width).
    assert img.shape[0] > 2 * img.shape[1], img.shape


# --------------------------------------------------------------------------- a real browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _run_chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=90, check=False)


def test_chromium_shows_the_plan(tmp_path: Path, the_plan: Plan, plan_html: str):
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium not installed: apt-get install chromium (Debian) to run this test")
    report = tmp_path / "report.html"
    report.write_text(plan_html, encoding="utf-8")
    dom = _run_chromium(binary, tmp_path, "--dump-dom", report.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = Page(dom.stdout)
    assert page.title == "Plan: report-test"
    assert the_plan.total_cost_usd is not None and format_usd(the_plan.total_cost_usd) in page.all_text
    assert len(page.images) == 2 and all(i["src"].startswith("data:image/png;base64,") for i in page.images)
    # a screenshot: the page is drawn, with the plots' colours in it (not a blank or error page)
    rgb = _screenshot_pixels(binary, tmp_path, report)
    orange = (rgb[:, 0] > 180) & (rgb[:, 1] < 120) & (rgb[:, 2] < 60)  # the on-demand bars
    assert orange.mean() > 0.001
    assert re.search(r"\$\d", page.all_text)


def _screenshot_pixels(binary: str, tmp_path: Path, report: Path) -> np.ndarray:
    """RGB pixels (one row per pixel) of a 1280-wide screenshot of the report, checked to be drawn
    (ink on the page, not a blank or error page)."""
    shot = tmp_path / "shot.png"
    run = _run_chromium(binary, tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", report.as_uri())
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    img = imread(str(shot))
    assert img.shape[1] == 1280
    rgb = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert np.mean(np.any(rgb < 235, axis=1)) > 0.02  # ink on the page
    return rgb


def test_chromium_shows_the_comparison(tmp_path: Path, the_comparison: Comparison):
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium not installed: apt-get install chromium (Debian) to run this test")
    c = the_comparison
    report = tmp_path / "compare.html"
    report.write_text(render_html(c), encoding="utf-8")
    dom = _run_chromium(binary, tmp_path, "--dump-dom", report.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = Page(dom.stdout)
    assert page.title == "Compare: report-compare"
    assert c.cloud_only.total_cost_usd is not None and c.mixed.total_cost_usd is not None
    assert {format_usd(c.cloud_only.total_cost_usd), format_usd(c.mixed.total_cost_usd)} <= set(page.cells)
    assert c.break_even["explanation"] in page.all_text
    assert "own servers (capex less value at horizon end)" in page.cells
    assert len(page.images) == 5 and all(i["src"].startswith("data:image/png;base64,") for i in page.images)
    rgb = _screenshot_pixels(binary, tmp_path, report)
    # the cumulative-cost lines: cloud only (#d95f02) and mixed (#7570b3), near their colours
    for colour in ((0xD9, 0x5F, 0x02), (0x75, 0x70, 0xB3)):
        near = np.all(np.abs(rgb.astype(int) - colour) < 40, axis=1)
        assert near.mean() > 0.0002, colour
