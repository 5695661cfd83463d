#!/usr/bin/env python3
"""Rebuild catalogs/default/ from the shared data folder (deterministic: same input, same bytes).

    python catalogs/build_default.py --shared ../shared/data          # write catalogs/default
    python catalogs/build_default.py --shared ../shared/data --check  # exit 1 if files would change

Inputs (all under --shared): gpus/gpu_specs.csv, gpus/accelerator_name_map.csv,
offerings/skypilot_gpu_vms.csv, offerings/commitment_discounts.csv,
prices/cloud_gpu_prices_history.csv. Outputs: accelerators.yaml, providers.yaml, offerings.csv and
SOURCES.md in --out, plus tests/fixtures/catalogs/default_source_regions.csv (the provider/region
list of the source, which the test suite checks the catalog against).

Every rule that changes or adds a number is a table in this file with its source, and is
repeated in the generated SOURCES.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from planner.catalog.aliases import NameIndex, name_key  # noqa: E402
from planner.catalog.load import OFFERING_COLUMNS, load_catalog  # noqa: E402
from planner.catalog.skypilot import (  # noqa: E402
    INTERCONNECT_RULES,
    OVERRIDES,
    UNSPECIFIED_REGION,
    convert_frame,
)

SPEC_AS_OF = "2025-12"  # Epoch ML Hardware copy: rows last modified 2025-07..2025-12 (shared/data README)
REL_TOL = 0.005  # a quote is current if its on-demand price is within 0.5% of the catalog's

# ---------------------------------------------------------------------------------------------
# Accelerators
# ---------------------------------------------------------------------------------------------

# gpu_specs.csv model -> canonical id (the ids other code uses; fixed).
SPEC_IDS: dict[str, str] = {
    "H100-SXM5-80GB": "H100-SXM",
    "H100-PCIe-80GB": "H100-PCIE",
    "H100-NVL-94GB": "H100-NVL",
    "H200-SXM-141GB": "H200",
    "B200": "B200",
    "B300": "B300",
    "GB200 (per GPU)": "GB200",
    "GH200-96GB": "GH200",
    "A100-SXM4-40GB": "A100-40GB",
    "A100-SXM4-80GB": "A100-80GB",
    "A100-PCIe-40GB": "A100-40GB-PCIE",
    "A100-PCIe-80GB": "A100-80GB-PCIE",
    "A800-PCIe-80GB": "A800",
    "L40S": "L40S",
    "L40": "L40",
    "L4": "L4",
    "A10G": "A10G",
    "A10": "A10",
    "A40": "A40",
    "RTX-A6000": "RTX-A6000",
    "RTX-A5000": "RTX-A5000",
    "RTX-A4000": "RTX-A4000",
    "RTX-6000-Ada": "RTX-6000-ADA",
    "Quadro-RTX-6000": "QUADRO-RTX-6000",
    "RTX-4090": "RTX-4090",
    "RTX-3090": "RTX-3090",
    "V100-SXM2-16GB": "V100",
    "V100-SXM2-32GB": "V100-32GB",
    "V100-PCIe-32GB": "V100-32GB-PCIE",
    "T4": "T4",
    "P100-PCIe-16GB": "P100",
    "P4": "P4",
    "MI300X": "MI300X",
    "MI325X": "MI325X",
    "MI355X": "MI355X",
    "MI250X": "MI250X",
    "TPU-v2": "TPU-V2",
    "TPU-v3": "TPU-V3",
    "TPU-v4": "TPU-V4",
    "TPU-v5e": "TPU-V5E",
    "TPU-v5p": "TPU-V5P",
    "TPU-v6e": "TPU-V6E",
    "Gaudi-2": "GAUDI2",
    "Gaudi-3": "GAUDI3",
    "Trainium1": "TRAINIUM1",
    "Trainium2": "TRAINIUM2",
}
SKIPPED_SPECS = {"RTX-3080-Ti": "no spec values confirmed in the source (row empty)"}

# Aliases beyond the SkyPilot names of accelerator_name_map.csv (matching ignores case and -_ .).
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "H100-SXM": ("H100-SXM5", "H100-80GB", "H100-SXM5-80GB", "H100 SXM"),
    "H100-PCIE": ("H100-PCIe-80GB",),
    "H100-NVL": ("H100-NVL-94GB",),
    "H200": ("H200-SXM-141GB", "H200-141GB"),
    "GB200": ("GB200-NVL72",),
    "GH200": ("GH200-96GB", "Grace-Hopper"),
    "A100-40GB": ("A100-SXM4-40GB", "A100-40G", "A100-SXM4"),
    "A100-80GB": ("A100-SXM4-80GB", "A100-80G", "A100-80G-SXM4"),
    "A100-40GB-PCIE": ("A100-PCIe-40GB", "A100-PCIE"),
    "A100-80GB-PCIE": ("A100-PCIe-80GB",),
    "A800": ("A800-PCIe-80GB", "A800-80GB"),
    "RTX-6000-ADA": ("RTX-6000-Ada-Generation", "RTX6000-Ada-Generation"),
    "QUADRO-RTX-6000": ("Quadro-RTX-6000",),
    "RTX-4090": ("GeForce-RTX-4090",),
    "RTX-3090": ("GeForce-RTX-3090",),
    "V100": ("V100-16GB", "V100-SXM2-16GB", "Tesla-V100"),
    "V100-32GB": ("V100-SXM2-32GB",),
    "V100-32GB-PCIE": ("V100-PCIe-32GB",),
    "P100": ("P100-16GB", "Tesla-P100"),
    "T4": ("Tesla-T4",),
    "TPU-V2": ("tpu-v2", "TPUv2"),
    "TPU-V3": ("tpu-v3", "TPUv3"),
    "TPU-V4": ("tpu-v4", "TPUv4"),
    "TPU-V5E": ("tpu-v5e", "tpu-v5litepod", "v5litepod", "TPUv5e"),
    "TPU-V5P": ("tpu-v5p", "TPUv5p"),
    "TPU-V6E": ("tpu-v6e", "TPUv6e", "Trillium"),
    "GAUDI2": ("Gaudi-2", "HL-225"),
    "GAUDI3": ("Gaudi-3",),
    "TRAINIUM1": ("Trainium", "trn1"),
    "TRAINIUM2": ("trn2",),
    "MI300X": ("Instinct-MI300X",),
    "MI325X": ("Instinct-MI325X",),
    "MI355X": ("Instinct-MI355X",),
    "MI250X": ("Instinct-MI250X",),
}

# Values missing in gpu_specs.csv, filled from the cited source (field -> value), with a note.
SPEC_PATCHES: dict[str, tuple[dict[str, Any], str, str]] = {
    "TRAINIUM1": (
        {"memory_gib": 32, "memory_bandwidth_gb_per_s": 820},
        "AWS Neuron documentation 'Trainium Architecture' "
        "(awsdocs-neuron.readthedocs-hosted.com/en/latest/general/arch/neuron-hardware/trainium.html): "
        "'32 GiB of device memory ... with 820 GiB/sec of bandwidth'",
        "memory and bandwidth from the AWS Neuron docs (older doc versions say '32GB ... 820 GB/sec'; "
        "the unit of the bandwidth differs between versions, 820 is kept as GB/s). INT8 left empty: "
        "the docs give 380 (current) and 420 TOPS (v2.9.1).",
    ),
    "RTX-6000-ADA": (
        {"memory_gib": 48, "memory_bandwidth_gb_per_s": 960, "tdp_watts": 300},
        "NVIDIA RTX 6000 Ada specification table as reproduced on grafikkarten.com "
        "('nvidia-rtx-6000-grafikkarte-der-ada-generation': 48 GB, 384 bit, 960 GB/s, 300 W); "
        "huggingface.co/hardware/rtx-6000-ada (48 GB, 300 W)",
        "memory, bandwidth and TDP (not in the Epoch row) from the cited spec reproductions (48 GB GDDR6 ECC).",
    ),
}
# Sentences of a record's notes that its SPEC_PATCHES values make stale (removed, checked present).
SPEC_PATCH_STALE: dict[str, tuple[str, ...]] = {
    "RTX-6000-ADA": ("Memory/bandwidth/TDP not in the Epoch row (left empty).",),
}

# Accelerators not in gpu_specs.csv, added with cited sources (no values invented).
EXTRA_ACCELERATORS: tuple[dict[str, Any], ...] = (
    {
        "id": "RTX-PRO-6000",
        "aliases": [],  # filled from the name map (RTXPRO6000, RTX PRO 6000 96GB, ...)
        "vendor": "NVIDIA",
        "kind": "gpu",
        "memory_gib": 96,
        "memory_bandwidth_gb_per_s": 1792,
        "peak_tflops": {"fp32": 125},
        "tdp_watts": 600,
        "interconnect": "PCIe Gen5 x16; no NVLink",
        "form_factor": "PCIe (Workstation, Max-Q and Server Editions)",
        "release_year": 2025,
        "source": (
            "NVIDIA GTC 2025 RTX PRO 6000 Blackwell announcement as reported by VideoCardz "
            "(summary at gpu.name/posts/nvidia-unveils-rtx-pro-6000-blackwell-gpu-with-24-064-cores-and-96gb-memory: "
            "96 GB GDDR7, 512-bit, 1,792 GB/s, 600 W) and topcpu.net (FP32 'up to 125 TFLOPS', 28 Gbps GDDR7)"
        ),
        "as_of": "2025-03",
        "notes": (
            "Blackwell GB202 with 96 GB GDDR7 (nominal; GDDR capacities are binary). Tensor-core dense peaks "
            "are not published in the sources found (NVIDIA quotes 4,000 'AI TOPS' at FP4 with sparsity), so "
            "peak_tflops has FP32 only. The Server Edition used by clouds may run a different power limit and "
            "clock; which edition a provider runs is not stated."
        ),
    },
)

EXTRA_ACCELERATORS += (
    {
        "id": "RTX-5090",
        "aliases": [],
        "vendor": "NVIDIA",
        "kind": "gpu",
        "memory_gib": 32,
        "memory_bandwidth_gb_per_s": 1792,
        "peak_tflops": {"fp32": 104},
        "tdp_watts": 575,
        "interconnect": "PCIe Gen5 x16; no NVLink",
        "form_factor": "PCIe consumer card",
        "release_year": 2025,
        "source": (
            "Linux Format May 2025 'Nvidia GeForce RTX 5090' review spec box (pocketmags.com/linux-format-magazine/"
            "may-2025/articles/nvidia-geforce-rtx-5090: 32GB, 28Gb/s, 512 bits, 1,792GB/s, 104 TFLOPS FP32, TBP 575 W)"
        ),
        "as_of": "2025-05",
        "notes": (
            "GeForce consumer card (GB202, 32 GB GDDR7, nominal). Tensor peaks: the review lists 838 FP16 and "
            "3,352 FP8/FP4 TFLOPS without stating dense/sparse or accumulate precision, so they are left empty."
        ),
    },
    {
        "id": "A16",
        "aliases": [],
        "vendor": "NVIDIA",
        "kind": "gpu",
        "memory_gib": 16,
        "memory_bandwidth_gb_per_s": 231.9,
        "peak_tflops": {"fp32": 4.34, "tf32": 8.68, "bf16": 17.36, "fp16": 17.36, "int8": 34.71},
        "interconnect": "PCIe Gen4 x16 (four GPUs on one board); no NVLink",
        "form_factor": "PCIe board with 4 GPUs (values per GPU)",
        "release_year": 2021,
        "source": (
            "hmc-tech.com 'NVIDIA A16 vs NVIDIA A40' (board: 4x 1280 shaders, 64GB (4x 16GB) GDDR6, FP32 17.36, "
            "TF32 34.71, BF16/FP16 69.43, INT8 138.86 TOPS dense tensor, 250 W); sysrqmts.com 'NVIDIA A16 PCIe vs "
            "RTX A6000' (per GPU: 16 GB, 128 bit, 14.5 Gbps, 231.9 GB/s)"
        ),
        "as_of": "2021-04",
        "notes": (
            "One A16 board carries 4 independent GPUs; SkyPilot counts GPUs, so values here are per GPU: memory "
            "16 GB each, board peaks divided by 4. Board power 250 W (not split per GPU: tdp_watts empty). "
            "NVIDIA's product brief (PB-10518-001) was not retrieved; bandwidth is the TechPowerUp-derived figure."
        ),
    },
    {
        "id": "RTX-3060",
        "aliases": [],
        "vendor": "NVIDIA",
        "kind": "gpu",
        "memory_gib": 12,
        "memory_bandwidth_gb_per_s": 360,
        "peak_tflops": {},
        "tdp_watts": 170,
        "interconnect": "PCIe Gen4 x16",
        "form_factor": "PCIe consumer card",
        "release_year": 2021,
        "source": (
            "cpu-gpu.alldbin.com 'GeForce RTX 3090 Ti and GeForce RTX 3060 12 GB GA104' comparison "
            "(12 GB GDDR6, 192 bit, 360.0 GB/s, 170 W)"
        ),
        "as_of": "2021-09",
        "notes": "GeForce RTX 3060 12 GB. Compute peaks not in the source found (left empty).",
    },
    {
        "id": "RTX-3060-TI",
        "aliases": [],
        "vendor": "NVIDIA",
        "kind": "gpu",
        "memory_gib": 8,
        "memory_bandwidth_gb_per_s": 448,
        "peak_tflops": {"fp32": 16.197},
        "interconnect": "PCIe Gen4 x16",
        "form_factor": "PCIe consumer card",
        "release_year": 2020,
        "source": (
            "scan.co.uk TekSpek 'NVIDIA GeForce RTX 3060Ti' specification table (8GB, 256-bit, 14Gbps, "
            "448 GB/s, 16,197 GFLOPS)"
        ),
        "as_of": "2020-12",
        "notes": "GeForce RTX 3060 Ti (GA104). TDP not in the source (a launch leak said about 180 W): left empty.",
    },
)
# SkyPilot names without a gpu_specs.csv row that map to an accelerator added above.
EXTRA_NAME_ALIASES: dict[str, str] = {
    "RTX5090": "RTX-5090",
    "RTX5090_PCIE": "RTX-5090",
    "RTX5090_PCIE_BAREMETAL": "RTX-5090",
    "A16": "A16",
    "A16_PCIE": "A16",
    "RTX3060": "RTX-3060",
}

NO_BF16 = frozenset({"V100", "V100-32GB", "V100-32GB-PCIE", "T4", "P100", "P4", "QUADRO-RTX-6000"})
ORDER = [
    "H100-SXM",
    "H100-PCIE",
    "H100-NVL",
    "H200",
    "B200",
    "B300",
    "GB200",
    "GH200",
    "A100-40GB",
    "A100-80GB",
    "A100-40GB-PCIE",
    "A100-80GB-PCIE",
    "A800",
    "L40S",
    "L40",
    "L4",
    "A10G",
    "A10",
    "A40",
    "RTX-A6000",
    "RTX-A5000",
    "RTX-A4000",
    "RTX-6000-ADA",
    "QUADRO-RTX-6000",
    "RTX-4090",
    "RTX-3090",
    "V100",
    "V100-32GB",
    "V100-32GB-PCIE",
    "T4",
    "P100",
    "P4",
    "MI300X",
    "MI325X",
    "MI355X",
    "MI250X",
    "TPU-V2",
    "TPU-V3",
    "TPU-V4",
    "TPU-V5E",
    "TPU-V5P",
    "TPU-V6E",
    "GAUDI2",
    "GAUDI3",
    "TRAINIUM1",
    "TRAINIUM2",
    "RTX-PRO-6000",
    "RTX-5090",
    "A16",
    "RTX-3060",
    "RTX-3060-TI",
]
MEMORY_NOTE = "memory_gib is the vendor's nominal capacity (sold as 'GB'; HBM/GDDR capacities are binary)."


# ---------------------------------------------------------------------------------------------
# Dense tensor peaks missing from gpu_specs.csv and the hand-added records, filled from vendor documents
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TensorPeaks:
    """Dense peaks (TFLOPS; TOPS for int8) added to a record, with their source and what they replace."""

    peaks: dict[str, float]
    source: str
    as_of: str  # date of the cited document or, for figures fixed at launch, the launch month
    note: str
    stale_notes: tuple[str, ...] = ()  # sentences of the record's notes that the new values contradict


PEAK_ORDER = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
GA102_WP = (
    "NVIDIA Ampere GA102 GPU Architecture whitepaper v2 "
    "(nvidia.com/content/PDF/nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf)"
)
# How the RTX A5000/A4000 datasheet 'Tensor Performance' line is read (both notes quote it).
A_SERIES_RULE = (
    "The RTX A-series datasheets' single 'Tensor Performance' figure is the FP16 tensor rate with 2:4 "
    "sparsity: the GA102 whitepaper gives the RTX A6000 154.8 dense / 309.6 sparse (336 tensor cores at "
    "1,800 MHz, i.e. 512 sparse FLOP per tensor core and clock), and that per-core rate reproduces the "
    "datasheet figure exactly (tensor cores x boost clock x 512), so dense = datasheet / 2. Professional "
    "GA10x boards run FP32 accumulate at the full rate (whitepaper: RTX A6000 154.8 with FP16 and with "
    "FP32 accumulate), so the value is filed under bf16 and fp16."
)
# NVIDIA's GeForce 'Tensor-TFLOPS' headline is FP16 with FP16 accumulate and sparsity: the GA102 whitepaper
# Appendix A gives the RTX 3090 142/284 (dense/sparse) with FP16 accumulate and 71/142 with FP32 accumulate.
GEFORCE_AMPERE_RULE = (
    "NVIDIA's GeForce 'Tensor-TFLOPS' headline is the FP16 rate with FP16 accumulate and 2:4 sparsity "
    "(GA102 whitepaper Appendix A, RTX 3090: 142/284 dense/sparse with FP16 accumulate, 71/142 with FP32 "
    "accumulate). bf16/fp16 are given at the FP32-accumulate rate used for training (headline / 4), as for "
    "the RTX 3090 and 4090 rows; the FP16-accumulate dense rate is headline / 2."
)

TENSOR_PEAKS: dict[str, TensorPeaks] = {
    "H100-NVL": TensorPeaks(
        {"fp32": 60, "tf32": 417.5, "bf16": 835.5, "fp16": 835.5, "fp8": 1670.5, "int8": 1670.5},
        "NVIDIA H100 Tensor Core GPU specifications (nvidia.com/en-us/data-center/h100, specifications table, "
        "H100 NVL column: FP32 60 TFLOPS, TF32 Tensor Core 835, BFLOAT16 and FP16 Tensor Core 1,671, FP8 "
        "Tensor Core 3,341 TFLOPS, INT8 Tensor Core 3,341 TOPS; tensor rows footnoted 'With sparsity'), as "
        "reproduced in O'Reilly 'Hands-On LLM Serving and Optimization' Table 5-1 and cited from the PNY "
        "H100 NVL datasheet (pny.com .../h100-nvl-datasheet.pdf)",
        "2024-03",
        "the datasheet's 'with sparsity' figures / 2 (TF32 835/2, BF16/FP16 1,671/2, FP8 and INT8 "
        "3,341/2); Epoch's 835.5 in its FP16 column is the same dense BF16/FP16 figure. as_of: month of "
        "NVIDIA's H100 NVL product brief PB-11773-001_v01 (the per-GPU NVL column of the datasheet).",
        (
            "Epoch puts 835.5 TFLOPS in its FP16 (non-tensor) column; precision/sparsity basis unclear, so "
            "compute columns left empty.",
        ),
    ),
    "RTX-A6000": TensorPeaks(
        {"bf16": 154.8, "fp16": 154.8, "int8": 309.7},
        f"{GA102_WP} Table 3 (RTX A6000): 'Peak FP16 Tensor TFLOPS with FP32 Accumulate 154.8/309.6', "
        "'Peak BF16 Tensor TFLOPS with FP32 Accumulate 154.8/309.6', 'Peak INT8 Tensor TOPS 309.7/619.4' "
        "(dense/sparse), as extracted with pdftotext in public notes",
        "2020-10",
        "bf16/fp16/int8 are the whitepaper's dense (first) figures; FP16 with FP16 accumulate is the same "
        "154.8 on this professional board. TF32 not confirmed in the extracts read (left empty). as_of: "
        "RTX A6000 launch (the whitepaper v2 adds it).",
        ("Tensor throughput not found in sources searched (left empty).",),
    ),
    "RTX-A5000": TensorPeaks(
        {"bf16": 111.1, "fp16": 111.1},
        "NVIDIA RTX A5000 datasheet (nvidia.com/content/dam/en-zz/Solutions/products/workstations/"
        f"nvidia-rtx-a5000-datasheet.pdf): 'Tensor Performance 222.2 TFLOPS'; reading of that figure: {GA102_WP} "
        "Table 3",
        "2021-04",
        f"Dense = 222.2 / 2 (256 tensor cores x 1,695 MHz x 512 = 222.2 sparse). {A_SERIES_RULE} TF32 and INT8 "
        "are not in the datasheet (left empty). as_of: RTX A5000 launch.",
        ("Tensor throughput not found in sources searched (left empty).",),
    ),
    "RTX-A4000": TensorPeaks(
        {"bf16": 76.7, "fp16": 76.7},
        "NVIDIA RTX A4000 datasheet text as reproduced on ecer.com (the gpu_specs.csv row's source): 'Tensor "
        f"performance 153.4 TFLOPS'; reading of that figure: {GA102_WP} Table 3",
        "2021-04",
        f"Dense = 153.4 / 2 (192 tensor cores x 1,560 MHz x 512 = 153.4 sparse). {A_SERIES_RULE} TF32 and INT8 "
        "are not in the datasheet (left empty). as_of: RTX A4000 launch.",
        (
            "Datasheet 'Tensor performance 153.4 TFLOPS' footnote (precision/sparsity) not retrieved, so not "
            "used.",
        ),
    ),
    "RTX-6000-ADA": TensorPeaks(
        {"bf16": 364.2, "fp16": 364.2},
        "NVIDIA RTX PRO Blackwell GPU Architecture whitepaper v1.0 (nvidia.com/content/dam/en-zz/Solutions/"
        "design-visualization/quadro-product-literature/NVIDIA-RTX-Blackwell-PRO-GPU-Architecture-v1.0.pdf) "
        "Table 4, RTX 6000 Ada column: Peak BF16 Tensor TFLOPS with FP32 Accumulate 364 dense / 728 sparse, "
        "quoted as 364.2 dense from NVIDIA's Ada professional-GPU tables in other public notes",
        "2022-12",
        "bf16/fp16 at FP32 accumulate (full rate on this professional board); 364.2 = 568 tensor cores x "
        "2,505 MHz x 256 dense FLOP per clock, and half the FP8 dense 728.5 (datasheet 1,457 with sparsity / "
        "2; Epoch's 729 above). TF32/INT8 not confirmed (left empty). as_of: RTX 6000 Ada launch.",
    ),
    "QUADRO-RTX-6000": TensorPeaks(
        {"fp16": 130.5, "int8": 261},
        "NVIDIA Turing GPU Architecture whitepaper (images.nvidia.com/aem-dam/en-zz/Solutions/design-"
        "visualization/technologies/turing-architecture/NVIDIA-Turing-Architecture-Whitepaper.pdf), Quadro RTX "
        "6000 (TU102) figures: Peak FP16 Tensor TFLOPS with FP32 Accumulate 130.5, Peak INT8 Tensor TOPS 261, "
        "as summarised in J. Whanlon 'New chips for machine intelligence' (jameswhanlon.com/new-chips-for-"
        "machine-intelligence.html, Turing: 16.3 FP32, 130.5 FP16, 261 INT8, 522 INT4, 260 W, 672 GBps)",
        "2018-08",
        "Turing has no sparsity, so the figures are dense (576 tensor cores x 1,770 MHz x 128 = 130.5). Turing "
        "tensor cores support FP16 and INT8/INT4 but not BF16 or TF32: fp16 only. The whitepaper itself was "
        "not retrieved; the figures come from the cited summary. as_of: Quadro RTX 6000 launch.",
        ("Tensor values not in row.",),
    ),
    "RTX-PRO-6000": TensorPeaks(
        {"bf16": 503.8, "fp16": 503.8},
        "NVIDIA RTX PRO Blackwell GPU Architecture whitepaper v1.0/v1.1 (nvidia.com/content/dam/en-zz/"
        "Solutions/design-visualization/quadro-product-literature/NVIDIA-RTX-Blackwell-PRO-GPU-Architecture-"
        "v1.0.pdf), Workstation Edition table: 'Peak BF16 Tensor TFLOPS with FP32 Accumulate 503.8/1007.6' "
        "(dense/sparse), as quoted in public notes",
        "2025-03",
        "Workstation Edition (600 W) figure; 752 tensor cores x 2,617 MHz x 256 = 503.8. The Server Edition "
        "that clouds run has no published dense BF16 figure (its datasheet gives 120 FP32 TFLOPS against 125 "
        "and 1,597 GB/s; the product page's '1 PFLOP' FP16/BF16 is not qualified and is about the Workstation "
        "sparse 1,007.6), so its dense peak is likely about 4% lower. FP8/FP4 left empty.",
        (
            "Tensor-core dense peaks are not published in the sources found (NVIDIA quotes 4,000 'AI TOPS' at "
            "FP4 with sparsity), so peak_tflops has FP32 only.",
        ),
    ),
    "RTX-5090": TensorPeaks(
        {"bf16": 209.5, "fp16": 209.5, "fp8": 419},
        "NVIDIA RTX Blackwell GPU Architecture whitepaper v1.1 (images.nvidia.com/aem-dam/Solutions/geforce/"
        "blackwell/nvidia-rtx-blackwell-gpu-architecture.pdf) Table 3 (printed pp. 46-48), GeForce RTX 5090: "
        "'Peak BF16 Tensor TFLOPS with FP32 Accumulate 209.5/419', FP16 with FP16 accumulate 419/838, FP8 "
        "with FP32 accumulate 419/838, FP4 1,676/3,352 (dense/sparse), as quoted in public notes",
        "2025-01",
        "bf16/fp16/fp8 at FP32 accumulate (the GeForce training rate, as for the RTX 4090 row); with FP16 "
        "accumulate the dense FP16 rate is 419. The review's 838 FP16 and 3,352 FP4 are the sparse "
        "FP16-accumulate and FP4 figures. as_of: RTX 5090 launch.",
        (
            "Tensor peaks: the review lists 838 FP16 and 3,352 FP8/FP4 TFLOPS without stating dense/sparse or "
            "accumulate precision, so they are left empty.",
        ),
    ),
    "RTX-3060": TensorPeaks(
        {"bf16": 25.25, "fp16": 25.25},
        "NVIDIA GeForce RTX 3060 announcement (CES, 2021-01-12): '13 shader-TFLOPs, 25 RT-TFLOPs, 101 "
        "tensor-TFLOPs', as reported by gamermatters.com and gamingdigest.co ('NVIDIA brings RTX to the "
        f"mainstream with $329 RTX 3060'); conversion: {GA102_WP} Appendix A",
        "2021-01",
        f"bf16/fp16 = 101 / 4 = 25.25. {GEFORCE_AMPERE_RULE} 112 tensor cores x 1,777 MHz x 512 = 101.9, so "
        "NVIDIA's rounded 101 puts the value about 1% low. Not a datasheet figure: derived from NVIDIA's "
        "launch number.",
        ("Compute peaks not in the source found (left empty).",),
    ),
    "RTX-3060-TI": TensorPeaks(
        {"bf16": 32.4, "fp16": 32.4},
        "NVIDIA GeForce RTX 3060/3060 Ti product page (nvidia.com/en-us/geforce/graphics-cards/30-series/"
        "rtx-3060-3060ti/): 129.6 Tensor-TFLOPS with sparsity, as quoted in public notes; conversion: "
        f"{GA102_WP} Appendix A",
        "2020-12",
        f"bf16/fp16 = 129.6 / 4 = 32.4 (152 tensor cores x 1,665 MHz x 512 = 129.6). {GEFORCE_AMPERE_RULE} Not "
        "a datasheet figure: derived from NVIDIA's headline number.",
    ),
}
# Records that keep no bf16/fp16 tensor peak although the hardware has tensor cores, with the reason.
TENSOR_PEAK_GAPS: dict[str, str] = {
    "A10G": (
        "No AWS or NVIDIA document with A10G tensor peaks was found (searched for this build: AWS G5 pages "
        "and docs, NVIDIA pages, Baseten's A10 vs A10G comparison, whose spec table was not readable in the "
        "stored copy). NVIDIA's A10 figures "
        "(125 dense BF16/FP16, 250 INT8) are deliberately not copied: Baseten states the A10G differs from "
        "the A10 in tensor compute (the A10 'prioritizes tensor compute'), so they would overstate the A10G. "
        "The planner therefore excludes A10G from training until a sourced figure exists."
    ),
}


def apply_tensor_peaks(rec: dict[str, Any]) -> dict[str, Any]:
    """Merge TENSOR_PEAKS / TENSOR_PEAK_GAPS into a record: gaps only, never overwriting a sourced value."""
    patch = TENSOR_PEAKS.get(rec["id"])
    gap = TENSOR_PEAK_GAPS.get(rec["id"])
    if patch is None and gap is None:
        return rec
    rec = dict(rec)
    notes = str(rec.get("notes") or "")
    if patch is not None:
        clash = {k: (rec["peak_tflops"][k], v) for k, v in patch.peaks.items() if k in rec["peak_tflops"]}
        if clash:
            raise SystemExit(f"{rec['id']}: TENSOR_PEAKS would overwrite sourced peaks {clash}")
        if rec["id"] in NO_BF16 and "bf16" in patch.peaks:
            raise SystemExit(f"{rec['id']}: bf16 peak for an accelerator without BF16")
        merged = {**rec["peak_tflops"], **patch.peaks}
        rec["peak_tflops"] = {k: _num(merged[k]) for k in PEAK_ORDER if k in merged}
        for stale in patch.stale_notes:
            if stale not in notes:
                raise SystemExit(f"{rec['id']}: stale note not found (source data changed?): {stale!r}")
            notes = notes.replace(stale, "").replace("  ", " ").strip()
        rec["source"] = f"{rec['source']}; tensor peaks (as of {patch.as_of}): {patch.source}"
        notes = f"{notes} Tensor peaks: {patch.note}"
    if gap is not None:
        notes = f"{notes} Tensor peaks: {gap}"
    rec["notes"] = notes.strip()
    return rec


def _float(value: Any) -> float | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _num(value: float) -> float | int:
    """YAML-friendly number: 80.0 -> 80, 989.4 stays."""
    return int(value) if float(value).is_integer() else value


def build_accelerators(specs: pd.DataFrame, names: pd.DataFrame) -> list[dict[str, Any]]:
    """accelerators.yaml records from gpu_specs.csv, aliases from the SkyPilot name map."""
    aliases: dict[str, list[str]] = defaultdict(list)
    for row in names.itertuples(index=False):
        canonical = SPEC_IDS.get(row.spec_model) if isinstance(row.spec_model, str) else None
        if canonical is None and name_key(row.catalog_accelerator).startswith("rtxpro6000"):
            canonical = "RTX-PRO-6000"  # no row in gpu_specs.csv; spec added in EXTRA_ACCELERATORS
        canonical = canonical or EXTRA_NAME_ALIASES.get(row.catalog_accelerator)
        if canonical and not row.catalog_accelerator.lower().startswith("tpu-"):
            aliases[canonical].append(row.catalog_accelerator)
    out: dict[str, dict[str, Any]] = {}
    for row in specs.to_dict("records"):
        if row["model"] in SKIPPED_SPECS:
            continue
        canonical = SPEC_IDS[row["model"]]
        out[canonical] = _accelerator_record(canonical, row, aliases[canonical])
    for extra in EXTRA_ACCELERATORS:
        rec = dict(extra)
        rec["aliases"] = _dedupe_aliases(extra["id"], aliases[extra["id"]])
        out[extra["id"]] = rec
    missing = [a for a in ORDER if a not in out]
    if missing:
        raise SystemExit(f"accelerators without a spec row: {missing}")
    unknown = sorted((set(TENSOR_PEAKS) | set(TENSOR_PEAK_GAPS)) - set(out))
    if unknown:
        raise SystemExit(f"TENSOR_PEAKS / TENSOR_PEAK_GAPS name unknown accelerators: {unknown}")
    return [apply_tensor_peaks(out[a]) for a in ORDER]


def _accelerator_record(canonical: str, row: Mapping[str, Any], sky_names: list[str]) -> dict[str, Any]:
    vendor = str(row["vendor"])
    kind = "tpu" if canonical.startswith("TPU") else "asic" if vendor.startswith(("Intel", "AWS")) else "gpu"
    peaks: dict[str, float | int] = {}
    for key, column in (("fp32", "fp32_tflops"), ("tf32", "tf32_tflops_dense")):
        if (v := _float(row[column])) is not None:
            peaks[key] = _num(v)
    if (v := _float(row["bf16_fp16_tflops_dense"])) is not None:
        if canonical not in NO_BF16:
            peaks["bf16"] = _num(v)
        if kind != "tpu":  # TPUs compute in bf16; fp16 is not a native MXU type
            peaks["fp16"] = _num(v)
    for key, column in (("fp8", "fp8_tflops_dense"), ("int8", "int8_tops_dense")):
        if (v := _float(row[column])) is not None:
            peaks[key] = _num(v)
    rec: dict[str, Any] = {
        "id": canonical,
        "aliases": _dedupe_aliases(canonical, [*sky_names, *EXTRA_ALIASES.get(canonical, ())]),
        "vendor": vendor,
        "kind": kind,
        "memory_gib": _num(v) if (v := _float(row["memory_gb"])) is not None else None,
        "memory_bandwidth_gb_per_s": _num(v)
        if (v := _float(row["memory_bandwidth_gbs"])) is not None
        else None,
        "peak_tflops": peaks,
        "tdp_watts": _num(v) if (v := _float(row["tdp_watts"])) is not None else None,
        "interconnect": row["interconnect"] or None,
        "form_factor": row["form_factor"] or None,
        "release_year": int(row["release_year"]) if _float(row["release_year"]) is not None else None,
        "source": f"shared/data/gpus/gpu_specs.csv row '{row['model']}': {row['source']}",
        "as_of": SPEC_AS_OF,
        "notes": " ".join(x for x in (str(row["notes"] or ""), MEMORY_NOTE) if x),
    }
    if canonical in NO_BF16 and "fp16" in peaks:
        rec["notes"] += " No BF16 support: the bf16_fp16 value is filed under fp16 only."
    if canonical in SPEC_PATCHES:
        values, source, note = SPEC_PATCHES[canonical]
        rec.update(values)
        rec["source"] += f"; {source}"
        for stale in SPEC_PATCH_STALE.get(canonical, ()):
            if stale not in rec["notes"]:
                raise SystemExit(f"{canonical}: stale note not found (source data changed?): {stale!r}")
            rec["notes"] = rec["notes"].replace(stale, "").replace("  ", " ").strip()
        rec["notes"] += f" {note}"
    return {k: v for k, v in rec.items() if v is not None}


def _dedupe_aliases(canonical: str, names: Iterable[str]) -> list[str]:
    """Aliases unique by matching key, without the id itself, in first-seen order."""
    seen = {name_key(canonical)}
    out = []
    for n in names:
        if name_key(n) not in seen:
            seen.add(name_key(n))
            out.append(n)
    return out


# ---------------------------------------------------------------------------------------------
# Provenance dates of the SkyPilot commits (commit dates are not in the data; see SOURCES.md)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitDate:
    as_of: str
    basis: str


AS_OF_BY_COMMIT: dict[str, CommitDate] = {
    "2c3d7ea7d76bf84cf80d382e946c1609571485fd": CommitDate(
        "2026-01",
        "lower bound: the AWS file names the g7e accelerator 'RTXPRO6000', a rename made by "
        "skypilot-org/skypilot PR #8721 (opened 2026-01-28); the AWS p5.48xlarge price (55.04/h) "
        "also reflects AWS's June 2025 price cut",
    ),
    "098741e70562f65d7af1cceb81e33b284f742604": CommitDate(
        "2025-03",
        "Standard_NC40ads_H100_v5 eastus 6.98/h equals the Azure page price of 2025-03-17 "
        "(shared/data/prices/cloud_gpu_prices_history.csv)",
    ),
    "0727c2bd9e77f91cb1377127c5f793a28cf01384": CommitDate(
        "2025-03",
        "RunPod H100 2.39, H100-SXM 2.99, A100-80GB 1.64 and A100-80GB-SXM 1.89 per GPU-hour equal "
        "RunPod's page of 2025-03-03 (cloud_gpu_prices_history.csv)",
    ),
    "a5be53865774cac59df537ba1842e45ffc8be722": CommitDate(
        "2025-03",
        "OCI A100 3.05, A100-80GB 4.00 and H100 10.00 per GPU-hour equal Oracle's page of 2025-03-17 "
        "(cloud_gpu_prices_history.csv); Vast and IBM come from the same commit",
    ),
}
DEFAULT_COMMIT_DATE = CommitDate(
    "2025",
    "year only, an estimate: the commit date is not recorded and no price in the file could be matched "
    "to a dated source; SkyPilot's catalog folders v6-v9 were all still refreshed by its fetchers during "
    "2025 (e.g. the Hyperbolic v7 fetcher workflow, skypilot-org/skypilot-catalog PR #128, 2025-06)",
)

# ---------------------------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------------------------

AGGREGATOR_NOTE = (
    "kind from shared/data README: resells other clouds' capacity (rows flagged "
    "'marketplace/aggregator listing', some with the upstream named)"
)
UNSOURCED_KIND = "kind is this catalog's classification (no source)"
PROVIDERS: dict[str, tuple[str, str, str]] = {
    # id: (display name, kind, note on kind)
    "aws": ("Amazon Web Services", "hyperscaler", ""),
    "gcp": ("Google Cloud", "hyperscaler", ""),
    "azure": ("Microsoft Azure", "hyperscaler", ""),
    "oci": ("Oracle Cloud Infrastructure", "hyperscaler", ""),
    "ibm": ("IBM Cloud", "hyperscaler", "general-purpose public cloud; " + UNSOURCED_KIND),
    "lambda": ("Lambda", "neocloud", ""),
    "runpod": ("RunPod", "neocloud", ""),
    "cudo": ("CUDO Compute", "neocloud", UNSOURCED_KIND),
    "vast": ("Vast.ai", "marketplace", "hosts list their own machines; " + UNSOURCED_KIND),
    "nebius": ("Nebius", "neocloud", ""),
    "paperspace": ("Paperspace", "neocloud", UNSOURCED_KIND),
    "do": ("DigitalOcean", "neocloud", "general-purpose cloud; " + UNSOURCED_KIND),
    "scaleway": ("Scaleway", "neocloud", "general-purpose cloud; " + UNSOURCED_KIND),
    "ovhcloud": ("OVHcloud", "neocloud", "general-purpose cloud; " + UNSOURCED_KIND),
    "fluidstack": ("Fluidstack", "neocloud", UNSOURCED_KIND),
    "hyperstack": ("Hyperstack", "neocloud", ""),
    "verda": ("Verda", "neocloud", UNSOURCED_KIND),
    "jarvislabs": ("JarvisLabs", "neocloud", UNSOURCED_KIND),
    "lium": ("Lium", "neocloud", UNSOURCED_KIND),
    "mithril": ("Mithril", "neocloud", UNSOURCED_KIND),
    "primeintellect": ("Prime Intellect", "aggregator", AGGREGATOR_NOTE),
    "spheron": ("Spheron", "aggregator", AGGREGATOR_NOTE),
    "shadeform": ("Shadeform", "aggregator", AGGREGATOR_NOTE),
    "yotta": ("Yotta", "neocloud", UNSOURCED_KIND),
    "daytona": ("Daytona", "neocloud", UNSOURCED_KIND),
    "hyperbolic": ("Hyperbolic", "neocloud", UNSOURCED_KIND),
    "seeweb": ("Seeweb", "neocloud", UNSOURCED_KIND),
}

# Internet egress, first paid tier, USD per GB. Others: not sourced (null = unknown).
EGRESS: dict[str, tuple[float, str]] = {
    "aws": (
        0.09,
        "AWS EC2 data transfer out to the internet, first 10 TB/month after 100 GB free (us-east-1), "
        "per wring.co 'AWS data transfer pricing guide' (2026) summarising aws.amazon.com/ec2/pricing/on-demand",
    ),
    "gcp": (
        0.12,
        "Google Cloud Premium Tier internet egress 0-1 TB/month (North America), per dev.to 'GCP defaults "
        "every VM to premium network' summarising cloud.google.com/vpc/network-pricing",
    ),
    "azure": (
        0.087,
        "Azure internet egress via the Microsoft Global Network, United States, first 10 TB/month beyond the "
        "free 100 GB, per Microsoft Tech Community 'Azure routing preference' (2025-09-05)",
    ),
}

# ---------------------------------------------------------------------------------------------
# Cluster interconnect (multi-node RDMA fabrics); unknown -> empty
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# Reserved / committed-use prices
# ---------------------------------------------------------------------------------------------

TERMS = {12: "1y", 36: "3y"}

# commitment_discounts.csv instance_or_gpu -> SkyPilot instance type, where the names differ.
AZURE_NAMES = {
    "NC24ads A100 v4": "Standard_NC24ads_A100_v4",
    "ND96asr A100 v4": "Standard_ND96asr_v4",
    "ND96amsr A100 v4": "Standard_ND96amsr_A100_v4",
    "NC6s v3": "Standard_NC6s_v3",
    "ND40rs v2": "Standard_ND40rs_v2",
}
# Hyperstack page GPU labels -> SkyPilot instance types (per-GPU prices; contract term not stated).
HYPERSTACK_NAMES = {
    "A100": r"^n3-A100x\d+$",
    "A100 NVLink": r"^n3-A100x8-NVLink$",
    "H100": r"^n3-H100x\d+$",
    "H100 NVLink": r"^n3-H100x8-NVLink$",
    "H100 SXM": r"^n3-H100-SXM5x8$",
    "L40": r"^n3-L40x\d+$",
    "A6000": r"^n3-RTX-A6000x\d+$",
    "A4000": r"^n3-RTX-A4000x\d+$",
}
HYPERSTACK_TERM_NOTE = (
    "Hyperstack's reserved 'from' price; the contract term is not stated by the source and is filed "
    "under reserved_1y as an assumption"
)


@dataclass
class Quote:
    """A committed price for one instance family/size in one region (per unit, with its on-demand)."""

    provider: str
    matches: Callable[[Mapping[str, Any]], bool]
    family: str
    term: str  # '1y' / '3y'
    price: float  # per unit
    on_demand: float  # per unit, same source and date
    per_gpu: bool  # unit is a GPU/chip (multiply by gpus_per_instance) rather than the instance
    as_of: str
    source: str
    label: str  # what was quoted, e.g. 'a3-highgpu-8g us-central1'

    @property
    def discount(self) -> float:
        return 1.0 - self.price / self.on_demand


def _short_source(text: str) -> str:
    if "Cyclenerd" in text:
        return "Cyclenerd/google-cloud-pricing-cost-calculator@0166a59e pricing.yml (Google billing catalog)"
    if "epoch-research" in text:
        url = re.search(r"https://web\.archive\.org/\S+|https://\S+", text)
        return "epoch-research/training-cost-trends@f2dc68a9 'Hardware prices.csv'" + (
            f" ({url.group(0)})" if url else ""
        )
    if "nexgen-cloud" in text:
        return "hyperstack.cloud/gpu-pricing via api-evangelist/nexgen-cloud@0fa0509e"
    return text


def _date(text: str) -> str:
    m = re.search(r"\d{4}-\d{2}-\d{2}", str(text))
    if not m:
        raise ValueError(f"no date in {text!r}")
    return m.group(0)


def family_of(provider: str, rec: Mapping[str, Any]) -> tuple[str, str]:
    """(family, series) of an offering for discount lookup; series only for GCP ('' otherwise)."""
    it = str(rec["instance_type"])
    if provider == "gcp":
        if str(rec["accelerator"]).startswith("TPU"):
            return f"tpu:{rec['accelerator']}", "tpu"
        if rec["price_scope"] == "accelerator_only" and "GPU SKU" in it:
            return f"sku:{rec['accelerator']}", "sku"
        fam = it.rsplit("-", 1)[0]
        return fam, fam.split("-")[0]
    if provider == "aws":
        return it.split(".")[0], ""
    if provider == "azure":
        m = re.match(r"Standard_([A-Z]+)\d+[a-z]*(_.*)?$", it)
        return (m.group(1) + (m.group(2) or "") if m else it), ""
    return provider, ""


def load_quotes(commitments: pd.DataFrame, history: pd.DataFrame) -> list[Quote]:
    """Instance-level committed prices from the shared data (see SOURCES.md for what is excluded)."""
    quotes: list[Quote] = []
    for row in commitments.to_dict("records"):
        prov, what = row["provider"], str(row["instance_or_gpu"])
        price, od = _float(row["price_hour_usd"]), _float(row["on_demand_price_hour_usd"])
        if price is None or od is None:
            continue  # 'up to' bounds, capacity blocks without on-demand, oblivus without on-demand
        unit_gpu = row["price_unit"] in ("GPU", "chip")
        if prov == "hyperstack":
            label = what.removeprefix("NVIDIA ").removesuffix(" (per GPU)")
            if label not in HYPERSTACK_NAMES:
                continue  # no Hyperstack offering of that GPU in the SkyPilot data
            pattern = HYPERSTACK_NAMES[label]
            quotes.append(
                Quote(
                    "hyperstack",
                    lambda r, p=pattern: bool(re.search(p, r["instance_type"])),
                    "hyperstack",
                    "1y",
                    price,
                    od,
                    True,
                    _date(row["as_of_date"]),
                    _short_source(row["source"]),
                    f"{label} (per GPU)",
                )
            )
            continue
        term = TERMS.get(int(row["term_months"])) if _float(row["term_months"]) else None
        if term is None or row["discount_kind"] != "computed" or prov not in ("aws", "gcp", "azure"):
            continue
        matcher, label = _quote_matcher(prov, what, str(row["gpu"]), str(row["region"]))
        if matcher is None:
            continue
        quotes.append(
            Quote(
                prov,
                matcher,
                "",
                term,
                price,
                od,
                unit_gpu,
                _date(row["as_of_date"]),
                _short_source(row["source"]),
                label,
            )
        )
    quotes += _history_quotes(history)
    return quotes


def _regions_of(text: str) -> list[str]:
    """'europe-west4 (also asia-southeast1)' -> both ids; 'Belgium (europe-west1)' -> europe-west1;
    names without an id (Oregon, East US) are ambiguous and dropped; a zone gives its region."""
    ids = re.findall(r"\b[a-z]+-[a-z]+\d(?:-[a-z])?\b", text)
    return sorted({re.sub(r"-[a-z]$", "", i) for i in ids})


def _quote_matcher(
    prov: str, what: str, gpu: str, region_text: str
) -> tuple[Callable[[Mapping[str, Any]], bool] | None, str]:
    regions = set(_regions_of(region_text)) if prov == "gcp" else {region_text}
    if not regions:
        return None, ""  # e.g. GCP TPU v6e 'East US': no region id, ambiguous (us-east1/4/5)
    if prov == "gcp" and what.startswith("TPU "):
        gen = "TPU-" + what.split()[1].upper()
        return (
            lambda r: r["accelerator"] == gen and r["region"] in regions
        ), f"{what} {', '.join(sorted(regions))}"
    if prov == "gcp" and "GPU SKU only" in what:
        sku = {"A100-40GB": "A100", "V100-16GB": "V100"}[gpu]
        return (
            lambda r: (
                r["instance_type"].endswith(f"x {sku} (GPU SKU, host VM not priced)")
                and r["region"] in regions
            )
        ), f"{what} {', '.join(sorted(regions))}"
    if prov == "gcp":
        return (lambda r: r["instance_type"] == what and r["region"] in regions), f"{what} {region_text}"
    if prov == "aws":
        if what.startswith("p3 family"):
            return (
                lambda r: (
                    re.match(r"^p3\.\d+xlarge$", r["instance_type"]) is not None
                    and r["region"] == region_text
                )
            ), f"p3 family {region_text}"
        it = what.split()[0]
        return (lambda r: r["instance_type"] == it and r["region"] == region_text), f"{it} {region_text}"
    if prov == "azure" and what in AZURE_NAMES:
        it = AZURE_NAMES[what]
        return (lambda r: r["instance_type"] == it and r["region"] == region_text), f"{it} {region_text}"
    return None, ""


def _history_quotes(history: pd.DataFrame) -> list[Quote]:
    """Azure NC40ads H100 v5 (H100 NVL) East US, 2025-03-17: the only instance-level commitment
    quote in cloud_gpu_prices_history.csv not already in commitment_discounts.csv."""
    rows = history[history["instance_or_description"].fillna("").str.contains("NCads H100 v5")]
    quotes = []
    for row in rows.to_dict("records"):
        od = float(row["usd_per_gpu_hour_on_demand"])
        for term, column in (("1y", "usd_per_gpu_hour_1yr_commit"), ("3y", "usd_per_gpu_hour_3yr_commit")):
            quotes.append(
                Quote(
                    "azure",
                    lambda r: r["instance_type"] == "Standard_NC40ads_H100_v5" and r["region"] == "eastus",
                    "",
                    term,
                    float(row[column]),
                    od,
                    True,
                    str(row["date"]),
                    f"epoch-research/training-cost-trends 'Hardware prices.csv' ({row['original_source']})",
                    "Standard_NC40ads_H100_v5 eastus",
                )
            )
    return quotes


@dataclass
class ReservedStats:
    cells: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (provider, term, basis/rule)
    stale: list[str] = field(default_factory=list)


def apply_reserved(records: list[dict[str, Any]], quotes: list[Quote], stats: ReservedStats) -> None:
    """Set reserved_1y/3y prices: quoted where a current quote exists, else derived (rule in SOURCES.md)."""
    by_provider: dict[str, list[Quote]] = defaultdict(list)
    for q in quotes:
        by_provider[q.provider].append(q)
    # a quote's family is named after the offerings it matches
    for rec in records:
        for q in by_provider.get(rec["provider"], ()):
            if not q.family and q.matches(rec):
                q.family = family_of(rec["provider"], rec)[0]
    tables = _discount_tables(quotes)
    for rec in records:
        prov = rec["provider"]
        if prov not in by_provider or rec["on_demand_usd_per_hour"] is None:
            continue
        found: dict[str, Reserved] = {}
        for term in ("1y", "3y"):
            result = _reserved_for(rec, term, by_provider[prov], tables, stats)
            if result is not None:
                found[term] = result
                rec[f"reserved_{term}_usd_per_hour"] = result.price
                rec[f"reserved_{term}_basis"] = result.basis
        if found:
            rec["reserved_source"] = _describe(found)
            rec["reserved_as_of"] = min(r.as_of for r in found.values())


@dataclass(frozen=True)
class Reserved:
    price: float
    basis: str  # quoted / derived
    how: str  # rule and source, without the discount
    discount: float
    as_of: str


def _describe(found: Mapping[str, Reserved]) -> str:
    """reserved_source text: one phrase when both terms share rule and source."""
    terms = list(found)
    hows = {r.how for r in found.values()}
    if len(hows) == 1:
        head = f"{'+'.join(terms)} {next(iter(hows))}"
    else:
        head = "; ".join(f"{t} {r.how}" for t, r in found.items())
    derived = [f"{t} {r.discount:.1%}" for t, r in found.items() if r.basis == "derived"]
    return head + (f" (discount {', '.join(derived)})" if derived else "")


def _discount_tables(
    quotes: list[Quote],
) -> tuple[
    dict[tuple[str, str, str], Quote], dict[tuple[str, str, str], Quote], dict[tuple[str, str], float]
]:
    """Smallest discount per (provider, family, term) and per (provider, series, term); provider
    typical = median over its GPU instance families (TPU/GPU-SKU families excluded)."""
    fam: dict[tuple[str, str, str], Quote] = {}
    series: dict[tuple[str, str, str], Quote] = {}
    for q in quotes:
        if not q.family:
            continue
        key = (q.provider, q.family, q.term)
        if key not in fam or q.discount < fam[key].discount:
            fam[key] = q
        skey = (q.provider, _series_of(q), q.term)
        if not skey[1]:
            continue
        if skey not in series or q.discount < series[skey].discount:
            series[skey] = q
    typical: dict[tuple[str, str], float] = {}
    for prov in {q.provider for q in quotes}:
        for term in ("1y", "3y"):
            values = [
                q.discount
                for (p, f, t), q in fam.items()
                if p == prov and t == term and not f.startswith(("tpu:", "sku:"))
            ]
            if values:
                typical[(prov, term)] = statistics.median(values)
    return fam, series, typical


def _series_of(q: Quote) -> str:
    if q.provider != "gcp":
        return ""
    if q.family.startswith(("tpu:", "sku:")):
        return q.family.split(":")[0]
    return q.family.split("-")[0]


def _reserved_for(
    rec: dict[str, Any],
    term: str,
    quotes: Sequence[Quote],
    tables: tuple[
        Mapping[tuple[str, str, str], Quote],
        Mapping[tuple[str, str, str], Quote],
        Mapping[tuple[str, str], float],
    ],
    stats: ReservedStats,
) -> Reserved | None:
    fam_disc, series_disc, typical = tables
    prov, od = rec["provider"], float(rec["on_demand_usd_per_hour"])
    factor = rec["gpus_per_instance"]
    note = f"; {HYPERSTACK_TERM_NOTE}" if prov == "hyperstack" else ""
    exact = sorted(
        (q for q in quotes if q.term == term and q.matches(rec)), key=lambda q: q.as_of, reverse=True
    )
    if exact:
        q = exact[0]
        quoted_od = q.on_demand * (factor if q.per_gpu else 1)
        cite = f"{q.source}, {q.label}, {q.as_of}"
        if abs(od / quoted_od - 1.0) <= REL_TOL:
            stats.cells[(prov, term, "quoted")] += 1
            price = round(q.price * (factor if q.per_gpu else 1), 6)
            return Reserved(price, "quoted", f"quoted: {cite}{note}", q.discount, q.as_of)
        unit = "per GPU-hour" if q.per_gpu else "per hour"
        catalog_unit = od / factor if q.per_gpu else od
        stats.stale.append(
            f"{prov} {q.label} {term}: quote on-demand {q.on_demand:.4g} vs catalog {catalog_unit:.4g} {unit}"
        )
        stats.cells[(prov, term, "derived: stale quote, same instance")] += 1
        how = f"derived from a quote priced against on-demand {quoted_od:.4g}/h (catalog: {od:.4g}/h): {cite}{note}"
        return Reserved(_derive(od, q.discount), "derived", how, q.discount, q.as_of)
    family, series = family_of(prov, rec)
    for table, key, rule in (
        (fam_disc, (prov, family, term), f"same family {family}"),
        (series_disc, (prov, series, term), f"same series {series}"),
    ):
        if key in table:
            q = table[key]
            stats.cells[(prov, term, f"derived: {rule.rsplit(' ', 1)[0]}")] += 1
            how = f"derived ({rule}): {q.source}, {q.label}, {q.as_of}{note}"
            return Reserved(_derive(od, q.discount), "derived", how, q.discount, q.as_of)
    if (prov, term) in typical:
        d = typical[(prov, term)]
        stats.cells[(prov, term, "derived: provider typical")] += 1
        newest = max(q.as_of for q in quotes if q.term == term)
        how = f"derived ({prov} typical GPU-family discount: median over commitment_discounts.csv, see SOURCES.md)"
        return Reserved(_derive(od, d), "derived", how, d, newest)
    return None


def _derive(on_demand: float, discount: float) -> float:
    return round(on_demand * (1.0 - discount), 4)


# ---------------------------------------------------------------------------------------------
# Offerings
# ---------------------------------------------------------------------------------------------

A4_NOTE = (
    "a4 host VM price is 0.0 in the source, so this 'host + GPU' price covers the B200 GPU SKU only: "
    "filed as accelerator_only"
)
G4_NOTE = (
    "host VM price only: GCP v9 has no RTX PRO 6000 GPU SKU row to complete it (filed as host_only; "
    "kept so the g4 offer and its regions stay visible)"
)
RUNPOD_L40S_NOTE = (
    "RunPod listed L40S on-demand at 0.86/h on 2025-03-03 (cloud_gpu_prices_history.csv): the source's "
    "on-demand (0.43) and spot (0.86) columns look swapped; kept as in the source"
)
HYPERSCALER_SXM = frozenset({"aws", "gcp", "azure", "oci"})


def build_offerings(
    vms: pd.DataFrame, names: pd.DataFrame, acc_index: NameIndex, quotes: list[Quote], stats: ReservedStats
) -> tuple[list[dict[str, Any]], Any, Counter[str]]:
    """offerings.csv rows from the normalised SkyPilot file, plus the import summary."""
    frame = vms.copy()
    g4 = (frame["price_scope"] == "gcp_host_vm_only") & frame["instance_type"].str.startswith("g4-")
    frame.loc[g4, "price_scope"] = "host_only"
    frame.loc[g4, "notes"] = frame.loc[g4, "notes"].map(lambda n: f"{n}; {G4_NOTE}" if n else G4_NOTE)
    as_of = {c: d.as_of for c, d in AS_OF_BY_COMMIT.items()}
    conv = convert_frame(
        frame, acc_index, source="shared/data/offerings/skypilot_gpu_vms.csv", as_of=DEFAULT_COMMIT_DATE.as_of,
        as_of_by_commit=as_of, keep_origins=True,
    )  # fmt: skip
    ambiguous = {  # name -> basis text, for names whose mapping the name map marks uncertain
        str(r.catalog_accelerator): str(r.mapping_basis)
        for r in names.itertuples(index=False)
        if str(r.mapping_basis).startswith("ambiguous") or "assumed" in str(r.mapping_basis)
    }
    records = conv.records
    adjustments: Counter[str] = Counter()
    for rec, origin in zip(records, conv.origins, strict=True):
        _adjust(rec, origin, ambiguous, adjustments)
    apply_reserved(records, quotes, stats)
    records.sort(key=lambda r: (r["provider"], r["region"], r["zone"] or "", r["instance_type"]))
    return records, conv.summary, adjustments


def _adjust(
    rec: dict[str, Any], origin: Mapping[str, str], ambiguous: Mapping[str, str], counts: Counter[str]
) -> None:
    """Row-level judgement calls documented in SOURCES.md (a4, RunPod L40S, placeholders, ambiguous names)."""
    notes = [rec["notes"]] if rec["notes"] else []
    rec.setdefault("price_quality", "listed")
    if (
        rec["provider"] == "gcp"
        and rec["instance_type"].startswith("a4-")
        and rec["price_scope"] == "instance"
    ):
        rec["price_scope"] = "accelerator_only"
        notes.append(A4_NOTE)
        counts["gcp a4: derived price covers GPUs only -> accelerator_only"] += 1
    if rec["provider"] == "runpod" and rec["accelerator"] == "L40S":
        notes.append(RUNPOD_L40S_NOTE)
        rec["price_quality"] = "suspect"
        counts["runpod L40S: on-demand/spot possibly swapped (price_quality suspect)"] += 1
    if any("look like placeholder values" in n for n in notes):
        rec["price_quality"] = "placeholder"
        counts["placeholder prices kept as in the source (price_quality placeholder)"] += 1
    if any("AcceleratorCount=12 as in source" in n for n in notes) and rec["gpus_per_instance"] == 8:
        # the source note says the count was kept; the override corrected it (note appended below)
        notes = [re.sub(r"AcceleratorCount=12 as in source; inconsistent [^;]*; ", "", n) for n in notes]
    name = origin.get("accelerator", "")
    overridden = any(o.matches(rec["provider"], name, origin.get("instance_type", "")) for o in OVERRIDES)
    basis = ambiguous.get(name, "")
    # AWS/GCP/Azure/OCI: the name map itself states their H100/A100/V100/H200 are the SXM parts
    known_form = rec["provider"] in HYPERSCALER_SXM and basis.startswith(("ambiguous", "assumed SXM"))
    if basis and not known_form and not overridden:
        notes.append(f"accelerator name '{name}' mapped to {rec['accelerator']} (name map: {basis})")
        counts["uncertain accelerator name mapping (flagged)"] += 1
    if overridden:
        counts[f"override {rec['provider']} {name} -> {rec['accelerator']}"] += 1
    rec["notes"] = "; ".join(notes) or None


# ---------------------------------------------------------------------------------------------
# Writers (deterministic)
# ---------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    return str(value)


def offerings_csv(records: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(OFFERING_COLUMNS)
    for rec in records:
        writer.writerow([_cell(rec.get(c)) for c in OFFERING_COLUMNS])
    return buf.getvalue()


def dump_yaml(items: Sequence[Mapping[str, Any]], header: str) -> str:
    body = yaml.safe_dump(
        list(items), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return header + body


def build_providers(vms: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for pid in sorted(vms["provider"].unique()):
        name, kind, kind_note = PROVIDERS[pid]
        commits = vms.loc[vms["provider"] == pid, ["source_file", "source_commit"]].drop_duplicates()
        cites = "; ".join(
            f"skypilot-org/skypilot-catalog@{c} {f}" for f, c in commits.itertuples(index=False)
        )
        dates = [AS_OF_BY_COMMIT.get(c, DEFAULT_COMMIT_DATE).as_of for c in commits["source_commit"]]
        rec: dict[str, Any] = {"id": pid, "name": name, "kind": kind}
        notes = [kind_note] if kind_note else []
        if pid in EGRESS:
            rec["egress_usd_per_gb"] = EGRESS[pid][0]
            notes.append(f"egress: {EGRESS[pid][1]}")
        else:
            notes.append("egress price not sourced (unknown)")
        rec["source"] = f"offerings: {cites}"
        rec["as_of"] = min(dates)
        rec["notes"] = "; ".join(notes)
        out.append(rec)
    return out


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def read_shared(shared: Path) -> dict[str, pd.DataFrame]:
    def csv_(rel: str, **kw: Any) -> pd.DataFrame:
        return pd.read_csv(shared / rel, **kw)

    return {
        "specs": csv_("gpus/gpu_specs.csv", dtype=str, keep_default_na=False),
        "names": csv_("gpus/accelerator_name_map.csv", dtype=str, keep_default_na=False),
        "vms": csv_("offerings/skypilot_gpu_vms.csv", dtype=str, keep_default_na=False),
        "commitments": csv_("offerings/commitment_discounts.csv", dtype=str, keep_default_na=False),
        "history": csv_("prices/cloud_gpu_prices_history.csv", dtype=str, keep_default_na=False),
    }


def build(shared: Path) -> tuple[dict[str, str], str]:
    """All output files as text, keyed by path relative to the repo root; plus a console report."""
    data = read_shared(shared)
    accelerators = build_accelerators(data["specs"], data["names"])
    acc_index = NameIndex("accelerator", {a["id"]: a["aliases"] for a in accelerators})
    quotes = load_quotes(data["commitments"], data["history"])
    stats = ReservedStats()
    records, summary, adjustments = build_offerings(data["vms"], data["names"], acc_index, quotes, stats)
    providers = build_providers(data["vms"])
    header = (
        "# Generated by catalogs/build_default.py from shared/data; do not edit by hand (see SOURCES.md).\n"
    )
    files = {
        "catalogs/default/accelerators.yaml": dump_yaml(accelerators, header),
        "catalogs/default/providers.yaml": dump_yaml(providers, header),
        "catalogs/default/offerings.csv": offerings_csv(records),
        "tests/fixtures/catalogs/default_source_regions.csv": _source_regions(data["vms"], records),
    }
    files["catalogs/default/SOURCES.md"] = sources_md(data, records, summary, adjustments, stats, quotes)
    return files, str(summary)


# Source regions whose every row had to be dropped, with the reason (anything else fails the build).
EXPECTED_REGION_LOSSES: dict[tuple[str, str], str] = {
    ("vast", "Arizona, US, NA"): (
        "its only row is 4x RTX 4070 Ti SUPER (SkyPilot 'RTX4070', instance 4x-RTX_4070S_Ti); no citable "
        "spec was found for that card"
    ),
}


def _source_regions(vms: pd.DataFrame, records: Sequence[Mapping[str, Any]]) -> str:
    """provider,region,excluded_because for every region of the source (the test fixture)."""
    pairs = sorted(
        {(p, r or UNSPECIFIED_REGION) for p, r in zip(vms["provider"], vms["region"], strict=True)}
    )
    kept = {(r["provider"], r["region"]) for r in records}
    lost = [p for p in pairs if p not in kept]
    unexplained = [p for p in lost if p not in EXPECTED_REGION_LOSSES]
    if unexplained:
        raise SystemExit(f"regions lost without a documented reason: {unexplained}")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("provider", "region", "excluded_because"))
    writer.writerows((p, r, "" if (p, r) in kept else EXPECTED_REGION_LOSSES[(p, r)]) for p, r in pairs)
    return buf.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared data folder"
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if any file would change")
    args = parser.parse_args(argv)
    files, report = build(args.shared.resolve())
    changed, exit_code = write_or_check(files, args.check)
    if exit_code is not None:
        return exit_code
    catalog = load_catalog(REPO / "catalogs" / "default")
    print(report)
    print(f"wrote {len(files)} files ({', '.join(changed) or 'no changes'}); {catalog!r}")
    return 0


def write_or_check(files: Mapping[str, str], check: bool) -> tuple[list[str], int | None]:
    """The files (paths relative to the repo) whose text would change. With `check`, print them and
    return the exit code (1 if any would change) without writing; else write every file (code None).
    Shared by build_datacenter.py."""
    changed = [rel for rel, text in files.items() if _read(REPO / rel) != text]
    if check:
        print("up to date" if not changed else "would change: " + ", ".join(changed))
        return changed, 1 if changed else 0
    for rel, text in files.items():
        path = REPO / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return changed, None


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


# ---------------------------------------------------------------------------------------------
# SOURCES.md
# ---------------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sources_md(
    data: Mapping[str, pd.DataFrame],
    records: Sequence[Mapping[str, Any]],
    summary: Any,
    adjustments: Counter[str],
    stats: ReservedStats,
    quotes: Sequence[Quote],
) -> str:
    """SOURCES.md: provenance, every rule and every count of the build."""
    vms = data["vms"]
    out = pd.DataFrame.from_records(list(records))
    parts = [_SOURCES_INTRO.strip(), ""]
    parts += ["## Row accounting", "", _row_accounting(vms, summary, out), ""]
    parts += ["## Offerings per provider", "", _per_provider(vms, out), ""]
    parts += ["## Dates (as_of) of the SkyPilot commits", "", _dates_table(vms), ""]
    parts += ["## Accelerators", "", _ACCEL_TEXT.strip(), "", _accel_tables(), ""]
    parts += ["## Row-level decisions", "", _decisions(adjustments), ""]
    parts += [
        "## Reserved (committed) prices",
        "",
        _RESERVED_TEXT.strip(),
        "",
        _reserved_table(stats, out),
        "",
    ]
    parts += [_stale_and_quotes(stats, quotes), ""]
    parts += ["## Cluster interconnect", "", _INTERCONNECT_TEXT.strip(), ""]
    parts += [
        _table(["provider", "instance types", "cluster_interconnect", "source"], INTERCONNECT_RULES),
        "",
    ]
    parts += ["## Providers", "", _PROVIDERS_TEXT.strip(), ""]
    parts += [
        _table(
            ["id", "name", "kind", "egress USD/GB", "egress source"],
            [
                (p, n, k, EGRESS.get(p, (None, ""))[0] or "unknown", EGRESS.get(p, (0, "-"))[1])
                for p, (n, k, _) in sorted(PROVIDERS.items())
            ],
        ),
        "",
    ]
    return "\n".join(parts)


_SOURCES_INTRO = """
# catalogs/default: sources and how it is built

