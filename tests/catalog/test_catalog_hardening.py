"""Catalog inputs found by an adversarial probe: each is refused at the loader with a message naming
the file, the field and the fix, or read as the docs say (empty cells, byte-order marks).

The exact messages of whole malformed folders are in tests/test_malformed_catalogs.py; these tests
pin the rules behind them (date range, booleans, bounds that still plan, CSV cell counts).
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

import planner
from planner.catalog.datacenter import parse_whole_months
from planner.catalog.load import load_catalog
from planner.catalog.schema import Accelerator, check_as_of
from planner.errors import CatalogError
from planner.workloads import TrainingRun

MALFORMED = Path(__file__).resolve().parent.parent / "fixtures" / "malformed_catalogs"
HEADER = "provider,region,instance_type,accelerator,gpus_per_instance,on_demand_usd_per_hour,source,as_of\n"


def catalog_dir(tmp_path: Path, offerings: str, accelerators: str | None = None) -> Path:
    """The made-up catalog of tests/fixtures/malformed_catalogs (X1000, Y500; alpha, beta) with
    these offerings (and accelerators)."""
    base = MALFORMED / "bad_price_cell"
    shutil.copy(base / "providers.yaml", tmp_path / "providers.yaml")
    acc = accelerators if accelerators is not None else (base / "accelerators.yaml").read_text()
    (tmp_path / "accelerators.yaml").write_text(acc)
    (tmp_path / "offerings.csv").write_text(offerings, encoding="utf-8")
    return tmp_path


def problems_of(path: Path) -> list[tuple[str | None, str]]:
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    return [(p.location, p.message) for p in info.value.problems]


# -- CSV reading ------------------------------------------------------------------------------------


def test_the_short_row_fixture_loads_once_its_row_is_fixed(tmp_path: Path):
    """BOM header and an empty price_scope cell are fine: only the short row and the price were wrong."""
    for name in ("accelerators.yaml", "providers.yaml"):
        shutil.copy(MALFORMED / "short_row" / name, tmp_path / name)
    text = (MALFORMED / "short_row" / "offerings.csv").read_bytes().decode("utf-8")
    assert text.startswith("\ufeffprovider,")
    text = text.replace("Y500,8,48.0,made up", "Y500,8,48.0,,made up").replace("-6.0", "6.0")
    (tmp_path / "offerings.csv").write_text(text, encoding="utf-8")
    catalog = load_catalog(tmp_path)
    assert [
        (o.provider, o.instance_type, o.on_demand_usd_per_hour, o.price_scope) for o in catalog.offerings
    ] == [
        ("alpha", "x8", 80.0, "instance"),
        ("beta", "y8", 48.0, "instance"),
        ("beta", "y1", 6.0, "instance"),
    ]


def test_empty_cells_of_columns_with_defaults_mean_the_default(tmp_path: Path):
    """docs/catalog.md: an empty cell means "not given"; price_scope and price_quality have defaults."""
    head = HEADER.rstrip("\n") + ",price_scope,price_quality,zone\n"
    rows = (
        "alpha,us-east-1,x8,X1000,8,80.0,made up,2026-01,,,\n"
        "beta,eu-west-1,y8,Y500,8,48.0,made up,2026-01, ,suspect,\n"
    )
    catalog = load_catalog(catalog_dir(tmp_path, head + rows))
    assert [(o.price_scope, o.price_quality, o.zone) for o in catalog.offerings] == [
        ("instance", "listed", None),
        ("instance", "suspect", None),
    ]


def test_rows_with_too_few_and_too_many_cells_are_reported_with_the_other_rows(tmp_path: Path):
    rows = (
        "alpha,us-east-1,x8,X1000,8,80.0,made up\n"  # as_of missing: 7 cells
        "alpha,us-east-1,x1,X1000,1,-1,made up,2026-01\n"  # a bad value in a well-formed row
        "beta,eu-west-1,y8,Y500,8,48.0,made up,2026-01,oops\n"  # 9 cells
        "beta,eu-west-1,y1,Y500,1,6.0,made up,2026-01,,\n"  # trailing empty cells: harmless
        "\n"  # blank row: ignored
    )
    assert problems_of(catalog_dir(tmp_path, HEADER + rows)) == [
        (
            "row 2",
            "7 cells but the header has 8 columns: add the missing cells (leave a cell empty between two commas "
            "when a value is not given)",
        ),
        ("row 3, column on_demand_usd_per_hour", "must be > 0 (got -1)"),
        (
            "row 4",
            "9 cells but the header has 8 columns: quote a cell that contains a comma, or remove the extra cells",
        ),
    ]


def test_nan_in_a_bounded_field_is_called_not_finite(tmp_path: Path):
    rows = "alpha,us-east-1,x8,X1000,8,nan,made up,2026-01\n"
    assert problems_of(catalog_dir(tmp_path, HEADER + rows)) == [
        (
            "row 2, column on_demand_usd_per_hour",
            "must be a finite number (got nan): write digits only, e.g. 2.5, without units or currency "
            "signs (or leave the cell empty if the term is not sold)",
        )
    ]


# -- dates ------------------------------------------------------------------------------------------

NEXT_YEAR = datetime.date.today().year + 1


@pytest.mark.parametrize("text", ["2000", "2024-02-29", "2025-06", "2025-06-30", str(NEXT_YEAR)])
def test_real_dates_from_2000_to_next_year_are_accepted(text: str):
    assert check_as_of(text) == text
    assert check_as_of(datetime.date(2025, 6, 30)) == "2025-06-30"  # a YAML date


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2023-02-29", "is not a calendar date"),  # not a leap year
        ("2026-00", "is not a calendar date"),
        ("2026-04-31", "is not a calendar date"),
        ("1999-12-31", f"is not between 2000 and {NEXT_YEAR}"),
        (str(NEXT_YEAR + 1), f"is not between 2000 and {NEXT_YEAR}"),
    ],
)
def test_impossible_dates_are_refused(text: str, why: str):
    with pytest.raises(ValueError, match=f"as_of '{text}' {why}"):
        check_as_of(text)


def test_an_impossible_yaml_date_names_its_line(tmp_path: Path):
    """PyYAML builds 2026-02-30 as a date itself and raised a bare ValueError (a traceback);
    planner.io turns it into an error at its line and column, for catalogs and budgets alike."""
    acc = (MALFORMED / "bad_price_cell" / "accelerators.yaml").read_text()
    acc = acc.replace("as_of: 2026-01", "as_of: 2026-02-30", 1)
    folder = catalog_dir(tmp_path, HEADER + "alpha,us-east-1,x8,X1000,8,80.0,made up,2026-01\n", acc)
    assert problems_of(folder) == [
        (
            "line 8, column 10",
            "'2026-02-30' is not a calendar date (day is out of range for month): write a date as "
            "YYYY-MM-DD, e.g. 2025-06-30 (or quote it if it is text)",
        )
    ]


# -- numbers ----------------------------------------------------------------------------------------

X1000 = {
    "id": "X1000",
    "vendor": "Acme",
    "memory_gib": 80,
    "memory_bandwidth_gb_per_s": 2000,
    "peak_tflops": {"bf16": 1000},
    "source": "made up",
    "as_of": "2026-01",
}


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("memory_gib", True, "memory_gib"),
        ("tdp_watts", False, "tdp_watts"),
        ("peak_tflops", {"bf16": True}, "peak_tflops.bf16"),
    ],
)
def test_yaml_booleans_are_not_numbers(field: str, value: object, where: str):
    with pytest.raises(ValidationError) as info:
        Accelerator.model_validate({**X1000, field: value})
    errors = info.value.errors()
    assert [(".".join(map(str, e["loc"])), e["type"]) for e in errors] == [(where, "float_parsing")]


def test_numbers_in_text_and_plain_numbers_still_read():
    acc = Accelerator.model_validate({**X1000, "memory_gib": "80", "tdp_watts": 700})
    assert (acc.memory_gib, acc.tdp_watts) == (80.0, 700.0)


def test_negative_lead_times_are_refused_not_clamped():
    assert parse_whole_months(0) == 0
    assert parse_whole_months("12 weeks") == 3  # 2016 h / 730 h = 2.76, rounded up
    for bad in (-1, "-2 weeks"):
        with pytest.raises(ValueError, match="a lead time cannot be negative"):
            parse_whole_months(bad)


def test_figures_at_the_upper_bounds_still_plan(tmp_path: Path):
    """The bounds are generous and safe: a device and an offering at every upper bound plan and
    verify (1e300 made the model overflow or the solver fail)."""
    acc = (MALFORMED / "bad_price_cell" / "accelerators.yaml").read_text()
    acc = acc.replace("memory_gib: 80", "memory_gib: 1e5", 1).replace(
        "memory_bandwidth_gb_per_s: 2000", "memory_bandwidth_gb_per_s: 1e8", 1
    )
    acc = acc.replace("{bf16: 1000, fp16: 1000}", "{bf16: 1e6, fp16: 1e6}")
    rows = (
        "alpha,us-east-1,x8,X1000,100000,1e5,made up,2026-01\nbeta,eu-west-1,y8,Y500,8,48.0,made up,2026-01\n"
    )
    catalog = load_catalog(catalog_dir(tmp_path, HEADER + rows, acc))
    run = TrainingRun(name="run", params="1B", tokens="20B", deadline_days=30)
    plan = planner.plan(run, catalog=catalog, explain=False)
    assert plan.status == "optimal"
    assert plan.total_cost_usd > 0


def test_a_skypilot_file_with_a_header_and_no_rows_is_not_an_empty_catalog(tmp_path: Path):
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws" / "vms.csv").write_text("InstanceType,AcceleratorName,AcceleratorCount,Price,Region\n")
    assert problems_of(tmp_path) == [
        (None, "the catalog has no offerings: its vms.csv files have a header but no rows")
    ]
