"""Strict pydantic schema of a catalog. Unknown keys are rejected; every record carries provenance.

A catalog folder holds:
  accelerators.yaml   list of Accelerator
  providers.yaml      list of Provider
  offerings.csv       one Offering per row (or offerings.yaml, a list)
  SOURCES.md          where every file came from and how to rebuild it
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.enums import CLOUD_TERMS, Precision, Term

_AS_OF_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
EARLIEST_AS_OF_YEAR = 2000
"""No catalog figure predates 2000: the first GPU used for general computing shipped around then."""


def check_as_of(v: object) -> str:
    """A date of validity as text: YYYY-MM-DD, YYYY-MM or YYYY (YAML dates are accepted).

    It must be a real calendar date between 2000 and next year (a quote may be valid from next year)."""
    if v is None:
        raise ValueError("required value is empty: give the date the figures were valid, e.g. 2025-06-30")
    text = str(v).strip()
    m = _AS_OF_RE.match(text)
    if not m:
        raise ValueError(f"as_of must be a date like 2025-06-30, 2025-06 or 2025, got {v!r}")
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise ValueError(
            f"as_of {text!r} is not a calendar date (month 01-12, day within the month): "
            "write it as YYYY-MM-DD, YYYY-MM or YYYY, e.g. 2025-06-30"
        ) from None
    latest = datetime.date.today().year + 1
    if not EARLIEST_AS_OF_YEAR <= year <= latest:
        raise ValueError(
            f"as_of {text!r} is not between {EARLIEST_AS_OF_YEAR} and {latest}: "
            "give the date the figures were valid, e.g. 2025-06-30"
        )
    return text


class StrictModel(BaseModel):
    """Base of every input model: unknown keys are errors, instances are immutable, and no number is
    infinite or NaN (YAML's .inf and .nan are numbers to its parser, never a quantity here)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


class CatalogModel(StrictModel):
    """A catalog record: YAML's true/false is refused where a number is expected (pydantic reads
    true as 1, so `memory_gib: true` would be a 1 GiB device). The boolean is handed on as the text
    'true'/'false', which the number field then refuses with its usual 'must be a number' message."""

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kinds = set(map(type, data.values()))  # fast: CSV rows hold text and None only
        if bool not in kinds and dict not in kinds:  # a dict may hold booleans (peak_tflops)
            return data
        numeric = _numeric_fields(cls)
        return {k: _bool_as_text(v) if k in numeric else v for k, v in data.items()}


def _bool_as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return {k: _bool_as_text(x) for k, x in value.items()}
    return value


@functools.cache
def _numeric_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields of `model` whose type holds a number and no boolean."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if (kinds := _scalar_types(info.annotation)) & {int, float} and bool not in kinds
    )


def _scalar_types(annotation: Any) -> set[Any]:
    """int, float, bool, ... named anywhere in an annotation (through Optional, Annotated, dict)."""
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    return {t for arg in args for t in _scalar_types(arg)}


class Provenance(CatalogModel):
    source: str = Field(min_length=1, description="Where the figures come from (URL, dataset + commit).")
    as_of: str = Field(description="Date the figures were valid: YYYY-MM-DD, YYYY-MM or YYYY.")

    @field_validator("as_of", mode="before")
    @classmethod
    def _check_as_of(cls, v: object) -> str:
        return check_as_of(v)


MAX_PEAK_TFLOPS = 1e6
"""Per device: 200x the fastest GPU in the bundled catalog, 8x a Cerebras WSE-3 wafer (125 PFLOPS)."""
MAX_USD_PER_HOUR = 1e5
"""Per instance: 10x the dearest offering in the bundled catalog (a 3,072-chip TPU slice, ~9,900 USD/h)."""
MAX_EGRESS_USD_PER_GB = 100.0
"""About 1,000x the internet egress price of any cloud (0.05-0.12 USD/GB)."""


class Accelerator(Provenance):
    """One accelerator model. Tensor peaks are dense (no sparsity), per device."""

    id: str = Field(min_length=1, description="Canonical id, e.g. 'H100-SXM'.")
    aliases: tuple[str, ...] = Field(default=(), description="Other names, matched case-insensitively.")
    vendor: str
    kind: Literal["gpu", "tpu", "asic"] = "gpu"
    # Upper bounds: far above any device (288 GiB, 8 TB/s, 5 PFLOPS, 1.4 kW in the bundled catalog;
    # a Cerebras wafer: 21 PB/s, 125 PFLOPS, 23 kW), low enough that the model's arithmetic stays finite.
    memory_gib: float = Field(gt=0, le=1e5, description="Device memory, GiB (HBM sizes are marketed in GiB).")
    memory_bandwidth_gb_per_s: float = Field(
        gt=0, le=1e8, description="Device memory bandwidth, GB/s (1e9 B/s)."
    )
    peak_tflops: dict[Precision, float] = Field(
        description="Dense peak TFLOPS (TOPS for int8) per precision; absent = not supported natively."
    )
    tdp_watts: float | None = Field(default=None, gt=0, le=1e5)
    interconnect: str | None = Field(default=None, description="Device-to-device link within a node.")
    form_factor: str | None = None
    release_year: int | None = Field(default=None, ge=2000, le=2100)
    notes: str | None = None

    @field_validator("peak_tflops")
    @classmethod
    def _positive_peaks(cls, v: dict[Precision, float]) -> dict[Precision, float]:
        for prec, tflops in v.items():
            if math.isnan(tflops):
                raise ValueError(f"peak_tflops[{prec.value}] must be a finite number, got nan")
            if not tflops > 0:
                raise ValueError(f"peak_tflops[{prec.value}] must be > 0, got {tflops!r}")
            if tflops > MAX_PEAK_TFLOPS:
                raise ValueError(f"peak_tflops[{prec.value}] must be <= {MAX_PEAK_TFLOPS:g}, got {tflops!r}")
        return v

    def peak_flops_per_s(self, precision: Precision) -> float | None:
        """Dense peak in FLOP/s for `precision`, or None when the device has no native support."""
        tflops = self.peak_tflops.get(precision)
        return None if tflops is None else tflops * 1e12