Generated by `catalogs/build_default.py` from the shared data folder (`shared/data`, described in its
README). Do not edit the files by hand: change the script and rebuild.

```bash
. /work/venv/bin/activate
python catalogs/build_default.py --shared ../shared/data          # rewrite the files
python catalogs/build_default.py --shared ../shared/data --check  # exit 1 if a rebuild would change them
```

The build is deterministic: the same inputs give byte-identical files (rows sorted by
provider/region/zone/instance type, numbers written with Python's shortest round-trip repr,
derived prices rounded to 0.0001 USD/h). It also writes `tests/fixtures/catalogs/default_source_regions.csv`,
the provider/region list of the source, against which the test suite checks that no provider or
region was lost. At the end it loads the result with `planner.load_catalog` (full validation).

Inputs (paths under `shared/data`):

| file | used for |
|---|---|
| offerings/skypilot_gpu_vms.csv | every offering (SkyPilot catalog rows; per-row `source_commit`) |
| gpus/gpu_specs.csv | accelerator specs (Epoch AI ML Hardware and vendor pages, cited per row) |
| gpus/accelerator_name_map.csv | SkyPilot accelerator names, baked in as aliases |
| offerings/commitment_discounts.csv | reserved / committed-use prices and discounts |
| prices/cloud_gpu_prices_history.csv | one extra commitment quote (Azure NC40ads H100 v5) and date evidence |
"""

_ACCEL_TEXT = """
One entry per `gpu_specs.csv` row (RTX 3080 Ti skipped: the row has no values), with the canonical
ids below, plus five accelerators added with cited sources (RTX-PRO-6000, RTX-5090, A16, RTX-3060,
RTX-3060-TI; the last four keep regions whose only offerings use them). Peaks are dense; where the data has one BF16/FP16
column the value is filed under both `bf16` and `fp16`, except for GPUs without BF16 (V100, T4, P100,
P4, Quadro RTX 6000: `fp16` only) and TPUs (`bf16` only). Dense tensor peaks that the data lacks
(H100 NVL, RTX A6000/A5000/A4000, RTX 6000 Ada, Quadro RTX 6000, RTX PRO 6000, RTX 5090, RTX 3060,
RTX 3060 Ti) are filled from vendor documents by `TENSOR_PEAKS` (table below): figures quoted "with
sparsity" are halved, and bf16/fp16 are the FP32-accumulate rates (the rate mixed-precision training
uses; GeForce cards run it at half their FP16-accumulate rate). Cross-checks in the notes multiply tensor
cores x boost clock (TechPowerUp-derived spec pages) x FLOP per tensor core and clock. Values without a
trustworthy source stay empty: the A10G has no bf16/fp16 peak (reason below), and the planner excludes
it from training. `memory_gib` is the vendor's nominal capacity (HBM/GDDR
capacities are binary). Aliases: every SkyPilot name that `accelerator_name_map.csv` maps to the row,
plus common spellings (matching ignores case and `-`, `_`, space, `.`).
"""

_RESERVED_TEXT = """
Rules, in order, per offering and term (1-year, 3-year); only rows with an on-demand price get one:

