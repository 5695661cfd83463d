"""Own data-center supply (issue 5): server configurations, site assumptions and budget overrides.

A catalog folder may hold ``datacenter.yaml``::

    servers:            list of ServerConfig (an 8-GPU box you can buy, with price and power)
    site:               SiteAssumptions (PUE, electricity, colocation, staff, life, lead time, ...)

Every figure carries its provenance: a server's purchase price has ``source``/``as_of``, its power
``power_source``/``power_as_of``; every site figure has an entry in ``site.sources`` saying whether
it is quoted, derived (with the rule in ``notes``) or an assumption (with the reasoning).

A budget overrides the defaults with a ``datacenter:`` section, read into
:class:`DatacenterOverrides` and applied with :meth:`DatacenterCatalog.merged`. Units are parsed at
this boundary: ``"$250k"``, ``"10.2kW"``, ``"7%"``, ``"5y"``, ``"12 weeks"``.

Conventions (the cost functions in :mod:`planner.tco` follow them; docs/datacenter.md explains):

* ``power_kw`` is the rated maximum IT power of a server: what a colocation contract provisions.
  A busy server draws ``power_kw x load_power_fraction``; an idle one ``idle_power_fraction`` of that.
* ``colocation_usd_per_kw_month`` is per kW of contracted IT (critical) capacity, not x PUE;
  electricity is billed on top, metered, at IT draw x PUE (unless ``colocation_includes_power``).
* ``residual_value_fraction`` is the resale value at the end of ``useful_life_years`` as a share
  of the capex (servers + network/storage); before that the value falls straight-line.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planner.catalog.aliases import NameIndex, name_key, suggest_words
from planner.catalog.schema import CatalogModel, check_as_of
from planner.catalog.validate import friendly_message
from planner.errors import CatalogError, InputError, Problem, problems_from_validation
from planner.units import USD, Fraction, format_usd, number_or_text, parse_hours, parse_months, parse_watts

# A locator turns a dotted error path ('servers.2.power_kw', None for the whole record) into
# (source file, location text such as 'servers[2].power_kw (line 40)').
PathLocator = Callable[[str | None], tuple[str | None, str | None]]

# -- unit types of this boundary ----------------------------------------------------------------


def _plain_number(value: Any) -> float | None:
    """A bare number (or numeric text such as '10.2' or '1,000'), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace("_", "").replace(",", ""))
        except ValueError:
            return None
    return None


def _finite(x: float, raw: Any) -> float:
    if not math.isfinite(x):
        raise ValueError(f"must be a finite number, got {raw!r}")
    return x


def parse_kw(value: Any) -> float:
    """Power in kW: bare numbers are kW; text may carry a unit: '10.2kW', '700 W', '1.5MW'."""
    number = _plain_number(value)
    if number is not None:
        return _finite(number, value)
    if not isinstance(value, str):
        raise ValueError(f"expected a power such as 10.2 or '10.2kW', got {value!r}")
    return _finite(parse_watts(value) / 1000.0, value)


def parse_years(value: Any) -> float:
    """A duration in years: bare numbers are years; text may carry a unit: '5y', '60 months'."""
    number = _plain_number(value)
    if number is not None:
        return _finite(number, value)
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as 5 or '5y', got {value!r}")
    return parse_hours(value) / 8760.0


def parse_whole_months(value: Any) -> int:
    """A lead time in whole months (730 h): bare numbers are months, text may carry a unit
    ('12 weeks', '90d'); a fraction of a month is rounded up (you cannot use a server earlier)."""
    months = parse_months(value)
    if months < 0:
        raise ValueError(
            f"a lead time cannot be negative, got {value!r}: write 0 for servers available at once"
        )
    return math.ceil(months - 1e-9)


Kilowatts = Annotated[
    float,
    BeforeValidator(parse_kw),
    number_or_text("kW; or text with a unit: 10.2kW, 700W", [10.2, "10.2kW"]),
]
Years = Annotated[
    float, BeforeValidator(parse_years), number_or_text("Years; or text with a unit: 5y, 60mo", [5, "5y"])
]
WholeMonths = Annotated[
    int,
    BeforeValidator(parse_whole_months),
    number_or_text("Whole months (730 h), rounded up; or 12 weeks, 90d", [4, "12 weeks"]),
]
PositiveUSD = Annotated[USD, Field(gt=0)]
NonNegativeUSD = Annotated[USD, Field(ge=0)]

