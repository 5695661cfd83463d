"""Workload and budget specifications: the pydantic models a budget YAML file is read into.

The same classes are the Python API (`planner.TrainingRun(...)`, `planner.Budget(...)`), so a notebook
user and a YAML author use the same field names. Units are parsed here, once: "70B", "2T", "60d",
"$4M", "20%". Every model forbids unknown keys, so a typo is an error that names the field.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planner.catalog.datacenter import DatacenterOverrides
from planner.catalog.schema import StrictModel
from planner.enums import Precision, Term
from planner.errors import InputError, Problem, describe_validation
from planner.io import read_yaml
from planner.units import DAYS_PER_MONTH, USD, Count, Days, Fraction

PositiveCount = Annotated[Count, Field(gt=0)]
TokenCount = Annotated[Count, Field(ge=1)]  # a request has at least one prompt and one output token
MAX_HORIZON_MONTHS = 120  # ten years: the longest plan (and timeline) the planner builds
MAX_DEADLINE_DAYS = 3650  # a run longer than ten years ends beyond any plan


class _Workload(StrictModel):
    name: str = Field(min_length=1, description="Unique name of the workload within the budget.")
    model: str | None = Field(
        default=None, description="Model id from the zoo (`planner.zoo`), e.g. llama-2-70b."
    )
    params: PositiveCount | None = Field(default=None, description="Total parameters, e.g. 70B.")
    active_params: PositiveCount | None = Field(
        default=None, description="Parameters active per token (mixture-of-experts); default = params."
    )
    start_month: int = Field(
        default=0, ge=0, description="Month of the horizon (0-based) the workload starts."
    )
    accelerators: list[str] | None = Field(
        default=None, description="Allow-list of accelerator names; default: all in the catalog."
    )
    max_spot_fraction: Fraction | None = Field(
        default=None, description="Share of this workload's GPU-hours allowed on spot; default: the budget's."
    )

    @field_validator("name")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return _printable_name(v)

    @field_validator("accelerators")
    @classmethod
    def _some_accelerator(cls, v: list[str] | None) -> list[str] | None:
        return _allow_list(v, "accelerators", "accelerator")

    @model_validator(mode="after")
    def _model_or_params(self) -> _Workload:
        if self.model is None and self.params is None:
            raise ValueError("give either `model` (a zoo id such as llama-2-70b) or `params` (e.g. 70B)")
        if self.model is not None and self.params is not None:
            raise ValueError("give either `model` or `params`, not both (params come from the zoo)")
        if self.params is not None and self.active_params is not None and self.active_params > self.params:
            raise ValueError(
                f"active_params ({self.active_params:.3g}) cannot exceed params ({self.params:.3g})"
            )
        return self


class TrainingRun(_Workload):
    """A training run: deliver 6·N·D FLOPs on one homogeneous cluster before the deadline."""

    kind: Literal["training"] = "training"
    tokens: PositiveCount | None = Field(default=None, description="Training tokens D, e.g. 2T.")
    flops: PositiveCount | None = Field(default=None, description="Total training FLOPs (instead of tokens).")
    precision: Precision = Field(
        default=Precision.BF16, description="Compute precision (bf16, fp16, fp8, fp32)."
    )
    deadline_days: Days = Field(
        gt=0,
        le=MAX_DEADLINE_DAYS,
        description="Days from the start of start_month to finish, e.g. 60 or '8 weeks'.",
    )
    mfu: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Model FLOPs utilization; default: per-accelerator calibrated value.",
    )
    goodput: Annotated[Fraction, Field(gt=0)] | None = Field(
        default=None, description="Share of wall-clock time doing useful training; default: planner.compute."
    )
    state_bytes_per_param: float = Field(
        default=16.0,
        gt=0,
        le=64,  # 16 B is mixed-precision Adam; even fp32 everything with extra optimizer states is < 64
        description="Training state per parameter (16 B: mixed-precision Adam), sharded over the cluster.",
    )

    @model_validator(mode="after")
    def _tokens_or_flops(self) -> TrainingRun:
        if (self.tokens is None) == (self.flops is None):
            raise ValueError("give exactly one of `tokens` (e.g. 2T) or `flops` (e.g. 8.4e23)")
        if self.precision in (Precision.INT8, Precision.INT4):
            raise ValueError(
                f"precision {self.precision.value} is not a training precision: use bf16, fp16, fp8 or fp32"
            )
        return self

    @property
    def deadline_months(self) -> float:
        return self.deadline_days / DAYS_PER_MONTH

    @property
    def end_month(self) -> float:
        """Fractional month at which the deadline falls."""
        return self.start_month + self.deadline_months


class RequestBucket(StrictModel):
    """One class of requests in a request mix."""

    input_tokens: TokenCount
    output_tokens: TokenCount
    share: Fraction = Field(description="Share of requests in this bucket; shares sum to 1.")


class DailyProfile(StrictModel):
    """Demand shape within a day: peak hours at peak_factor, base hours at base_factor, the rest at 1.0."""

    peak_factor: float = Field(default=1.0, gt=0, description="Demand multiplier in peak hours.")
    peak_hours: float = Field(default=0.0, ge=0, le=24, description="Peak hours per day.")
    base_factor: float = Field(default=1.0, gt=0, description="Demand multiplier in base (night) hours.")
    base_hours: float = Field(default=8.0, ge=0, le=24, description="Base hours per day.")

    @model_validator(mode="after")
    def _hours_fit(self) -> DailyProfile:
        if self.peak_hours + self.base_hours > 24:
            raise ValueError(f"peak_hours + base_hours = {self.peak_hours + self.base_hours:g} exceeds 24")
        return self


class Snapshot(StrictModel):
    """A named demand level held for some hours of every day."""

    name: str = Field(min_length=1)
    hours_per_day: float = Field(gt=0, le=24)
    factor: float = Field(gt=0, description="Multiplier on the month's requests_per_s.")


class InferenceService(_Workload):
    """An inference service: serve requests/s (per month, per daily snapshot) within latency targets."""

    kind: Literal["inference"] = "inference"
    layers: int | None = Field(
        default=None, gt=0, description="Architecture, when `params` is given without `model`."
    )
    hidden_size: int | None = Field(default=None, gt=0)
    attention_heads: int | None = Field(default=None, gt=0)
    kv_heads: int | None = Field(default=None, gt=0)
    precision: Precision = Field(
        default=Precision.BF16, description="Weights precision: bf16/fp16/fp8/int8/int4."
    )
    input_tokens: TokenCount | None = Field(default=None, description="Prompt tokens per request.")
    output_tokens: TokenCount | None = Field(default=None, description="Generated tokens per request.")
    request_mix: list[RequestBucket] | None = Field(default=None, description="Buckets instead of one shape.")
    requests_per_s: Annotated[float, Field(gt=0)] | list[Annotated[float, Field(ge=0)]] = Field(
        description="Requests/s: one value, or one per month from start_month."
    )
    growth_per_month: float = Field(
        default=0.0,
        gt=-1,
        le=10,  # +1000% a month, ten years of it (1e125x) still a finite float; a bare 100 meant 100%
        description="Monthly growth, compounding (0.3 = +30%; at most 10, +1000% a month).",
    )
    end_month: int | None = Field(default=None, gt=0, description="Month the service stops (exclusive).")
    daily_profile: DailyProfile | None = None
    snapshots: list[Snapshot] | None = Field(
        default=None, description="Explicit daily snapshots (instead of daily_profile)."
    )
    tpot_ms: float | None = Field(default=None, gt=0, description="Time per output token target, ms.")
    ttft_ms: float | None = Field(default=None, gt=0, description="Time to first token target, ms.")
    min_replicas: int = Field(
        default=1, ge=0, description="Availability floor: replicas running at all times."
    )
    egress_gb_per_request: float = Field(
        default=0.0, ge=0, description="Response bytes sent out, GB per request."
    )
    whole_instances: bool = Field(
        default=False,
        description=(
            "Rent whole instances in every snapshot. Default false: rented capacity autoscales within a "
            "snapshot, so its instance count is a time average (commitments and the availability floor "
            "are always whole instances)."
        ),
    )
    throughput_table: str | None = Field(
        default=None,
        description="CSV of measured tokens/s per (accelerator, gpus, input, output); overrides estimates.",
    )

    @field_validator("requests_per_s", mode="before")
    @classmethod
    def _number_or_list(cls, v: Any) -> Any:
        # One clear message instead of one per branch of the number-or-list union.
        if isinstance(v, bool) or not isinstance(v, (int, float, list)):
            raise ValueError(
                f"expected requests per second as a number (e.g. 50) or a list with one number per "
                f"month (e.g. [10, 20, 40]), got {v!r}"
            )
        if not all(
            isinstance(x, (int, float)) and math.isfinite(x) for x in (v if isinstance(v, list) else [v])
        ):
            raise ValueError(f"requests per second must be finite numbers, got {v!r}")
        return v

    @field_validator("end_month")
    @classmethod
    def _end_matches_list(cls, v: int | None, info: ValidationInfo) -> int | None:
        # A per-month list already says when the service ends (after its last value): two ends that
        # disagree would leave months of replicas at zero demand, or cut the list, silently.
        rps, start = info.data.get("requests_per_s"), info.data.get("start_month")
        if v is None or not isinstance(rps, list) or not rps or start is None or v <= start:
            return v  # end_month <= start_month: _shape says so
        end = start + len(rps)
        if v == end:
            return v
        if v > end:
            fix = (
                f"extend the list to {v - start} values (one per month up to end_month; 0 for a month "
                "without demand), or leave end_month out to end the service after the list"
            )
        else:
            fix = (
                f"shorten the list to {v - start} values (months {start} to {v - 1}), or leave end_month "
                "out to serve every month of the list"
            )
        raise ValueError(
            f"end_month {v} disagrees with the requests_per_s list, which gives months {start} to "
            f"{end - 1} ({len(rps)} values from start_month {start}) and so ends the service at month "
            f"{end}: {fix}"
        )

    @model_validator(mode="after")
    def _shape(self) -> InferenceService:
        has_single = self.input_tokens is not None or self.output_tokens is not None
        if self.request_mix is not None and has_single:
            raise ValueError("give either input_tokens/output_tokens or request_mix, not both")
        if self.request_mix is None and (self.input_tokens is None or self.output_tokens is None):
            raise ValueError("give input_tokens and output_tokens (or a request_mix)")
        if self.request_mix is not None:
            total = sum(b.share for b in self.request_mix)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ValueError(f"request_mix shares must sum to 1, they sum to {total:g}")
        if self.daily_profile is not None and self.snapshots is not None:
            raise ValueError("give either daily_profile or snapshots, not both")
        if self.snapshots is not None:
            hours = sum(s.hours_per_day for s in self.snapshots)
            if not math.isclose(hours, 24.0, abs_tol=1e-6):
                raise ValueError(f"snapshot hours_per_day must sum to 24, they sum to {hours:g}")
            names = [s.name for s in self.snapshots]
            if len(set(names)) != len(names):
                raise ValueError(f"snapshot names must be unique, got {names}")
        if isinstance(self.requests_per_s, list):
            if not self.requests_per_s:
                raise ValueError("requests_per_s list is empty: give one value per month")
            if self.growth_per_month:
                raise ValueError(
                    "growth_per_month applies to a single requests_per_s, not to a per-month list"
                )
        if self.end_month is not None and self.end_month <= self.start_month:
            raise ValueError(f"end_month ({self.end_month}) must be after start_month ({self.start_month})")
        if self.params is not None and self.model is None:
            arch = (self.layers, self.hidden_size, self.attention_heads, self.kv_heads)
            if any(a is not None for a in arch) and any(a is None for a in arch):
                raise ValueError(
                    "give all of layers, hidden_size, attention_heads, kv_heads, or none (inferred)"
                )
        return self

    @property
    def buckets(self) -> list[RequestBucket]:
        """The request mix, or the single (input, output) shape as one bucket with share 1."""
        if self.request_mix is not None:
            return list(self.request_mix)
        assert self.input_tokens is not None and self.output_tokens is not None
        return [RequestBucket(input_tokens=self.input_tokens, output_tokens=self.output_tokens, share=1.0)]

    def daily_snapshots(self) -> list[Snapshot]:
        """Snapshots of a day with their hours and demand factors (one 'flat' snapshot by default)."""
        if self.snapshots is not None:
            return list(self.snapshots)
        prof = self.daily_profile
        if prof is None:
            return [Snapshot(name="flat", hours_per_day=24.0, factor=1.0)]
        out = []
        if prof.peak_hours > 0:
            out.append(Snapshot(name="peak", hours_per_day=prof.peak_hours, factor=prof.peak_factor))
        shoulder = 24.0 - prof.peak_hours - prof.base_hours
        if shoulder > 0:
            out.append(Snapshot(name="shoulder", hours_per_day=shoulder, factor=1.0))
        if prof.base_hours > 0:
            out.append(Snapshot(name="base", hours_per_day=prof.base_hours, factor=prof.base_factor))
        return out

    def last_month(self, horizon_months: int) -> int:
        """First month after the service (exclusive end), within the horizon."""
        if self.end_month is not None:
            return min(self.end_month, horizon_months)
        if isinstance(self.requests_per_s, list):
            return min(self.start_month + len(self.requests_per_s), horizon_months)
        return horizon_months

    def requests_per_s_in_month(self, month: int) -> float:
        """Mean requests/s in `month` before the daily profile (0 outside the service's months)."""
        if month < self.start_month or (self.end_month is not None and month >= self.end_month):
            return 0.0
        if isinstance(self.requests_per_s, list):
            i = month - self.start_month
            return self.requests_per_s[i] if i < len(self.requests_per_s) else 0.0
        return self.requests_per_s * (1.0 + self.growth_per_month) ** (month - self.start_month)


Workload = Annotated[TrainingRun | InferenceService, Field(discriminator="kind")]


class Cap(StrictModel):
    """At most `max_gpus` GPUs at once across the offerings matching every given filter."""

    max_gpus: int = Field(gt=0)
    accelerator: str | None = None
    provider: str | None = None
    region: str | None = None

    @property
    def label(self) -> str:
        parts = [p for p in (self.provider, self.region, self.accelerator) if p]
        return "/".join(parts) if parts else "all offerings"


class Constraints(StrictModel):
    """Budget-wide constraints. Every field is optional; defaults allow everything but spot."""

    budget_usd: Annotated[USD, Field(gt=0)] | None = Field(default=None, description="Total spend cap, USD.")
    providers: list[str] | None = Field(default=None, description="Allow-list of providers; default: all.")
    exclude_providers: list[str] = Field(default_factory=list)
    regions: list[str] | None = Field(default=None, description="Allow-list of regions (data residency).")
    exclude_regions: list[str] = Field(default_factory=list)
    max_spot_fraction: Fraction = Field(default=0.0, description="Share of GPU-hours allowed on spot.")
    terms: list[Term] | None = Field(
        default=None, description="Allowed purchase terms; default: all cloud terms."
    )
    caps: list[Cap] = Field(default_factory=list, description="Supply caps in GPUs at any one time.")
    include_accelerator_only_prices: bool = Field(
        default=False, description="Use catalog rows whose price excludes the host VM (GCP GPU SKUs)."
    )
    include_unlisted_prices: bool = Field(
        default=False,
        description="Use catalog prices flagged 'placeholder' or 'suspect' (price_quality) as if listed.",
    )
    credit_reserved_beyond_horizon: bool = Field(
        default=False,
        description="Count only the in-horizon months of a commitment (its remainder is assumed resold/used).",
    )

    @field_validator("providers", "regions", "terms")
    @classmethod
    def _some_allowed(cls, v: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        field = str(info.field_name)
        return _allow_list(v, field, field.removesuffix("s"))

    @model_validator(mode="after")
    def _distinct_caps(self) -> Constraints:
        first: dict[tuple[str | None, ...], int] = {}
        for i, cap in enumerate(self.caps):
            key = tuple(x.casefold() if x else None for x in (cap.accelerator, cap.provider, cap.region))
            j = first.setdefault(key, i)
            if j != i:
                smaller = min(cap.max_gpus, self.caps[j].max_gpus)
                raise ValueError(
                    f"caps[{i}] has the same filters as caps[{j}] ({cap.label}): merge them into one cap "
                    f"(the smaller max_gpus, {smaller}, is the one that applies)"
                )
        return self


def _end_month(w: TrainingRun | InferenceService) -> float:
    """Month a workload needs the horizon to reach: a run's deadline, the end of a service's
    per-month list, or else the end of its first month."""
    if isinstance(w, TrainingRun):
        return w.end_month
    if isinstance(w.requests_per_s, list):
        return float(w.start_month + len(w.requests_per_s))
    return float(w.start_month + 1)


def _shorten(w: TrainingRun | InferenceService) -> str:
    if isinstance(w, InferenceService) and isinstance(w.requests_per_s, list):
        return "shorten its requests_per_s list or move its start_month"
    return (
        "shorten its deadline_days or start_month" if isinstance(w, TrainingRun) else "move its start_month"
    )


def _within_horizon(
    w: TrainingRun | InferenceService, info: ValidationInfo
) -> TrainingRun | InferenceService:
    """A workload that needs months past a given horizon_months is refused (months past the
    horizon would be cut silently). Runs per workload, so the problem names it and comes with
    the file's other problems."""
    horizon = info.data.get("horizon_months")
    end = _end_month(w)
    if horizon is None or end <= horizon + 1e-9:
        return w
    need = math.ceil(end - 1e-9)
    if need > MAX_HORIZON_MONTHS:
        fix = f"{_shorten(w)} (plans cover at most {MAX_HORIZON_MONTHS} months)"
    elif isinstance(w, InferenceService) and isinstance(w.requests_per_s, list):
        fix = f"raise horizon_months to {need} or shorten the list"
    else:
        fix = f"raise horizon_months to {need} or move the workload"
    if isinstance(w, TrainingRun):
        what = f"runs to month {end:.2f}"
    elif isinstance(w.requests_per_s, list):
        n = len(w.requests_per_s)
        what = f"runs to month {need} (requests_per_s lists {n} months from start_month {w.start_month})"
    else:
        what = f"starts in month {w.start_month}"
    raise ValueError(f"workload {w.name!r} {what} but horizon_months is {horizon}: {fix}")


class Budget(StrictModel):
    """A budget file: workloads over a horizon, constraints, and the catalog to plan on."""

    name: str = Field(min_length=1)
    catalog: str = Field(
        default="default", description="'default' or a catalog folder path (relative to the file)."
    )
    horizon_months: int | None = Field(
        default=None,
        gt=0,
        le=MAX_HORIZON_MONTHS,
        description="Planning horizon; default: 12 or enough to cover every workload.",
    )
    constraints: Constraints = Field(default_factory=Constraints)
    workloads: list[Annotated[Workload, AfterValidator(_within_horizon)]] = Field(min_length=1)
    datacenter: DatacenterOverrides | None = Field(
        default=None,
        description="Own data center: overrides of the catalog's servers and site (enabled: false to plan without it).",
    )

    _base_dir: Path | None = PrivateAttr(default=None)
    _source: str | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _one_line(cls, v: str) -> str:
        return _printable_name(v)

    @field_validator("workloads", mode="before")
    @classmethod
    def _not_empty(cls, v: Any) -> Any:
        if isinstance(v, list) and not v:
            raise ValueError(
                "must list at least one workload: a training run (kind: training) "
                "or an inference service (kind: inference)"
            )
        return v

    @field_validator("workloads")
    @classmethod
    def _unique_names(cls, v: list[TrainingRun | InferenceService]) -> list[TrainingRun | InferenceService]:
        message = _duplicate_names_message([w.name for w in v])
        if message:
            raise ValueError(message)
        return v

    @model_validator(mode="after")
    def _fits_horizon(self) -> Budget:
        # A given horizon_months is checked per workload (_within_horizon), located at the workload.
        if self.horizon_months is None and self.horizon > MAX_HORIZON_MONTHS:
            last = max(self.workloads, key=_end_month)
            raise ValueError(
                f"workload {last.name!r} runs to month {_end_month(last):,.2f}, beyond the "
                f"{MAX_HORIZON_MONTHS}-month limit of a plan: {_shorten(last)}"
            )
        return self

    @property
    def horizon(self) -> int:
        """Horizon in months: the given one, or max(12, the month the last workload needs: a training
        run's deadline rounded up, a service's first month or the end of its per-month list)."""
        if self.horizon_months is not None:
            return self.horizon_months
        return max([12, *(math.ceil(_end_month(w) - 1e-9) for w in self.workloads)])

    @property
    def base_dir(self) -> Path:
        """Folder relative paths in the budget (catalog, throughput tables) are resolved against."""
        return self._base_dir or Path.cwd()

    @property
    def source(self) -> str | None:
        """The file the budget was read from (None when built in Python); errors name it."""
        return self._source

    def with_base_dir(self, base_dir: Path, source: str | None = None) -> Budget:
        self._base_dir = base_dir
        if source is not None:
            self._source = source
        return self


def _allow_list(v: list[Any] | None, field: str, item: str) -> list[Any] | None:
    """An allow-list given empty would allow nothing: most likely meant as 'no restriction'."""
    if v is not None and not v:
        raise ValueError(f"an empty list allows no {item} at all: leave `{field}` out to allow every {item}")
    return v


def _printable_name(v: str) -> str:
    """Names appear in report headings, table cells and solver row names: one line of text."""
    if any(not ch.isprintable() for ch in v):
        raise ValueError(f"a name must be one line of printable text (no newlines or tabs), got {v!r}")
    return v


def _duplicate_names_message(names: list[Any]) -> str | None:
    dups = sorted({str(n) for n in names if n is not None and names.count(n) > 1})
    return f"duplicate workload names {dups}: give each workload a unique name" if dups else None


def _workload_index(problem: Problem) -> int:
    """Sort key keeping each workload's problems together, in file order (budget-wide ones first)."""
    m = re.match(r"workloads\[(\d+)\]", problem.location or "")
    return int(m.group(1)) if m else -1


def _duplicate_name_problems(raw: Any, source: str) -> list[Problem]:
    """One problem per repeated workload name, at the repeat, naming the first use."""
    if not isinstance(raw, list):
        return []
    first: dict[str, int] = {}
    problems = []
    for i, w in enumerate(raw):
        name = w.get("name") if isinstance(w, dict) else None
        if not isinstance(name, str):
            continue
        name = name.strip()  # as the model stores it (str_strip_whitespace)
        j = first.setdefault(name, i)
        if j != i:
            problems.append(
                Problem(
                    f"duplicate workload name {name!r} (also workloads[{j}].name): "
                    "give each workload a unique name",
                    source=source,
                    location=f"workloads[{i}].name",
                )
            )
    return problems


def load_budget(path: str | Path) -> Budget:
    """Read and validate a budget YAML file; all problems are reported together with field paths."""
    path = Path(path)
    data: Any = read_yaml(path)
    return parse_budget(data, source=str(path), base_dir=path.resolve().parent)


def parse_budget(data: Any, source: str = "<budget>", base_dir: Path | None = None) -> Budget:
    """Validate an already-parsed mapping as a Budget (what load_budget does after reading YAML)."""
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise InputError(
            f"expected a mapping with `name` and `workloads` at the top (see examples/), got {got}", source
        )
    try:
        budget = Budget.model_validate(data)
    except ValidationError as exc:
        problems = describe_validation(exc, Budget, source=source)
        # The model-level duplicate check only runs once every workload validates, and names no
        # workload; check the raw names so that each repeat is reported, with the rest of the file.
        repeats = _duplicate_name_problems(data.get("workloads"), source)
        if repeats:
            problems = [p for p in problems if not p.message.startswith("duplicate workload names")]
        problems += repeats
        raise InputError(sorted(problems, key=_workload_index)) from None
    return budget.with_base_dir(base_dir or Path.cwd(), source)


def as_budget(spec: Budget | TrainingRun | InferenceService) -> Budget:
    """Wrap a single workload into a one-workload budget with defaults (used by `planner.plan`)."""
    if isinstance(spec, Budget):
        return spec
    if isinstance(spec, (TrainingRun, InferenceService)):
        return Budget(name=spec.name, workloads=[spec])
    raise InputError(f"plan() expects a Budget, TrainingRun or InferenceService, got {type(spec).__name__}")
