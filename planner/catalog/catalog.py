"""The Catalog: accelerators, providers and offerings, with name resolution and a tabular view."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, TypeAdapter, ValidationError

from planner.catalog.aliases import NameIndex
from planner.catalog.datacenter import DatacenterCatalog, datacenter_from_records
from planner.catalog.schema import Accelerator, Offering, Provider
from planner.catalog.validate import (
    Locator,
    accelerator_index,
    cap_problems,
    cross_reference,
    problems_from_error,
    provider_index,
)
from planner.enums import Term
from planner.errors import CatalogError, InputError, Problem

# Per-GPU-hour price columns of offerings_frame(), by purchase term.
PER_GPU_HOUR_COLUMNS: dict[Term, str] = {
    Term.ON_DEMAND: "on_demand_per_gpu_hour_usd",
    Term.SPOT: "spot_per_gpu_hour_usd",
    Term.RESERVED_1Y: "reserved_1y_per_gpu_hour_usd",
    Term.RESERVED_3Y: "reserved_3y_per_gpu_hour_usd",
}
_PREFERRED_ORDER = (
    "provider", "region", "zone", "instance_type", "accelerator", "gpus_per_instance", "vcpus",
    "host_memory_gib", "on_demand_usd_per_hour", "spot_usd_per_hour", "reserved_1y_usd_per_hour",
    "reserved_1y_basis", "reserved_3y_usd_per_hour", "reserved_3y_basis", "reserved_source",
    "reserved_as_of", "capacity_max_instances", "cluster_interconnect", "egress_usd_per_gb",
    "price_scope", "source", "as_of", "notes",
)  # fmt: skip
OFFERING_FIELDS: tuple[str, ...] = tuple(f for f in _PREFERRED_ORDER if f in Offering.model_fields) + tuple(
    f for f in Offering.model_fields if f not in _PREFERRED_ORDER
)
"""Offering fields in the column order of offerings.csv and offerings_frame()."""

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class ImportSummary:
    """What an importer read, kept and skipped (never silently): reasons with row counts."""

    source: str
    rows_read: int
    rows_kept: int
    skipped: Mapping[str, int] = field(default_factory=dict)
    skipped_names: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"{self.source}: kept {self.rows_kept} of {self.rows_read} rows"]
        for reason, count in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            names = self.skipped_names.get(reason)
            detail = ""
            if names:
                top = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
                detail = (
                    " (" + ", ".join(f"{n} x{c}" for n, c in top) + (", ..." if len(names) > 8 else "") + ")"
                )
            lines.append(f"  skipped {count}: {reason}{detail}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


class Catalog:
    """Accelerators, providers and offerings of one catalog, validated and cross-referenced.

    Build one with :func:`planner.catalog.load.load_catalog` (files) or :meth:`from_records`
    (Python objects); both run the same cross-reference validation. The constructor trusts its
    inputs (ids canonical, names resolved) and does not re-validate.
    """

    def __init__(
        self,
        name: str,
        accelerators: Mapping[str, Accelerator],
        providers: Mapping[str, Provider],
        offerings: Sequence[Offering],
        path: Path | None = None,
        import_summary: ImportSummary | None = None,
        datacenter: DatacenterCatalog | None = None,
    ):
        self.name = name
        self.path = path
        self.accelerators: dict[str, Accelerator] = dict(accelerators)
        self.providers: dict[str, Provider] = dict(providers)
        self.offerings: tuple[Offering, ...] = tuple(offerings)
        self.import_summary = import_summary
        self.datacenter: DatacenterCatalog | None = datacenter
        """Own data-center servers and site assumptions (datacenter.yaml); None when absent."""
        self._acc_index: NameIndex = accelerator_index(list(self.accelerators.values()))
        self._prov_index: NameIndex = provider_index(list(self.providers.values()))
        self._frame: pd.DataFrame | None = None

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_records(
        cls,
        accelerators: Iterable[Accelerator | Mapping[str, Any]],
        providers: Iterable[Provider | Mapping[str, Any]],
        offerings: Iterable[Offering | Mapping[str, Any]],
        name: str = "in-memory",
        datacenter: DatacenterCatalog | Mapping[str, Any] | None = None,
    ) -> Catalog:
        """Build a catalog from models or plain dicts (tests, notebooks), fully validated.

        Dicts are validated with the same strict schema as the files; problems are reported as
        ``accelerators[2].memory_gib: ...``. Offerings may name accelerators and providers by
        alias; they are rewritten to canonical ids. `datacenter` (the content of a
        datacenter.yaml) is validated the same way; its servers' accelerators must be known.
        """
        acc = _validate_list(Accelerator, accelerators, "accelerators")
        prov = _validate_list(Provider, providers, "providers")
        offs = _validate_list(Offering, offerings, "offerings")
        by_acc, by_prov, resolved = cross_reference(
            acc,
            prov,
            offs,
            locate_accelerator=_list_locator(name, "accelerators"),
            locate_provider=_list_locator(name, "providers"),
            locate_offering=_list_locator(name, "offerings"),
            sources=(name, name),
        )
        dc = None
        if datacenter is not None:
            dc = datacenter_from_records(datacenter, accelerator_index(list(by_acc.values())), name)
        return cls(name, by_acc, by_prov, resolved, datacenter=dc)

    # -- names ----------------------------------------------------------------------------------

    def resolve_accelerator(self, name: str) -> str:
        """Canonical accelerator id for an id or alias (case, '_', ' ' and '-' do not matter).

        Unknown names raise InputError naming the closest known accelerators.
        """
        return self._acc_index.resolve(name)

    @property
    def accelerator_index(self) -> NameIndex:
        """Name index over accelerator ids and aliases (used by importers)."""
        return self._acc_index

    def accelerator(self, name: str) -> Accelerator:
        """The Accelerator for an id or alias (see resolve_accelerator)."""
        return self.accelerators[self.resolve_accelerator(name)]

    def resolve_provider(self, name: str) -> str:
        """Canonical provider id for an id or display name; unknown names suggest the closest."""
        return self._prov_index.resolve(name)

    def provider(self, name: str) -> Provider:
        """The Provider for an id or display name (see resolve_provider)."""
        return self.providers[self.resolve_provider(name)]

    # -- views ----------------------------------------------------------------------------------

    def offerings_frame(self) -> pd.DataFrame:
        """One row per offering: every Offering field plus per-GPU-hour prices (cached).

        Price columns per GPU-hour are ``<term>_usd_per_hour / gpus_per_instance``; NaN where
        the term is not sold. The frame is shared between calls: treat it as read-only.
        """
        if self._frame is None:
            self._frame = _offerings_frame(self.offerings)
        return self._frame

    def regions(self, provider: str | None = None) -> list[str]:
        """Sorted distinct regions with at least one offering (of `provider` if given)."""
        if provider is None:
            return sorted({o.region for o in self.offerings})
        pid = self.resolve_provider(provider)
        return sorted({o.region for o in self.offerings if o.provider == pid})

    def __len__(self) -> int:
        return len(self.offerings)

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return (
            f"Catalog({self.name!r}{where}: {len(self.accelerators)} accelerators, "
            f"{len(self.providers)} providers, {len(self.offerings)} offerings)"
        )


def _offerings_frame(offerings: Sequence[Offering]) -> pd.DataFrame:
    """Tabular view of offerings; vectorised per-GPU-hour prices."""
    frame = pd.DataFrame.from_records([o.__dict__ for o in offerings], columns=list(OFFERING_FIELDS))
    gpus = frame["gpus_per_instance"].astype("float64")
    for term, column in PER_GPU_HOUR_COLUMNS.items():
        frame[column] = pd.to_numeric(frame[f"{term.value}_usd_per_hour"], errors="coerce") / gpus
    return frame


def _validate_list(model: type[_M], items: Iterable[_M | Mapping[str, Any]], what: str) -> list[_M]:
    """Validate dicts (model instances pass as they are) as one list: all problems at once."""
    adapter: TypeAdapter[list[_M]] = TypeAdapter(list[model])  # type: ignore[valid-type]
    try:
        return adapter.validate_python(list(items))
    except ValidationError as exc:
        problems = problems_from_error(exc, _list_locator(None, what))
        raise CatalogError(cap_problems(problems, None)) from None
    except TypeError as exc:  # not a list of mappings at all
        raise InputError([Problem(f"{what}: expected a list of records ({exc})")]) from None


def _list_locator(source: str | None, what: str) -> Locator:
    """Locator for in-memory lists: index 3, field 'x' -> (source, 'offerings[3].x')."""

    def locate(index: int, fld: str | None) -> tuple[str | None, str | None]:
        return source, f"{what}[{index}]" + (f".{fld}" if fld else "")

    return locate