# Upper bounds: far above any real figure, low enough that the model's arithmetic stays finite
# (a 1e300 price or power reached the solver as an unsolvable coefficient).
MAX_GPUS_PER_SERVER = 1024  # the densest shipping system, a GB200 NVL72 rack, holds 72 GPUs
MAX_SERVER_PRICE_USD = 1e8  # an NVL72 rack sells for about 3e6 USD
MAX_SERVER_KW = 1e4  # an NVL72 rack draws about 132 kW
MAX_SITE_KW = 1e7  # 10 GW: the largest announced AI campuses are 1-5 GW
MAX_YEARS = 100.0  # a building's life; servers are written off in 3-6 years
MAX_LEAD_TIME_MONTHS = 120  # 2023's worst GPU-server lead times were about 12 months
ServerPriceUSD = Annotated[USD, Field(gt=0, le=MAX_SERVER_PRICE_USD)]
ServerKilowatts = Annotated[Kilowatts, Field(gt=0, le=MAX_SERVER_KW)]
SiteKilowatts = Annotated[Kilowatts, Field(gt=0, le=MAX_SITE_KW)]
LifeYears = Annotated[Years, Field(gt=0, le=MAX_YEARS)]
LeadTimeMonths = Annotated[WholeMonths, Field(ge=0, le=MAX_LEAD_TIME_MONTHS)]
ElectricityUSDPerKWh = Annotated[USD, Field(ge=0, le=100)]  # 1,000x a typical industrial price (0.08)
RentUSDPerKWMonth = Annotated[USD, Field(ge=0, le=1e5)]  # 500x the CBRE average asking rate (184)
CapexUSDPerKW = Annotated[USD, Field(ge=0, le=1e7)]  # 800x the average build cost (11,700 USD/kW)
OperationsUSDPerMonth = Annotated[USD, Field(ge=0, le=1e9)]  # 50,000x two staff (21,522 USD/month)

FacilityModel = Literal["colocation", "own_facility"]
FigureBasis = Literal["quoted", "derived", "assumption", "override"]
OVERRIDE_SOURCE = "budget file (datacenter section)"

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# -- records ------------------------------------------------------------------------------------


class FigureSource(CatalogModel):
    """Where one site figure comes from."""

    basis: FigureBasis = Field(
        description=(
            "'quoted': the number appears in the source. 'derived': computed from quoted numbers by "
            "the rule in notes. 'assumption': no source has it; notes give the reasoning. "
            "'override': set in a budget file."
        )
    )
    source: str = Field(min_length=1, description="Where the figure (or its inputs) comes from.")
    as_of: str | None = Field(
        default=None,
        description="Date the figure was valid: YYYY-MM-DD, YYYY-MM or YYYY (not for overrides).",
    )
    notes: str | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _check_as_of(cls, v: object) -> str | None:
        return None if v is None else check_as_of(v)

    @model_validator(mode="after")
    def _as_of_required(self) -> FigureSource:
        if self.as_of is None and self.basis != "override":
            raise ValueError(f"as_of is required for a {self.basis} figure (only overrides may omit it)")
        return self


class ServerConfig(CatalogModel):
    """A server you can buy: its accelerators, purchase price and power, with provenance."""

    id: str = Field(min_length=1, description="Unique id, e.g. 'hgx-h100-8gpu' (letters, digits, . _ -).")
    name: str | None = Field(default=None, description="Display name, e.g. 'Supermicro SYS-821GE-TNHR'.")
    accelerator: str = Field(min_length=1, description="Accelerator id or alias of the catalog.")
    gpus_per_server: int = Field(gt=0, le=MAX_GPUS_PER_SERVER, description="Accelerators per server.")
    purchase_price_usd: ServerPriceUSD = Field(description="Price of one server, USD ('$296k').")
    power_kw: ServerKilowatts = Field(
        description="Rated maximum IT power of one server, kW ('10.2kW'): what a colocation contract provisions."
    )
    price_basis: Literal["quoted", "derived", "override"] = Field(
        default="quoted", description="'derived': computed by the rule in notes; 'override': set in a budget."
    )
    source: str = Field(min_length=1, description="Source of the purchase price.")
    as_of: str = Field(description="Date of the purchase price: YYYY-MM-DD, YYYY-MM or YYYY.")
    power_basis: Literal["quoted", "derived"] = Field(default="quoted")
    power_source: str = Field(min_length=1, description="Source of power_kw.")
    power_as_of: str = Field(description="Date of the power figure (a spec: the product's release).")
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"server id must use letters, digits, '.', '_' and '-' only, got {v!r}")
        return v

    @field_validator("as_of", "power_as_of", mode="before")
    @classmethod
    def _check_dates(cls, v: object) -> str:
        return check_as_of(v)

    @property
    def price_per_gpu_usd(self) -> float:
        return self.purchase_price_usd / self.gpus_per_server