1. **quoted**: a commitment price for this instance type (or GPU/chip SKU, multiplied by the count)
   in this region exists in `commitment_discounts.csv` (discount_kind `computed`, term 12 or 36
   months) or in the Azure NC40ads H100 v5 row of `cloud_gpu_prices_history.csv`, **and** the
   on-demand price quoted with it equals the catalog's on-demand within 0.5%.
2. **derived, stale quote**: such a quote exists but its on-demand differs from the catalog's (the
   price list changed since, e.g. AWS p4d/p4de after the June 2025 cut, GCP A3 after Google's price
   change): the quote's discount `1 - reserved/on-demand` is applied to the catalog's on-demand.
   This also covers quoted prices above today's on-demand.
3. **derived, same family**: the smallest discount quoted for the same family (GCP `a2-highgpu`,
   AWS `p4d`, Azure `ND_A100_v4`, TPU generation, GPU SKU) in another region or size.
4. **derived, same series** (GCP only): the smallest discount of the machine series (`a2`, `a3`, `g2`,
   TPUs, GPU SKUs), e.g. a3-ultragpu takes the A3 discount.
5. **derived, provider typical**: the median of the provider's computed discounts over its GPU
   instance families (AWS: p4d, p4de, p3, p3dn; GCP: a2-highgpu, a2-megagpu, a3-highgpu, a3-megagpu,
   g2-standard; Azure: NC_A100_v4, ND_v4, ND_A100_v4, NC_v3, ND_v2, NC_H100_v5).
