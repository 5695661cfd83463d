"""Own data-center catalog: the bundled datacenter.yaml, loading errors, budget overrides.

Every error path asserts the message text a user reads: file, field path (and YAML line), the value
and what to do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.catalog.catalog import Catalog
from planner.catalog.datacenter import (
    DatacenterCatalog,
    DatacenterOverrides,
    SiteAssumptions,
    parse_overrides,
    site_figure_fields,
    site_override_fields,
)
from planner.catalog.load import load_catalog
from planner.errors import CatalogError, InputError

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "catalogs"
TINY = FIXTURES / "tiny"
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="module")
def default() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def tiny() -> DatacenterCatalog:
    dc = load_catalog(TINY).datacenter
    assert dc is not None
    return dc


# -- the bundled datacenter.yaml ------------------------------------------------------------------


def test_default_datacenter_loads_with_every_required_server(default: Catalog):
    dc = default.datacenter
    assert dc is not None
    accelerators = {s.accelerator for s in dc.servers}
    assert {"H100-SXM", "H200", "B200", "A100-80GB", "A100-40GB", "MI300X", "RTX-4090"} <= accelerators
    assert accelerators <= set(default.accelerators)  # every server's accelerator is in the catalog
    assert all(s.gpus_per_server == 8 for s in dc.servers)


def test_every_default_figure_has_source_and_date(default: Catalog):
    dc = default.datacenter
    assert dc is not None
    for s in dc.servers:
        assert s.source and s.as_of and s.power_source and s.power_as_of, s.id
        assert s.purchase_price_usd > 0 and s.power_kw > 0
        notes = s.notes or ""
        if s.price_basis == "derived":
            assert "Derived: " in notes, f"{s.id}: a derived price states its rule"
        if s.power_basis == "derived":
            assert "Power: " in notes, f"{s.id}: a derived power states its rule"
    assert dc.site.undocumented() == []
    for name, figure in dc.site.sources.items():
        assert figure.source and figure.as_of, name
        if figure.basis in ("derived", "assumption"):
            assert figure.notes, f"{name}: a {figure.basis} figure explains itself in notes"


def test_default_site_figures(default: Catalog):
    site = default.datacenter.site if default.datacenter else None
    assert site is not None
    assert site.facility_model == "colocation"
    assert site.pue == 1.25  # Epoch, non-hyperscalers (tco_figures.csv E04)
    assert site.electricity_usd_per_kwh == 0.0826  # EIA 2025 via Epoch (E06)
    assert site.colocation_usd_per_kw_month == 184.06  # CBRE H2 2024 (C01)
    assert site.network_storage_capex_fraction == pytest.approx(0.19 / 0.81, abs=5e-5)  # O02
    assert site.useful_life_years == 5  # Epoch, >= 2023 (L05)
    assert site.load_power_fraction == 0.75  # Epoch (W05)


@pytest.mark.skipif(not (SHARED / "datacenter" / "tco_figures.csv").exists(), reason="shared data absent")
def test_build_script_is_deterministic_and_up_to_date():
    out = subprocess.run(
        [sys.executable, str(REPO / "catalogs" / "build_datacenter.py"), "--shared", str(SHARED), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "up to date"


# -- loading: units, aliases, errors --------------------------------------------------------------


def test_tiny_fixture_parses_units_and_resolves_aliases(tiny: DatacenterCatalog):
    h100 = tiny.server("hgx-h100-8gpu")
    assert h100.accelerator == "H100-SXM"  # written as the alias 'H100'
    assert h100.purchase_price_usd == 296_644  # '$296,644'
    assert h100.power_kw == 10.2  # '10.2kW'
    assert tiny.site.maintenance_fraction_per_year == 0.06  # '6%'
    assert tiny.site.useful_life_years == 5  # '5y'
    assert tiny.server("HGX_H100_8GPU") is h100  # ids match like accelerator names
    assert [s.id for s in tiny.servers_for("A100-40GB")] == ["dgx-a100-40gb"]


def test_unknown_server_lists_the_known_ids(tiny: DatacenterCatalog):
    with pytest.raises(InputError) as info:
        tiny.server("hgx-h1OO")
    assert str(info.value) == (
        "unknown server 'hgx-h1OO' (did you mean hgx-h100-8gpu?); known servers: hgx-h100-8gpu, dgx-a100-40gb"
    )


def broken(tmp_path: Path, edit: Any) -> str:
    """Copy the tiny catalog, let `edit` change its datacenter.yaml data, return the load error."""
    folder = tmp_path / "cat"
    shutil.copytree(TINY, folder)
    data = yaml.safe_load((folder / "datacenter.yaml").read_text())
    edit(data)
    (folder / "datacenter.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    return str(info.value)


def test_unknown_accelerator_is_located_and_suggested(tmp_path: Path):
    msg = broken(tmp_path, lambda d: d["servers"][1].update(accelerator="A1OO-40GB"))
    assert "datacenter.yaml: servers[1].accelerator (line " in msg
    assert "unknown accelerator 'A1OO-40GB': did you mean A100-40GB" in msg


def broken_text(tmp_path: Path, old: str, new: str) -> str:
    """Like broken(), editing the fixture's text so that its line numbers stay as in the file."""
    folder = tmp_path / "cat"
    shutil.copytree(TINY, folder)
    text = (folder / "datacenter.yaml").read_text()
    assert old in text
    (folder / "datacenter.yaml").write_text(text.replace(old, new, 1))
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    return str(info.value)


