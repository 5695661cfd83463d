"""Candidate generation: which offerings may serve which workload, and everything fixed about them.

Hard filters run here, before any model is built, and every exclusion keeps its reason (a sentence
with the numbers), so "why not X?" always has an answer. Offerings that differ only by zone are
merged into one group (the report lists the zones) because the model cannot tell them apart.
"""

from __future__ import annotations

import math
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from planner import compute, zoo
from planner.catalog.catalog import Catalog
from planner.catalog.datacenter import DatacenterCatalog, ServerConfig
from planner.catalog.schema import Accelerator, Offering
from planner.enums import CLOUD_TERMS, Precision, Term
from planner.gc_pause import gc_paused
from planner.model.prune import (
    COMMITTED_TERMS,
    Dominated,
    ServiceTraits,
    ServingDomination,
    prune_committed_terms,
    prune_dominated,
    prune_serving_terms,
)
from planner.model.serving import (
    CapacityCache,
    ServiceNeeds,
    ServingOption,
    load_throughput_table,
    service_needs,
    serving_option,
)
from planner.model.timeline import Timeline, build_timeline
from planner.units import HOURS_PER_DAY, format_count
from planner.workloads import Budget, Cap, InferenceService, TrainingRun

# The largest cluster considered, in GPUs: beyond the largest published training clusters (~100k).
MAX_CLUSTER_GPUS = 2**17


@dataclass(frozen=True)
class OfferingGroup:
    """Offerings identical for the model (same prices, caps, fabric) in one or more zones."""

    id: str  # provider/region/instance_type, plus @zone when the same type has several price groups
    offering: Offering  # representative row (the first zone's)
    zones: tuple[str, ...]
    accelerator: Accelerator
    egress_usd_per_gb: float | None = None  # the offering's, else its provider's; None: unknown
    server: ServerConfig | None = None  # set for own-data-center servers (sold on Term.OWN_DC only)
    life_months: int = 0  # own-data-center servers: useful life in months

    @property
    def provider(self) -> str:
        return self.offering.provider

    @property
    def region(self) -> str:
        return self.offering.region

    @property
    def gpus(self) -> int:
        return self.offering.gpus_per_instance

    @property
    def own_dc(self) -> bool:
        return self.server is not None

    def price(self, term: Term) -> float | None:
        """USD per instance-hour on a cloud term (own-data-center servers have no hourly price)."""
        return self.offering.price_per_hour(term)

    def sells(self, term: Term) -> bool:
        if self.server is not None:
            return term == Term.OWN_DC
        return self.offering.price_per_hour(term) is not None

    def term_months(self, term: Term) -> int:
        """Months a purchase on `term` stays available: the commitment, or a server's useful life."""
        return self.life_months if term == Term.OWN_DC else (term.term_months or 0)


@dataclass(frozen=True)
class Exclusion:
    """An offering group a workload may not use, and why."""

    workload: str
    group: str
    provider: str
    region: str
    accelerator: str
    instance_type: str
    code: str  # stable machine-readable reason: provider, region, accelerator, price_scope, ...
    reason: str  # the sentence shown to users, with numbers and units
    best_days: float | None = None  # for code "deadline": the shortest deadline this offering meets


@dataclass(frozen=True)
class TrainingOption:
    """One offering group able to run one training run, with the cluster sized for its deadline."""

    workload: str
    group: OfferingGroup
    tier_gpus: int  # the size tier's largest cluster, in GPUs
    terms: tuple[Term, ...]
    precision: Precision  # compute precision whose peak is used (fp8 falls back to bf16 where not native)
    mfu: float
    goodput: float
    scaling_efficiency: float  # at the cluster-size tier's largest size (conservative)
    flops_per_instance_hour: float  # effective: peak x MFU x goodput x scaling efficiency x GPUs x 3600
    min_instances: int  # smallest cluster meeting deadline and memory (no spot)
    min_instances_memory: int
    max_instances: int  # tier top, capacity cap, or 1 without a cluster fabric
    max_instances_reason: str  # why max_instances: "tier", "capacity cap", "no cluster fabric", "size limit"
    work_instance_hours: float  # instance-hours of work the run needs on this option

    @property
    def id(self) -> str:
        """Offering group and size tier, e.g. 'aws/us-east-1/p5.48xlarge@512gpu'."""
        return f"{self.group.id}@{self.tier_gpus}gpu"