# Site fields that are figures (need a source); the others are choices.
_CHOICE_FIELDS = frozenset({"facility_model", "capex_accounting", "colocation_includes_power", "sources"})


class SiteAssumptions(CatalogModel):
    """Where and how servers run. Defaults come from the catalog; a budget overrides any field."""

    facility_model: FacilityModel = Field(
        default="colocation",
        description="'colocation': rent space and power per kW-month; 'own_facility': build, capex per kW.",
    )
    pue: float = Field(ge=1.0, le=5.0, description="Power usage effectiveness: facility / IT energy (>= 1).")
    electricity_usd_per_kwh: ElectricityUSDPerKWh = Field(description="Electricity price, USD per kWh.")
    colocation_usd_per_kw_month: RentUSDPerKWMonth = Field(
        description="Colocation rent, USD per kW of contracted IT capacity per month (not x PUE)."
    )
    colocation_includes_power: bool = Field(
        default=False, description="True: the rent includes electricity (retail colocation); no power bill."
    )
    facility_capex_usd_per_kw: CapexUSDPerKW = Field(
        description="Own facility: construction cost per kW of IT (critical) capacity, USD."
    )
    facility_life_years: LifeYears = Field(
        description="Own facility: years over which the building capex is amortized."
    )
    network_storage_capex_fraction: Fraction = Field(
        description="Networking + storage capex as a share of server capex ('23.5%')."
    )
    operations_usd_per_month: OperationsUSDPerMonth = Field(
        description="Fixed staff/operations cost of running one site, USD per month."
    )
    maintenance_fraction_per_year: Fraction = Field(
        description="Hardware maintenance/support per year, share of capex (servers + network)."
    )
    useful_life_years: LifeYears = Field(
        description="Years over which servers are amortized (and after which they are retired)."
    )
    lead_time_months: LeadTimeMonths = Field(
        description="Months from order to production (delivery + installation), whole months."
    )
    residual_value_fraction: Fraction = Field(
        description="Resale value at the end of useful_life_years, share of capex; straight-line before."
    )
    cost_of_capital: Fraction | None = Field(
        default=None,
        description="Annual rate (nominal, compounded monthly) for amortization; None: straight-line, no interest.",
    )
    min_site_kw: Annotated[Kilowatts, Field(ge=0, le=MAX_SITE_KW)] | None = Field(
        default=None, description="Smallest contract, kW of IT capacity: an open site pays at least this."
    )
    max_site_kw: SiteKilowatts | None = Field(
        default=None, description="Most IT capacity the site can host, kW."
    )
    idle_power_fraction: Fraction = Field(
        description="Draw of an idle (powered) server as a share of its busy draw."
    )
    load_power_fraction: Annotated[Fraction, Field(gt=0)] = Field(
        description="Average draw of a busy server as a share of its rated power_kw."
    )
    capex_accounting: Literal["amortized", "upfront"] = Field(
        default="amortized",
        description="'amortized': capex paid monthly over the useful life; 'upfront': at purchase, "
        "minus the residual value at the horizon end.",
    )
    sources: dict[str, FigureSource] = Field(
        default_factory=dict, description="Provenance of each figure, keyed by field name."
    )

    @field_validator("sources", mode="before")
    @classmethod
    def _known_source_keys(cls, v: object) -> object:
        if not isinstance(v, Mapping):
            return v  # the type check reports it
        figures = site_figure_fields()
        unknown = [k for k in v if k not in figures]
        if unknown:
            hints = {k: suggest_words(k, figures) for k in unknown}
            text = "; ".join(
                f"{k!r}" + (f" (did you mean {', '.join(h)}?)" if h else "") for k, h in hints.items()
            )
            raise ValueError(f"sources name unknown site figures: {text}")
        return v

    @model_validator(mode="after")
    def _check_site_range(self) -> SiteAssumptions:
        if (
            self.min_site_kw is not None
            and self.max_site_kw is not None
            and self.min_site_kw > self.max_site_kw
        ):
            raise ValueError(
                f"min_site_kw ({self.min_site_kw:g}) is larger than max_site_kw ({self.max_site_kw:g})"
            )
        return self

    @property
    def useful_life_months(self) -> float:
        return self.useful_life_years * 12.0

    def undocumented(self) -> list[str]:
        """Figures set to a value but without an entry in sources."""
        return [
            name
            for name in site_figure_fields()
            if getattr(self, name) is not None and name not in self.sources
        ]


