"""Catalog.from_records (tiny catalogs built in Python) and the Catalog API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from planner.catalog.catalog import OFFERING_FIELDS, PER_GPU_HOUR_COLUMNS, Catalog
from planner.catalog.load import load_catalog
from planner.catalog.schema import Accelerator, Provider
from planner.errors import CatalogError, InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "catalogs"

H100: dict[str, Any] = {
    "id": "H100-SXM",
    "aliases": ["H100", "H100_SXM5"],
    "vendor": "NVIDIA",
    "memory_gib": 80,
    "memory_bandwidth_gb_per_s": 3350,
    "peak_tflops": {"bf16": 989.4, "fp16": 989.4},
    "source": "datasheet",
    "as_of": "2025-06",
}
L4: dict[str, Any] = {**H100, "id": "L4", "aliases": [], "memory_gib": 24, "memory_bandwidth_gb_per_s": 300}
AWS: dict[str, Any] = {
    "id": "aws",
    "name": "Amazon Web Services",
    "kind": "hyperscaler",
    "source": "s",
    "as_of": "2026",
}


def offering(**kw: Any) -> dict[str, Any]:
    base = {
        "provider": "aws",
        "region": "us-east-1",
        "instance_type": "p5.48xlarge",
        "accelerator": "H100-SXM",
        "gpus_per_instance": 8,
        "on_demand_usd_per_hour": 55.04,
        "source": "s",
        "as_of": "2026-01",
    }
    return {**base, **kw}


def test_from_records_accepts_dicts_and_models_and_rewrites_aliases():
    catalog = Catalog.from_records(
        [Accelerator.model_validate(H100), L4],
        [Provider.model_validate(AWS)],
        [
            offering(accelerator="h100 sxm5", provider="Amazon Web Services"),
            offering(
                instance_type="g6.xlarge",
                accelerator="l4",
                gpus_per_instance=1,
                on_demand_usd_per_hour=0.8048,
            ),
        ],
        name="notebook",
    )
    assert [o.accelerator for o in catalog.offerings] == ["H100-SXM", "L4"]
    assert {o.provider for o in catalog.offerings} == {"aws"}
    assert catalog.name == "notebook" and catalog.path is None
    assert len(catalog) == 2
    assert repr(catalog) == "Catalog('notebook': 2 accelerators, 1 providers, 2 offerings)"


def test_from_records_reports_every_problem_with_its_path():
    with pytest.raises(CatalogError) as info:
        Catalog.from_records(
            [H100],
            [AWS],
            [
                offering(on_demand_usd_per_hour=-1),
                offering(zone="a", gpus_per_instance="x"),
                offering(extra=1),
            ],
        )
    text = str(info.value)
    assert "offerings[0].on_demand_usd_per_hour: must be > 0 (got -1)" in text
    assert "offerings[1].gpus_per_instance: must be a whole number (got 'x')" in text
    assert "offerings[2].extra: unknown field" in text


def test_from_records_cross_reference():
    with pytest.raises(CatalogError) as info:
        Catalog.from_records([H100], [AWS], [offering(accelerator="H1OO"), offering(provider="azure")])
    text = str(info.value)
    assert "notebook" not in text
    assert "offerings[0].accelerator: unknown accelerator 'H1OO': did you mean H100-SXM" in text
    assert "offerings[1].provider: unknown provider 'azure'" in text


def test_from_records_duplicates_and_empty():
    with pytest.raises(CatalogError, match=r"offerings\[1\]: duplicate offering"):
        Catalog.from_records([H100], [AWS], [offering(), offering(accelerator="H100")])
    with pytest.raises(CatalogError, match="the catalog has no offerings"):
        Catalog.from_records([H100], [AWS], [])


def test_from_records_rejects_non_records():
    with pytest.raises(InputError):
        Catalog.from_records([H100], [AWS], [42])  # type: ignore[list-item]


@pytest.fixture(scope="module")
def tiny() -> Catalog:
    return load_catalog(FIXTURES / "tiny")


def test_offerings_frame_shape_and_cache(tiny: Catalog):
    frame = tiny.offerings_frame()
    assert list(frame.columns) == [*OFFERING_FIELDS, *PER_GPU_HOUR_COLUMNS.values()]
    assert len(frame) == len(tiny)
    assert tiny.offerings_frame() is frame  # cached
    p5 = frame[(frame["instance_type"] == "p5.48xlarge") & (frame["zone"] == "use1-az1")].iloc[0]
    assert p5["on_demand_per_gpu_hour_usd"] == pytest.approx(55.04 / 8)
    assert p5["spot_per_gpu_hour_usd"] == pytest.approx(17.0252 / 8)
    assert pd.isna(p5["reserved_1y_per_gpu_hour_usd"])
    assert frame["gpus_per_instance"].dtype.kind == "i"


def test_catalog_lookups(tiny: Catalog):
    assert tiny.resolve_accelerator("H100-80GB") == "H100-SXM"
    assert tiny.accelerator("a100").id == "A100-40GB"
    assert tiny.provider("Lambda").id == "lambda"
    assert tiny.regions() == ["us-east-1", "us-west-1", "us-west-2"]
    assert tiny.regions("aws") == ["us-east-1", "us-west-2"]
    with pytest.raises(InputError, match="unknown provider 'gcp'"):
        tiny.regions("gcp")


def test_multi_file_catalog(tmp_path: Path):
    catalog = load_catalog(FIXTURES / "multi_file")
    assert len(catalog) == 6
    reserved = [o for o in catalog.offerings if o.reserved_1y_usd_per_hour]
    assert [(o.provider, o.reserved_1y_basis) for o in reserved] == [("lambda", "quoted")]
    # a duplicate across two files names the other file
    for p in (FIXTURES / "multi_file").iterdir():
        (tmp_path / p.name).write_text(p.read_text())
    (tmp_path / "offerings_zz.csv").write_text((FIXTURES / "multi_file" / "offerings_lambda.csv").read_text())
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    msg = str(info.value)
    assert "offerings_zz.csv: row 2: duplicate offering" in msg
    assert "offerings_lambda.csv row 2" in msg