@dataclass
class Candidates:
    groups: list[OfferingGroup]
    needs: dict[str, TrainingNeeds] = field(default_factory=dict)
    training: dict[str, list[TrainingOption]] = field(default_factory=dict)
    services: dict[str, ServiceNeeds] = field(default_factory=dict)
    serving: dict[str, list[ServingOption]] = field(default_factory=dict)
    datacenter: DatacenterCatalog | None = None  # own-data-center servers and site, when enabled
    exclusions: list[Exclusion] = field(default_factory=list)
    pruned_terms: list[ServingDomination] = field(default_factory=list)  # serving columns dropped
    dominated: list[Dominated] = field(default_factory=list)  # groups dropped, for every workload

    def excluded(self, workload: str) -> list[Exclusion]:
        return [e for e in self.exclusions if e.workload == workload]

    def pruned_across(self, workload: str, keep: Callable[[OfferingGroup], bool]) -> bool:
        """True when pruning dropped, for `workload`, a group or serving column that `keep` keeps
        because of one it does not. Restricting the workload to `keep` in this model could then
        miss the cheapest plan (the dominator is gone, and so is what it stood in for): such a
        restriction must be re-planned from candidates generated with it."""
        if any(keep(d.group) and not keep(d.by) for d in self.dominated):
            return True
        return any(
            d.option.workload == workload and keep(d.option.group) and not keep(d.by.group)
            for d in self.pruned_terms
        )


Verdict = tuple[str, str] | tuple[str, str, float]  # (code, reason[, best_days])


@dataclass(frozen=True)
class TrainingNeeds:
    """What a training run needs, independent of the hardware."""

    params: float
    active_params: float
    flops: float
    memory_bytes: float


def training_needs(run: TrainingRun) -> TrainingNeeds:
    """Resolve zoo model, FLOPs (6·N·D with N active params) and training-state bytes of a run."""
    if run.model is not None:
        arch = zoo.get_model(run.model)
        params, active = arch.total_params, arch.active_params
    else:
        assert run.params is not None
        params = run.params
        active = run.active_params or run.params
    flops = run.flops if run.flops is not None else compute.training_flops(active, run.tokens or 0.0)
    memory = compute.training_memory_bytes(params, state_bytes_per_param=run.state_bytes_per_param)
    return TrainingNeeds(params=params, active_params=active, flops=flops, memory_bytes=memory)


# group_offerings per catalog object: the explanation re-generates candidates for every re-planned
# what-if (1.2 s a time on 100k offerings), and a Catalog's offerings are a tuple fixed at creation.
_GROUPS: weakref.WeakKeyDictionary[Catalog, tuple[tuple[Offering, ...], list[OfferingGroup]]] = (
    weakref.WeakKeyDictionary()
)


def group_offerings(catalog: Catalog) -> list[OfferingGroup]:
    """Merge offerings that differ only in zone (and provenance) into groups, in catalog order."""
    cached = _GROUPS.get(catalog)
    if cached is not None and cached[0] is catalog.offerings:
        return list(cached[1])
    groups = _group_offerings(catalog)
    _GROUPS[catalog] = (catalog.offerings, groups)
    return list(groups)


def _group_offerings(catalog: Catalog) -> list[OfferingGroup]:
    buckets: dict[tuple, list[Offering]] = defaultdict(list)
    for o in catalog.offerings:
        key = (
            o.provider, o.region, o.instance_type, o.accelerator, o.gpus_per_instance,
            o.on_demand_usd_per_hour, o.spot_usd_per_hour, o.reserved_1y_usd_per_hour,
            o.reserved_3y_usd_per_hour, o.capacity_max_instances, o.cluster_interconnect,
            o.egress_usd_per_gb, o.price_scope,
        )  # fmt: skip
        buckets[key].append(o)
    per_type: dict[tuple[str, str, str], int] = defaultdict(int)
    for key in buckets:
        per_type[key[:3]] += 1
    groups: list[OfferingGroup] = []
    accelerators = {name: catalog.accelerator(name) for name in {key[3] for key in buckets}}
    for key, rows in buckets.items():
        base = "/".join(key[:3])
        zones = tuple(sorted({r.zone for r in rows if r.zone}))
        gid = base if per_type[key[:3]] == 1 else f"{base}@{zones[0] if zones else len(groups)}"
        provider = catalog.providers.get(rows[0].provider)
        egress = rows[0].egress_usd_per_gb
        if egress is None and provider is not None:
            egress = provider.egress_usd_per_gb
        groups.append(
            OfferingGroup(
                id=gid,
                offering=rows[0],
                zones=zones,
                accelerator=accelerators[key[3]],
                egress_usd_per_gb=egress,
            )
        )
    return groups


