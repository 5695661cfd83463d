"""Import SkyPilot catalogs (``<cloud>/vms.csv``) as planner offerings.

Two column layouts are read, detected from the header:

* **raw** SkyPilot ``vms.csv``: ``InstanceType, AcceleratorName, AcceleratorCount, vCPUs,
  MemoryGiB, Price, SpotPrice, Region, AvailabilityZone`` (``GpuInfo`` and other extra columns
  are ignored). The cloud is the file's folder name (``~/.sky/catalogs/v9/aws/vms.csv`` -> aws).
* **normalised** rows as in ``shared/data/offerings/skypilot_gpu_vms.csv``: ``provider,
  instance_type, accelerator, accelerator_count, vcpus, memory_gib, price_hour_usd,
  spot_price_hour_usd, region, zone, price_scope, source_file, source_commit, catalog_version,
  notes``.

Accelerator names are resolved through the catalog's aliases (SkyPilot names such as ``A100-80GB``
or ``H100-MEGA`` are aliases in the bundled ``accelerators.yaml``), after a short list of
provider-specific corrections (:data:`OVERRIDES`, each with its evidence). TPU slices
(``tpu-v4-8``) become one offering per slice with ``gpus_per_instance`` = chips.

Raw GCP files price a2/a3/a4/g2 machines as a host-VM row plus GPU SKU rows; the importer adds
them up per zone (:func:`combine_gcp_hosts`). GPU SKUs on their own become ``accelerator_only``
offerings. Multi-node fabrics come from :data:`INTERCONNECT_RULES`.

Rows are skipped, and counted per reason in an :class:`ImportSummary`, when they have no
accelerator, a fractional accelerator count (a share of one GPU), an accelerator without a spec,
no price at all, or price only the host VM of a GCP accelerator-optimised machine.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from pydantic import TypeAdapter, ValidationError

from planner.catalog.aliases import NameIndex
from planner.catalog.catalog import Catalog, ImportSummary
from planner.catalog.schema import Offering, Provider
from planner.catalog.validate import friendly_message
from planner.errors import CatalogError, InputError, Problem

RAW_COLUMNS: dict[str, str] = {
    "InstanceType": "instance_type",
    "AcceleratorName": "accelerator",
    "AcceleratorCount": "accelerator_count",
    "vCPUs": "vcpus",
    "MemoryGiB": "memory_gib",
    "Price": "price_hour_usd",
    "SpotPrice": "spot_price_hour_usd",
    "Region": "region",
    "AvailabilityZone": "zone",
}
RAW_REQUIRED = ("InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "Region")
NORMALISED_COLUMNS = (
    "provider",
    "instance_type",
    "accelerator",
    "accelerator_count",
    "vcpus",
    "memory_gib",
    "price_hour_usd",
    "spot_price_hour_usd",
    "region",
    "zone",
    "price_scope",
    "source_file",
    "source_commit",
    "catalog_version",
    "notes",
)
NORMALISED_REQUIRED = (
    "provider",
    "instance_type",
    "accelerator",
    "accelerator_count",
    "price_hour_usd",
    "region",
)

UNSPECIFIED_REGION = "unspecified"
"""Region used when the source row has none (e.g. some Seeweb rows); the row is noted."""

# Skip reasons (keys of ImportSummary.skipped).
SKIP_NO_ACCELERATOR = "no accelerator in the row (CPU-only or unnamed device)"
SKIP_BAD_COUNT = "accelerator count missing, not a number or not positive"
SKIP_FRACTIONAL = "fractional accelerator count (a share of one GPU)"
SKIP_NO_SPEC = "accelerator has no spec in accelerators.yaml"
SKIP_NO_PRICE = "no price (on-demand and spot both empty or <= 0)"
SKIP_HOST_ONLY = "GCP host-VM-only price (the GPUs are billed separately, not in this row)"
SKIP_SCOPE = "unknown price_scope"
SKIP_DUPLICATE = "duplicate of an earlier row (same provider/region/zone/instance_type)"
SKIP_INVALID = "invalid value (see notes)"

# price_scope of the normalised file -> planner price_scope (None: skip the row).
_SCOPES: dict[str, str | None] = {
    "instance": "instance",
    "gcp_host_plus_accelerator_derived": "instance",
    "tpu_slice": "instance",
    "gcp_accelerator_only": "accelerator_only",
    "accelerator_only": "accelerator_only",
    "host_only": "host_only",
    "gcp_host_vm_only": None,
}

# TPU slice names: tpu-v5litepod-N and tpu-v6e-N count chips; tpu-v2/v3/v4/v5p-N count
# TensorCores, two per chip (Google Cloud TPU documentation, topology tables; see
# shared/data/gpus/accelerator_name_map.csv).
_TPU_RE = re.compile(r"^tpu-(v2|v3|v4|v5p|v5e|v5litepod|v6e)-(\d+)$", re.IGNORECASE)
_TPU_SUFFIX_COUNTS_CORES = frozenset({"v2", "v3", "v4", "v5p"})


@dataclass(frozen=True)
class AcceleratorOverride:
    """A provider-specific correction of SkyPilot's accelerator name (and count), with evidence."""

    provider: str
    source_name: str  # SkyPilot AcceleratorName it applies to (case-insensitive)
    instance_pattern: str  # regex searched in InstanceType
    accelerator: str  # canonical accelerator id
    note: str  # what and why, with the source
    gpus_per_instance: int | None = None  # corrected count, None: keep the source count

    def matches(self, provider: str, name: str, instance_type: str) -> bool:
        return (
            provider == self.provider
            and name.casefold() == self.source_name.casefold()
            and re.search(self.instance_pattern, instance_type, re.IGNORECASE) is not None
        )


