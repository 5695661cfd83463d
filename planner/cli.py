"""The `planner` command. Exit codes: 0 ok, 1 infeasible plan, 2 bad input, 3 solver/verification trouble.

No traceback reaches the user for bad input: every deliberate error is a PlannerError subclass
printed as one message. Output goes to stdout; errors to stderr.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from planner.catalog.datacenter import parse_years
from planner.errors import InputError, PlannerError
from planner.io import atomic_write, json_text
from planner.units import parse_count, parse_fraction, parse_usd_per_hour, parse_watts

EXIT_OK, EXIT_INFEASIBLE, EXIT_INPUT, EXIT_SOLVER = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes arguments as typed: escape control characters so the error stays one line.
        shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {shown}\n")


def _typed(parse: Callable[[Any], float], what: str) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = what  # argparse names the type in some messages
    return convert


_count = _typed(parse_count, "number")
_fraction = _typed(parse_fraction, "fraction")
_price = _typed(parse_usd_per_hour, "price")
_watts = _typed(parse_watts, "power")
_years = _typed(parse_years, "duration")  # the forms datacenter.yaml accepts: 5, '5y', '60 months'

# Upper bounds on the estimate flags: far beyond any real input, low enough that no product of them
# overflows a float (the largest, 6 x params x tokens = 6e33 FLOP, is finite) or prints 300 digits.
# Sources of the figures: Switch-C, 1.6T parameters (Fedus et al. 2021, arXiv:2101.03961); Llama 3,
# 15T tokens (Dubey et al. 2024, arXiv:2407.21783); Qwen3, 36T tokens (Yang et al. 2025,
# arXiv:2505.09388); Llama 4 Scout, a 10M-token context (Meta, "The Llama 4 herd", 2025-04-05).
PARAMS_MAX = 1e15  # the largest published models have ~1-2T parameters (Switch-C: 1.6T)
TOKENS_MAX = 1e18  # the largest published training sets have ~15-36T tokens (Llama 3: 15T, Qwen3: 36T)
GPUS_MAX = 10_000_000  # the largest clusters built hold a few hundred thousand GPUs
REQUEST_TOKENS_MAX = 1e8  # the longest context windows hold ~1e7 tokens (Llama 4 Scout: 10M)
LATENCY_MS_MAX = 86_400_000.0  # one day per token: a target beyond that is no target
PRICE_MAX = 10_000.0  # USD per GPU-hour; the bundled catalog's dearest is $19.33 (GCP B200, on demand)
WATTS_MAX = 1e10  # 10 GW; the largest announced AI campuses draw a few GW
YEARS_MAX = 50.0  # longer than any server or facility life that gets amortized
USD_PER_KWH_MAX = 100.0  # electricity costs well under 1 USD/kWh almost everywhere
PUE_RANGE = (1.0, 5.0)  # the range datacenter.yaml accepts for site.pue (planner/catalog/datacenter.py)
SHARE_MIN = 1e-3  # MFU or goodput below 0.1% multiplies GPU-hours by more than 1000


def _shown(x: float) -> str:
    """1e15 -> '1e15', 86400000 -> '8.64e7', 5 -> '5': bounds as people type them."""
    return re.sub(r"e\+0*", "e", f"{x:g}")


def _between(
    kind: Callable[[str], float], low: float, high: float, *, low_inclusive: bool = False, why: str = ""
) -> Callable[[str], float]:
    """kind, then low < x <= high (low <= x with low_inclusive); `why` explains the upper bound."""

    def convert(text: str) -> float:
        x = kind(text)
        if not (x >= low if low_inclusive else x > low):
            raise argparse.ArgumentTypeError(
                f"must be {'>=' if low_inclusive else '>'} {_shown(low)}, got {text!r}"
            )
        if not x <= high:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"must be at most {_shown(high)}{reason}, got {text!r}")
        return x

    convert.__name__ = getattr(kind, "__name__", "number")
    return convert


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    return _between(kind, 0.0, math.inf)


def _share(text: str) -> float:
    """MFU or goodput: a fraction of at least SHARE_MIN (0 would divide by zero)."""
    x = _fraction(text)
    if x < SHARE_MIN:
        raise argparse.ArgumentTypeError(
            f"must be at least {SHARE_MIN:g} (0.1%; lower values multiply GPU-hours by over 1000), got {text!r}"
        )
    return x


def _mip_gap(text: str) -> float:
    x = _fraction(text)
    if x >= 1:
        raise argparse.ArgumentTypeError(
            f"must be at least 0 and below 1 (a relative gap such as 0.01 or 1%), got {text!r}"
        )
    return x


def _whole(low: int, high: float = math.inf, why: str = "") -> Callable[[str], int]:
    """A whole number in [low, high]; numbers may be written 1e3 or 1_000."""

    def convert(text: str) -> int:
        try:
            x = parse_count(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if x != int(x) or x < low:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text!r}")
        if x > high:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"must be at most {high:,.0f}{reason}, got {text!r}")
        return int(x)

    convert.__name__ = "whole number"
    return convert


_positive_int = _whole(1)
_gpus = _whole(1, GPUS_MAX, "the largest clusters built hold a few hundred thousand GPUs")
_params = _between(_count, 0.0, PARAMS_MAX, why="1,000T; the largest published models have ~2T")
_request_tokens = _between(
    _count, 0.0, REQUEST_TOKENS_MAX, why="the longest context windows hold ~10M tokens"
)
_latency_ms = _between(_count, 0.0, LATENCY_MS_MAX, why="one day; leave the flag out for no target")
_gpu_price = _between(_price, 0.0, PRICE_MAX, why="USD per GPU-hour; list prices are below $20")


def _output(text: str) -> str:
    """An --output path: an empty one would silently print to stdout instead."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path; leave the flag out to write to stdout")
    return text


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="planner", description="Optimization-based procurement planner for AI compute.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    pl = sub.add_parser("plan", help="plan a YAML budget: cheapest GPUs, providers and terms, explained")
    pl.add_argument("budget", help="budget YAML file (see examples/)")
    _add_plan_options(pl)

    cmp = sub.add_parser("compare", help="cloud only vs own data center only vs mixed: TCO and break-even")
    cmp.add_argument("budget", help="budget YAML file")
    _add_plan_options(cmp)

    sc = sub.add_parser("schema", help="print the JSON Schema of budget files (for editors)")
    sc.add_argument("--output", type=_output, help="write to this file instead of stdout")

    cat = sub.add_parser("catalog", help="browse offerings, cheapest per GPU-hour first")
    cat.add_argument("--gpu", help="accelerator name or alias (e.g. H100, A100-80GB)")
    cat.add_argument("--provider")
    cat.add_argument("--region")
    cat.add_argument(
        "--term", choices=["on_demand", "spot", "reserved_1y", "reserved_3y"], default="on_demand"
    )
    cat.add_argument("--format", choices=["table", "json", "csv"], default="table")
    cat.add_argument("--catalog", help="catalog folder (default: bundled) or SkyPilot catalog")
    cat.add_argument("--accelerators", action="store_true", help="list accelerators with their specs instead")
    cat.add_argument(
        "--limit", type=_whole(0), default=40, help="rows in table format, >= 0 (0: all); JSON/CSV list all"
    )
    cat.add_argument(
        "--include-unlisted", action="store_true", help="also list prices flagged placeholder or suspect"
    )

    est = sub.add_parser("estimate", help="rules of thumb without the solver")
    esub = est.add_subparsers(dest="what", required=True, parser_class=_Parser)
    tr = esub.add_parser("training", help="FLOPs, memory, GPU-hours, days and cost of a training run")
    _add_model_args(tr)
    tr.add_argument(
        "--tokens",
        type=_between(_count, 0.0, TOKENS_MAX, why="the largest published training sets have ~36T tokens"),
        required=True,
        help="training tokens, e.g. 300B",
    )
    tr.add_argument("--gpu", required=True, help="accelerator, e.g. A100-80GB")
    tr.add_argument("--gpus", type=_gpus, help="cluster size (GPUs) for the duration")
    tr.add_argument("--mfu", type=_share, help="model FLOPs utilization (default: calibrated per GPU)")
    tr.add_argument("--goodput", type=_share, help="share of wall-clock time doing useful training")
    tr.add_argument("--precision", default="bf16", choices=["fp32", "tf32", "bf16", "fp16", "fp8"])
    tr.add_argument("--price-per-gpu-hour", type=_gpu_price, help="USD per GPU-hour (default: catalog)")
    tr.add_argument("--catalog")
    tr.add_argument("--format", choices=["table", "json"], default="table")

    inf = esub.add_parser("inference", help="batch, latency, tokens/s and $ per million tokens")
    _add_model_args(inf)
    inf.add_argument("--gpu", required=True)
    inf.add_argument(
        "--gpus", type=_gpus, default=None, help="GPUs per instance (default: smallest that fits)"
    )
    inf.add_argument("--precision", default="bf16", choices=["fp32", "bf16", "fp16", "fp8", "int8", "int4"])
    inf.add_argument("--input-tokens", type=_request_tokens, required=True)
    inf.add_argument("--output-tokens", type=_request_tokens, required=True)
    inf.add_argument("--tpot-ms", type=_latency_ms, help="time-per-output-token target, ms")
    inf.add_argument("--ttft-ms", type=_latency_ms, help="time-to-first-token target, ms")
    inf.add_argument("--price-per-gpu-hour", type=_gpu_price)
    inf.add_argument("--catalog")
    inf.add_argument("--format", choices=["table", "json"], default="table")

    pw = esub.add_parser("power", help="energy and electricity cost of a load")
    pw.add_argument(
        "--watts",
        type=_between(_watts, 0.0, WATTS_MAX, why="10 GW; the largest announced AI campuses draw a few GW"),
        required=True,
        help="IT power, e.g. 10200 or 10.2kW",
    )
    pw.add_argument(
        "--pue",
        type=_between(_count, *PUE_RANGE, low_inclusive=True, why="the range datacenter.yaml accepts"),
        default=None,
        help="power usage effectiveness, facility / IT energy, 1 to 5 (default 1.0)",
    )
    pw.add_argument(
        "--years",
        type=_between(_years, 0.0, YEARS_MAX, why="longer than any server or facility life"),
        required=True,
        help="duration: years, or with a unit as in datacenter.yaml: 3y, 36 months, 90d",
    )
    pw.add_argument(
        "--usd-per-kwh",
        type=_between(
            _count, 0.0, USD_PER_KWH_MAX, why="electricity costs under 1 USD/kWh almost everywhere"
        ),
        required=True,
    )
    pw.add_argument("--utilization", type=_fraction, default=1.0)
    pw.add_argument("--format", choices=["table", "json"], default="table")
    return p