def allowed_terms(budget: Budget, spot_fraction: float) -> tuple[Term, ...]:
    """Terms a workload may buy: constraints.terms (default: every cloud term, and own_dc when the
    budget has an own data center), spot only with a positive spot share."""
    if budget.constraints.terms is not None:
        terms = tuple(budget.constraints.terms)
    else:
        terms = (*CLOUD_TERMS, Term.OWN_DC)
    return tuple(t for t in terms if t != Term.SPOT or spot_fraction > 0)


OWN_DC_PROVIDER = "own-dc"
OWN_DC_REGION = "site"


def datacenter_catalog(budget: Budget, catalog: Catalog) -> DatacenterCatalog | None:
    """The catalog's own-data-center option with the budget's overrides, or None when switched off."""
    if catalog.datacenter is None or (budget.datacenter is not None and not budget.datacenter.enabled):
        return None
    if budget.datacenter is None:
        return catalog.datacenter
    return catalog.datacenter.merged(
        budget.datacenter, accelerators=catalog.accelerator_index, source=budget.source
    )


def datacenter_groups(dc: DatacenterCatalog, catalog: Catalog) -> list[OfferingGroup]:
    """One offering group per server configuration one can buy (Term.OWN_DC only).

    Data-center GPUs (SXM/OAM modules) are given a cluster network: its cost is the site's
    network_storage_capex_fraction of every server. PCIe and consumer boxes are single machines.
    """
    out = []
    life = max(1, round(dc.site.useful_life_years * 12))
    for server in dc.servers:
        acc = catalog.accelerator(server.accelerator)
        module = (acc.form_factor or "").upper()
        fabric = (
            "own cluster network (network share of capex)" if ("SXM" in module or "OAM" in module) else None
        )
        offering = Offering.model_construct(
            provider=OWN_DC_PROVIDER,
            region=OWN_DC_REGION,
            zone=None,
            instance_type=server.id,
            accelerator=acc.id,
            gpus_per_instance=server.gpus_per_server,
            vcpus=None,
            host_memory_gib=None,
            on_demand_usd_per_hour=None,
            spot_usd_per_hour=None,
            reserved_1y_usd_per_hour=None,
            reserved_3y_usd_per_hour=None,
            reserved_1y_basis=None,
            reserved_3y_basis=None,
            reserved_source=None,
            reserved_as_of=None,
            capacity_max_instances=None,
            cluster_interconnect=fabric,
            egress_usd_per_gb=None,
            price_scope="instance",
            price_quality="listed",
            source=server.source,
            as_of=server.as_of,
            notes=server.notes,
        )
        gid = f"{OWN_DC_PROVIDER}/{OWN_DC_REGION}/{server.id}"
        out.append(OfferingGroup(gid, offering, (), acc, None, server, life))
    return out


def _lower(names: Iterable[str]) -> set[str]:
    return {n.lower() for n in names}


def spot_fraction(w: TrainingRun | InferenceService, budget: Budget) -> float:
    """The workload's spot cap, else the budget's."""
    return w.max_spot_fraction if w.max_spot_fraction is not None else budget.constraints.max_spot_fraction


def cap_matches(cap: Cap, g: OfferingGroup) -> bool:
    """Whether offering group g falls under budget cap `cap` (every given filter matches)."""

    def same(a: str | None, b: str) -> bool:
        return a is None or a.lower() == b.lower()

    acc_ok = cap.accelerator is None or cap.accelerator.upper() in (
        g.accelerator.id.upper(),
        *(a.upper() for a in g.accelerator.aliases),
    )
    return acc_ok and same(cap.provider, g.provider) and same(cap.region, g.region)


@dataclass
class _Context:
    """What candidate generation needs about one workload, computed once."""

    allowed: set[str] | None  # accelerator allow-list (canonical ids), None = all
    terms: tuple[Term, ...]
    needs: TrainingNeeds | None = None
    cache: CapacityCache | None = None
    buckets: list = field(default_factory=list)


