"""`planner estimate`: the compute physics as quick answers, no solver (training, inference, power)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from tabulate import tabulate

from planner import compute, zoo
from planner.catalog.catalog import Catalog
from planner.catalog.load import load_catalog
from planner.catalog.schema import Accelerator
from planner.enums import Precision, Term
from planner.errors import InputError
from planner.units import HOURS_PER_YEAR

# The flags each estimate's numbers are computed from, named when a result is not a finite number.
FLAGS = {
    "training": "--params (or --model), --tokens, --gpus, --mfu, --goodput and --price-per-gpu-hour",
    "inference": "--params (or --model), --input-tokens, --output-tokens and --price-per-gpu-hour",
    "power": "--watts, --pue, --years, --usd-per-kwh and --utilization",
}


def check_finite(out: dict[str, Any], what: str) -> dict[str, Any]:
    """`out` unchanged if every number in it is finite; else an InputError naming the flags involved
    (the CLI bounds every flag so that this does not happen, but a result is never printed as inf)."""
    bad = [k for k, v in out.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise InputError(
            f"the {what} estimate overflows ({', '.join(f'{k} = {out[k]}' for k in bad)}): "
            f"use smaller values of {FLAGS[what]}"
        )
    return out


def cheapest_on_demand(catalog: Catalog, accelerator_id: str) -> tuple[float, str] | None:
    """(USD per GPU-hour, description) of the cheapest on-demand offering of a GPU whose price is
    complete (whole instance) and listed (not flagged placeholder or suspect)."""
    best = None
    for o in catalog.offerings:
        if o.accelerator != accelerator_id or not o.price_is_complete or o.price_quality != "listed":
            continue
        p = o.price_per_gpu_hour(Term.ON_DEMAND)
        if p is not None and (best is None or p < best[0]):
            best = (p, f"cheapest on-demand in catalog {catalog.name}: {o.key} at ${p:.2f}/GPU-hour")
    return best


def _price(args: argparse.Namespace, catalog: Catalog, acc: Accelerator) -> tuple[float | None, str]:
    if args.price_per_gpu_hour is not None:
        return args.price_per_gpu_hour, "given with --price-per-gpu-hour"
    found = cheapest_on_demand(catalog, acc.id)
    if found is None:
        return None, f"no on-demand price for {acc.id} in catalog {catalog.name}"
    return found


def _params(args: argparse.Namespace) -> tuple[float, float, str | None]:
    if args.model:
        arch = zoo.get_model(args.model)
        return arch.total_params, arch.active_params, arch.id
    return args.params, args.params, None


def training(args: argparse.Namespace) -> dict[str, Any]:
    catalog = load_catalog(args.catalog)
    acc = catalog.accelerator(args.gpu)
    precision = Precision(args.precision)
    params, active, model_id = _params(args)
    flops = compute.training_flops(active, args.tokens)
    state = compute.training_memory_bytes(params)
    compute_precision = compute.training_compute_precision(acc, precision)
    peak = None if compute_precision is None else acc.peak_flops_per_s(compute_precision)
    if compute_precision is None or peak is None:
        raise InputError(f"--gpu {compute.no_training_peak(acc, precision)}")
    mfu = args.mfu if args.mfu is not None else compute.default_mfu(acc.id, params, compute_precision)
    goodput = args.goodput if args.goodput is not None else compute.DEFAULT_GOODPUT
    eff = compute.scaling_efficiency(args.gpus) if args.gpus else 1.0
    gpu_hours = compute.training_gpu_hours(flops, peak, mfu * eff, goodput)
    out: dict[str, Any] = {
        "model": model_id,
        "params": params,
        "active_params": active,
        "tokens": args.tokens,
        "precision": precision.value,
        "compute_precision": compute_precision.value,
        "accelerator": acc.id,
        "peak_flops_per_s": peak,
        "mfu": mfu,
        "goodput": goodput,
        "scaling_efficiency": eff,
        "flops": flops,
        "weights_bytes": compute.weights_bytes(params, precision),
        "training_memory_bytes": state,
        "min_gpus_for_memory": compute.min_gpus_for_memory(state, acc.memory_gib),
        "gpu_hours": gpu_hours,
    }
    if args.gpus:
        out["gpus"] = args.gpus
        out["days"] = compute.training_seconds(flops, args.gpus, peak, mfu * eff, goodput) / 86400.0
        if args.gpus < out["min_gpus_for_memory"]:
            out["warning"] = (
                f"{args.gpus} GPUs cannot hold the training state; at least {out['min_gpus_for_memory']} needed"
            )
    price, basis = _price(args, catalog, acc)
    out["price_per_gpu_hour_usd"] = price
    out["cost_basis"] = basis
    out["cost_usd"] = compute.cost_usd(gpu_hours, price) if price is not None else None
    return check_finite(out, "training")


def _fit_gpus(
    arch: compute.ModelArch, acc: Accelerator, precision: Precision, args: argparse.Namespace
) -> int:
    """Smallest power-of-two instance size (1..64 GPUs) on which the model meets the targets."""
    for gpus in (1, 2, 4, 8, 16, 32, 64):
        est = compute.estimate_inference(
            arch, acc, gpus, precision, args.input_tokens, args.output_tokens, args.tpot_ms, args.ttft_ms
        )
        if est.feasible:
            return gpus
    return 8


def inference(args: argparse.Namespace) -> dict[str, Any]:
    catalog = load_catalog(args.catalog)
    acc = catalog.accelerator(args.gpu)
    precision = Precision(args.precision)
    arch = zoo.get_model(args.model) if args.model else compute.architecture_from_params(args.params)
    gpus = args.gpus or _fit_gpus(arch, acc, precision, args)
    est = compute.estimate_inference(
        arch, acc, gpus, precision, args.input_tokens, args.output_tokens, args.tpot_ms, args.ttft_ms
    )
    price, basis = _price(args, catalog, acc)
    out: dict[str, Any] = {
        "model": arch.id,
        "params": arch.total_params,
        "active_params": arch.active_params,
        "accelerator": acc.id,
        "gpus": gpus,
        "precision": precision.value,
        "input_tokens": args.input_tokens,
        "output_tokens": args.output_tokens,
        "flops_per_request": compute.inference_flops_per_request(
            arch.active_params, args.input_tokens, args.output_tokens
        ),
        "weights_bytes": compute.weights_bytes(arch.total_params, precision),
        "kv_cache_bytes_per_token": est.kv_cache_bytes_per_token,
        "feasible": est.feasible,
        "reason": est.reason,
        "tensor_parallel": est.tensor_parallel,
        "replicas_per_instance": est.replicas_per_instance,
        "max_batch": est.max_batch,
        "tpot_ms": est.tpot_ms,
        "ttft_ms": est.ttft_ms,
        "tokens_per_s": est.tokens_per_s,
        "requests_per_s": est.requests_per_s,
        "bound": est.bound,
        "price_per_gpu_hour_usd": price,
        "cost_basis": basis,
        "cost_per_million_tokens_usd": (
            compute.cost_per_million_tokens_usd(price * gpus, est.tokens_per_s)
            if price is not None and est.feasible and est.tokens_per_s > 0
            else None
        ),
    }
    return check_finite(out, "inference")


def power(args: argparse.Namespace) -> dict[str, Any]:
    from planner.tco import energy_kwh

    pue = args.pue if args.pue is not None else 1.0
    hours = args.years * HOURS_PER_YEAR
    kwh = energy_kwh(args.watts, hours, pue=pue, utilization=args.utilization)
    out = {
        "watts": args.watts,
        "pue": pue,
        "years": args.years,
        "hours": hours,
        "utilization": args.utilization,
        "usd_per_kwh": args.usd_per_kwh,
        "kwh": kwh,
        "cost_usd": kwh * args.usd_per_kwh,
    }
    return check_finite(out, "power")


_UNITS = {
    "flops": "FLOP", "flops_per_request": "FLOP", "weights_bytes": "B", "training_memory_bytes": "B",
    "kv_cache_bytes_per_token": "B/token", "peak_flops_per_s": "FLOP/s", "gpu_hours": "GPU-h", "days": "days",
    "tpot_ms": "ms", "ttft_ms": "ms", "tokens_per_s": "output tokens/s", "requests_per_s": "requests/s",
    "price_per_gpu_hour_usd": "USD/GPU-h", "cost_usd": "USD", "cost_per_million_tokens_usd": "USD/1M tokens",
    "kwh": "kWh", "watts": "W", "hours": "h", "usd_per_kwh": "USD/kWh", "params": "parameters",
    "active_params": "parameters", "tokens": "tokens",
}  # fmt: skip


def render(out: dict[str, Any]) -> str:
    rows = []
    for k, v in out.items():
        if isinstance(v, float):
            shown = f"{v:,.4g}" if abs(v) < 1e6 else f"{v:.4g}"
        else:
            shown = "" if v is None else str(v)
        rows.append([k, shown, _UNITS.get(k, "")])
    return (
        tabulate(rows, headers=["quantity", "value", "unit"], tablefmt="simple", disable_numparse=True) + "\n"
    )