def _add_model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--params", type=_params, help="total parameters, e.g. 175B")
    g.add_argument("--model", help="zoo model id, e.g. gpt-3-175b")


def _add_plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=["table", "markdown", "json", "html", "png"],
        default="table",
        help="html: one self-contained page with tables and plots; png: the plots alone (needs --output)",
    )
    p.add_argument("--catalog", help="catalog folder (overrides the budget's `catalog`)")
    p.add_argument("--output", type=_output, help="write to this file (atomically) instead of stdout")
    p.add_argument("--solver", choices=["auto", "highs", "cbc"], default="auto")
    p.add_argument("--time-limit", type=_positive(_count), default=120.0, help="seconds (default 120)")
    p.add_argument("--mip-gap", type=_mip_gap, default=1e-6, help="relative MIP gap in [0, 1) (default 1e-6)")
    p.add_argument("--no-explain", action="store_true", help="skip shadow prices, what-ifs and runner-ups")
    p.add_argument(
        "--explain-budget",
        type=_positive(_count),
        default=60.0,
        help="seconds for all of the explanation's re-solves; the rest are reported as not re-solved (default 60)",
    )
    p.add_argument(
        "--explain-workers",
        type=_positive_int,
        default=None,
        help="re-solves the explanation runs at once (default: the CPU count, at most 4)",
    )
    p.add_argument("--timings", action="store_true", help="include solver timings in JSON (not reproducible)")