_MS_DOCS = "github.com/MicrosoftDocs/azure-docs articles/virtual-machines/sizes/gpu-accelerated/includes"
_EPOCH_PRICES = (
    "Epoch AI training-cost-trends 'Hardware prices.csv' (shared/data/prices/cloud_gpu_prices_history.csv)"
)
OVERRIDES: tuple[AcceleratorOverride, ...] = (
    AcceleratorOverride(
        "azure",
        "H100",
        r"^Standard_ND96isr_H100_v5$",
        "H100-SXM",
        "AcceleratorCount=12 in source corrected to 8: the ND H100 v5 VM 'starts with a single VM and "
        f"eight NVIDIA H100 Tensor Core GPUs' (Microsoft, {_MS_DOCS}/ndh100v5-series-summary.md)",
        gpus_per_instance=8,
    ),
    AcceleratorOverride(
        "azure",
        "H100",
        r"^Standard_NC\d+adi?s_H100_v5$",
        "H100-NVL",
        "NCads H100 v5 VMs 'are powered by NVIDIA H100 NVL GPU ... 94GB memory each' "
        f"(Microsoft, {_MS_DOCS}/ncadsh100v5-series-summary.md); SkyPilot names it H100",
    ),
    AcceleratorOverride(
        "azure",
        "A100-80GB",
        r"^Standard_NC\d+ads_A100_v4$",
        "A100-80GB-PCIE",
        "NC A100 v4 'is powered by NVIDIA A100 PCIe GPU ... 80 GB memory each' "
        f"(Microsoft, {_MS_DOCS}/nca100v4-series-summary.md)",
    ),
    AcceleratorOverride(
        "runpod",
        "H100",
        r"",
        "H100-PCIE",
        "RunPod lists SXM separately (H100-SXM); its plain 'H100' at 2.39/GPU-h is the 'NVIDIA H100 PCIe' "
        f"price of RunPod's page on 2025-03-03 per {_EPOCH_PRICES}",
    ),
    AcceleratorOverride(
        "runpod",
        "A100-80GB",
        r"",
        "A100-80GB-PCIE",
        "RunPod lists SXM separately (A100-80GB-SXM); its plain 'A100-80GB' at 1.64/GPU-h is the 'NVIDIA A100 "
        f"PCIe' 80GB price of RunPod's page on 2025-03-03 per {_EPOCH_PRICES}",
    ),
    AcceleratorOverride(
        "lambda", "H100", r"_pcie$", "H100-PCIE", "instance type name states PCIe (SkyPilot names it H100)"
    ),
    AcceleratorOverride(
        "vast", "H100", r"H100_NVL", "H100-NVL", "instance type name states H100 NVL (SkyPilot names it H100)"
    ),
    AcceleratorOverride(
        "vast",
        "A100",
        r"A100_PCIE",
        "A100-40GB-PCIE",
        "instance type name states PCIe; SkyPilot's 'A100' is the 40 GB model (memory not stated by Vast)",
    ),
    AcceleratorOverride(
        "vast",
        "RTX3060",
        r"RTX_3060_Ti",
        "RTX-3060-TI",
        "instance type name states RTX 3060 Ti (SkyPilot names it RTX3060)",
    ),
    AcceleratorOverride(
        "cudo",
        "A100",
        r"a100-pcie",
        "A100-40GB-PCIE",
        "instance type name states PCIe; SkyPilot's 'A100' is the 40 GB model (memory not stated by Cudo)",
    ),
)


