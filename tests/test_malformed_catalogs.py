"""One malformed catalog folder per class of mistake, with the exact message the user sees.

The folders are in tests/fixtures/malformed_catalogs/. Each message names the file, the row (CSV,
header = row 1) or YAML line and the field, the bad value and the fix. Loading raises one
CatalogError with every problem; `planner catalog --catalog DIR` prints it and exits with code 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.catalog.load import load_catalog
from planner.cli import main
from planner.errors import CatalogError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "malformed_catalogs"

NUMBER_FIX = "write digits only, e.g. 2.5, without units or currency signs"
SOURCE_FIX = "required value is empty: give where the figures come from (a URL, or a dataset and its commit)"
AS_OF_FIX = "required value is empty: give the date the figures were valid, e.g. 2025-06-30"

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


@pytest.mark.parametrize("name", ["bad_price_cell", "many_problems", "missing_file", "yaml_syntax"])
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