def _emit(data: str | bytes, output: str | None) -> None:
    if output:
        atomic_write(output, data)
    elif isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data)


def _check_output(args: argparse.Namespace) -> None:
    """A PNG is never written to a terminal: --format png needs --output (checked before planning)."""
    if args.format == "png" and not args.output:
        raise InputError("--format png writes an image: give the file with --output, e.g. --output plan.png")


def _plan_options(args: argparse.Namespace) -> dict[str, Any]:
    """PlanOptions from the flags `plan` and `compare` share."""
    return {
        "solver": args.solver,
        "time_limit_s": args.time_limit,
        "mip_gap": args.mip_gap,
        "explain": not args.no_explain,
        "explain_budget_s": args.explain_budget,
        "explain_workers": args.explain_workers,
    }


def cmd_plan(args: argparse.Namespace) -> int:
    from planner.api import plan
    from planner.report import render_markdown, render_text, to_json
    from planner.workloads import load_budget

    _check_output(args)
    result = plan(load_budget(args.budget), catalog=args.catalog, **_plan_options(args))
    renderers: dict[str, Callable[[Any], str | bytes]] = {
        "table": render_text,
        "markdown": render_markdown,
        "json": lambda pl: to_json(pl, timings=args.timings),
        "html": _html,
        "png": _png,
    }
    _emit(renderers[args.format](result), args.output)
    return EXIT_INFEASIBLE if result.status == "infeasible" else EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from planner.compare import compare
    from planner.report import render_comparison
    from planner.workloads import load_budget

    _check_output(args)
    result = compare(load_budget(args.budget), catalog=args.catalog, **_plan_options(args))
    renderers: dict[str, Callable[[Any], str | bytes]] = {
        "table": render_comparison,
        "markdown": lambda c: render_comparison(c, "github"),
        "json": lambda c: json_text(c.to_dict(timings=args.timings)),
        "html": _html,
        "png": _png,
    }
    _emit(renderers[args.format](result), args.output)
    return EXIT_INFEASIBLE if result.mixed.status == "infeasible" else EXIT_OK