def site_figure_fields() -> tuple[str, ...]:
    """SiteAssumptions fields that are figures (need provenance), in declaration order."""
    return tuple(n for n in SiteAssumptions.model_fields if n not in _CHOICE_FIELDS)


def site_override_fields() -> tuple[str, ...]:
    """SiteAssumptions fields a budget may override (every field but sources)."""
    return tuple(n for n in SiteAssumptions.model_fields if n != "sources")


class DatacenterCatalog(CatalogModel):
    """The own-data-center part of a catalog: servers you can buy and the site they run in."""

    servers: tuple[ServerConfig, ...] = Field(min_length=1)
    site: SiteAssumptions

    @field_validator("servers")
    @classmethod
    def _unique_ids(cls, v: tuple[ServerConfig, ...]) -> tuple[ServerConfig, ...]:
        if dupes := _repeated_ids(v, "servers"):
            raise ValueError("duplicate server id: " + "; ".join(dupes))
        return v

    @field_validator("site")
    @classmethod
    def _site_documented(cls, v: SiteAssumptions) -> SiteAssumptions:
        missing = v.undocumented()
        if missing:
            raise ValueError(
                "every site figure needs an entry in site.sources (basis, source, as_of); missing: "
                + ", ".join(missing)
            )
        return v

    # -- lookups ----------------------------------------------------------------------------------

    @property
    def server_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.servers)

    def server(self, server_id: str) -> ServerConfig:
        """The server with this id (case, '-', '_' and '.' do not matter); unknown ids list the known."""
        found = self._index().get(server_id)
        if found is None:
            raise InputError(unknown_server_message(server_id, self.server_ids))
        return next(s for s in self.servers if s.id == found)

    def servers_for(self, accelerator: str) -> tuple[ServerConfig, ...]:
        """Servers carrying `accelerator` (a canonical id, as stored after loading)."""
        return tuple(s for s in self.servers if s.accelerator == accelerator)

    def _index(self) -> NameIndex:
        return NameIndex("server", {s.id: () for s in self.servers})

    # -- overrides --------------------------------------------------------------------------------

    def merged(
        self,
        overrides: DatacenterOverrides | Mapping[str, Any] | None,
        *,
        accelerators: NameIndex | None = None,
        source: str | None = None,
    ) -> DatacenterCatalog:
        """This catalog with a budget's ``datacenter:`` section applied.

        Order: extra servers are added (their ids must be new), price overrides are applied to
        catalog or extra servers, the ``servers`` allow-list keeps the named catalog servers (extra
        servers are always kept), then site fields named in the section replace the catalog's
        (their provenance becomes ``basis: override``). ``enabled`` is not applied here: callers
        skip own-DC supply when it is False. With `accelerators` (the catalog's name index) the
        extra servers' accelerators are checked and rewritten to canonical ids. Every problem is
        raised at once as an InputError located at ``datacenter.<field>``.
        """
        if overrides is None:
            return self
        ov = overrides if isinstance(overrides, DatacenterOverrides) else parse_overrides(overrides, source)
        problems: list[Problem] = []
        where = _locator(source, "datacenter")

        extra = list(ov.extra_servers)
        if accelerators is not None:

            def at_extra(i: int) -> PathLocator:
                return lambda field: where(f"extra_servers[{i}]" + (f".{field}" if field else ""))

            extra, acc_problems = resolve_accelerators(extra, accelerators, at_extra)
            problems += acc_problems
        catalog_keys = {name_key(s.id): s.id for s in self.servers}
        for i, server in enumerate(extra):  # ids unique among themselves: DatacenterOverrides checks
            key = name_key(server.id)
            if key in catalog_keys:
                problems.append(
                    Problem(
                        f"server id {server.id!r} is already in the catalog ({catalog_keys[key]!r}): pick "
                        "another id, or use server_prices_usd to change the catalog server's price",
                        *where(f"extra_servers[{i}].id"),
                    )
                )

        servers = [*self.servers, *extra]
        unique: dict[str, str] = {}  # name key -> first id with it (repeats are reported above)
        for s in servers:
            unique.setdefault(name_key(s.id), s.id)
        index = NameIndex("server", {sid: () for sid in unique.values()})
        known = tuple(unique.values())

        def lookup(name: str, location: str) -> str | None:
            found = index.get(name)
            if found is None:
                problems.append(Problem(unknown_server_message(name, known), *where(location)))
            return found

        prices: dict[str, float] = {}
        for name, price in ov.server_prices_usd.items():
            found = lookup(name, f"server_prices_usd.{name}")
            if found is not None:
                prices[found] = price
        keep: set[str] | None = None
        if ov.servers is not None:
            if not ov.servers:
                problems.append(
                    Problem(
                        "the servers allow-list is empty: list at least one server id, or set "
                        "enabled: false to plan without an own data center",
                        *where("servers"),
                    )
                )
            keep = {s.id for s in extra}
            for i, name in enumerate(ov.servers):
                found = lookup(name, f"servers[{i}]")
                if found is not None:
                    keep.add(found)
        problems += _site_range_problems(self.site, ov, where)
        if problems:
            raise InputError(problems)

        chosen = [_with_price(s, prices[s.id]) if s.id in prices else s for s in servers]
        if keep is not None:
            chosen = [s for s in chosen if s.id in keep]
        site = self.site
        changed = [f for f in site_override_fields() if f in ov.model_fields_set]
        if changed:
            values = site.model_dump()
            sources = dict(site.sources)
            for name in changed:
                old = getattr(site, name)
                values[name] = getattr(ov, name)
                if name in site_figure_fields():
                    was = sources.get(name)
                    sources[name] = FigureSource(
                        basis="override",
                        source=OVERRIDE_SOURCE,
                        notes=f"catalog value {old!r}" + (f" ({was.basis}: {was.source})" if was else ""),
                    )
            values["sources"] = sources
            site = _validated(SiteAssumptions, values, source, "datacenter")
        return _validated(DatacenterCatalog, {"servers": chosen, "site": site}, source, "datacenter")


