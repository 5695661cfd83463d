"""Inference candidates: what each offering can serve for a service, and the demand it must meet.

For every (service, offering group) the capacity of one instance is computed per request bucket:
from a measured throughput table when the user gives one (it overrides the estimate for the rows
it covers), else from the roofline estimate (compute.estimate_inference: the largest batch that
meets the TPOT/TTFT targets and fits weights + KV cache, tensor parallel within the instance).
An offering that cannot meet the latency targets for any bucket is excluded, with the reason.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from planner import compute, zoo
from planner.compute import InferenceEstimate, ModelArch
from planner.errors import InputError, Problem
from planner.model.timeline import Timeline
from planner.units import parse_count
from planner.workloads import InferenceService, RequestBucket

if TYPE_CHECKING:  # candidates imports this module
    from planner.model.candidates import OfferingGroup, Verdict


@dataclass(frozen=True)
class Measured:
    """One row of a measured throughput table: output tokens/s of one replica under the targets."""

    accelerator: str  # canonical id
    gpus: int  # GPUs per replica (tensor-parallel degree)
    input_tokens: float
    output_tokens: float
    tokens_per_s: float
    row: int


@dataclass(frozen=True)
class BucketCapacity:
    """Capacity of one instance of an offering for one request bucket."""

    tokens_per_s: float  # output tokens/s of the whole instance at the latency targets
    replicas: int
    gpus_per_replica: int
    source: str  # "estimate" or "measured (table row N)"
    tpot_ms: float | None = None
    ttft_ms: float | None = None


@dataclass(frozen=True)
class ServingOption:
    """An offering group able to serve a service: per-bucket instance capacity (None: cannot serve)."""

    workload: str
    group: OfferingGroup
    capacity: tuple[BucketCapacity | None, ...]  # one per bucket of the service
    terms: tuple  # allowed, priced terms (Term)

    @property
    def id(self) -> str:
        return self.group.id

    @property
    def replicas(self) -> int:
        """Replicas per instance: the fewest over the buckets it serves (one deployment runs one
        tensor-parallel degree for every request it takes, so the bucket needing the widest decides)."""
        return min(c.replicas for c in self.capacity if c is not None)


@dataclass
class ServiceNeeds:
    """A service's model, request buckets and demand (output tokens/s) per month and day slice."""

    arch: ModelArch
    buckets: list[RequestBucket]
    demand: dict[tuple[int, int, int], float] = field(default_factory=dict)  # (bucket, month, slice) -> tok/s
    requests: dict[tuple[int, int], float] = field(default_factory=dict)  # (month, slice) -> requests/s
    months: list[int] = field(default_factory=list)


def service_arch(svc: InferenceService) -> ModelArch:
    """The model served: a zoo entry, the given architecture, or one inferred from the parameter count."""
    if svc.model is not None:
        return zoo.get_model(svc.model)
    assert svc.params is not None
    active = svc.active_params or svc.params
    if svc.layers is not None:
        assert svc.hidden_size is not None and svc.attention_heads is not None and svc.kv_heads is not None
        return ModelArch(
            id=svc.name,
            total_params=svc.params,
            active_params=active,
            layers=svc.layers,
            hidden_size=svc.hidden_size,
            attention_heads=svc.attention_heads,
            kv_heads=svc.kv_heads,
            head_dim=svc.hidden_size // svc.attention_heads,
            source="budget file",
        )
    arch = compute.architecture_from_params(svc.params)
    return arch.model_copy(update={"id": svc.name, "active_params": min(active, arch.total_params)})


def service_needs(svc: InferenceService, timeline: Timeline) -> ServiceNeeds:
    """Demand in output tokens/s per (bucket, month, slice): requests/s x day factor x share x output tokens."""
    needs = ServiceNeeds(arch=service_arch(svc), buckets=svc.buckets)
    last = svc.last_month(timeline.months)
    needs.months = list(range(svc.start_month, last))
    for m in needs.months:
        rps = svc.requests_per_s_in_month(m)
        for sl in timeline.slices:
            factor = sl.factors.get(svc.name, 0.0)
            needs.requests[m, sl.index] = rps * factor
            for b, bucket in enumerate(needs.buckets):
                needs.demand[b, m, sl.index] = rps * factor * bucket.share * bucket.output_tokens
    return needs


