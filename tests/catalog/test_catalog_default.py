"""The bundled default catalog: coverage of the source, real values, provenance and rules.

Values asserted here come from shared/data (SkyPilot catalog rows, commitment quotes) as
documented in catalogs/default/SOURCES.md; CI has only the repository, so the source's
provider/region list is stored in tests/fixtures/catalogs/default_source_regions.csv.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from planner.catalog.catalog import PER_GPU_HOUR_COLUMNS, Catalog
from planner.catalog.load import bundled_catalog_dir, load_catalog
from planner.enums import Precision
from planner.errors import InputError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "catalogs"
SHARED = REPO.parent / "shared" / "data"

CANONICAL_IDS = [
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
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def frame(catalog: Catalog) -> pd.DataFrame:
    return catalog.offerings_frame()


def rows(frame: pd.DataFrame, **where: str) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    return frame[mask]


def test_bundled_dir_is_in_the_repo():
    assert bundled_catalog_dir() == REPO / "catalogs" / "default"


def test_loads_fast():
    load_catalog()  # warm imports and caches
    start = time.perf_counter()
    catalog = load_catalog()
    elapsed = time.perf_counter() - start
    assert len(catalog) > 7000
    assert elapsed < 1.0, f"load_catalog() took {elapsed:.2f} s"


def test_every_source_provider_and_region_is_present(catalog: Catalog):
    with (FIXTURES / "default_source_regions.csv").open(newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert len({r["provider"] for r in expected}) == 27
    have = {(o.provider, o.region) for o in catalog.offerings}
    missing = [(r["provider"], r["region"]) for r in expected if (r["provider"], r["region"]) not in have]
    excused = [(r["provider"], r["region"]) for r in expected if r["excluded_because"]]
    assert missing == excused  # only documented exclusions (SOURCES.md), each with its reason
    assert len(excused) <= 1
    assert set(catalog.providers) == {r["provider"] for r in expected}


def test_all_canonical_accelerators_exist(catalog: Catalog):
    assert set(CANONICAL_IDS) <= set(catalog.accelerators)
    for acc in catalog.accelerators.values():
        assert acc.source and acc.as_of
        assert acc.memory_gib > 0 and acc.memory_bandwidth_gb_per_s > 0


def test_aws_p5_us_east_1(frame: pd.DataFrame):
    p5 = rows(frame, provider="aws", region="us-east-1", instance_type="p5.48xlarge")
    assert len(p5) >= 5  # one row per availability zone
    assert (p5["on_demand_usd_per_hour"] == 55.04).all()
    assert (p5["gpus_per_instance"] == 8).all()
    assert (p5["accelerator"] == "H100-SXM").all()
    assert p5["on_demand_per_gpu_hour_usd"].round(9).eq(6.88).all()
    assert (p5["cluster_interconnect"] == "EFA (Elastic Fabric Adapter)").all()
    assert p5["source"].str.startswith("skypilot-org/skypilot-catalog@2c3d7ea7").all()
    assert (p5["as_of"] == "2026-01").all()
    assert set(p5["zone"]) >= {"use1-az1", "use1-az2"}


def test_gcp_a2_highgpu_8g_quoted_cud(frame: pd.DataFrame):
    a2 = rows(frame, provider="gcp", region="us-central1", instance_type="a2-highgpu-8g")
    assert not a2.empty
    assert (a2["on_demand_usd_per_hour"] == 29.38708).all()
    assert (a2["reserved_1y_usd_per_hour"] == 18.513656).all()
    assert (a2["reserved_3y_usd_per_hour"] == 10.285667).all()
    assert (a2["reserved_1y_basis"] == "quoted").all()
    assert (a2["reserved_3y_basis"] == "quoted").all()
    assert a2["reserved_source"].str.contains("Cyclenerd").all()
    assert (a2["reserved_as_of"] == "2025-03-06").all()


def test_gcp_a3_highgpu_1g_cud_is_derived_because_the_price_list_changed(frame: pd.DataFrame):
    a3 = rows(frame, provider="gcp", region="us-central1", instance_type="a3-highgpu-1g").iloc[0]
    assert a3["on_demand_usd_per_hour"] == 5.38327  # the 2025-03 CUD quote was against 11.06125/h
    assert a3["reserved_1y_basis"] == "derived"
    assert a3["reserved_1y_usd_per_hour"] == round(5.38327 * 7.672959 / 11.06125, 4)
    assert a3["reserved_3y_usd_per_hour"] == round(5.38327 * 4.858048 / 11.06125, 4)
    assert "11.06/h" in a3["reserved_source"]


def test_aws_p4d_reserved_follows_the_june_2025_price_cut(frame: pd.DataFrame):
    p4d = rows(frame, provider="aws", region="us-east-1", instance_type="p4d.24xlarge").iloc[0]
    assert p4d["on_demand_usd_per_hour"] == 21.957642
    assert p4d["reserved_1y_basis"] == "derived"
    assert p4d["reserved_1y_usd_per_hour"] == round(21.957642 * 19.22 / 32.77, 4)
    assert p4d["reserved_3y_usd_per_hour"] == round(21.957642 * 11.57 / 32.77, 4)
    assert p4d["reserved_1y_usd_per_hour"] < p4d["on_demand_usd_per_hour"]


def test_azure_rows(frame: pd.DataFrame):
    nd = rows(frame, provider="azure", region="eastus", instance_type="Standard_ND96isr_H100_v5").iloc[0]
    assert nd["gpus_per_instance"] == 8  # 12 in the source, a known SkyPilot data error
    assert "corrected to 8" in nd["notes"]
    assert nd["cluster_interconnect"].startswith("InfiniBand NDR")
    nc = rows(frame, provider="azure", region="eastus", instance_type="Standard_NC40ads_H100_v5").iloc[0]
    assert nc["accelerator"] == "H100-NVL"
    assert (nc["reserved_1y_usd_per_hour"], nc["reserved_3y_usd_per_hour"]) == (5.81, 4.31)
    assert nc["reserved_1y_basis"] == "quoted"
    nda = rows(frame, provider="azure", region="eastus", instance_type="Standard_ND96asr_v4").iloc[0]
    assert nda["accelerator"] == "A100-40GB"
    assert nda["reserved_1y_usd_per_hour"] == pytest.approx(8 * 2.83)


def test_tpu_slices_count_chips(frame: pd.DataFrame):
    v4 = rows(frame, provider="gcp", instance_type="tpu-v4-8").iloc[0]
    assert (v4["accelerator"], v4["gpus_per_instance"], v4["on_demand_usd_per_hour"]) == ("TPU-V4", 4, 12.88)
    assert (v4["reserved_1y_usd_per_hour"], v4["reserved_3y_usd_per_hour"]) == (8.12, 5.8)
    # 4 chips: a single-host slice, not combined into multi-slice clusters (planner policy).
    assert pd.isna(v4["cluster_interconnect"])
    v6e = rows(frame, provider="gcp", instance_type="tpu-v6e-128").iloc[0]
    assert v6e["cluster_interconnect"].startswith("DCN between slices (Cloud TPU Multislice)")
    v5e = rows(frame, provider="gcp", instance_type="tpu-v5litepod-16").iloc[0]
    assert (v5e["accelerator"], v5e["gpus_per_instance"]) == ("TPU-V5E", 16)


def test_incomplete_gcp_prices_are_flagged(frame: pd.DataFrame):
    gcp = rows(frame, provider="gcp")
    sku = gcp[gcp["instance_type"].str.contains("GPU SKU, host VM not priced", regex=False)]
    assert not sku.empty and (sku["price_scope"] == "accelerator_only").all()
    assert (rows(gcp, instance_type="a4-highgpu-8g")["price_scope"] == "accelerator_only").all()
    g4 = gcp[gcp["instance_type"].str.startswith("g4-")]
    assert not g4.empty and (g4["price_scope"] == "host_only").all()
    assert (rows(gcp, instance_type="a3-highgpu-8g")["price_scope"] == "instance").all()
    assert "europe-west8" in set(g4["region"])  # its only offers are g4


def test_runpod_mappings_and_flags(frame: pd.DataFrame):
    h100 = rows(frame, provider="runpod", instance_type="1x_H100_SECURE")
    assert (h100["accelerator"] == "H100-PCIE").all()
    l40s = rows(frame, provider="runpod", accelerator="L40S")
    assert l40s["notes"].str.contains("look swapped").all()
    assert (l40s["spot_usd_per_hour"] > l40s["on_demand_usd_per_hour"]).all()


def test_reserved_prices_are_consistent(frame: pd.DataFrame):
    for term in ("1y", "3y"):
        price, basis = frame[f"reserved_{term}_usd_per_hour"], frame[f"reserved_{term}_basis"]
        assert (price.notna() == basis.notna()).all()
        has = price.notna()
        assert (price[has] < frame.loc[has, "on_demand_usd_per_hour"]).all()
        assert set(basis[has]) <= {"quoted", "derived"}
    both = frame["reserved_3y_usd_per_hour"].notna() & frame["reserved_1y_usd_per_hour"].notna()
    assert (frame.loc[both, "reserved_3y_usd_per_hour"] < frame.loc[both, "reserved_1y_usd_per_hour"]).all()
    with_reserved = set(frame.loc[frame["reserved_1y_usd_per_hour"].notna(), "provider"])
    assert with_reserved == {"aws", "gcp", "azure", "hyperstack"}  # the providers with evidence


def test_provenance_on_every_row(frame: pd.DataFrame):
    assert frame["source"].str.len().gt(0).all()
    assert frame["as_of"].str.match(r"^\d{4}(-\d{2})?$").all()
    spot_high = frame["spot_usd_per_hour"] > frame["on_demand_usd_per_hour"]
    assert frame.loc[spot_high, "notes"].str.contains("spot").all()


def test_per_gpu_hour_columns(frame: pd.DataFrame):
    for term, column in PER_GPU_HOUR_COLUMNS.items():
        expected = frame[f"{term.value}_usd_per_hour"] / frame["gpus_per_instance"]
        pd.testing.assert_series_equal(frame[column], expected, check_names=False)


def test_accelerator_specs(catalog: Catalog):
    h100 = catalog.accelerator("h100")
    assert h100.id == "H100-SXM" and h100.memory_gib == 80
    assert h100.peak_tflops[Precision.BF16] == h100.peak_tflops[Precision.FP16] == 989.4
    v100 = catalog.accelerator("V100")
    assert Precision.BF16 not in v100.peak_tflops and v100.peak_tflops[Precision.FP16] == 125
    tpu = catalog.accelerator("TPU-V5E")
    assert Precision.BF16 in tpu.peak_tflops and Precision.FP16 not in tpu.peak_tflops
    assert catalog.accelerator("A10G").peak_tflops.get(Precision.BF16) is None  # not published


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("h100", "H100-SXM"),
        ("H100_SXM5", "H100-SXM"),
        ("H100-80G-SXM5", "H100-SXM"),
        ("H100-MEGA", "H100-SXM"),
        ("H100-NVLINK", "H100-SXM"),
        ("H100 SXM5", "H100-SXM"),
        ("a100", "A100-40GB"),
        ("A100-80GB", "A100-80GB"),
        ("A100_80G_PCIE", "A100-80GB-PCIE"),
        ("tpu-v5litepod", "TPU-V5E"),
        ("RTXPRO6000", "RTX-PRO-6000"),
        ("Trainium", "TRAINIUM1"),
    ],
)
def test_alias_resolution(catalog: Catalog, name: str, canonical: str):
    assert catalog.resolve_accelerator(name) == canonical


def test_typo_suggestions(catalog: Catalog):
    with pytest.raises(InputError, match=r"unknown accelerator 'H1OO': did you mean H100-SXM"):
        catalog.resolve_accelerator("H1OO")
    with pytest.raises(InputError, match=r"unknown provider 'gpc': did you mean gcp"):
        catalog.resolve_provider("gpc")


def test_providers(catalog: Catalog):
    assert catalog.resolve_provider("Amazon Web Services") == "aws"
    aws, gcp, azure = (catalog.providers[p] for p in ("aws", "gcp", "azure"))
    assert (aws.egress_usd_per_gb, gcp.egress_usd_per_gb, azure.egress_usd_per_gb) == (0.09, 0.12, 0.087)
    assert catalog.providers["shadeform"].kind == "aggregator"
    assert catalog.providers["lambda"].egress_usd_per_gb is None  # not sourced: unknown, not free


def test_regions(catalog: Catalog):
    assert "us-east-1" in catalog.regions("aws")
    assert "europe-west8" in catalog.regions("Google Cloud")
    assert set(catalog.regions()) >= set(catalog.regions("lambda"))


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not available (CI)")
def test_rebuild_is_byte_identical():
    result = subprocess.run(
        [sys.executable, str(REPO / "catalogs" / "build_default.py"), "--shared", str(SHARED), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