class DatacenterOverrides(CatalogModel):
    """The ``datacenter:`` section of a budget file: switch own-DC supply on or off and change
    any default. Site fields left out keep the catalog's value; write ``null`` to clear an
    optional one (cost_of_capital, min_site_kw, max_site_kw)."""

    enabled: bool = Field(default=True, description="False: plan without an own data center.")
    servers: list[str] | None = Field(
        default=None,
        description="Allow-list of catalog server ids; default: all. Extra servers are always kept.",
    )
    extra_servers: list[ServerConfig] = Field(
        default_factory=list, description="Custom server configurations (same fields as the catalog's)."
    )
    server_prices_usd: dict[str, ServerPriceUSD] = Field(
        default_factory=dict, description="Purchase price per server id, USD ('$250k')."
    )
    # Site fields (same meaning, units and bounds as SiteAssumptions; None: keep the catalog's).
    facility_model: FacilityModel | None = None
    pue: Annotated[float, Field(ge=1.0, le=5.0)] | None = None
    electricity_usd_per_kwh: ElectricityUSDPerKWh | None = None
    colocation_usd_per_kw_month: RentUSDPerKWMonth | None = None
    colocation_includes_power: bool | None = None
    facility_capex_usd_per_kw: CapexUSDPerKW | None = None
    facility_life_years: LifeYears | None = None
    network_storage_capex_fraction: Fraction | None = None
    operations_usd_per_month: OperationsUSDPerMonth | None = None
    maintenance_fraction_per_year: Fraction | None = None
    useful_life_years: LifeYears | None = None
    lead_time_months: LeadTimeMonths | None = None
    residual_value_fraction: Fraction | None = None
    cost_of_capital: Fraction | None = None
    min_site_kw: Annotated[Kilowatts, Field(ge=0, le=MAX_SITE_KW)] | None = None
    max_site_kw: SiteKilowatts | None = None
    idle_power_fraction: Fraction | None = None
    load_power_fraction: Annotated[Fraction, Field(gt=0)] | None = None
    capex_accounting: Literal["amortized", "upfront"] | None = None

    @field_validator(
        "facility_model", "pue", "electricity_usd_per_kwh", "colocation_usd_per_kw_month",
        "colocation_includes_power", "facility_capex_usd_per_kw", "facility_life_years",
        "network_storage_capex_fraction", "operations_usd_per_month", "maintenance_fraction_per_year",
        "useful_life_years", "lead_time_months", "residual_value_fraction", "idle_power_fraction",
        "load_power_fraction", "capex_accounting",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _not_null(cls, v: object) -> object:
        if v is None:
            raise ValueError("cannot be null (leave the field out to keep the catalog's value)")
        return v

    @field_validator("extra_servers")
    @classmethod
    def _unique_extra_ids(cls, v: list[ServerConfig]) -> list[ServerConfig]:
        # Checked here, not when merging, so that the budget file reports it with its other problems.
        if dupes := _repeated_ids(v, "extra_servers"):
            raise ValueError(
                "duplicate server id: " + "; ".join(dupes) + " (ids match ignoring case, '-', '_' and '.'): "
                "give each server its own id"
            )
        return v

    @field_validator("max_site_kw")
    @classmethod
    def _max_not_below_min(cls, v: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min_site_kw")
        if v is not None and low is not None and low > v:
            raise ValueError(
                f"max_site_kw ({v:g}) is smaller than min_site_kw ({low:g}): raise max_site_kw or lower "
                "min_site_kw (both in kW)"
            )
        return v


# -- helpers ------------------------------------------------------------------------------------

_ALL_FIELDS = sorted(
    {
        *DatacenterCatalog.model_fields,
        *ServerConfig.model_fields,
        *SiteAssumptions.model_fields,
        *FigureSource.model_fields,
    }
)


def parse_overrides(data: Any, source: str | None = None) -> DatacenterOverrides:
    """Validate a budget's ``datacenter:`` mapping; problems are located as ``datacenter.<field>``."""
    try:
        return DatacenterOverrides.model_validate(data)
    except ValidationError as exc:
        raise InputError(list(problems_from_validation(exc, source=source, prefix="datacenter"))) from None


def unknown_server_message(name: str, known: Sequence[str]) -> str:
    """ "unknown server 'hgx-h1OO' (did you mean hgx-h100-8gpu?); known servers: a, b, c"."""
    by_lower = {k.lower(): k for k in known}
    hint = [by_lower[h] for h in difflib.get_close_matches(name.lower(), by_lower, n=3, cutoff=0.5)]
    did = f" (did you mean {', '.join(hint)}?)" if hint else ""
    return f"unknown server {name!r}{did}; known servers: {', '.join(known) or '(none)'}"


def resolve_accelerators(
    servers: Sequence[ServerConfig], accelerators: NameIndex, locate: Callable[[int], PathLocator]
) -> tuple[list[ServerConfig], list[Problem]]:
    """Rewrite each server's accelerator to the catalog's canonical id (aliases are accepted);
    unknown names become problems located by ``locate(i)("accelerator")``."""
    out: list[ServerConfig] = []
    problems: list[Problem] = []
    for i, server in enumerate(servers):
        canonical = accelerators.get(server.accelerator)
        if canonical is None:
            message = accelerators.unknown_message(server.accelerator)
            problems.append(Problem(message, *locate(i)("accelerator")))
            out.append(server)
        elif canonical != server.accelerator:
            out.append(server.model_copy(update={"accelerator": canonical}))
        else:
            out.append(server)
    return out, problems


def datacenter_from_data(
    data: Any, accelerators: NameIndex | None, locate: PathLocator
) -> tuple[DatacenterCatalog | None, list[Problem]]:
    """Validate a parsed ``datacenter.yaml`` (or a dict) and resolve its accelerators.

    Returns the catalog (None when invalid) and the problems, each located by
    ``locate('servers.2.power_kw')``; the loader raises them together with the other files'.
    """
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else type(data).__name__
        return None, [Problem(f"expected a mapping with 'servers' and 'site', got {kind}", *locate(None))]
    try:
        dc = DatacenterCatalog.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        paths = [".".join(str(p) for p in e["loc"] if not str(p).startswith("function-")) for e in errors]
        problems = []
        for err, path in zip(errors, paths, strict=True):
            if err["type"] == "too_short" and any(p.startswith(f"{path}.") for p in paths):
                continue  # pydantic counts the bad items as missing: their own problems say why
            problems.append(Problem(_file_message(err), *locate(path or None)))
        return None, problems
    if accelerators is None:
        return dc, []

    def at_server(i: int) -> PathLocator:
        return lambda field: locate(f"servers.{i}" + (f".{field}" if field else ""))

    servers, problems = resolve_accelerators(dc.servers, accelerators, at_server)
    if problems:
        return None, problems
    return dc.model_copy(update={"servers": tuple(servers)}), []


def _file_message(err: Mapping[str, Any]) -> str:
    """friendly_message, with datacenter.yaml's own wording for missing and unknown fields."""
    if err["type"] == "missing":
        return "required field is missing"
    if err["type"] == "too_short" and err["loc"] == ("servers",):
        return (
            "no servers: list at least one server you can buy (docs/datacenter.md shows one), "
            "or delete datacenter.yaml to plan without an own data center"
        )
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1]) if err["loc"] else ""
        hint = suggest_words(name, _ALL_FIELDS)
        did = f": did you mean {', '.join(hint)}?" if hint else ""
        return f"unknown field{did} (docs/datacenter.md lists the allowed fields)"
    return friendly_message(err)