class _Row(NamedTuple):
    """One normalised vms.csv row, every cell as stripped text."""

    provider: str
    instance_type: str
    accelerator: str
    accelerator_count: str
    vcpus: str
    memory_gib: str
    price_hour_usd: str
    spot_price_hour_usd: str
    region: str
    zone: str
    price_scope: str
    source_file: str
    source_commit: str
    catalog_version: str
    notes: str


# -- cluster interconnect -----------------------------------------------------------------------------
# Instance types with a documented multi-node RDMA fabric (first match wins). Unknown -> None, and the
# planner refuses multi-node runs on the offering. A TPU slice is one instance (chips joined by ICI).

_EFA_SRC = "AWS EC2 User Guide 'Elastic Fabric Adapter', supported instance types (docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html)"
INTERCONNECT_RULES: tuple[tuple[str, str, str, str], ...] = (
    # (provider, instance_type regex, cluster_interconnect, source)
    ("aws", r"^(p3dn\.24xlarge|p4d\.24xlarge|p4de\.24xlarge)$", "EFA (Elastic Fabric Adapter)", _EFA_SRC),
    ("aws", r"^(p5|p5e|p5en)\.48xlarge$", "EFA (Elastic Fabric Adapter)", _EFA_SRC),
    ("aws", r"^p6-b(200|300)\.48xlarge$", "EFA (Elastic Fabric Adapter)", _EFA_SRC),
    ("aws", r"^(trn1|trn1n)\.32xlarge$|^trn2\.48xlarge$", "EFA (Elastic Fabric Adapter)", _EFA_SRC),
    (
        "gcp",
        r"^a3-megagpu-8g$",
        "GPUDirect-TCPXO",
        "dstack docs (dstackai/dstack PR #3152) citing cloud.google.com/kubernetes-engine/docs/how-to/"
        "gpu-bandwidth-gpudirect-tcpx-autopilot: GPUDirect-TCPXO for A3 Mega, GPUDirect-TCPX for A3 High",
    ),
    (
        "gcp",
        r"^a3-highgpu-8g$",
        "GPUDirect-TCPX",
        "dstack docs (dstackai/dstack PR #3152) citing the GKE GPUDirect-TCPX guide (A3 High, 8 GPUs)",
    ),
    (
        "gcp",
        r"^(a3-ultragpu-8g(-nolssd)?|a4-highgpu-8g)$",
        "GPUDirect RDMA (RoCE)",
        "GKE API GPUDirectStrategy 'RDMA: GPUDirect-RDMA on A3 Ultra, and A4 machine types' "
        "(docs.cloud.google.com ruby reference google-cloud-container-v1beta1); Cluster Toolkit v1.44.1 "
        "release notes (A3 Ultra: 'dedicated CX-7 networking with RDMA support via RoCE')",
    ),
    (
        "azure",
        r"^Standard_ND96isr_H100_v5$",
        "InfiniBand NDR 400 Gb/s per GPU (GPUDirect RDMA)",
        f"Microsoft, {_MS_DOCS}/ndh100v5-series-summary.md",
    ),
    (
        "azure",
        r"^Standard_ND96a(m)?sr(_A100)?_v4$",
        "InfiniBand HDR 200 Gb/s per GPU (GPUDirect RDMA)",
        f"Microsoft, {_MS_DOCS}/ndasra100v4-series-summary.md and ndma100v4-series-summary.md",
    ),
    (
        "azure",
        r"^Standard_ND40rs_v2$",
        "InfiniBand EDR 100 Gb/s",
        f"Microsoft, {_MS_DOCS}/ndv2-series-summary.md ('supports 100-Gigabit InfiniBand EDR backend networking')",
    ),
    (
        "oci",
        r"^BM\.GPU4\.8$",
        "RDMA cluster network, 8x2x100 Gb/s",
        "Oracle GPU page as recorded in cloud_gpu_prices_history.csv (2025-03-17): "
        "'8x NVIDIA A100 40GB Tensor Core Ampere 8x2x100 Gb/sec RDMA'",
    ),
)


