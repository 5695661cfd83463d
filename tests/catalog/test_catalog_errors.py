"""Every catalog error path, against the small broken catalogs in tests/fixtures/catalogs/broken.

Each test asserts the message text: file, row (CSV, header = row 1) or YAML line, field, and the
explanation a catalog author needs to fix it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.catalog.load import load_catalog
from planner.errors import CatalogError, InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "catalogs"
BROKEN = FIXTURES / "broken"


def error_of(name: str) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        load_catalog(BROKEN / name)
    return info.value


def test_valid_tiny_fixture_loads_and_ignores_unknown_files():
    catalog = load_catalog(FIXTURES / "tiny")
    assert len(catalog) == 6
    assert catalog.datacenter is not None  # datacenter.yaml is read; SOURCES.md is ignored
    assert {o.accelerator for o in catalog.offerings} == {"H100-SXM", "A100-40GB", "L4", "H100-PCIE"}


def test_unknown_accelerator_names_row_column_and_suggests():
    err = error_of("unknown_accelerator")
    msg = str(err)
    assert "unknown_accelerator/offerings.csv: row 3, column accelerator: unknown accelerator 'H1OO'" in msg
    assert "did you mean H100-SXM, H100-PCIE" in msg
    suggestions = msg.split("did you mean ")[1].rstrip("?").split(", ")
    assert 3 <= len(suggestions) <= 5


def test_unknown_provider_suggests_the_closest():
    msg = str(error_of("unknown_provider"))
    assert "offerings.csv: row 2, column provider: unknown provider 'awz': did you mean aws" in msg


def test_nonpositive_price_matches_the_documented_message():
    msg = str(error_of("nonpositive_price"))
    assert msg.endswith("offerings.csv: row 12, column on_demand_usd_per_hour: must be > 0 (got -3.0)")


def test_non_numeric_price():
    msg = str(error_of("non_numeric_price"))
    assert "offerings.csv: row 3, column spot_usd_per_hour: must be a number (got 'n/a')" in msg


def test_duplicate_rows_name_both_rows_and_the_key():
    msg = str(error_of("duplicate_rows"))
    assert "offerings.csv: row 4: duplicate offering" in msg
    assert "(aws/us-east-1/use1-az1/p5.48xlarge) as row 2" in msg


def test_missing_required_column():
    msg = str(error_of("missing_column"))
    assert "missing_column/offerings.csv: row 1: missing required column(s): as_of" in msg


def test_unknown_column_is_rejected_with_a_hint():
    msg = str(error_of("unknown_column"))
    assert (
        "offerings.csv: row 1, column 7: unknown column 'on_demand_usd': did you mean on_demand_usd_per_hour?"
        in msg
    )


def test_empty_catalog():
    assert "empty_offerings: the catalog has no offerings" in str(error_of("empty_offerings"))


def test_empty_offerings_file():
    assert "empty_file/offerings.csv: empty file" in str(error_of("empty_file"))


def test_bad_as_of():
    msg = str(error_of("bad_as_of"))
    assert "offerings.csv: row 2, column as_of: as_of must be a date like 2025-06-30, 2025-06 or 2025" in msg
    assert "'June 2026'" in msg


def test_bad_reserved_as_of():
    msg = str(error_of("bad_reserved"))
    assert "offerings.csv: row 2, column reserved_as_of: as_of must be a date" in msg


def test_row_without_any_price():
    msg = str(error_of("no_price"))
    assert "offerings.csv: row 3: an offering needs at least one price" in msg


def test_all_problems_of_a_file_come_in_one_error_in_row_order():
    err = error_of("many_problems")
    locations = [p.location for p in err.problems]
    assert locations == [
        "row 3, column accelerator",
        "row 4, column gpus_per_instance",
        "row 5, column on_demand_usd_per_hour",
        "row 6, column provider",
    ]
    text = str(err)
    assert text.startswith("4 problems:")
    assert "unknown accelerator 'B900'" in text
    assert "must be a whole number (got 'eight')" in text
    assert "must be > 0 (got 0)" in text
    assert "unknown provider 'lamda': did you mean lambda" in text


def test_bad_yaml_reports_line_and_column():
    msg = str(error_of("bad_yaml"))
    assert "bad_yaml/accelerators.yaml: line 36, column 15: YAML syntax error" in msg


def test_bad_accelerator_fields_carry_yaml_line_numbers():
    err = error_of("bad_accelerator")
    msg = str(err)
    assert "accelerators.yaml: accelerators[2].memory_gib (line 21): must be > 0 (got -141)" in msg
    assert "accelerators[2].memroy_gib (line 22): unknown field" in msg


def test_alias_claimed_by_two_accelerators():
    msg = str(error_of("alias_collision"))
    assert (
        "accelerators.yaml: accelerator name 'H100-80GB' is claimed by both 'H100-SXM' and 'A100-40GB'" in msg
    )


def test_duplicate_accelerator_id():
    msg = str(error_of("duplicate_accelerator_id"))
    assert (
        "accelerators[4].id (line 34): duplicate accelerator id 'L4' (first defined at accelerators[2]" in msg
    )


def test_bad_provider_kind():
    msg = str(error_of("bad_provider"))
    assert "providers.yaml: providers[1].kind (line 9): must be one of 'hyperscaler'" in msg
    assert "(got 'cloud')" in msg


def test_missing_catalog_file():
    assert "missing_providers_file: catalog folder lacks providers.yaml" in str(
        error_of("missing_providers_file")
    )


def test_not_a_catalog(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=r"is not a catalog: expected a folder with accelerators\.yaml"):
        load_catalog(tmp_path)


def test_missing_path(tmp_path: Path):
    with pytest.raises(InputError, match="catalog not found"):
        load_catalog(tmp_path / "nope")


def test_problem_cap_keeps_messages_readable(tmp_path: Path):
    tiny = FIXTURES / "tiny"
    for name in ("accelerators.yaml", "providers.yaml"):
        (tmp_path / name).write_text((tiny / name).read_text())
    head = "provider,region,instance_type,accelerator,gpus_per_instance,on_demand_usd_per_hour,source,as_of\n"
    rows = "".join(f"aws,r{i},x,H100,1,-1,s,2025\n" for i in range(250))
    (tmp_path / "offerings.csv").write_text(head + rows)
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert len(info.value.problems) == 201
    assert "and 50 more problems (first 200 shown)" in str(info.value.problems[-1])