6. otherwise none.

Not used: vendor "up to" bounds (AWS Savings Plans up to 66%/72%, Azure up to 72%, GCP up to 57%,
CoreWeave up to 60%), capacity blocks (not a 1- or 3-year term), third-party approximations
(Lambda and RunPod H100 from deploybase.ai: the term is not stated; AWS p5 from disintermediate.global:
approximate and against the pre-cut on-demand) since a computed figure exists or the term is
unknown, Vast's 1/3/6-month prepaid schedule (no 1- or 3-year term), Oblivus (no offerings).
Hyperstack's reserved prices are per-GPU "from" prices with no contract term stated: they are filed
under `reserved_1y` as an assumption and say so in `reserved_source`.
Providers without any commitment evidence (OCI, IBM, Lambda, RunPod and the other neoclouds) have
no reserved prices.
"""

_INTERCONNECT_TEXT = """
`cluster_interconnect` is set only for instance types with a documented multi-node RDMA fabric
(rules below, first match wins); empty means not known to have one, and the planner then refuses
multi-node runs on that offering. TPU slices: chips inside a slice are joined by ICI; slices of
v4, v5e, v5p and v6e with at least 8 chips join over the data-center network (Cloud TPU Multislice,
cloud.google.com/tpu/docs/multislice-introduction). Smaller single-host slices and v2/v3 are not
combined into clusters (a planner policy: DCN bandwidth per chip is far below ICI).
"""

_PROVIDERS_TEXT = """
Every provider present in the source. `kind`: hyperscaler (AWS, GCP, Azure, OCI, IBM), neocloud
(operates its own GPU capacity), marketplace (hosts list machines), aggregator (resells other
clouds; flagged in the source). `egress_usd_per_gb` is the first paid internet-egress tier where a
source was found; empty = unknown (not zero). `as_of` is the earliest date of the provider's
offering rows.
"""


def _row_accounting(vms: pd.DataFrame, summary: Any, out: pd.DataFrame) -> str:
    scopes = vms["price_scope"].value_counts().sort_index()
    lines = [f"Source rows: {len(vms)} ({', '.join(f'{k} {v}' for k, v in scopes.items())})."]
    lines.append(
        f"Catalog rows: {len(out)} ({', '.join(f'{k} {v}' for k, v in out['price_scope'].value_counts().sort_index().items())})."
    )
    lines.append("")
    rows = []
    for reason, count in sorted(summary.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        names = summary.skipped_names.get(reason, {})
        detail = ", ".join(f"{n} {c}" for n, c in sorted(names.items(), key=lambda kv: (-kv[1], kv[0])))
        rows.append((reason, count, detail))
    lines.append(_table(["skipped because", "rows", "accelerator names (rows)"], rows))
    return "\n".join(lines)


def _per_provider(vms: pd.DataFrame, out: pd.DataFrame) -> str:
    src = vms.groupby("provider").size()
    rows = []
    for prov, grp in out.groupby("provider"):
        regions = sorted(set(vms.loc[vms["provider"] == prov, "region"].replace("", UNSPECIFIED_REGION)))
        rows.append(
            (
                prov,
                src[prov],
                len(grp),
                grp["region"].nunique(),
                len(regions),
                int(grp["reserved_1y_usd_per_hour"].notna().sum())
                if "reserved_1y_usd_per_hour" in grp
                else 0,
                ", ".join(sorted(grp["accelerator"].unique())),
            )
        )
    missing = sorted(set(vms["provider"]) - set(out["provider"]))
    text = _table(
        [
            "provider",
            "source rows",
            "catalog rows",
            "regions",
            "source regions",
            "rows with reserved_1y",
            "accelerators",
        ],
        rows,
    )
    lost = "".join(f"\n- {p} / {r!r}: {why}" for (p, r), why in sorted(EXPECTED_REGION_LOSSES.items()))
    text += "\n\nEvery provider of the source is present. Source regions without any kept row:" + (
        lost or " none."
    )
    return text + ("" if not missing else f"\n\nProviders without any kept row: {missing}")


def _dates_table(vms: pd.DataFrame) -> str:
    commits = vms.groupby("source_commit")["provider"].agg(lambda s: ", ".join(sorted(set(s))))
    rows = []
    for commit, provs in sorted(commits.items(), key=lambda kv: kv[1]):
        d = AS_OF_BY_COMMIT.get(commit)
        rows.append(
            (
                provs,
                commit[:12],
                d.as_of if d else DEFAULT_COMMIT_DATE.as_of,
                d.basis if d else "estimate (*)",
            )
        )
    return (
        "SkyPilot does not record when a catalog file was generated and the shared data does not either. "
        "Each offering's `as_of` is the best defensible date for its commit:\n\n"
        + _table(["providers", "commit", "as_of", "basis"], rows)
        + f"\n\n(*) {DEFAULT_COMMIT_DATE.basis}. Treat these dates as approximate."
    )


def _accel_tables() -> str:
    rows = [(m, c) for m, c in SPEC_IDS.items()]
    text = _table(["gpu_specs.csv model", "canonical id"], rows)
    text += "\n\nValues filled in from other sources:\n\n"
    text += _table(["id", "values", "source"], [(k, v[0], v[1]) for k, v in SPEC_PATCHES.items()])
    text += "\n\nDense tensor peaks filled in (`TENSOR_PEAKS`; bf16/fp16 at FP32 accumulate, sparse figures halved):\n\n"
    text += _table(
        ["id", "peaks (TFLOPS, int8 TOPS)", "as of", "source", "basis"],
        [
            (k, ", ".join(f"{p} {_num(v)}" for p, v in t.peaks.items()), t.as_of, t.source, t.note)
            for k, t in TENSOR_PEAKS.items()
        ],
    )
    text += "\n\nTensor-core accelerators left without a bf16/fp16 peak (`TENSOR_PEAK_GAPS`):\n\n"
    text += _table(["id", "why"], sorted(TENSOR_PEAK_GAPS.items()))
    text += "\n\nAdded accelerators:\n\n"
    text += _table(["id", "source"], [(a["id"], a["source"]) for a in EXTRA_ACCELERATORS])
    text += "\n\nProvider-specific name corrections (planner/catalog/skypilot.py `OVERRIDES`, applied before aliases):\n\n"
    text += _table(
        ["provider", "SkyPilot name", "instance types", "accelerator", "why"],
        [(o.provider, o.source_name, o.instance_pattern or "all", o.accelerator, o.note) for o in OVERRIDES],
    )
    return text


def _decisions(adjustments: Counter[str]) -> str:
    text = """