def _context(
    w: TrainingRun | InferenceService, budget: Budget, catalog: Catalog, cands: Candidates, timeline: Timeline
) -> _Context:
    allowed = None if w.accelerators is None else {catalog.resolve_accelerator(a) for a in w.accelerators}
    ctx = _Context(allowed, allowed_terms(budget, spot_fraction(w, budget)))
    if isinstance(w, TrainingRun):
        ctx.needs = cands.needs[w.name] = training_needs(w)
    else:
        needs = cands.services[w.name] = service_needs(w, timeline)
        measured = []
        if w.throughput_table is not None:
            path = Path(w.throughput_table)
            measured = load_throughput_table(
                path if path.is_absolute() else budget.base_dir / path, catalog.resolve_accelerator
            )
        ctx.cache = CapacityCache(w, needs.arch, measured)
        ctx.buckets = needs.buckets
    return ctx


def _capability(w: TrainingRun | InferenceService, ctx: _Context, g: OfferingGroup) -> tuple[float, ...]:
    """What one instance of g does for workload w (bigger is better; 0 when w may not use g): a
    function of g's accelerator and GPUs per instance alone.

    Per instance (prune_dominated normalises per GPU). Training: effective FLOPs per hour (peak x
    MFU x goodput x GPUs) and memory. Service: output tokens/s for each request bucket, replicas.
    """
    acc = g.accelerator
    if isinstance(w, TrainingRun):
        if ctx.allowed is not None and acc.id not in ctx.allowed:
            return (0.0, 0.0)
        rate, memory = _per_gpu(w, ctx, acc)
        return (rate * g.gpus, memory * g.gpus)
    if ctx.allowed is not None and acc.id not in ctx.allowed:
        return (0.0,) * (len(ctx.buckets) + 1)
    assert ctx.cache is not None
    caps = [ctx.cache.get(g, b)[0] for b in ctx.buckets]
    replicas = min((c.replicas for c in caps if c is not None), default=0)  # as ServingOption.replicas
    return (*(c.tokens_per_s if c is not None else 0.0 for c in caps), float(replicas))


def _per_gpu(w: TrainingRun, ctx: _Context, acc: Accelerator) -> tuple[float, float]:
    """Effective FLOP/s (peak x MFU x goodput; 0 without a training peak) and memory of one GPU."""
    assert ctx.needs is not None
    precision = compute.training_compute_precision(acc, w.precision)
    peak = None if precision is None else acc.peak_flops_per_s(precision)
    if precision is None or peak is None:
        return (0.0, acc.memory_gib)
    mfu = w.mfu if w.mfu is not None else compute.default_mfu(acc.id, ctx.needs.params, precision)
    goodput = w.goodput if w.goodput is not None else compute.DEFAULT_GOODPUT
    return (peak * mfu * goodput, acc.memory_gib)