# TPU slices: chips inside a slice talk over ICI; separate slices join over the data-center network
# with Cloud TPU Multislice, which Google documents for v4, v5e, v5p and v6e (not v2/v3). Single-host
# development shapes (fewer than 8 chips) are not combined into clusters: a planner policy, since
# DCN bandwidth per chip is far below ICI and tiny slices would make a cluster of hundreds of VMs.
TPU_MULTISLICE_GENERATIONS = frozenset({"tpu-v4", "tpu-v5litepod", "tpu-v5p", "tpu-v6e"})
TPU_MULTISLICE_MIN_CHIPS = 8
TPU_MULTISLICE_LABEL = "DCN between slices (Cloud TPU Multislice); ICI within a slice"
TPU_MULTISLICE_SOURCE = (
    "Google Cloud 'Cloud TPU Multislice overview' (cloud.google.com/tpu/docs/multislice-introduction)"
)


def interconnect_for(provider: str, instance_type: str) -> str | None:
    """Cluster fabric of an instance type by INTERCONNECT_RULES (first match), None if unknown."""
    tpu = tpu_slice(instance_type) if provider == "gcp" else None
    if tpu is not None:
        generation, chips = tpu
        ok = generation in TPU_MULTISLICE_GENERATIONS and chips >= TPU_MULTISLICE_MIN_CHIPS
        return TPU_MULTISLICE_LABEL if ok else None
    for prov, pattern, label, _ in INTERCONNECT_RULES:
        if prov == provider and re.search(pattern, instance_type):
            return label
    return None


@dataclass(frozen=True)
class Conversion:
    """Offering records (plain dicts with Offering fields, not yet validated) and what was skipped.

    `origins[i]` is the source row of `records[i]` (only when asked for with keep_origins).
    """

    records: list[dict[str, Any]]
    summary: ImportSummary
    origins: list[dict[str, str]]


def tpu_slice(name: str) -> tuple[str, int] | None:
    """('tpu-v4-8') -> ('tpu-v4', 4 chips); ('tpu-v5litepod-16') -> ('tpu-v5litepod', 16); else None."""
    m = _TPU_RE.match(name.strip())
    if not m:
        return None
    generation, suffix = m.group(1).lower(), int(m.group(2))
    chips = suffix // 2 if generation in _TPU_SUFFIX_COUNTS_CORES else suffix
    return f"tpu-{generation}", max(chips, 1)


def detect_layout(columns: Sequence[str], source: str | None = None) -> str:
    """'raw' or 'normalised' from a header; anything else is a CatalogError naming both layouts
    (and `source`, the file)."""
    cols = set(columns)
    if set(RAW_REQUIRED) <= cols:
        return "raw"
    if set(NORMALISED_REQUIRED) <= cols:
        return "normalised"
    raw_missing = [c for c in RAW_REQUIRED if c not in cols]
    normalised_missing = [c for c in NORMALISED_REQUIRED if c not in cols]
    missing = min(raw_missing, normalised_missing, key=len)  # the layout the file is closer to
    raise CatalogError(
        [
            Problem(
                f"not a SkyPilot vms.csv: missing column(s) {', '.join(missing)} (a raw SkyPilot file has "
                + ", ".join(RAW_REQUIRED)
                + "; a normalised one has "
                + ", ".join(NORMALISED_REQUIRED)
                + f"); found {', '.join(columns)}",
                source=source,
                location="row 1" if source else None,
            )
        ]
    )