def _html(obj: Any) -> str:
    from planner.report_html import render_html  # matplotlib is imported only when asked for

    return render_html(obj)


def _png(obj: Any) -> bytes:
    from planner.report_html import render_png

    return render_png(obj)


def cmd_schema(args: argparse.Namespace) -> int:
    from planner.schema import budget_json_schema_text

    _emit(budget_json_schema_text(), args.output)
    return EXIT_OK


def cmd_catalog(args: argparse.Namespace) -> int:
    from planner.catalog.load import load_catalog
    from planner.catalog_view import accelerator_rows, offering_rows, render_rows

    catalog = load_catalog(args.catalog)
    if args.accelerators:
        rows = accelerator_rows(catalog, gpu=args.gpu)
    else:
        rows = offering_rows(
            catalog,
            gpu=args.gpu,
            provider=args.provider,
            region=args.region,
            term=args.term,
            include_unlisted=args.include_unlisted,
        )
    sys.stdout.write(
        render_rows(rows, args.format, limit=args.limit, sort_note=not args.accelerators, term=args.term)
    )
    return EXIT_OK


def cmd_estimate(args: argparse.Namespace) -> int:
    from planner import estimate

    if args.what == "training":
        out = estimate.training(args)
    elif args.what == "inference":
        out = estimate.inference(args)
    else:
        out = estimate.power(args)
    if args.format == "json":
        sys.stdout.write(json_text(out))
    else:
        sys.stdout.write(estimate.render(out))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "plan": cmd_plan,
    "catalog": cmd_catalog,
    "estimate": cmd_estimate,
    "schema": cmd_schema,
    "compare": cmd_compare,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        sys.stderr.write(f"planner: error: {exc}\n")
        return EXIT_INPUT
    except PlannerError as exc:
        sys.stderr.write(f"planner: error: {exc}\n")
        return EXIT_SOLVER
    except KeyboardInterrupt:
        sys.stderr.write("planner: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