def test_negative_price(tmp_path: Path):
    msg = broken_text(tmp_path, "purchase_price_usd: $296,644", "purchase_price_usd: -5")
    assert msg.endswith("datacenter.yaml: servers[0].purchase_price_usd (line 6): must be > 0 (got -5)")


def test_bad_unit(tmp_path: Path):
    msg = broken_text(tmp_path, "power_kw: 10.2kW", "power_kw: 10.2 kWh")
    assert msg.endswith(
        "datacenter.yaml: servers[0].power_kw (line 7): unknown power unit 'kWh' in '10.2 kWh': use W, kW or MW"
    )


def test_unknown_field_suggests_the_closest(tmp_path: Path):
    msg = broken(tmp_path, lambda d: d["servers"][0].update(pwer_kw=1))
    assert "servers[0].pwer_kw (line " in msg
    assert "unknown field: did you mean power_kw? (docs/datacenter.md lists the allowed fields)" in msg


def test_missing_field_and_undocumented_site_figure(tmp_path: Path):
    def edit(d: dict[str, Any]) -> None:
        del d["servers"][0]["power_source"]
        del d["site"]["sources"]["pue"]

    msg = broken(tmp_path, edit)
    # a missing key is located at the mapping that lacks it
    assert re.search(r"servers\[0\]\.power_source \(line \d+\): required field is missing", msg)
    assert re.search(
        r"site \(line \d+\): every site figure needs an entry in site\.sources \(basis, source, as_of\); "
        r"missing: pue$",
        msg,
    )


def test_site_source_needs_a_date(tmp_path: Path):
    msg = broken(tmp_path, lambda d: d["site"]["sources"]["pue"].pop("as_of"))
    assert re.search(
        r"site\.sources\.pue \(line \d+\): as_of is required for a quoted figure \(only overrides may omit it\)$",
        msg,
    )


def test_site_source_must_name_a_site_figure(tmp_path: Path):
    msg = broken(
        tmp_path, lambda d: d["site"]["sources"].update(electricity_usd_per_kw=d["site"]["sources"]["pue"])
    )
    assert re.search(
        r"site\.sources \(line \d+\): sources name unknown site figures: 'electricity_usd_per_kw' "
        r"\(did you mean electricity_usd_per_kwh, facility_capex_usd_per_kw\?\)$",
        msg,
    )


def test_duplicate_server_ids(tmp_path: Path):
    msg = broken_text(tmp_path, "- id: dgx-a100-40gb", "- id: HGX_H100_8GPU")
    assert msg.endswith(
        "datacenter.yaml: servers (line 3): duplicate server id: servers[1] 'HGX_H100_8GPU' repeats "
        "servers[0] 'hgx-h100-8gpu'"
    )