# GCP accelerator-optimised machine types -> (SkyPilot accelerator name, count). In SkyPilot's raw
# GCP vms.csv these host rows have no AcceleratorName and price the host VM only; the GPUs are
# separate SKU rows (empty InstanceType). Mapping as in SkyPilot's gcp_catalog
# (_ACC_INSTANCE_TYPE_DICTS, skypilot-org/skypilot sky/catalog/gcp_catalog.py @0052610) and the
# a3-edgegpu/-nolssd variants inferred in shared/data (same GPUs as their base type).
_GCP_G2_L4 = {4: 1, 8: 1, 12: 1, 16: 1, 24: 2, 32: 1, 48: 4, 96: 8}
_GCP_HOSTS: tuple[tuple[str, str], ...] = (
    (r"^a2-highgpu-(\d+)g$", "A100"),
    (r"^a2-megagpu-(16)g$", "A100"),
    (r"^a2-ultragpu-(\d+)g$", "A100-80GB"),
    (r"^a3-highgpu-(\d+)g$", "H100"),
    (r"^a3-edgegpu-(8)g(-nolssd)?$", "H100"),
    (r"^a3-megagpu-(8)g$", "H100-MEGA"),
    (r"^a3-ultragpu-(8)g(-nolssd)?$", "H200"),
    (r"^a4-highgpu-(8)g$", "B200"),
)


def gcp_host_accelerator(instance_type: str) -> tuple[str, int] | None:
    """('a3-highgpu-8g') -> ('H100', 8); g2-standard-N -> L4 x (1, 2, 4 or 8); else None."""
    for pattern, name in _GCP_HOSTS:
        m = re.match(pattern, instance_type)
        if m:
            return name, int(m.group(1))
    m = re.match(r"^g2-standard-(\d+)$", instance_type)
    if m and int(m.group(1)) in _GCP_G2_L4:
        return "L4", _GCP_G2_L4[int(m.group(1))]
    return None


def combine_gcp_hosts(frame: pd.DataFrame) -> pd.DataFrame:
    """Add a complete row (host VM + GPU SKU of the same zone) for each raw GCP host row.

    Host rows whose GPUs have no SKU row in their zone stay host-only (and are skipped). A host
    price of 0 (a4 in SkyPilot v9) leaves only the GPU price: such rows become accelerator_only.
    Spot prices are summed only when both parts have one.
    """
    gcp = frame["provider"] == "gcp"
    sku = frame[gcp & (frame["instance_type"] == "") & (frame["accelerator"] != "")]
    sku_price = {
        (r.zone, r.accelerator, _count_key(r.accelerator_count)): (r.price_hour_usd, r.spot_price_hour_usd)
        for r in _rows(sku)
    }
    added: list[dict[str, str]] = []
    for r in _rows(frame[gcp & (frame["accelerator"] == "") & (frame["instance_type"] != "")]):
        mapped = gcp_host_accelerator(r.instance_type)
        if mapped is None:
            continue
        name, count = mapped
        part = sku_price.get((r.zone, name, count))
        row = r._asdict()
        row.update(accelerator=name, accelerator_count=str(count))
        if part is None:
            row["price_scope"] = "gcp_host_vm_only"
            added.append(row)
            continue
        host, host_spot = _number(r.price_hour_usd), _number(r.spot_price_hour_usd)
        gpu, gpu_spot = _number(part[0]), _number(part[1])
        on_demand = (host or 0.0) + gpu if gpu is not None else None
        spot = host_spot + gpu_spot if host_spot is not None and gpu_spot is not None else None
        row.update(
            price_hour_usd=_fmt(on_demand),
            spot_price_hour_usd=_fmt(spot),
            price_scope="accelerator_only" if not host else "gcp_host_plus_accelerator_derived",
            notes="price = host VM row + GPU SKU row of the same zone (summed on import)"
            + ("; host VM price 0 in source: covers the GPUs only" if not host else ""),
        )
        added.append(row)
    if not added:
        return frame
    is_host = frame["instance_type"].map(lambda t: gcp_host_accelerator(t) is not None)
    hosts = gcp & (frame["accelerator"] == "") & is_host
    return pd.concat([frame[~hosts], pd.DataFrame(added, columns=frame.columns)], ignore_index=True)


def _rows(frame: pd.DataFrame) -> Iterator[_Row]:
    """Typed rows of a normalised frame (all cells text)."""
    for values in zip(*(frame[c].tolist() for c in NORMALISED_COLUMNS), strict=True):
        yield _Row(*values)