@gc_paused()
def generate_candidates(
    budget: Budget,
    catalog: Catalog,
    prune: bool = True,
    timeline: Timeline | None = None,
    exclusions: bool = True,
) -> Candidates:
    """Apply hard filters to every (workload, offering group) pair, prune dominated groups (see
    planner.model.prune), size training clusters and rate serving capacity. Every excluded pair
    keeps its reason; exclusions=False skips the bulk of those records (groups filtered out for
    every workload, dominated or off the allow-list: hundreds of thousands on a 100k-offering
    catalog), for re-plans that only build a model."""
    timeline = timeline or build_timeline(budget)
    cloud = group_offerings(catalog)
    dc = datacenter_catalog(budget, catalog)
    own = datacenter_groups(dc, catalog) if dc is not None else []
    cands = Candidates(groups=cloud + own, datacenter=dc)
    eligible: list[OfferingGroup] = []
    for g in cloud:
        verdict = _global_filter(budget, g)
        if verdict is None:
            eligible.append(g)
        elif exclusions:
            cands.exclusions += [_exclusion(w.name, g, verdict) for w in budget.workloads]
    contexts = {w.name: _context(w, budget, catalog, cands, timeline) for w in budget.workloads}
    if prune:
        terms = sorted({t for ctx in contexts.values() for t in ctx.terms})
        # A capability depends on the group's accelerator and GPUs alone: computed once per pair
        # (a few hundred), not per group (a 100k-offering catalog: 1.1 s -> 0.1 s per call).
        by_hardware: dict[tuple[str, int], list[tuple[float, ...]]] = {}
        for g in eligible:
            key = (g.accelerator.id, g.gpus)
            if key not in by_hardware:
                by_hardware[key] = [_capability(w, contexts[w.name], g) for w in budget.workloads]
        per_workload = {g.id: by_hardware[g.accelerator.id, g.gpus] for g in eligible}
        capability = {gid: tuple(x for c in caps_w for x in c) for gid, caps_w in per_workload.items()}
        # A group no workload can use (no FLOPs, no tokens for any bucket) is left to the
        # per-workload filters below, so that its exclusion says why (latency, allow-list,
        # precision) rather than "dominated" by a group that workload cannot use either.
        usable = {
            gid for gid, caps_w in per_workload.items() if any(c[0] > 0 or any(c[1:-1]) for c in caps_w)
        }
        useless = [g for g in eligible if g.id not in usable]
        eligible, dominated = prune_dominated(
            [g for g in eligible if g.id in usable],
            terms,
            cap_signature=cap_signature(budget),
            egress_of=lambda g: g.egress_usd_per_gb or 0.0,
            capability=lambda g: capability[g.id],
            dominators=exclusions,
        )
        eligible += useless
        cands.dominated = dominated
        for d in dominated:
            verdict = ("dominated", d.reason)  # built once: one group's reason serves every workload
            cands.exclusions += [_exclusion(w.name, d.group, verdict) for w in budget.workloads]
    eligible += own  # own servers have no hourly price to compare: never pruned
    for w in budget.workloads:
        ctx = contexts[w.name]
        mine = []
        for g in eligible:
            if ctx.allowed is None or g.accelerator.id in ctx.allowed:
                mine.append(g)
            elif exclusions:
                reason = f"{g.accelerator.id} is not in the workload's accelerators allow-list"
                cands.exclusions.append(_exclusion(w.name, g, ("accelerator", reason)))
        if isinstance(w, TrainingRun):
            options, excl = training_options(w, budget, mine, ctx)
            cands.training[w.name] = options
            cands.exclusions.extend(excl)
        elif isinstance(w, InferenceService):
            serving, excl = inference_options(w, mine, ctx)
            cands.exclusions.extend(excl)
            if prune:
                serving = _prune_serving(w, serving, budget, cands)
            cands.serving[w.name] = serving
    if prune:
        _prune_committed(budget, cands)
    return cands


def cap_signature(budget: Budget) -> Callable[[OfferingGroup], tuple[bool, ...]]:
    """Which of the budget's caps hold an offering group (pruning compares groups under the same caps)."""
    caps = budget.constraints.caps
    return lambda g: tuple(cap_matches(c, g) for c in caps)


def _service_traits(svc: InferenceService, budget: Budget) -> ServiceTraits:
    spot = spot_fraction(svc, budget)
    return ServiceTraits(
        spot_cap_active=0.0 < spot < 1.0,
        floor_replicas=svc.min_replicas,
        whole_instances=svc.whole_instances,
        egress_priced=svc.egress_gb_per_request > 0,
    )


def _prune_serving(
    svc: InferenceService, options: list[ServingOption], budget: Budget, cands: Candidates
) -> list[ServingOption]:
    """Drop the service's rented columns no optimal plan uses (planner.model.prune.prune_serving_terms);
    an offering left with no term is excluded with the options that dominate it."""
    kept, dominated = prune_serving_terms(options, _service_traits(svc, budget), cap_signature(budget))
    cands.pruned_terms += dominated
    kept_ids = {o.id for o in kept}
    by: dict[str, list[str]] = defaultdict(list)
    for d in dominated:
        by[d.option.id].append(_domination_text(d))
    for o in options:
        if o.id not in kept_ids:
            reason = "every rented term is dominated (no optimal plan uses it): " + "; ".join(by[o.id])
            cands.exclusions.append(_exclusion(svc.name, o.group, ("dominated", reason)))
    return kept


