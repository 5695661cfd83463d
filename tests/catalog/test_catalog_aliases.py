"""Name keys, alias resolution and closest-name suggestions."""

from __future__ import annotations

import pytest

from planner.catalog.aliases import NameIndex, name_key, suggest_words
from planner.errors import CatalogError, InputError


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(
        "accelerator",
        {
            "H100-SXM": ("H100", "H100_SXM5", "H100-80GB"),
            "H100-PCIE": ("H100-PCIe-80GB",),
            "H200": (),
            "A100-40GB": ("A100",),
            "L4": (),
        },
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("H100_SXM5", "h100sxm5"),
        (" h100 sxm5 ", "h100sxm5"),
        ("H100-SXM5", "h100sxm5"),
        ("tpu.v5e", "tpuv5e"),
    ],
)
def test_name_key_ignores_case_and_separators(raw: str, key: str):
    assert name_key(raw) == key


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("h100", "H100-SXM"),
        ("H100_SXM5", "H100-SXM"),
        ("h100 sxm", "H100-SXM"),
        ("a100", "A100-40GB"),
        ("l4", "L4"),
    ],
)
def test_resolve(index: NameIndex, name: str, canonical: str):
    assert index.resolve(name) == canonical


def test_unknown_name_lists_three_to_five_suggestions(index: NameIndex):
    with pytest.raises(InputError) as info:
        index.resolve("H1OO")
    msg = str(info.value)
    assert msg.startswith("unknown accelerator 'H1OO': did you mean H100-SXM, H100-PCIE")
    names = msg.split("did you mean ")[1].rstrip("?").split(", ")
    assert 3 <= len(names) <= 5
    assert len(set(names)) == len(names)


def test_far_off_name_still_gets_three_suggestions(index: NameIndex):
    assert len(index.suggest("zzzz")) == 3


def test_alias_on_two_ids_is_an_error():
    with pytest.raises(CatalogError, match="'h100' is claimed by both 'H100-SXM' and 'H100-PCIE'"):
        NameIndex("accelerator", {"H100-SXM": ("H100",), "H100-PCIE": ("h100",)}, source="acc.yaml")


def test_suggest_words_for_columns():
    assert suggest_words("on_demand_usd", ["on_demand_usd_per_hour", "spot_usd_per_hour"]) == [
        "on_demand_usd_per_hour"
    ]
