"""Importing SkyPilot catalogs: raw vms.csv folders, single files, the normalised layout."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from planner.catalog.catalog import Catalog
from planner.catalog.load import load_catalog
from planner.catalog.skypilot import (
    SKIP_BAD_COUNT,
    SKIP_DUPLICATE,
    SKIP_FRACTIONAL,
    SKIP_HOST_ONLY,
    SKIP_NO_ACCELERATOR,
    SKIP_NO_PRICE,
    SKIP_NO_SPEC,
    convert_frame,
    detect_layout,
    gcp_host_accelerator,
    tpu_slice,
)
from planner.errors import CatalogError, InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "catalogs"
RAW = FIXTURES / "skypilot_raw"


@pytest.fixture(scope="module")
def raw() -> Catalog:
    return load_catalog(RAW)


def offering(catalog: Catalog, provider: str, instance_type: str, zone: str | None = None):
    return next(
        o
        for o in catalog.offerings
        if o.provider == provider and o.instance_type == instance_type and (zone is None or o.zone == zone)
    )


def test_raw_folder_is_detected_and_imported(raw: Catalog):
    assert raw.name == "skypilot:skypilot_raw"
    assert raw.path == RAW
    assert len(raw) == 11
    p5 = offering(raw, "aws", "p5.48xlarge", "use1-az1")
    assert (p5.accelerator, p5.gpus_per_instance, p5.on_demand_usd_per_hour) == ("H100-SXM", 8, 55.04)
    assert p5.spot_usd_per_hour == 17.0252
    assert (p5.vcpus, p5.host_memory_gib) == (192, 2048)
    assert p5.cluster_interconnect == "EFA (Elastic Fabric Adapter)"
    assert p5.source == f"SkyPilot catalog {RAW / 'aws' / 'vms.csv'}"
    mtime = datetime.fromtimestamp((RAW / "aws" / "vms.csv").stat().st_mtime, tz=UTC).date()
    assert p5.as_of == mtime.isoformat()


def test_skipped_rows_are_counted_by_reason(raw: Catalog):
    summary = raw.import_summary
    assert summary is not None
    assert summary.rows_read == 16
    assert summary.rows_kept == 11
    assert dict(summary.skipped) == {
        SKIP_NO_ACCELERATOR: 1,  # m5.large
        SKIP_FRACTIONAL: 1,  # g6f.large, 1/8 L4
        SKIP_NO_SPEC: 1,  # Radeon Pro V520
        SKIP_NO_PRICE: 1,  # trn1.32xlarge without prices
        SKIP_DUPLICATE: 1,  # repeated p5.48xlarge row
    }
    assert summary.skipped_names[SKIP_NO_SPEC] == {"Radeon Pro V520": 1}
    assert summary.skipped_names[SKIP_FRACTIONAL] == {"L4": 1}
    text = str(summary)
    assert "kept 11 of 16 rows" in text
    assert "skipped 1: accelerator has no spec in accelerators.yaml (Radeon Pro V520 x1)" in text
    assert any("1 prices <= 0" in n for n in summary.notes)  # g5.xlarge spot 0.0 -> no spot price
    assert offering(raw, "aws", "g5.xlarge").spot_usd_per_hour is None


def test_gcp_host_row_is_completed_with_its_gpu_sku(raw: Catalog):
    a2 = offering(raw, "gcp", "a2-highgpu-1g")
    assert (a2.accelerator, a2.gpus_per_instance, a2.price_scope) == ("A100-40GB", 1, "instance")
    assert a2.on_demand_usd_per_hour == pytest.approx(0.739 + 2.933908)  # host VM + A100 SKU, same zone
    assert a2.spot_usd_per_hour == pytest.approx(0.2 + 0.858)
    assert "host VM row + GPU SKU row" in (a2.notes or "")


def test_gcp_host_accelerator_mapping():
    assert gcp_host_accelerator("a3-megagpu-8g") == ("H100-MEGA", 8)
    assert gcp_host_accelerator("a3-edgegpu-8g-nolssd") == ("H100", 8)
    assert gcp_host_accelerator("g2-standard-48") == ("L4", 4)
    assert gcp_host_accelerator("n1-standard-8") is None


def test_gcp_gpu_sku_and_tpu_rows(raw: Catalog):
    sku = offering(raw, "gcp", "1x A100 (GPU SKU, host VM not priced)")
    assert (sku.accelerator, sku.price_scope, sku.price_is_complete) == (
        "A100-40GB",
        "accelerator_only",
        False,
    )
    v4 = offering(raw, "gcp", "tpu-v4-8")
    assert (v4.accelerator, v4.gpus_per_instance, v4.price_scope) == ("TPU-V4", 4, "instance")
    v5e = offering(raw, "gcp", "tpu-v5litepod-16")
    assert (v5e.accelerator, v5e.gpus_per_instance) == ("TPU-V5E", 16)


def test_provider_specific_corrections(raw: Catalog):
    nd = offering(raw, "azure", "Standard_ND96isr_H100_v5")
    assert nd.gpus_per_instance == 8 and "corrected to 8" in (nd.notes or "")
    nc = offering(raw, "azure", "Standard_NC40ads_H100_v5")
    assert nc.accelerator == "H100-NVL"


def test_unknown_cloud_gets_a_noted_provider(raw: Catalog):
    new = raw.providers["newcloud"]
    assert new.kind == "neocloud" and "not in the bundled providers.yaml" in (new.notes or "")
    assert raw.import_summary is not None
    assert any("newcloud" in n for n in raw.import_summary.notes)
    assert raw.providers["aws"].egress_usd_per_gb == 0.09  # known providers come from the bundled list


def test_single_vms_csv_file_uses_the_folder_name_as_cloud():
    catalog = load_catalog(RAW / "azure" / "vms.csv")
    assert {o.provider for o in catalog.offerings} == {"azure"}
    assert len(catalog) == 2


def test_versions_folder_uses_the_highest_version(tmp_path: Path):
    for version, price in (("v8", "1.0"), ("v10", "2.0")):
        folder = tmp_path / version / "lambda"
        folder.mkdir(parents=True)
        (folder / "vms.csv").write_text(
            "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region,AvailabilityZone\n"
            f"gpu_1x_a10,A10,1,30,200,{price},,us-east-1,\n"
        )
    catalog = load_catalog(tmp_path)
    assert [o.on_demand_usd_per_hour for o in catalog.offerings] == [2.0]


def test_normalised_layout_with_provenance_per_row():
    catalog = load_catalog(FIXTURES / "skypilot_normalised.csv")
    assert catalog.import_summary is not None
    assert catalog.import_summary.skipped == {SKIP_HOST_ONLY: 1}
    a3 = offering(catalog, "gcp", "a3-highgpu-8g")
    assert a3.source == (
        "skypilot-org/skypilot-catalog@2c3d7ea7d76bf84cf80d382e946c1609571485fd catalogs/v9/gcp/vms.csv"
    )
    assert a3.cluster_interconnect == "GPUDirect-TCPX"
    assert offering(catalog, "gcp", "tpu-v5p-8").gpus_per_instance == 4  # suffix counts TensorCores
    assert offering(catalog, "runpod", "1x_H100_SECURE").accelerator == "H100-PCIE"
    seeweb = offering(catalog, "seeweb", "ECS1GPU8")
    assert seeweb.region == "unspecified" and "Region empty" in (seeweb.notes or "")


def test_convert_frame_dates_by_commit():
    frame = pd.read_csv(FIXTURES / "skypilot_normalised.csv", dtype=str, keep_default_na=False)
    index = load_catalog().accelerator_index
    conv = convert_frame(
        frame,
        index,
        source="x",
        as_of="2024",
        as_of_by_commit={"0727c2bd9e77f91cb1377127c5f793a28cf01384": "2025-03"},
        keep_origins=True,
    )
    dates = {(r["provider"], r["as_of"]) for r in conv.records}
    assert ("runpod", "2025-03") in dates and ("aws", "2024") in dates
    assert len(conv.origins) == len(conv.records)
    assert conv.origins[0]["instance_type"] == "p5.48xlarge"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tpu-v4-8", ("tpu-v4", 4)),
        ("tpu-v5p-2432", ("tpu-v5p", 1216)),
        ("tpu-v5litepod-16", ("tpu-v5litepod", 16)),
        ("tpu-v6e-1", ("tpu-v6e", 1)),
        ("H100", None),
    ],
)
def test_tpu_slice_chips(name: str, expected: tuple[str, int] | None):
    assert tpu_slice(name) == expected


def test_layout_detection_and_bad_input(tmp_path: Path):
    assert detect_layout(["InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "Region"]) == "raw"
    with pytest.raises(InputError, match=r"not a SkyPilot vms\.csv"):
        detect_layout(["a", "b"])
    bad = tmp_path / "aws"
    bad.mkdir()
    shutil.copy(FIXTURES / "tiny" / "offerings.csv", bad / "vms.csv")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    (problem,) = info.value.problems
    assert (problem.source, problem.location) == (str(bad / "vms.csv"), "row 1")
    # the file is closer to the normalised layout (it has provider, region, ...): its missing columns
    assert problem.message.startswith(
        "not a SkyPilot vms.csv: missing column(s) accelerator_count, price_hour_usd (a raw SkyPilot file "
        "has InstanceType, AcceleratorName, AcceleratorCount, Price, Region; a normalised one has "
    )


def test_bad_count_is_counted(tmp_path: Path):
    folder = tmp_path / "aws"
    folder.mkdir()
    (folder / "vms.csv").write_text(
        "InstanceType,AcceleratorName,AcceleratorCount,Price,Region\n"
        "p5.48xlarge,H100,many,55.04,us-east-1\n"
        "p5.48xlarge,H100,8,55.04,us-east-1\n"
    )
    catalog = load_catalog(tmp_path)
    assert catalog.import_summary is not None
    assert catalog.import_summary.skipped == {SKIP_BAD_COUNT: 1}