def _prune_committed(budget: Budget, cands: Candidates) -> None:
    """Drop the committed columns of service-only pools that another group's commitments replace
    (planner.model.prune.prune_committed_terms), once every workload's options exist; an option
    left with no term is excluded, naming the options that dominate each of its terms."""
    services = {w.name: w for w in budget.workloads if isinstance(w, InferenceService)}
    shared = {
        o.group.id for opts in cands.training.values() for o in opts if any(t.is_pooled for t in o.terms)
    }
    cands.serving, dominated = prune_committed_terms(
        cands.serving,
        {w: _service_traits(services[w], budget) for w in cands.serving},
        shared,
        cap_signature(budget),
    )
    if not dominated:
        return
    cands.pruned_terms += dominated
    dropped = {(d.option.workload, d.option.id): d.option for d in dominated}
    for w, options in cands.serving.items():
        for o in options:
            dropped.pop((w, o.id), None)
    parts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in cands.pruned_terms:  # the rented terms pruned before, then the committed ones
        if (d.option.workload, d.option.id) in dropped:
            parts[d.option.workload, d.option.id].append(_domination_text(d))
    for (w, gid), o in dropped.items():
        reason = "every term is dominated (no optimal plan uses it): " + "; ".join(parts[w, gid])
        cands.exclusions.append(_exclusion(w, o.group, ("dominated", reason)))


def _domination_text(d: ServingDomination) -> str:
    """'<term> by <dominator>', with both prices for a committed term."""
    if d.term not in COMMITTED_TERMS:
        return f"{d.term.value} by {d.by.id}"
    pb, pa = d.option.group.price(d.term), d.by.group.price(d.term)
    assert pa is not None and pb is not None
    if d.instances == 1:
        return f"{d.term.value} by {d.by.id} (${pa:,.2f} vs ${pb:,.2f}/h, serves as much per instance)"
    k = d.instances
    return (
        f"{d.term.value} by {d.by.id} ({k} instances at ${pa:,.2f} = ${k * pa:,.2f} vs ${pb:,.2f}/h, "
        "serve as much as one)"
    )


def inference_options(
    svc: InferenceService, groups: list[OfferingGroup], ctx: _Context
) -> tuple[list[ServingOption], list[Exclusion]]:
    """Serving options of every group for one service (groups already filtered), and the exclusions."""
    assert ctx.cache is not None
    options: list[ServingOption] = []
    exclusions: list[Exclusion] = []
    for g in groups:
        terms = tuple(t for t in ctx.terms if g.sells(t))
        option, verdict = serving_option(svc, g, ctx.cache, ctx.buckets, terms)
        if option is not None:
            options.append(option)
        else:
            assert verdict is not None
            exclusions.append(_exclusion(svc.name, g, verdict))
    return options, exclusions


def _global_filter(budget: Budget, g: OfferingGroup) -> Verdict | None:
    """Filters that apply to every workload alike: provider/region allow-lists, price scope and quality."""
    c = budget.constraints
    provider, region = g.provider.lower(), g.region.lower()
    if c.providers is not None and provider not in _lower(c.providers):
        return "provider", f"provider {g.provider} is not in constraints.providers"
    if provider in _lower(c.exclude_providers):
        return "provider", f"provider {g.provider} is in constraints.exclude_providers"
    if c.regions is not None and region not in _lower(c.regions):
        return "region", f"region {g.region} is not in constraints.regions"
    if region in _lower(c.exclude_regions):
        return "region", f"region {g.region} is in constraints.exclude_regions"
    quality = g.offering.price_quality
    if quality != "listed" and not c.include_unlisted_prices:
        return (
            "price_quality",
            f"the catalog flags this price as {quality} (see its notes; set constraints.include_unlisted_prices "
            "to use it anyway)",
        )
    scope = g.offering.price_scope
    if scope == "host_only":
        return "price_scope", "the catalog price covers the host VM only; its GPUs are not priced"
    if scope == "accelerator_only" and not c.include_accelerator_only_prices:
        return (
            "price_scope",
            "the catalog price covers the GPU only, not the host VM "
            "(set constraints.include_accelerator_only_prices to use it)",
        )
    return None


def training_options(
    run: TrainingRun, budget: Budget, groups: list[OfferingGroup], ctx: _Context
) -> tuple[list[TrainingOption], list[Exclusion]]:
    """Cluster options of every group for one run (groups already filtered), and the exclusions."""
    assert ctx.needs is not None
    needs, terms_allowed = ctx.needs, ctx.terms
    options: list[TrainingOption] = []
    exclusions: list[Exclusion] = []
    for g in groups:
        found, verdict = _training_cluster_options(run, needs, g, terms_allowed, spot_fraction(run, budget))
        if found:
            options.extend(found)
        else:
            assert verdict is not None
            exclusions.append(_exclusion(run.name, g, verdict))
    return options, exclusions


