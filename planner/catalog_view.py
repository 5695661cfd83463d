"""Rows for `planner catalog`: offerings cheapest per GPU-hour first, and accelerators with specs."""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd
from tabulate import tabulate

from planner.catalog.catalog import PER_GPU_HOUR_COLUMNS, Catalog
from planner.enums import Precision, Term
from planner.io import json_text

OFFERING_COLUMNS = [
    "provider", "region", "zone", "instance_type", "accelerator", "gpus", "price_per_gpu_hour_usd",
    "spot_per_gpu_hour_usd", "reserved_1y_per_gpu_hour_usd", "reserved_3y_per_gpu_hour_usd",
    "reserved_1y_basis", "reserved_3y_basis", "price_per_instance_hour_usd", "price_scope", "price_quality",
    "cluster_interconnect", "source", "as_of",
]  # fmt: skip


def _none(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def offering_rows(
    catalog: Catalog,
    gpu: str | None = None,
    provider: str | None = None,
    region: str | None = None,
    term: str = "on_demand",
    include_unlisted: bool = False,
) -> list[dict[str, Any]]:
    """Offerings matching the filters that sell `term`, cheapest per GPU-hour for that term first.

    Prices the catalog flags as placeholder or suspect (price_quality) are left out unless asked
    for: sorted cheapest-first they would otherwise head every list.
    """
    frame = catalog.offerings_frame()
    mask = pd.Series(True, index=frame.index)
    if not include_unlisted:
        mask &= frame["price_quality"] == "listed"
    if gpu:
        mask &= frame["accelerator"] == catalog.resolve_accelerator(gpu)
    if provider:
        mask &= frame["provider"] == catalog.resolve_provider(provider)
    if region:
        mask &= frame["region"].str.lower() == region.lower()
    sort_col = PER_GPU_HOUR_COLUMNS[Term(term)]
    sub = frame[mask & frame[sort_col].notna()]
    sub = sub.sort_values(
        [sort_col, "provider", "region", "zone", "instance_type"], kind="stable", na_position="last"
    )
    out = []
    for r in sub.to_dict(orient="records"):
        out.append(
            {
                "provider": r["provider"],
                "region": r["region"],
                "zone": _none(r["zone"]),
                "instance_type": r["instance_type"],
                "accelerator": r["accelerator"],
                "gpus": int(r["gpus_per_instance"]),
                "price_per_gpu_hour_usd": _none(r["on_demand_per_gpu_hour_usd"]),
                "spot_per_gpu_hour_usd": _none(r["spot_per_gpu_hour_usd"]),
                "reserved_1y_per_gpu_hour_usd": _none(r["reserved_1y_per_gpu_hour_usd"]),
                "reserved_3y_per_gpu_hour_usd": _none(r["reserved_3y_per_gpu_hour_usd"]),
                "reserved_1y_basis": _none(r["reserved_1y_basis"]),
                "reserved_3y_basis": _none(r["reserved_3y_basis"]),
                "price_per_instance_hour_usd": _none(r[f"{term}_usd_per_hour"]),
                "price_scope": r["price_scope"],
                "price_quality": r["price_quality"],
                "cluster_interconnect": _none(r["cluster_interconnect"]),
                "source": r["source"],
                "as_of": r["as_of"],
            }
        )
    return out


def accelerator_rows(catalog: Catalog, gpu: str | None = None) -> list[dict[str, Any]]:
    accs = [catalog.accelerator(gpu)] if gpu else sorted(catalog.accelerators.values(), key=lambda a: a.id)
    rows = []
    for a in accs:
        rows.append(
            {
                "accelerator": a.id,
                "vendor": a.vendor,
                "memory_gib": a.memory_gib,
                "memory_bandwidth_gb_per_s": a.memory_bandwidth_gb_per_s,
                **{
                    f"{p.value}_tflops": a.peak_tflops.get(p)
                    for p in (Precision.BF16, Precision.FP8, Precision.FP32)
                },
                "tdp_watts": a.tdp_watts,
                "interconnect": a.interconnect,
                "aliases": ", ".join(a.aliases),
                "source": a.source,
                "as_of": a.as_of,
            }
        )
    return rows


def render_rows(
    rows: list[dict[str, Any]], fmt: str, limit: int = 40, sort_note: bool = True, term: str = "on_demand"
) -> str:
    if fmt == "json":
        return json_text(rows, sort_keys=False)
    if fmt == "csv":
        buf = io.StringIO()
        pd.DataFrame(rows).to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()
    if not rows:
        return "no offerings match (try without --region/--provider, or another --term)\n"
    shown = rows if limit <= 0 else rows[:limit]
    if "price_per_gpu_hour_usd" in shown[0]:
        table = [_offering_cells(r) for r in shown]
        headers = [
            "provider", "region", "zone", "instance", "accelerator", "GPUs", "on-demand $/GPU-h",
            "spot $/GPU-h", "1y $/GPU-h", "3y $/GPU-h", "as of",
        ]  # fmt: skip
    else:
        keys = [
            "accelerator",
            "vendor",
            "memory_gib",
            "memory_bandwidth_gb_per_s",
            "bf16_tflops",
            "fp8_tflops",
            "tdp_watts",
        ]
        table = [[r[k] if r[k] is not None else "" for k in keys] for r in shown]
        headers = [
            "accelerator",
            "vendor",
            "memory GiB",
            "bandwidth GB/s",
            "bf16 TFLOPS",
            "fp8 TFLOPS",
            "TDP W",
        ]
    text = tabulate(table, headers=headers, tablefmt="simple", disable_numparse=True)
    if sort_note:
        text += f"\n(sorted by {term.replace('_', '-')} USD per GPU-hour)"
    if len(shown) < len(rows):
        text += f"\n(showing {len(shown)} of {len(rows)}; --limit 0 shows all, --format json/csv lists all)"
    return text + "\n"


def _offering_cells(r: dict[str, Any]) -> list[Any]:
    prices = (
        "price_per_gpu_hour_usd",
        "spot_per_gpu_hour_usd",
        "reserved_1y_per_gpu_hour_usd",
        "reserved_3y_per_gpu_hour_usd",
    )
    head = [r["provider"], r["region"], r["zone"] or "", r["instance_type"], r["accelerator"], r["gpus"]]
    return [*head, *(_usd(r[k]) for k in prices), r["as_of"]]


def _usd(x: float | None) -> str:
    return "" if x is None else f"${x:,.2f}"