def test_datacenter_problems_are_reported_with_the_other_files(tmp_path: Path):
    folder = tmp_path / "cat"
    shutil.copytree(TINY, folder)
    (folder / "datacenter.yaml").write_text("servers: []\nsite: {}\n")
    offerings = (folder / "offerings.csv").read_text().splitlines()
    offerings[1] = offerings[1].replace("aws", "awz", 1)
    (folder / "offerings.csv").write_text("\n".join(offerings) + "\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    msg = str(info.value)
    assert "datacenter.yaml: servers (line 1):" in msg
    assert "datacenter.yaml: site.pue (line 2): required field is missing" in msg
    assert "offerings.csv: row 2, column provider: unknown provider 'awz'" in msg


def test_not_a_mapping(tmp_path: Path):
    folder = tmp_path / "cat"
    shutil.copytree(TINY, folder)
    (folder / "datacenter.yaml").write_text("- just a list\n")
    with pytest.raises(
        CatalogError, match=r"datacenter\.yaml: expected a mapping with 'servers' and 'site', got list"
    ):
        load_catalog(folder)


def test_catalog_without_datacenter_file(tmp_path: Path):
    folder = tmp_path / "cat"
    shutil.copytree(TINY, folder)
    (folder / "datacenter.yaml").unlink()
    assert load_catalog(folder).datacenter is None


def test_skypilot_imports_take_the_bundled_datacenter(default: Catalog):
    imported = load_catalog(FIXTURES / "skypilot_normalised.csv")
    assert imported.datacenter == default.datacenter


# -- Catalog.from_records -------------------------------------------------------------------------


def records(tiny: DatacenterCatalog) -> dict[str, Any]:
    cat = load_catalog(TINY)
    return {
        "accelerators": list(cat.accelerators.values()),
        "providers": list(cat.providers.values()),
        "offerings": list(cat.offerings),
    }


def test_from_records_accepts_a_datacenter_dict(tiny: DatacenterCatalog):
    raw = tiny.model_dump()
    raw["servers"][0]["accelerator"] = "h100"
    cat = Catalog.from_records(**records(tiny), datacenter=raw)
    assert cat.datacenter is not None
    assert cat.datacenter.servers[0].accelerator == "H100-SXM"
    assert Catalog.from_records(**records(tiny)).datacenter is None


def test_from_records_checks_accelerators(tiny: DatacenterCatalog):
    raw = tiny.model_dump()
    raw["servers"][0]["accelerator"] = "TPU-V9"
    with pytest.raises(CatalogError) as info:
        Catalog.from_records(**records(tiny), datacenter=raw, name="nb")
    assert "nb: datacenter.servers[0].accelerator: unknown accelerator 'TPU-V9'" in str(info.value)
    raw["servers"][0]["accelerator"] = "H100"
    raw["servers"][0]["power_kw"] = 0
    with pytest.raises(CatalogError, match=r"nb: datacenter.servers\[0\].power_kw: must be > 0 \(got 0\)"):
        Catalog.from_records(**records(tiny), datacenter=raw, name="nb")


# -- budget overrides -----------------------------------------------------------------------------


def test_override_fields_mirror_the_site_fields():
    assert set(site_override_fields()) <= set(DatacenterOverrides.model_fields)
    assert set(site_override_fields()) == set(SiteAssumptions.model_fields) - {"sources"}
    assert "pue" in site_figure_fields() and "facility_model" not in site_figure_fields()


def test_merged_with_nothing_is_the_catalog(tiny: DatacenterCatalog):
    assert tiny.merged(None) is tiny
    assert tiny.merged({}) == tiny
    assert parse_overrides({"enabled": False}).enabled is False


def test_site_overrides_parse_units_and_record_provenance(tiny: DatacenterCatalog):
    merged = tiny.merged(
        {
            "pue": "1.4",
            "electricity_usd_per_kwh": "$0.06",
            "cost_of_capital": "7%",
            "lead_time_months": "12 weeks",
            "useful_life_years": "48 months",
            "max_site_kw": "1.5MW",
            "facility_model": "own_facility",
        }
    )
    site = merged.site
    assert (site.pue, site.electricity_usd_per_kwh, site.cost_of_capital) == (1.4, 0.06, 0.07)
    assert site.lead_time_months == 3  # 2,016 h / 730 = 2.76 -> rounded up
    assert site.useful_life_years == pytest.approx(4.0)
    assert site.max_site_kw == 1500
    assert site.facility_model == "own_facility"
    pue = site.sources["pue"]
    assert (pue.basis, pue.source, pue.as_of) == ("override", "budget file (datacenter section)", None)
    assert pue.notes == "catalog value 1.25 (quoted: Epoch cost model (test fixture))"
    assert site.sources["cost_of_capital"].notes == "catalog value None"
    assert tiny.site.pue == 1.25  # the catalog itself is unchanged


def test_clearing_an_optional_figure(tiny: DatacenterCatalog):
    assert tiny.merged({"min_site_kw": None}).site.min_site_kw is None


def test_allow_list_and_price_override(tiny: DatacenterCatalog):
    merged = tiny.merged({"servers": ["HGX_H100_8GPU"], "server_prices_usd": {"hgx-h100-8gpu": "$250k"}})
    assert merged.server_ids == ("hgx-h100-8gpu",)
    h100 = merged.servers[0]
    assert h100.purchase_price_usd == 250_000
    assert h100.price_basis == "override"
    assert h100.notes is not None and h100.notes.startswith(
        "purchase price overridden in the budget (catalog: $296.6K, dihuni.com"
    )


def extra(**kw: Any) -> dict[str, Any]:
    return {
        "id": "my-l4-box",
        "accelerator": "l4",
        "gpus_per_server": 4,
        "purchase_price_usd": "$40k",
        "power_kw": "2.4kW",
        "source": "vendor quote 2026-03",
        "as_of": "2026-03",
        "power_source": "vendor spec sheet",
        "power_as_of": "2026",
        **kw,
    }


def test_extra_servers_are_added_and_resolved(tiny: DatacenterCatalog):
    index = load_catalog(TINY).accelerator_index
    merged = tiny.merged({"servers": ["dgx-a100-40gb"], "extra_servers": [extra()]}, accelerators=index)
    assert merged.server_ids == ("dgx-a100-40gb", "my-l4-box")  # extras are always kept
    box = merged.server("my-l4-box")
    assert (box.accelerator, box.purchase_price_usd, box.power_kw) == ("L4", 40_000, 2.4)
    priced = tiny.merged({"extra_servers": [extra()], "server_prices_usd": {"my-l4-box": 35_000}})
    assert priced.server("my-l4-box").purchase_price_usd == 35_000


def merge_error(tiny: DatacenterCatalog, overrides: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(InputError) as info:
        tiny.merged(overrides, **kw)
    return str(info.value)


def test_unknown_server_in_allow_list(tiny: DatacenterCatalog):
    msg = merge_error(tiny, {"servers": ["hgx-h100-8gpu", "hgx-h1OO"]}, source="budget.yaml")
    assert msg == (
        "budget.yaml: datacenter.servers[1]: unknown server 'hgx-h1OO' (did you mean hgx-h100-8gpu?); "
        "known servers: hgx-h100-8gpu, dgx-a100-40gb"
    )


def test_unknown_server_in_prices_and_empty_allow_list(tiny: DatacenterCatalog):
    msg = merge_error(tiny, {"servers": [], "server_prices_usd": {"dgx-b200": 1}})
    assert "datacenter.server_prices_usd.dgx-b200: unknown server 'dgx-b200'" in msg
    assert "known servers: hgx-h100-8gpu, dgx-a100-40gb" in msg
    assert (
        "datacenter.servers: the servers allow-list is empty: list at least one server id, or set "
        "enabled: false to plan without an own data center"
    ) in msg


def test_extra_server_errors(tiny: DatacenterCatalog):
    index = load_catalog(TINY).accelerator_index
    msg = merge_error(
        tiny,
        {"extra_servers": [extra(id="hgx-h100-8gpu"), extra(accelerator="RTX-9090")]},
        accelerators=index,
    )
    assert (
        "datacenter.extra_servers[0].id: server id 'hgx-h100-8gpu' is already in the catalog ('hgx-h100-8gpu'): "
        "pick another id, or use server_prices_usd to change the catalog server's price"
    ) in msg
    assert "datacenter.extra_servers[1].accelerator: unknown accelerator 'RTX-9090'" in msg


def test_repeated_extra_server_ids_are_refused_without_a_catalog():
    """Two extra servers with one id (as names match: case and separators do not count) is a mistake
    in the budget alone, so it is reported when the budget is read, with the file's other problems."""
    with pytest.raises(InputError) as info:
        parse_overrides({"extra_servers": [extra(), extra(id="a"), extra(id="MY_L4.BOX")]}, source="b.yaml")
    assert str(info.value) == (
        "b.yaml: datacenter.extra_servers: duplicate server id: extra_servers[2] 'MY_L4.BOX' repeats "
        "extra_servers[0] 'my-l4-box' (ids match ignoring case, '-', '_' and '.'): give each server its own id"
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"server_prices_usd": {"hgx-h100-8gpu": "-$5k"}},
            "datacenter.server_prices_usd.hgx-h100-8gpu: Input should be greater than 0 (got '-$5k')",
        ),
        (
            {"min_site_kw": "250 kWh"},
            "datacenter.min_site_kw: unknown power unit 'kWh' in '250 kWh': use W, kW or MW",
        ),
        (
            {"cost_of_capital": "107%"},
            "datacenter.cost_of_capital: a fraction must be between 0 and 1 (or 0% and 100%), got '107%'",
        ),
        (
            {"useful_life_years": "5 decades"},
            "datacenter.useful_life_years: unknown time unit 'decades' in '5 decades'",
        ),
        ({"pue": 0.9}, "datacenter.pue: Input should be greater than or equal to 1 (got 0.9)"),
        ({"electricity_usd_per_kwh": "$-0.1"}, "datacenter.electricity_usd_per_kwh: Input should be greater"),
        ({"pue_ratio": 1.2}, "datacenter.pue_ratio: unknown field"),
        (
            {"extra_servers": [extra(id="my box")]},
            "datacenter.extra_servers[0].id: server id must use letters",
        ),
        (
            {"extra_servers": [extra(purchase_price_usd=0)]},
            "extra_servers[0].purchase_price_usd: Input should be greater than 0",
        ),
    ],
)
def test_invalid_overrides_name_the_field_and_value(tiny: DatacenterCatalog, overrides: Any, expected: str):
    assert expected in merge_error(tiny, overrides)