- **GCP host-VM-only rows** (`gcp_host_vm_only`) are not complete prices and are dropped, except the
  g4 (RTX PRO 6000) rows: GCP v9 has no RTX PRO 6000 GPU SKU to complete them, so they are kept with
  `price_scope: host_only` (the planner must not treat them as full prices); without them the g4
  offer and region europe-west8 would disappear. Fractional g4 sizes (1/8, 1/4, 1/2 GPU) are dropped.
- **GCP host + GPU rows** (`gcp_host_plus_accelerator_derived`) are the a2/a3/a4/g2 instance prices.
  The a4 host price is 0.0 in the source, so those rows cover the B200 SKU only: `accelerator_only`.
- **GCP GPU SKU rows** (`gcp_accelerator_only`) are kept as `accelerator_only` with instance type
  `<n>x <name> (GPU SKU, host VM not priced)`; the planner excludes them by default.
- **TPU slices**: one offering per slice, `gpus_per_instance` = chips (the name suffix counts chips for
  v5litepod/v6e and TensorCores, two per chip, for v2/v3/v4/v5p). Slices whose placeholder price
  (700.0) was blanked in the source have no price and are dropped.
- **Azure Standard_ND96isr_H100_v5** has AcceleratorCount 12 in the source, a known SkyPilot data error:
  corrected to 8 (Microsoft documentation, cited in the row).