def load_throughput_table(path: Path, resolve_accelerator: object) -> list[Measured]:
    """Read a measured throughput CSV: accelerator, gpus, input_tokens, output_tokens, tokens_per_s.

    `tokens_per_s` is output tokens/s of one replica of `gpus` GPUs (its tensor-parallel degree)
    measured under the service's latency targets. Every problem is reported with row and column.
    """
    required = ["accelerator", "gpus", "input_tokens", "output_tokens", "tokens_per_s"]
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(
                    [Problem(f"missing column(s) {missing}; need {required}", str(path), "row 1")]
                )
            rows = list(reader)
    except FileNotFoundError:
        raise InputError(f"throughput_table not found: {path}") from None
    out, problems = [], []
    for i, row in enumerate(rows, start=2):
        try:
            acc = resolve_accelerator(row["accelerator"])  # type: ignore[operator]
        except InputError as exc:
            problems.append(Problem(exc.problems[0].message, str(path), f"row {i}, column accelerator"))
            continue
        values = {}
        for col in required[1:]:
            try:
                values[col] = parse_count(row[col])
                if not values[col] > 0:
                    raise ValueError(f"must be > 0, got {row[col]!r}")
            except ValueError as exc:
                problems.append(Problem(str(exc), str(path), f"row {i}, column {col}"))
        if len(values) == 4:
            gpus = values["gpus"]
            if gpus != int(gpus):
                problems.append(
                    Problem(
                        f"gpus must be a whole number, got {row['gpus']!r}",
                        str(path),
                        f"row {i}, column gpus",
                    )
                )
                continue
            out.append(
                Measured(
                    acc, int(gpus), values["input_tokens"], values["output_tokens"], values["tokens_per_s"], i
                )
            )
    if problems:
        raise InputError(problems)
    return out


class CapacityCache:
    """Memoised estimates per (accelerator, instance GPUs, bucket): many offerings share hardware."""

    def __init__(self, svc: InferenceService, arch: ModelArch, measured: list[Measured]):
        self.svc, self.arch, self.measured = svc, arch, measured
        self._cache: dict[tuple[str, int, float, float], tuple[BucketCapacity | None, str | None]] = {}

    def get(self, g: OfferingGroup, bucket: RequestBucket) -> tuple[BucketCapacity | None, str | None]:
        key = (g.accelerator.id, g.gpus, bucket.input_tokens, bucket.output_tokens)
        if key not in self._cache:
            self._cache[key] = self._compute(g, bucket)
        return self._cache[key]

    def _compute(self, g: OfferingGroup, bucket: RequestBucket) -> tuple[BucketCapacity | None, str | None]:
        rows = [
            r
            for r in self.measured
            if r.accelerator == g.accelerator.id
            and r.gpus <= g.gpus
            and g.gpus % r.gpus == 0
            and math.isclose(r.input_tokens, bucket.input_tokens)
            and math.isclose(r.output_tokens, bucket.output_tokens)
        ]
        if rows:
            best = max(rows, key=lambda r: r.tokens_per_s / r.gpus)
            replicas = g.gpus // best.gpus
            return BucketCapacity(
                best.tokens_per_s * replicas, replicas, best.gpus, f"measured (table row {best.row})"
            ), None
        est: InferenceEstimate = compute.estimate_inference(
            self.arch,
            g.accelerator,
            g.gpus,
            self.svc.precision,
            bucket.input_tokens,
            bucket.output_tokens,
            self.svc.tpot_ms,
            self.svc.ttft_ms,
        )
        if not est.feasible or est.tokens_per_s <= 0:
            return None, est.reason or "cannot serve the model on this instance"
        return (
            BucketCapacity(
                est.tokens_per_s,
                est.replicas_per_instance,
                est.tensor_parallel,
                "estimate",
                est.tpot_ms,
                est.ttft_ms,
            ),
            None,
        )


def serving_option(
    svc: InferenceService, g: OfferingGroup, cache: CapacityCache, buckets: list[RequestBucket], terms: tuple
) -> tuple[ServingOption | None, Verdict | None]:
    """The option of one offering for one service, or why it cannot serve it."""
    if not terms:
        return None, ("no_price", "no price for the allowed terms")
    caps: list[BucketCapacity | None] = []
    reasons = []
    for bucket in buckets:
        cap, why = cache.get(g, bucket)
        caps.append(cap)
        if why is not None:
            reasons.append(why)
    if all(c is None for c in caps):
        code = "latency" if any(("TPOT" in r or "TTFT" in r) for r in reasons) else "memory"
        return None, (code, reasons[0])
    return ServingOption(svc.name, g, tuple(caps), terms), None