@pytest.mark.parametrize(
    "name", sorted(set(site_override_fields()) - {"cost_of_capital", "min_site_kw", "max_site_kw"})
)
def test_required_site_fields_cannot_be_cleared(name: str):
    with pytest.raises(InputError, match=rf"datacenter.{name}: cannot be null \(leave the field out"):
        parse_overrides({name: None})


def test_site_range_is_checked_in_the_budget_and_against_the_catalog(tiny: DatacenterCatalog):
    """min_site_kw > max_site_kw is located at the field the budget sets, naming where the other
    bound comes from (the tiny catalog: min_site_kw 250, no max_site_kw)."""
    with pytest.raises(InputError) as info:
        parse_overrides({"min_site_kw": "300kW", "max_site_kw": 100}, source="b.yaml")
    assert str(info.value) == (
        "b.yaml: datacenter.max_site_kw: max_site_kw (100) is smaller than min_site_kw (300): raise "
        "max_site_kw or lower min_site_kw (both in kW)"
    )
    assert merge_error(tiny, {"max_site_kw": 100}, source="b.yaml") == (
        "b.yaml: datacenter.max_site_kw: max_site_kw (100) is smaller than the catalog's min_site_kw (250): "
        "raise max_site_kw, or set min_site_kw here too (null clears it)"
    )
    capped = tiny.merged({"max_site_kw": 500})
    assert merge_error(capped, {"min_site_kw": 600}) == (
        "datacenter.min_site_kw: min_site_kw (600) is larger than the catalog's max_site_kw (500): lower "
        "min_site_kw, or set max_site_kw here too (null clears it)"
    )
    cleared = tiny.merged({"min_site_kw": None, "max_site_kw": 100}).site
    assert (cleared.min_site_kw, cleared.max_site_kw) == (None, 100)
    assert tiny.merged({"min_site_kw": 50, "max_site_kw": 100}).site.min_site_kw == 50


def test_docs_override_example_merges(default: Catalog):
    """The YAML example of docs/datacenter.md is valid and does what the page says."""
    text = (REPO / "docs" / "datacenter.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block is not None
    dc = default.datacenter
    assert dc is not None
    merged = dc.merged(yaml.safe_load(block.group(1))["datacenter"], accelerators=default.accelerator_index)
    assert merged.server_ids == ("hgx-h100-8gpu", "dgx-b200", "my-l40s-box")
    assert merged.server("hgx-h100-8gpu").purchase_price_usd == 250_000
    assert merged.server("my-l40s-box").accelerator == "L40S"
    assert (merged.site.lead_time_months, merged.site.min_site_kw, merged.site.cost_of_capital) == (
        3,
        None,
        0.07,
    )


def test_all_override_problems_are_reported_together(tiny: DatacenterCatalog):
    msg = merge_error(tiny, {"extra_servers": [extra(id="hgx-h100-8gpu")], "servers": ["nope"]})
    assert msg.startswith("2 problems:")
    assert "datacenter.extra_servers[0].id: server id 'hgx-h100-8gpu' is already in the catalog" in msg
    assert "datacenter.servers[0]: unknown server 'nope'" in msg