class Provider(Provenance):
    """A seller of capacity, with provider-wide defaults offerings can override."""

    id: str = Field(min_length=1, description="Lowercase id, as in SkyPilot ('aws', 'gcp', 'lambda').")
    name: str
    kind: Literal["hyperscaler", "neocloud", "marketplace", "aggregator"]
    egress_usd_per_gb: float | None = Field(
        default=None, ge=0, le=MAX_EGRESS_USD_PER_GB, description="Internet egress, USD/GB."
    )
    notes: str | None = None


class Offering(Provenance):
    """An instance type sold by a provider in a region (and zone), priced per instance-hour."""

    provider: str = Field(min_length=1)
    region: str = Field(min_length=1)
    zone: str | None = None
    instance_type: str = Field(min_length=1)
    accelerator: str = Field(min_length=1, description="Canonical accelerator id.")
    # Upper bounds keep the model's numbers finite: 3,072 chips (a TPU slice) is the largest instance
    # in the bundled catalog; a full TPU v5p pod has 8,960 chips.
    gpus_per_instance: int = Field(gt=0, le=100_000)
    vcpus: float | None = Field(default=None, gt=0, le=1e5)
    host_memory_gib: float | None = Field(default=None, gt=0, le=1e6)
    on_demand_usd_per_hour: float | None = Field(default=None, gt=0, le=MAX_USD_PER_HOUR)
    spot_usd_per_hour: float | None = Field(default=None, gt=0, le=MAX_USD_PER_HOUR)
    reserved_1y_usd_per_hour: float | None = Field(default=None, gt=0, le=MAX_USD_PER_HOUR)
    reserved_3y_usd_per_hour: float | None = Field(default=None, gt=0, le=MAX_USD_PER_HOUR)
    reserved_1y_basis: Literal["quoted", "derived"] | None = Field(
        default=None, description="'quoted': the price appears in a source; 'derived': discount applied."
    )
    reserved_3y_basis: Literal["quoted", "derived"] | None = None
    reserved_source: str | None = Field(default=None, description="Source of the reserved prices/discount.")
    reserved_as_of: str | None = None
    capacity_max_instances: int | None = Field(
        default=None, gt=0, le=10_000_000, description="Most instances obtainable."
    )
    cluster_interconnect: str | None = Field(
        default=None, description="Node-to-node fabric for multi-node jobs (None: not known to have one)."
    )
    egress_usd_per_gb: float | None = Field(
        default=None, ge=0, le=MAX_EGRESS_USD_PER_GB, description="None: provider default."
    )
    price_scope: Literal["instance", "accelerator_only", "host_only"] = Field(
        default="instance",
        description=(
            "What the price covers. 'instance': the whole instance. 'accelerator_only': the GPUs only, "
            "the host VM is not priced. 'host_only': the host VM only, the GPUs are billed separately "
            "and not priced. Only 'instance' prices are complete."
        ),
    )
    price_quality: Literal["listed", "placeholder", "suspect"] = Field(
        default="listed",
        description=(
            "'listed': as the provider lists it. 'placeholder': the source's value looks like a "
            "placeholder (e.g. 1.00/GPU-hour for every GPU). 'suspect': columns look swapped or "
            "inconsistent (see notes). The planner uses only 'listed' prices unless told otherwise."
        ),
    )
    notes: str | None = None

    @field_validator("reserved_as_of", mode="before")
    @classmethod
    def _check_reserved_as_of(cls, v: object) -> str | None:
        return None if v is None else check_as_of(v)

    @model_validator(mode="after")
    def _check_prices(self) -> Offering:
        if all(self.price_per_hour(t) is None for t in CLOUD_TERMS):
            raise ValueError(
                "an offering needs at least one price (on_demand, spot, reserved_1y or reserved_3y)"
            )
        for term in (Term.RESERVED_1Y, Term.RESERVED_3Y):
            price = self.price_per_hour(term)
            basis = getattr(self, f"{term.value}_basis")
            if price is not None and basis is None:
                raise ValueError(f"{term.value}_basis is required when {term.value}_usd_per_hour is set")
            if price is None and basis is not None:
                raise ValueError(f"{term.value}_basis is set but {term.value}_usd_per_hour is empty")
        return self

    @property
    def price_is_complete(self) -> bool:
        """True when the price covers the whole instance (price_scope 'instance')."""
        return self.price_scope == "instance"

    @property
    def key(self) -> str:
        """Stable identity of the row: provider/region/zone/instance_type."""
        return "/".join((self.provider, self.region, self.zone or "-", self.instance_type))

    def price_per_hour(self, term: Term) -> float | None:
        """USD per instance-hour for `term`, None when the term is not sold."""
        field = _PRICE_FIELDS.get(term)
        return None if field is None else getattr(self, field)

    def price_per_gpu_hour(self, term: Term) -> float | None:
        price = self.price_per_hour(term)
        return None if price is None else price / self.gpus_per_instance


# Offering field holding the price of each cloud term (price_per_hour is called per row in validation).
_PRICE_FIELDS: dict[Term, str] = {
    Term.ON_DEMAND: "on_demand_usd_per_hour",
    Term.SPOT: "spot_usd_per_hour",
    Term.RESERVED_1Y: "reserved_1y_usd_per_hour",
    Term.RESERVED_3Y: "reserved_3y_usd_per_hour",
}
