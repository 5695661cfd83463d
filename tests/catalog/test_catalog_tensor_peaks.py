"""Dense tensor peaks that catalogs/build_default.py fills in (TENSOR_PEAKS) for the bundled catalog.

Each expected value is written as the figure printed in the cited document and the conversion the
catalog applies: NVIDIA's "with sparsity" figures / 2, and GeForce "Tensor-TFLOPS" headlines (FP16
accumulate, with sparsity) / 4 for the FP32-accumulate training rate. The sources are in the records'
`source` field and in catalogs/default/SOURCES.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.catalog.catalog import Catalog
from planner.catalog.load import bundled_catalog_dir, load_catalog
from planner.compute import no_training_peak, training_compute_precision
from planner.enums import Precision

BF16, FP16, TF32, FP8, INT8, FP32 = (
    Precision.BF16,
    Precision.FP16,
    Precision.TF32,
    Precision.FP8,
    Precision.INT8,
    Precision.FP32,
)

# (accelerator, precision, expected dense value, the figure in the cited document)
CITED_PEAKS = [
    # NVIDIA H100 specifications, H100 NVL column; tensor rows are "with sparsity".
    ("H100-NVL", FP32, 60, "FP32 60 TFLOPS"),
    ("H100-NVL", TF32, 835 / 2, "TF32 Tensor Core 835 (sparse)"),
    ("H100-NVL", BF16, 1671 / 2, "BFLOAT16 Tensor Core 1,671 (sparse)"),
    ("H100-NVL", FP16, 1671 / 2, "FP16 Tensor Core 1,671 (sparse)"),
    ("H100-NVL", FP8, 3341 / 2, "FP8 Tensor Core 3,341 (sparse)"),
    ("H100-NVL", INT8, 3341 / 2, "INT8 Tensor Core 3,341 TOPS (sparse)"),
    # GA102 whitepaper v2 Table 3, RTX A6000 (dense/sparse).
    ("RTX-A6000", BF16, 154.8, "Peak BF16 Tensor TFLOPS with FP32 Accumulate 154.8/309.6"),
    ("RTX-A6000", FP16, 154.8, "Peak FP16 Tensor TFLOPS with FP32 Accumulate 154.8/309.6"),
    ("RTX-A6000", INT8, 309.7, "Peak INT8 Tensor TOPS 309.7/619.4"),
    # RTX A-series datasheets: 'Tensor Performance' is the sparse FP16 rate.
    ("RTX-A5000", BF16, 222.2 / 2, "Tensor Performance 222.2 TFLOPS"),
    ("RTX-A4000", BF16, 153.4 / 2, "Tensor performance 153.4 TFLOPS"),
    # RTX PRO Blackwell whitepaper Table 4, RTX 6000 Ada column (dense).
    ("RTX-6000-ADA", BF16, 364.2, "Peak BF16 Tensor TFLOPS with FP32 Accumulate 364.2 dense"),
    # Turing whitepaper figures for the Quadro RTX 6000 (no sparsity on Turing).
    ("QUADRO-RTX-6000", FP16, 130.5, "Peak FP16 Tensor TFLOPS with FP32 Accumulate 130.5"),
    ("QUADRO-RTX-6000", INT8, 261, "Peak INT8 Tensor TOPS 261"),
    # RTX PRO Blackwell whitepaper, Workstation Edition (dense/sparse).
    ("RTX-PRO-6000", BF16, 503.8, "Peak BF16 Tensor TFLOPS with FP32 Accumulate 503.8/1007.6"),
    # RTX Blackwell whitepaper Table 3, RTX 5090 (dense/sparse).
    ("RTX-5090", BF16, 209.5, "Peak BF16 Tensor TFLOPS with FP32 Accumulate 209.5/419"),
    ("RTX-5090", FP8, 419, "FP8 with FP32 accumulate 419/838"),
    # GeForce 'Tensor-TFLOPS' headlines (FP16 accumulate, with sparsity) / 4.
    ("RTX-3060", BF16, 101 / 4, "101 tensor-TFLOPs (CES 2021 announcement)"),
    ("RTX-3060-TI", BF16, 129.6 / 4, "129.6 Tensor-TFLOPS with sparsity (product page)"),
]
FILLED = sorted({acc for acc, *_ in CITED_PEAKS})
# Source documents each filled record must name (the tensor-peak part of `source`).
SOURCE_KEYS = {
    "H100-NVL": "nvidia.com/en-us/data-center/h100",
    "RTX-A6000": "nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf",
    "RTX-A5000": "nvidia-rtx-a5000-datasheet.pdf",
    "RTX-A4000": "Tensor performance 153.4 TFLOPS",
    "RTX-6000-ADA": "NVIDIA-RTX-Blackwell-PRO-GPU-Architecture-v1.0.pdf",
    "QUADRO-RTX-6000": "NVIDIA-Turing-Architecture-Whitepaper.pdf",
    "RTX-PRO-6000": "NVIDIA-RTX-Blackwell-PRO-GPU-Architecture-v1.0.pdf",
    "RTX-5090": "nvidia-rtx-blackwell-gpu-architecture.pdf",
    "RTX-3060": "101 tensor-TFLOPs",
    "RTX-3060-TI": "rtx-3060-3060ti",
}
# Tensor-core NVIDIA GPUs (2020+) deliberately left without a bf16 peak; see TENSOR_PEAK_GAPS.
DOCUMENTED_GAPS = {"A10G"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize(("acc", "precision", "expected", "cited"), CITED_PEAKS)
def test_filled_peak_equals_cited_figure(
    catalog: Catalog, acc: str, precision: Precision, expected: float, cited: str
):
    assert catalog.accelerator(acc).peak_tflops[precision] == pytest.approx(expected, abs=1e-9), cited


def test_every_recent_nvidia_tensor_core_gpu_has_a_bf16_peak(catalog: Catalog):
    # Every NVIDIA GPU released 2020 or later (Ampere and newer) has tensor cores with BF16.
    recent = [
        a
        for a in catalog.accelerators.values()
        if a.vendor == "NVIDIA" and a.kind == "gpu" and (a.release_year or 0) >= 2020
    ]
    assert len(recent) >= 30  # the check covers the NVIDIA line-up, not an empty list
    missing = {a.id for a in recent if BF16 not in a.peak_tflops}
    assert missing == DOCUMENTED_GAPS


def test_a10g_gap_is_explained_and_excluded_from_training(catalog: Catalog):
    a10g = catalog.accelerator("A10G")
    assert set(a10g.peak_tflops) == {FP32}
    assert "A10 figures" in (a10g.notes or "") and "not copied" in (a10g.notes or "")
    assert training_compute_precision(a10g, BF16) is None
    assert "A10G has no known dense tensor peak for bf16/fp16" in no_training_peak(a10g, BF16)


@pytest.mark.parametrize("acc", FILLED)
def test_filled_records_cite_their_source_and_drop_stale_notes(catalog: Catalog, acc: str):
    a = catalog.accelerator(acc)
    assert "tensor peaks (as of " in a.source and SOURCE_KEYS[acc] in a.source
    notes = a.notes or ""
    assert "Tensor peaks:" in notes
    for stale in ("Tensor throughput not found", "compute columns left empty", "Tensor values not in row"):
        assert stale not in notes
    assert training_compute_precision(a, BF16) in (BF16, FP16)  # now eligible for training


@pytest.mark.parametrize("acc", [a for a in FILLED if a != "QUADRO-RTX-6000"])
def test_bf16_and_fp16_are_the_same_fp32_accumulate_rate(catalog: Catalog, acc: str):
    peaks = catalog.accelerator(acc).peak_tflops
    assert peaks[BF16] == peaks[FP16]


def test_turing_quadro_has_fp16_but_no_bf16_or_tf32(catalog: Catalog):
    peaks = catalog.accelerator("QUADRO-RTX-6000").peak_tflops
    assert FP16 in peaks and BF16 not in peaks and TF32 not in peaks
    assert training_compute_precision(catalog.accelerator("QUADRO-RTX-6000"), BF16) == FP16


def test_precision_ratios_of_the_documents_hold(catalog: Catalog):
    nvl = catalog.accelerator("H100-NVL").peak_tflops  # Hopper: TF32 = BF16/2, FP8 = INT8 = 2 x BF16
    assert nvl[TF32] == pytest.approx(nvl[BF16] / 2, rel=1e-3)
    assert nvl[FP8] == pytest.approx(2 * nvl[BF16], rel=1e-3) and nvl[INT8] == nvl[FP8]
    a6000 = catalog.accelerator("RTX-A6000").peak_tflops  # Ampere: INT8 = 2 x FP16
    assert a6000[INT8] == pytest.approx(2 * a6000[BF16], rel=1e-3)
    ada = catalog.accelerator("RTX-6000-ADA").peak_tflops  # Epoch's FP8 729 (1,457/2 rounded) = 2 x BF16
    assert ada[FP8] == pytest.approx(2 * ada[BF16], rel=1e-3)
    # GeForce FP32-accumulate rates sit below the professional boards of the same generation.
    assert (
        catalog.accelerator("RTX-3060").peak_tflops[BF16] < catalog.accelerator("RTX-A4000").peak_tflops[BF16]
    )


def test_sources_md_lists_every_fill_and_the_gap():
    text = Path(bundled_catalog_dir(), "SOURCES.md").read_text(encoding="utf-8")
    for acc in FILLED:  # a row of the TENSOR_PEAKS table: id | peaks | as of | ...
        assert re.search(rf"\n\| {acc} \| (fp32|fp16|bf16) [0-9.]+[^|]*\| \d{{4}}-\d{{2}} \|", text), acc
    assert "\n| A10G | No AWS or NVIDIA document with A10G tensor peaks" in text
    assert "Empty values stay empty (A10G, RTX A-series" not in text  # the old gap statement is gone