def _count_key(text: str) -> int | None:
    value = _number(text)
    return int(value) if value is not None and value.is_integer() else None


def _fmt(value: float | None) -> str:
    return "" if value is None else repr(round(value, 6))


def read_vms_csv(path: Path, provider: str | None = None) -> pd.DataFrame:
    """Read one vms.csv (either layout) into the normalised columns, all cells as stripped text."""
    source = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise CatalogError([Problem("empty file: expected a SkyPilot vms.csv header row", source)]) from None
    except UnicodeDecodeError as exc:
        raise CatalogError([Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source)]) from None
    except (OSError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())
        raise CatalogError(
            [Problem(f"cannot read as CSV: {reason}; check the quotes and commas", source)]
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    layout = detect_layout(list(frame.columns), source)
    if layout == "raw":
        frame = frame.rename(columns=RAW_COLUMNS)
        frame["provider"] = (provider or path.parent.name).strip().lower()
    elif provider is not None:
        frame["provider"] = provider
    for col in NORMALISED_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame[list(NORMALISED_COLUMNS)].apply(lambda s: s.str.strip())
    if layout == "raw" and (frame["provider"] == "gcp").any():
        frame = combine_gcp_hosts(frame)
    return frame


def convert_frame(
    frame: pd.DataFrame,
    accelerators: NameIndex,
    *,
    source: str,
    as_of: str,
    as_of_by_commit: Mapping[str, str] | None = None,
    keep_origins: bool = False,
) -> Conversion:
    """Turn normalised SkyPilot rows into offering records, counting every skipped row by reason.

    `source`/`as_of` are the provenance of rows that carry none (raw SkyPilot files); normalised
    rows with ``source_file``/``source_commit`` cite ``skypilot-org/skypilot-catalog@<commit>
    <file>`` and take their date from `as_of_by_commit` when it knows the commit.
    """
    as_of_by_commit = as_of_by_commit or {}
    skipped: Counter[str] = Counter()
    skipped_names: defaultdict[str, Counter[str]] = defaultdict(Counter)
    records: list[dict[str, Any]] = []
    origins: list[dict[str, str]] = []
    zero_prices = 0
    for row in _rows(frame):
        rec, reason, zeros = _convert_row(row, accelerators, source, as_of, as_of_by_commit)
        zero_prices += zeros
        if rec is None:
            assert reason is not None
            skipped[reason] += 1
            skipped_names[reason][row.accelerator or "(none)"] += 1
        else:
            records.append(rec)
            if keep_origins:
                origins.append(row._asdict())
    notes = (f"{zero_prices} prices <= 0 in the source were treated as not sold",) if zero_prices else ()
    summary = ImportSummary(
        source=source,
        rows_read=len(frame),
        rows_kept=len(records),
        skipped=dict(skipped),
        skipped_names={k: dict(v) for k, v in skipped_names.items() if k in (SKIP_NO_SPEC, SKIP_FRACTIONAL)},
        notes=notes,
    )
    return Conversion(records, summary, origins)


def _number(text: str) -> float | None:
    """Cell text -> float; empty, non-numeric or NaN -> None."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _price(text: str) -> tuple[float | None, int]:
    """Price cell -> (price or None, 1 if the source had a price <= 0)."""
    value = _number(text)
    if value is not None and value <= 0:
        return None, 1
    return value, 0


def _convert_row(
    row: _Row, accelerators: NameIndex, source: str, as_of: str, as_of_by_commit: Mapping[str, str]
) -> tuple[dict[str, Any] | None, str | None, int]:
    """One normalised row -> (record, None, zero-price count) or (None, skip reason, count)."""
    provider = row.provider.lower()
    instance_type, name = row.instance_type, row.accelerator
    scope_in = row.price_scope or ("accelerator_only" if not instance_type and name else "instance")
    tpu = tpu_slice(name) if name else None
    if tpu and scope_in == "accelerator_only":
        scope_in = "tpu_slice"
    if scope_in not in _SCOPES:
        return None, SKIP_SCOPE, 0
    scope = _SCOPES[scope_in]
    if scope is None:
        return None, SKIP_HOST_ONLY, 0
    if not name:
        return None, SKIP_NO_ACCELERATOR, 0
    count = _number(row.accelerator_count)
    if count is None or count <= 0:
        return None, SKIP_BAD_COUNT, 0
    if not count.is_integer():
        return None, SKIP_FRACTIONAL, 0
    notes = [row.notes] if row.notes else []
    gpus = int(count)
    override = next((o for o in OVERRIDES if o.matches(provider, name, instance_type)), None)
    if tpu is not None:
        canonical = accelerators.get(tpu[0])
        gpus *= tpu[1]
        instance_type = instance_type or name
    elif override is not None:
        canonical = override.accelerator
        gpus = override.gpus_per_instance or gpus
        notes.append(override.note)
    else:
        canonical = accelerators.get(name)
    if canonical is None or accelerators.get(canonical) is None:
        return None, SKIP_NO_SPEC, 0
    on_demand, z1 = _price(row.price_hour_usd)
    spot, z2 = _price(row.spot_price_hour_usd)
    if on_demand is None and spot is None:
        return None, SKIP_NO_PRICE, z1 + z2
    if on_demand is not None and spot is not None and spot > on_demand and "spot>on_demand" not in row.notes:
        notes.append("spot > on-demand in source")
    if not instance_type:
        instance_type = f"{gpus}x {name} (GPU SKU, host VM not priced)"
    region = row.region
    if not region:
        region = UNSPECIFIED_REGION
        if "Region empty" not in row.notes:
            notes.append("Region empty in source")
    vcpus, memory = _number(row.vcpus), _number(row.memory_gib)
    commit = row.source_commit
    record = {
        "provider": provider,
        "region": region,
        "zone": row.zone or None,
        "instance_type": instance_type,
        "accelerator": canonical,
        "gpus_per_instance": gpus,
        "vcpus": vcpus if vcpus and vcpus > 0 else None,
        "host_memory_gib": memory if memory and memory > 0 else None,
        "on_demand_usd_per_hour": on_demand,
        "spot_usd_per_hour": spot,
        "price_scope": scope,
        "cluster_interconnect": interconnect_for(provider, instance_type),
        "source": f"skypilot-org/skypilot-catalog@{commit} {row.source_file}" if commit else source,
        "as_of": as_of_by_commit.get(commit, as_of),
        "notes": "; ".join(notes) or None,
    }
    return record, None, z1 + z2


# -- loading a SkyPilot catalog as a Catalog -------------------------------------------------------


def skypilot_files(path: Path) -> list[Path]:
    """The vms.csv files of a SkyPilot catalog: a file, a ``<cloud>/vms.csv`` folder, or a folder
    of versions (``~/.sky/catalogs`` with ``v5``..``v9``: the highest version is used)."""
    if path.is_file():
        return [path]
    files = sorted(path.glob("*/vms.csv"))
    if files:
        return files
    versions = sorted(
        (p for p in path.iterdir() if p.is_dir() and re.fullmatch(r"v\d+", p.name)),
        key=lambda p: int(p.name[1:]),
    )
    for version in reversed(versions):
        files = sorted(version.glob("*/vms.csv"))
        if files:
            return files
    return []


def is_skypilot_catalog(path: Path) -> bool:
    """True for a vms.csv file or a folder holding SkyPilot's ``<cloud>/vms.csv`` layout."""
    if path.is_file():
        return path.suffix.lower() == ".csv"
    return path.is_dir() and bool(skypilot_files(path))


def load_skypilot(path: Path, base: Catalog) -> Catalog:
    """Catalog of the offerings in a SkyPilot catalog, with `base`'s accelerators and providers.

    Provenance of raw files: ``source`` = 'SkyPilot catalog <file>', ``as_of`` = the file's
    modification date (SkyPilot writes the file when it downloads the catalog). Clouds missing
    from `base.providers` get a minimal Provider entry (kind assumed 'neocloud', noted).
    """
    files = skypilot_files(path)
    if not files:
        raise InputError(f"no SkyPilot vms.csv found under {path}")
    records: list[dict[str, Any]] = []
    summaries: list[ImportSummary] = []
    for file in files:
        as_of = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC).date().isoformat()
        frame = read_vms_csv(file)
        conv = convert_frame(frame, base.accelerator_index, source=f"SkyPilot catalog {file}", as_of=as_of)
        records += conv.records
        summaries.append(conv.summary)
    offerings, dropped, invalid_notes = _validate_records(records)
    offerings, duplicates = _drop_duplicates(offerings)
    providers, provider_notes = _providers_for(offerings, base.providers, path)
    summary = _merge_summaries(str(path), summaries, dropped, duplicates, (*invalid_notes, *provider_notes))
    if not offerings:  # an empty catalog would plan as if no cloud sold anything
        raise CatalogError([Problem(no_offerings_message(summary), source=str(path))])
    return Catalog(
        name=f"skypilot:{path.name}",
        accelerators=base.accelerators,
        providers=providers,
        offerings=offerings,
        path=path,
        import_summary=summary,
    )