def datacenter_from_records(
    data: DatacenterCatalog | Mapping[str, Any], accelerators: NameIndex, name: str
) -> DatacenterCatalog:
    """For Catalog.from_records: validate a dict (a model passes as it is), resolve accelerators;
    problems raise one CatalogError located as ``datacenter.servers[2].power_kw``."""

    def locate(path: str | None) -> tuple[str | None, str | None]:
        return name, dotted_location("datacenter" + (f".{path}" if path else ""))

    raw = data.model_dump() if isinstance(data, DatacenterCatalog) else data
    dc, problems = datacenter_from_data(raw, accelerators, locate)
    if dc is None:
        raise CatalogError(problems)
    return dc


def dotted_location(path: str) -> str:
    """'datacenter.servers.2.power_kw' -> 'datacenter.servers[2].power_kw'."""
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path)


def _locator(source: str | None, prefix: str) -> Callable[[str], tuple[str | None, str | None]]:
    def where(location: str) -> tuple[str | None, str | None]:
        return source, f"{prefix}.{location}"

    return where


def _site_range_problems(
    site: SiteAssumptions, ov: DatacenterOverrides, where: Callable[[str], tuple[str | None, str | None]]
) -> list[Problem]:
    """min_site_kw above max_site_kw once the overrides meet the catalog's site, located at the
    field the budget sets (both set in the budget: DatacenterOverrides reports it)."""
    given = ov.model_fields_set
    low = ov.min_site_kw if "min_site_kw" in given else site.min_site_kw
    high = ov.max_site_kw if "max_site_kw" in given else site.max_site_kw
    if low is None or high is None or low <= high or {"min_site_kw", "max_site_kw"} <= given:
        return []
    if "max_site_kw" in given:
        message = (
            f"max_site_kw ({high:g}) is smaller than the catalog's min_site_kw ({low:g}): raise "
            "max_site_kw, or set min_site_kw here too (null clears it)"
        )
        return [Problem(message, *where("max_site_kw"))]
    message = (
        f"min_site_kw ({low:g}) is larger than the catalog's max_site_kw ({high:g}): lower "
        "min_site_kw, or set max_site_kw here too (null clears it)"
    )
    return [Problem(message, *where("min_site_kw"))]


def _with_price(server: ServerConfig, price_usd: float) -> ServerConfig:
    note = f"purchase price overridden in the budget (catalog: {format_usd(server.purchase_price_usd)}, {server.source})"
    return server.model_copy(
        update={
            "purchase_price_usd": price_usd,
            "price_basis": "override",
            "notes": note if not server.notes else f"{note}. {server.notes}",
        }
    )


def _validated(model: type[Any], values: Mapping[str, Any], source: str | None, prefix: str) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InputError(list(problems_from_validation(exc, source=source, prefix=prefix))) from None


def _repeated_ids(servers: Sequence[ServerConfig], field: str) -> list[str]:
    """'field[i] 'id' repeats field[j] 'id'' for each server whose id matches an earlier one's as
    names match (ignoring case, '-', '_' and '.')."""
    first: dict[str, int] = {}
    out = []
    for i, server in enumerate(servers):
        j = first.setdefault(name_key(server.id), i)
        if j != i:
            out.append(f"{field}[{i}] {server.id!r} repeats {field}[{j}] {servers[j].id!r}")
    return out