- **Spot above on-demand** is kept as in the source and flagged in `notes`; RunPod L40S additionally
  notes that the two columns look swapped (RunPod's own page listed 0.86/h on-demand on 2025-03-03).
- **Empty regions** (Seeweb) become region `unspecified`, noted. Mithril's 1.0 USD/GPU-hour prices look
  like placeholders (noted in the source rows). Vast spot prices of 0.00 were blanked in the source.
- **Uncertain names** (`H100`, `A100`, `A100-80GB`, `V100`, `H200`, `P100`, `T4g`, ... marked ambiguous
  or assumed in the name map) carry the map's reason in `notes`, except the H100/A100/V100/H200 of AWS,
  GCP, Azure and OCI, which the map states are the SXM parts.
"""
    rows = sorted(adjustments.items())
    return text.strip() + "\n\nCounts:\n\n" + _table(["decision", "rows"], rows)


def _reserved_table(stats: ReservedStats, out: pd.DataFrame) -> str:
    provs = sorted(set(out["provider"]))
    rows = []
    for prov in provs:
        for term in ("1y", "3y"):
            cells = {rule: n for (p, t, rule), n in stats.cells.items() if p == prov and t == term}
            if not cells:
                continue
            rows.append((prov, term, "; ".join(f"{rule}: {n}" for rule, n in sorted(cells.items()))))
    without = [p for p in provs if not any(k[0] == p for k in stats.cells)]
    text = _table(["provider", "term", "rows by basis and rule"], rows)
    return (
        text
        + f"\n\nNo reserved prices (no commitment evidence, or only approximate/untermed figures): {', '.join(without)}."
    )


def _stale_and_quotes(stats: ReservedStats, quotes: Sequence[Quote]) -> str:
    rows = sorted(
        {
            (
                q.provider,
                q.label,
                q.term,
                q.price,
                q.on_demand,
                "GPU/chip" if q.per_gpu else "instance",
                f"{q.discount:.1%}",
                q.as_of,
            )
            for q in quotes
        }
    )
    text = "Quotes read (price and on-demand per unit):\n\n" + _table(
        ["provider", "what", "term", "price", "on-demand", "unit", "discount", "as of"], rows
    )
    stale = sorted(set(stats.stale))
    if stale:
        text += (
            "\n\nQuotes whose on-demand no longer matches the catalog (used as discounts, not prices):\n\n"
        )
        text += "\n".join(f"- {s}" for s in stale)
    return text


if __name__ == "__main__":
    raise SystemExit(main())