def no_offerings_message(summary: ImportSummary) -> str:
    """Why an import kept nothing: the summary's reasons on one line, and what to do."""
    if summary.rows_read == 0:
        return "the catalog has no offerings: its vms.csv files have a header but no rows"
    reasons = "; ".join(line.strip() for line in str(summary).splitlines()[1:])
    return (
        f"the catalog has no offerings: every row was skipped (kept 0 of {summary.rows_read} rows; "
        f"{reasons}); use accelerator names that accelerators.yaml knows (add an alias for a new "
        "name, docs/catalog.md), or a catalog folder"
    )


def _validate_records(records: list[dict[str, Any]]) -> tuple[list[Offering], int, tuple[str, ...]]:
    """Validate all records in one pass; rows that fail are dropped and described (not raised)."""
    adapter = TypeAdapter(list[Offering])
    try:
        return adapter.validate_python(records), 0, ()
    except ValidationError as exc:
        bad: dict[int, str] = {}
        for err in exc.errors(include_url=False):
            index = err["loc"][0]
            if isinstance(index, int) and index not in bad:
                field = ".".join(str(p) for p in err["loc"][1:] if not str(p).startswith("function-"))
                bad[index] = f"{field or 'row'}: {friendly_message(err)}"
    kept = [r for i, r in enumerate(records) if i not in bad]
    reasons = Counter(bad.values())
    notes = tuple(f"dropped {n} invalid row(s): {why}" for why, n in reasons.most_common(10))
    return adapter.validate_python(kept), len(bad), notes