def _exclusion(workload: str, g: OfferingGroup, verdict: Verdict) -> Exclusion:
    best_days = verdict[2] if len(verdict) == 3 else None
    acc = g.accelerator.id
    return Exclusion(
        workload, g.id, g.provider, g.region, acc, g.offering.instance_type, verdict[0], verdict[1], best_days
    )


def _shortest_days(flops: float, rate_no_scaling: float, max_instances: int, gpi: int) -> float:
    """Shortest run (days) on at most `max_instances`, at the efficiency of the cluster size used."""
    best = math.inf
    n = max_instances
    while n >= 1:
        eff = compute.scaling_efficiency(_tier_top(n * gpi))
        best = min(best, flops / (rate_no_scaling * eff * n) / HOURS_PER_DAY)
        n //= 2
    return best


def _tier_top(gpus: int) -> int:
    """Largest GPU count of the power-of-two tier holding `gpus` (1, 2, 4, 8, 16, ...)."""
    return 1 << max(0, math.ceil(math.log2(max(gpus, 1))))


@dataclass(frozen=True)
class _ClusterBasics:
    """What sizing needs about one (run, offering group) pair, before any tier is chosen."""

    terms: tuple[Term, ...]
    precision: Precision
    rate_per_gpu_hour: float  # FLOPs per GPU-hour before scaling efficiency: peak x MFU x goodput x 3600
    mfu: float
    goodput: float
    min_gpus_memory: int
    n_memory: int  # instances holding the training state
    hard_max: int  # most instances: capacity cap, 1 without a fabric, or the size limit
    limit_kind: str
    limit_reason: str


def _cluster_basics(
    run: TrainingRun, needs: TrainingNeeds, g: OfferingGroup, terms_allowed: tuple[Term, ...]
) -> _ClusterBasics | Verdict:
    acc, gpi = g.accelerator, g.gpus
    terms = tuple(t for t in terms_allowed if g.sells(t))
    if not terms:
        sold = [t.value for t in CLOUD_TERMS if g.price(t) is not None]
        return "no_price", f"no price for the allowed terms (sold as: {', '.join(sold) or 'nothing'})"
    precision = compute.training_compute_precision(acc, run.precision)
    peak = None if precision is None else acc.peak_flops_per_s(precision)
    if precision is None or peak is None:
        return "precision", compute.no_training_peak(acc, run.precision)
    mfu = run.mfu if run.mfu is not None else compute.default_mfu(acc.id, needs.params, precision)
    goodput = run.goodput if run.goodput is not None else compute.DEFAULT_GOODPUT
    min_gpus_mem = compute.min_gpus_for_memory(needs.memory_bytes, acc.memory_gib)
    n_mem = max(1, math.ceil(min_gpus_mem / gpi))
    hard_max, limit_kind = MAX_CLUSTER_GPUS // gpi, "size limit"
    limit_reason = f"the largest cluster considered ({MAX_CLUSTER_GPUS:,} GPUs)"
    if g.offering.cluster_interconnect is None:
        hard_max, limit_kind = 1, "no cluster fabric"
        limit_reason = "without a listed cluster interconnect (no multi-node runs) the offering"
    cap = g.offering.capacity_max_instances
    if cap is not None and cap < hard_max:
        hard_max, limit_kind = cap, "capacity cap"
        limit_reason = f"the catalog capacity cap of {cap} instances"
    if n_mem > hard_max:
        return (
            "memory",
            f"training state of {needs.memory_bytes / 1e12:.2f} TB needs {min_gpus_mem:,} x {acc.id} "
            f"({n_mem} instances) but {limit_reason} allows {hard_max * gpi:,} GPU{'s' if hard_max * gpi != 1 else ''}",
        )
    return _ClusterBasics(
        terms,
        precision,
        peak * mfu * goodput * 3600.0,
        mfu,
        goodput,
        min_gpus_mem,
        n_mem,
        hard_max,
        limit_kind,
        limit_reason,
    )


