"""One malformed catalog folder per class of mistake, with the exact message the user sees.

The folders are in tests/fixtures/malformed_catalogs/. Each message names the file, the row (CSV,
header = row 1) or YAML line and the field, the bad value and the fix. Loading raises one
CatalogError with every problem; `planner catalog --catalog DIR` prints it and exits with code 2.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from planner.catalog.load import load_catalog
from planner.cli import main
from planner.errors import CatalogError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "malformed_catalogs"

NUMBER_FIX = "write digits only, e.g. 2.5, without units or currency signs"
SOURCE_FIX = "required value is empty: give where the figures come from (a URL, or a dataset and its commit)"
AS_OF_FIX = "required value is empty: give the date the figures were valid, e.g. 2025-06-30"

CALENDAR_FIX = "is not a calendar date (month 01-12, day within the month): write it as YYYY-MM-DD, YYYY-MM or YYYY, e.g. 2025-06-30"
LATEST_YEAR = datetime.date.today().year + 1  # as_of may be at most next year
NUMBER_ONLY = "write digits only, e.g. 2.5, without units or currency signs"
SKYPILOT_LAYOUTS = (
    "(a raw SkyPilot file has InstanceType, AcceleratorName, AcceleratorCount, Price, Region; a normalised "
    "one has provider, instance_type, accelerator, accelerator_count, price_hour_usd, region)"
)

# folder -> (location or None, message) of every problem, in order; paths are relative to the folder
# ("" is the folder itself).
CASES: dict[str, list[tuple[str, str | None, str]]] = {
    "bad_price_cell": [
        (
            "offerings.csv",
            "row 3, column on_demand_usd_per_hour",
            f"must be a number (got '$48/h'): {NUMBER_FIX} (or leave the cell empty if the term is not sold)",
        )
    ],
    "bad_count_cell": [
        (
            "offerings.csv",
            "row 2, column gpus_per_instance",
            "must be a whole number (got 'eight'): write digits only, e.g. 8",
        )
    ],
    "missing_column": [
        (
            "offerings.csv",
            "row 1",
            "missing required column(s): gpus_per_instance; add them to the header row "
            "(docs/catalog.md lists the columns)",
        )
    ],
    "unknown_column": [
        (
            "offerings.csv",
            "row 1, column 6",
            "unknown column 'on_demand_usd_per_hr': did you mean on_demand_usd_per_hour, spot_usd_per_hour?",
        ),
        # The misspelt price column leaves the row without any price: reported too, as it is true.
        (
            "offerings.csv",
            "row 2",
            "an offering needs at least one price (on_demand, spot, reserved_1y or reserved_3y)",
        ),
    ],
    "unknown_accelerator": [
        (
            "offerings.csv",
            "row 3, column accelerator",
            "unknown accelerator 'X100': did you mean X1000, Y500?",
        )
    ],
    "unknown_provider": [
        ("offerings.csv", "row 2, column provider", "unknown provider 'alfa': did you mean alpha, beta?")
    ],
    "empty_catalog": [
        ("", None, "the catalog has no offerings; at least one is required (add one to offerings.csv)")
    ],
    "empty_file": [("offerings.csv", None, "empty file: expected a header row and at least one offering")],
    "missing_file": [
        (
            "",
            None,
            "catalog folder lacks providers.yaml: a catalog folder holds accelerators.yaml, providers.yaml "
            "and offerings.csv (docs/catalog.md)",
        )
    ],
    "missing_source_as_of": [
        ("offerings.csv", "row 2, column source", SOURCE_FIX),
        ("offerings.csv", "row 3, column as_of", AS_OF_FIX),
    ],
    "missing_source_yaml": [
        ("accelerators.yaml", "accelerators[0].source (line 1)", SOURCE_FIX),
        ("accelerators.yaml", "accelerators[0].as_of (line 1)", AS_OF_FIX),
    ],
    "duplicate_key": [
        (
            "accelerators.yaml",
            "line 6, column 3",
            "key 'memory_gib' appears twice in this mapping (also at line 3); keep one, or the first value "
            "would be lost",
        )
    ],
    "yaml_syntax": [
        (
            "providers.yaml",
            "line 2, column 3",
            "YAML syntax error: expected ',' or '}', but got '{' (in a flow mapping that starts at line 1, "
            "column 3)",
        )
    ],
    "many_problems": [
        (
            "offerings.csv",
            "row 3, column accelerator",
            "unknown accelerator 'X100': did you mean X1000, Y500?",
        ),
        (
            "offerings.csv",
            "row 4, column gpus_per_instance",
            "must be a whole number (got 'eight'): write digits only, e.g. 8",
        ),
        ("offerings.csv", "row 5, column on_demand_usd_per_hour", "must be > 0 (got -6)"),
        ("offerings.csv", "row 6, column provider", "unknown provider 'betta': did you mean beta, alpha?"),
        (
            "offerings.csv",
            "row 7",
            "duplicate offering: same provider/region/zone/instance_type (alpha/us-east-1/-/x8) as row 2",
        ),
        (
            "offerings.csv",
            "row 8, column as_of",
            "as_of must be a date like 2025-06-30, 2025-06 or 2025, got 'June 2026'",
        ),
    ],
    # Figures far beyond any device: they used to crash the model (OverflowError, NaN in the solver).
    "absurd_accelerator": [
        ("accelerators.yaml", "accelerators[0].memory_gib (line 4)", "must be <= 100000 (got 1e+300)"),
        (
            "accelerators.yaml",
            "accelerators[0].peak_tflops (line 6)",
            "peak_tflops[bf16] must be <= 1e+06, got 1e+300",
        ),
        # YAML's true is not 1 GiB
        (
            "accelerators.yaml",
            "accelerators[1].memory_gib (line 11)",
            f"must be a number (got 'true'): {NUMBER_ONLY}",
        ),
    ],
    "absurd_offerings": [
        ("offerings.csv", "row 2, column gpus_per_instance", "must be <= 100000 (got 1000000000)"),
        ("offerings.csv", "row 3, column on_demand_usd_per_hour", "must be <= 100000 (got 1e308)"),
        (
            "offerings.csv",
            "row 4, column on_demand_usd_per_hour",
            f"must be a finite number (got inf): {NUMBER_ONLY} (or leave the cell empty if the term is not sold)",
        ),
    ],
    "impossible_dates": [
        ("offerings.csv", "row 2, column as_of", f"as_of '2026-13' {CALENDAR_FIX}"),
        ("offerings.csv", "row 3, column as_of", f"as_of '2026-02-30' {CALENDAR_FIX}"),
        (
            "offerings.csv",
            "row 4, column as_of",
            f"as_of '3026-01' is not between 2000 and {LATEST_YEAR}: give the date the figures were valid, "
            "e.g. 2025-06-30",
        ),
        (
            "offerings.csv",
            "row 5, column as_of",
            f"as_of '1900' is not between 2000 and {LATEST_YEAR}: give the date the figures were valid, "
            "e.g. 2025-06-30",
        ),
    ],
    # The file starts with a UTF-8 byte-order mark (read as such) and row 2 leaves price_scope empty
    # (the default, instance); row 3 lacks a cell, which pandas used to pad silently.
    "short_row": [
        (
            "offerings.csv",
            "row 3",
            "8 cells but the header has 9 columns: add the missing cells (leave a cell empty between two "
            "commas when a value is not given)",
        ),
        ("offerings.csv", "row 4, column on_demand_usd_per_hour", "must be > 0 (got -6.0)"),
    ],
    # One message per problem: no second 'Tuple should have at least 1 item' for the bad server.
    "datacenter_bad_figures": [
        ("datacenter.yaml", "servers[0].gpus_per_server (line 4)", "must be <= 1024 (got 1000000000)"),
        (
            "datacenter.yaml",
            "site.lead_time_months (line 21)",
            "a lead time cannot be negative, got -1: write 0 for servers available at once",
        ),
        ("datacenter.yaml", "site.min_site_kw (line 23)", "must be <= 1e+07 (got 1e+300)"),
    ],
    "datacenter_no_servers": [
        (
            "datacenter.yaml",
            "servers (line 1)",
            "no servers: list at least one server you can buy (docs/datacenter.md shows one), or delete "
            "datacenter.yaml to plan without an own data center",
        )
    ],
    # SkyPilot catalogs (<cloud>/vms.csv), imported with the bundled accelerators.
    "skypilot_empty": [("aws/vms.csv", None, "empty file: expected a SkyPilot vms.csv header row")],
    "skypilot_bad_csv": [
        (
            "aws/vms.csv",
            None,
            "cannot read as CSV: Error tokenizing data. C error: Expected 9 fields in line 3, saw 11; check "
            "the quotes and commas",
        )
    ],
    "skypilot_missing_column": [
        (
            "aws/vms.csv",
            "row 1",
            f"not a SkyPilot vms.csv: missing column(s) Price {SKYPILOT_LAYOUTS}; found InstanceType, "
            "AcceleratorName, AcceleratorCount, vCPUs, MemoryGiB, SpotPrice, Region, AvailabilityZone",
        )
    ],
    "skypilot_all_skipped": [
        (
            "",
            None,
            "the catalog has no offerings: every row was skipped (kept 0 of 3 rows; skipped 2: accelerator "
            "has no spec in accelerators.yaml (FOO-9000 x2); skipped 1: no accelerator in the row (CPU-only "
            "or unnamed device)); use accelerator names that accelerators.yaml knows (add an alias for a "
            "new name, docs/catalog.md), or a catalog folder",
        )
    ],
}


def expected_problems(name: str) -> list[tuple[str, str | None, str]]:
    folder = FIXTURES / name
    return [(str(folder / file) if file else str(folder), where, msg) for file, where, msg in CASES[name]]


def rendered(problems: list[tuple[str, str | None, str]]) -> str:
    lines = [f"{src}: {where}: {msg}" if where else f"{src}: {msg}" for src, where, msg in problems]
    if len(lines) == 1:
        return lines[0]
    return "\n".join([f"{len(lines)} problems:", *(f"  - {line}" for line in lines)])


def test_every_fixture_has_a_case():
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_exact_problems_of_each_malformed_catalog(name: str):
    with pytest.raises(CatalogError) as info:
        load_catalog(FIXTURES / name)
    expected = expected_problems(name)
    assert [(p.source, p.location, p.message) for p in info.value.problems] == expected
    assert str(info.value) == rendered(expected)


@pytest.mark.parametrize(
    "name",
    [
        "bad_price_cell",
        "many_problems",
        "missing_file",
        "yaml_syntax",
        "absurd_accelerator",
        "skypilot_empty",
    ],
)
def test_the_cli_prints_the_same_message_and_exits_2(name: str, capsys: pytest.CaptureFixture[str]):
    assert main(["catalog", "--catalog", str(FIXTURES / name)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"planner: error: {rendered(expected_problems(name))}\n"


def test_the_fixtures_differ_from_a_valid_catalog_only_by_their_mistake(tmp_path: Path):
    """Fixing the bad cell of bad_price_cell gives a catalog that loads: the message is the only problem."""
    for file in ("accelerators.yaml", "providers.yaml", "offerings.csv"):
        (tmp_path / file).write_text((FIXTURES / "bad_price_cell" / file).read_text())
    offerings = tmp_path / "offerings.csv"
    offerings.write_text(offerings.read_text().replace("$48/h", "48.0"))
    catalog = load_catalog(tmp_path)
    assert [(o.accelerator, o.on_demand_usd_per_hour) for o in catalog.offerings] == [
        ("X1000", 80.0),
        ("Y500", 48.0),
    ]