def _drop_duplicates(offerings: list[Offering]) -> tuple[list[Offering], int]:
    """Keep the first offering per provider/region/zone/instance_type (SkyPilot repeats some rows)."""
    seen: set[str] = set()
    out = []
    for off in offerings:
        if off.key not in seen:
            seen.add(off.key)
            out.append(off)
    return out, len(offerings) - len(out)


def _providers_for(
    offerings: Sequence[Offering], known: Mapping[str, Provider], path: Path
) -> tuple[dict[str, Provider], tuple[str, ...]]:
    """Known providers plus a minimal entry (noted) for each cloud the bundled list lacks."""
    providers = dict(known)
    added = []
    for off in offerings:
        if off.provider not in providers:
            providers[off.provider] = Provider(
                id=off.provider,
                name=off.provider,
                kind="neocloud",
                source=f"SkyPilot catalog {path}",
                as_of=off.as_of,
                notes="not in the bundled providers.yaml; kind 'neocloud' assumed, egress unknown",
            )
            added.append(off.provider)
    notes = (
        (f"providers not in the bundled list (kind assumed 'neocloud'): {', '.join(added)}",) if added else ()
    )
    return providers, notes


def _merge_summaries(
    source: str, parts: Sequence[ImportSummary], invalid: int, duplicates: int, notes: tuple[str, ...]
) -> ImportSummary:
    skipped: Counter[str] = Counter()
    names: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for part in parts:
        skipped.update(part.skipped)
        for reason, counts in part.skipped_names.items():
            names[reason].update(counts)
        notes = (*notes, *part.notes)
    if invalid:
        skipped[SKIP_INVALID] += invalid
    if duplicates:
        skipped[SKIP_DUPLICATE] += duplicates
    rows_read = sum(p.rows_read for p in parts)
    return ImportSummary(
        source=source,
        rows_read=rows_read,
        rows_kept=rows_read - sum(skipped.values()),
        skipped=dict(skipped),
        skipped_names={k: dict(v) for k, v in names.items()},
        notes=notes,
    )