def _tier_tops(first_gpus: int, last_gpus: int) -> list[int]:
    """Power-of-two tier tops (GPUs) from the tier holding first_gpus to the one holding last_gpus."""
    tops, top = [], _tier_top(first_gpus)
    while top <= _tier_top(last_gpus):
        tops.append(top)
        top *= 2
    return tops


def _smallest_tier(flops: float, b: _ClusterBasics, gpi: int, window_h: float) -> int | None:
    """Top (GPUs) of the smallest tier whose largest cluster finishes within window_h, or None."""
    for top in _tier_tops(b.n_memory * gpi, b.hard_max * gpi):
        n_hi = min(max(1, top // gpi), b.hard_max)
        work_h = flops / (b.rate_per_gpu_hour * compute.scaling_efficiency(top) * gpi)
        if n_hi * window_h >= work_h * (1 - 1e-9):
            return top
    return None


def _training_cluster_options(
    run: TrainingRun,
    needs: TrainingNeeds,
    g: OfferingGroup,
    terms_allowed: tuple[Term, ...],
    max_spot: float = 0.0,
) -> tuple[list[TrainingOption], Verdict | None]:
    """Cluster options of one offering for one run: one per size tier the model may choose, or why none.

    Per-GPU throughput falls with cluster size (compute.scaling_efficiency). Sizes are grouped in
    power-of-two tiers; a tier's efficiency is evaluated at its largest size, so the work estimate
    is conservative by at most one doubling's loss, and the cluster may take any size inside it.
    The smallest tier meeting deadline and memory is always an option. Larger tiers cost more hours
    at the same price, so they only matter when they draw more idle committed capacity at once:
    offerings with commitment terms also get every tier up to the one finishing the run in a day.
    That top does not depend on the deadline, so a longer deadline never removes an option.
    With spot allowed, also every tier up to the smallest that fits the run in its window at the
    full spot share: spot hours lose ρ to restarts, so the cheapest plan may need a larger cluster
    than on-demand alone would.
    """
    basics = _cluster_basics(run, needs, g, terms_allowed)
    if not isinstance(basics, _ClusterBasics):
        return [], basics
    gpi = g.gpus
    first = _smallest_tier(needs.flops, basics, gpi, run.deadline_days * HOURS_PER_DAY)
    if first is None:
        best_days = _shortest_days(needs.flops, basics.rate_per_gpu_hour * gpi, basics.hard_max, gpi)
        n_top = basics.hard_max
        return [], (
            "deadline",
            f"cannot deliver {format_count(needs.flops)} FLOPs in {run.deadline_days:g} days: "
            f"{basics.limit_reason} allows {n_top:,} instance{'s' if n_top != 1 else ''} ({n_top * gpi:,} GPUs); "
            f"shortest deadline on this offering ≈ {best_days:.1f} days",
            best_days,
        )
    last = first
    if any(t.is_pooled for t in basics.terms):
        last = _smallest_tier(needs.flops, basics, gpi, HOURS_PER_DAY) or _tier_top(basics.hard_max * gpi)
    if Term.SPOT in basics.terms and max_spot > 0:
        spot_flops = needs.flops / (1.0 - max_spot * compute.DEFAULT_SPOT_OVERHEAD)
        window_h = run.deadline_days * HOURS_PER_DAY
        spot_top = _smallest_tier(spot_flops, basics, gpi, window_h) or _tier_top(basics.hard_max * gpi)
        last = max(last, spot_top)
    tops = _tier_tops(first, max(first, last))
    options = []
    for top in tops:
        eff = compute.scaling_efficiency(top)
        rate = basics.rate_per_gpu_hour * eff * gpi  # FLOPs per instance-hour
        work_h = needs.flops / rate
        n_hi = min(max(1, top // gpi), basics.hard_max)
        n_min = max(basics.n_memory, math.ceil(work_h / (run.deadline_days * HOURS_PER_DAY) - 1e-9))
        options.append(
            TrainingOption(
                workload=run.name,
                group=g,
                tier_gpus=top,
                terms=basics.terms,
                precision=basics.precision,
                mfu=basics.mfu,
                goodput=basics.goodput,
                scaling_efficiency=eff,
                flops_per_instance_hour=rate,
                min_instances=n_min,
                min_instances_memory=basics.n_memory,
                max_instances=n_hi,
                max_instances_reason="tier" if n_hi < basics.hard_max else basics.limit_kind,
                work_instance_hours=work_h,
            )
        )
    return options, None
