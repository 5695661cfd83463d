"""Planner speed and size at scale: prints one table row per scenario (medians of several runs).

Scenarios: every budget in examples/ on the bundled catalog, and the issue-6 scale scenario
(benchmarks/scale-36-months.yaml: 36 months, two training runs, one growing inference service) on the
bundled catalog with all regions and on synthetic catalogs of 10k and 100k offerings. Each scenario
runs in its own process so that its peak memory (resident, with its explanation workers') is its own.

    python benchmarks/bench_plan.py                 # all scenarios, 3 runs each
    python benchmarks/bench_plan.py --runs 5 --only scale
    python benchmarks/bench_plan.py --markdown      # the README's performance table
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PHASES = ("load", "candidates", "build", "solve", "extract", "verify", "explain")
SYNTHETIC_SIZES = {"synthetic-10k": 10_000, "synthetic-100k": 100_000}


def scenarios() -> list[tuple[str, Path, str]]:
    """(name, budget file, catalog: 'default' or a synthetic size name)."""
    out = [(f"example:{p.stem}", p, "default") for p in sorted((ROOT / "examples").glob("*.yaml"))]
    scale = HERE / "scale-36-months.yaml"
    out += [("scale-36:default", scale, "default")]
    out += [(f"scale-36:{name}", scale, name) for name in SYNTHETIC_SIZES]
    return out


def run_one(budget_path: Path, catalog: str, runs: int, workdir: Path, explain: bool) -> dict[str, object]:
    """Plan `runs` times in this process; medians per phase, peak memory of this process and its workers."""
    import planner
    from planner.catalog.load import load_catalog

    folder: Path | None = None
    if catalog in SYNTHETIC_SIZES:
        sys.path.insert(0, str(HERE))
        from synthetic import write_synthetic_catalog

        folder = write_synthetic_catalog(SYNTHETIC_SIZES[catalog], workdir / catalog)
    samples: dict[str, list[float]] = {p: [] for p in (*PHASES, "total")}
    memory = MemoryPeak()
    memory.start()
    plan = None
    offerings = 0
    for _ in range(runs):
        started = time.perf_counter()
        cat = load_catalog(folder)
        offerings = len(cat.offerings)
        loaded = time.perf_counter()
        plan = planner.plan(planner.load_budget(budget_path), cat, explain=explain)
        finished = time.perf_counter()
        samples["load"].append(loaded - started)
        for phase in PHASES[1:]:
            samples[phase].append(plan.phase_seconds.get(phase, 0.0))
        samples["total"].append(finished - started)
    assert plan is not None
    memory.done.set()
    return {
        "offerings": offerings,
        "groups": plan.offering_groups,
        "variables": plan.solver.variables,
        "constraints": plan.solver.constraints,
        "status": plan.status,
        "mip_gap": plan.solver.mip_gap,
        "cost_usd": plan.total_cost_usd,
        "seconds": {k: statistics.median(v) for k, v in samples.items()},
        "peak_rss_mib": memory.mib(),
        "runs": runs,
    }


class MemoryPeak(threading.Thread):
    """Samples, every 20 ms, this process's resident memory plus the private memory of its
    children (the explanation's forked workers, planner/jobs.py: the pages a worker shares with
    this process are counted once), and keeps the largest sum. Linux /proc; elsewhere only the
    process's own peak (getrusage)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            try:
                total = _rollup_kib("self", ("Rss",))
                for pid in _children():
                    total += _rollup_kib(pid, ("Private_Clean", "Private_Dirty"))
            except OSError:  # no /proc, or a worker just ended
                continue
            self.peak_kib = max(self.peak_kib, total)

    def mib(self) -> float:
        """The peak so far, never below what getrusage recorded for this process alone."""
        return max(self.peak_kib, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _rollup_kib(pid: str, fields: tuple[str, ...]) -> int:
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in fields:
            total += int(rest.split()[0])
    return total


def _children() -> list[str]:
    return [
        pid for task in Path("/proc/self/task").iterdir() for pid in (task / "children").read_text().split()
    ]


def child(name: str, budget: Path, catalog: str, runs: int, explain: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, __file__, "--child", str(budget), catalog, str(runs), tmp, str(int(explain))]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"name": name, "error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return {"name": name, **json.loads(done.stdout.strip().splitlines()[-1])}


def machine() -> str:
    cpus = os.cpu_count() or 0
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.processor() or platform.machine()}, {cpus} cores{memory}, Python {platform.python_version()}"


def table(rows: list[dict[str, object]], markdown: bool) -> str:
    head = [
        "scenario", "offerings", "groups", "vars", "cons", "load", "cand", "build", "solve",
        "verify", "explain", "total s", "peak MiB", "gap", "status",
    ]  # fmt: skip
    lines = []
    for r in rows:
        if "error" in r:
            lines.append([str(r["name"]), f"error: {r['error']}"] + [""] * (len(head) - 2))
            continue
        s = r["seconds"]
        assert isinstance(s, dict)
        gap = r["mip_gap"]
        lines.append(
            [
                str(r["name"]),
                f"{r['offerings']:,}",
                f"{r['groups']:,}",
                f"{r['variables']:,}",
                f"{r['constraints']:,}",
                *(f"{s[p]:.2f}" for p in ("load", "candidates", "build", "solve", "verify", "explain")),
                f"{s['total']:.2f}",
                f"{r['peak_rss_mib']:.0f}",
                "-" if gap is None else f"{gap:.1e}",
                str(r["status"]),
            ]
        )
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(out + ["| " + " | ".join(line) + " |" for line in lines])
    widths = [max(len(x) for x in col) for col in zip(head, *lines, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*head)] + [fmt.format(*line) for line in lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (median reported)")
    parser.add_argument("--only", default="", help="run scenarios whose name contains this text")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument(
        "--no-explain",
        action="store_true",
        help="plan without the explanation's re-solves (explain column 0)",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        budget, catalog, runs, tmp, explain = args.child
        print(json.dumps(run_one(Path(budget), catalog, int(runs), Path(tmp), explain == "1")))
        return
    what = "without explanation" if args.no_explain else "with explanation"
    print(f"machine: {machine()}; medians of {args.runs} runs; seconds per phase; {what}", flush=True)
    rows = []
    for name, budget, catalog in scenarios():
        if args.only in name:
            rows.append(child(name, budget, catalog, args.runs, not args.no_explain))
            print(table(rows[-1:], False).splitlines()[-1], flush=True)
    print()
    print(table(rows, args.markdown))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
