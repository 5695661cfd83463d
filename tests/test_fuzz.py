"""Fuzzing the budget loader, the catalog loader and the command line with hypothesis.

Whatever the input, only the planner's own clean errors may come out: an InputError (CatalogError
is one) with a non-empty message naming its file, or, on the command line, an exit code with one
`planner: error:` line (argparse usage errors: SystemExit 2 with one line), never another exception
or a traceback. Inputs are built from the real keys, columns, subcommands and flags so that they
reach the deep validators, with wrong values of every type. Catalogs are tiny, so that the inputs
that do validate are planned in milliseconds.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tempfile
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import planner
from planner.catalog.catalog import OFFERING_FIELDS, Catalog
from planner.catalog.load import load_catalog
from planner.cli import main
from planner.errors import InputError, PlannerError, SolverError
from planner.io import parse_yaml
from planner.references import check_references
from planner.workloads import Budget, load_budget, parse_budget


def fast(max_examples: int) -> settings:
    """No deadline (the machine is shared, timings are noisy); a fixed example budget per test,
    multiplied by PLANNER_FUZZ_SCALE to hunt longer (e.g. PLANNER_FUZZ_SCALE=50 pytest tests/test_fuzz.py)."""
    return settings(
        max_examples=max_examples * int(os.environ.get("PLANNER_FUZZ_SCALE", "1")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY_CATALOG_DIR = FIXTURES / "malformed_budgets" / "catalog"  # valid: X1000, Y500; alpha, beta


def tiny_catalog() -> Catalog:
    return load_catalog(TINY_CATALOG_DIR)


def assert_clean(err: InputError) -> None:
    """A deliberate input error: a message, and every problem says what is wrong."""
    assert isinstance(err, InputError)
    assert str(err).strip()
    assert err.problems and all(p.message.strip() for p in err.problems)


# --------------------------------------------------------------------------- values

# Text that looks like what people write in budgets, right and wrong.
UNIT_TEXT = [
    "7B", "1.4T", "3.14e23", "175_000_000_000", "70,000,000", "-1B", "0", "0.0", "-0", "1e400", "1e-400",
    "nan", "inf", "-inf", "30d", "30 parsecs", "6 weeks", "2mo", "3y", "36h", "1e3 d", "$4M", "4,000,000 USD",
    "$-5", "20%", "150%", "-5%", "%", "$", "B", "1..2", "1_", "_1", "1,,2", "  ", "", "1/0", "$2.5/h",
    "10/month", "80GiB", "10.2kW", "700W", "1e309", "٣", "½", "0x10", "1e", "e5", "1 2", "+3", "NaN%",
]  # fmt: skip
NAMES = ["X1000", "X1K", "x1000", "Y500", "H100", "alpha", "beta", "alfa", "r1", "us-east-1", "eu-west-1"]
NAMES += ["llama-3-8b", "llama-2-70b", "gpt-3-175b", "llama-2-7OB", "", " ", "pre|train", "<b>", "a\nb"]
TERMS = ["on_demand", "spot", "reserved_1y", "reserved_3y", "own_dc", "weekly"]
KINDS = ["training", "inference", "trainin", "", None]

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(UNIT_TEXT),
    st.sampled_from(NAMES + TERMS),
    st.text(max_size=12),
)
anything = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _models_of(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_of(arg)]


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (list, tuple):
        return True
    return any(_is_list(a) for a in typing.get_args(annotation))


def field_values(name: str, annotation: Any, depth: int) -> st.SearchStrategy[Any]:
    """Values for one field: plausible ones for its name and type, and wrong ones of every kind."""
    plausible: list[st.SearchStrategy[Any]] = [st.sampled_from(UNIT_TEXT)]
    if name == "kind":
        plausible.append(st.sampled_from(KINDS))
    if name in ("terms",):
        plausible.append(st.lists(st.sampled_from(TERMS), max_size=3))
    if name in ("name", "model", "accelerator", "provider", "region", "catalog"):
        plausible.append(st.sampled_from(NAMES))
    if name in ("accelerators", "providers", "regions", "exclude_providers", "exclude_regions", "servers"):
        plausible.append(st.lists(st.sampled_from(NAMES), max_size=3))
    if name in ("requests_per_s",):
        plausible.append(st.lists(st.one_of(st.integers(-2, 50), st.sampled_from(UNIT_TEXT)), max_size=4))
    models = _models_of(annotation)
    if models and depth < 3:
        one = st.sampled_from(models).flatmap(lambda m: model_dicts(m, depth + 1))
        plausible.append(st.lists(one, max_size=3) if _is_list(annotation) else one)
    return st.one_of(*plausible, anything)


def model_dicts(model: type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings with a random subset of `model`'s real keys (and now and then an unknown one)."""
    optional = {
        name: field_values(name, info.annotation, depth) for name, info in sorted(model.model_fields.items())
    }
    base = st.fixed_dictionaries({}, optional=optional)
    junk = st.dictionaries(
        st.sampled_from(["colour", "deadlne_days", "tokens ", "Name"]), anything, max_size=1
    )
    return st.tuples(base, junk).map(lambda t: {**t[0], **t[1]})


VALID_BUDGET: dict[str, Any] = {
    "name": "fuzz",
    "horizon_months": 3,
    "constraints": {"max_spot_fraction": 0.25, "providers": ["alpha", "beta"], "budget_usd": "$1M"},
    "workloads": [
        {"name": "pretrain", "kind": "training", "params": "1B", "flops": 1.44e21, "mfu": 0.5, "goodput": 1,
         "deadline_days": 30},
        {"name": "chat", "kind": "inference", "model": "llama-3-8b", "input_tokens": 100, "output_tokens": 100,
         "requests_per_s": [10, 20, 5], "min_replicas": 1},
    ],
}  # fmt: skip


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _all_models(model: type[BaseModel]) -> set[type[BaseModel]]:
    found = {model}
    for info in model.model_fields.values():
        for sub in _models_of(info.annotation):
            if sub not in found:
                found |= _all_models(sub)
    return found


# Every key a budget may hold, at any depth, and some misspelt ones.
REAL_KEYS = sorted({k for m in _all_models(Budget) for k in m.model_fields} | {"colour", "deadline"})


@st.composite
def mutated_budgets(draw: st.DrawFn) -> dict[str, Any]:
    """The valid budget with one to four edits: a value replaced, a key removed, renamed or added."""
    data = copy.deepcopy(VALID_BUDGET)
    for _ in range(draw(st.integers(1, 4))):
        if not _paths(data)[1:]:
            break
        path = draw(st.sampled_from(_paths(data)[1:]))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "rename", "add"]))
        if action == "replace":
            parent[key] = draw(anything)
        elif action == "delete":
            del parent[key]
        elif action == "rename" and isinstance(key, str):
            parent[key + draw(st.sampled_from(["s", "_", "x"]))] = parent.pop(key)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(REAL_KEYS))] = draw(st.one_of(anything, st.integers(0, 10**9)))
    return data


# --------------------------------------------------------------------------- budget loader

YAML_TOKENS = [
    "name", "workloads", "constraints", "kind", "training", "inference", "params", "tokens", "deadline_days",
    "requests_per_s", "caps", "max_gpus", ":", ": ", "\n", "  ", "    ", "- ", "-", "[", "]", "{", "}", ", ",
    "'", '"', "\t", "#", "&a ", "*a", "!!python/object:os.system ", "!!binary ", "!custom ", "---\n", "...",
    "? ", "|", ">", "%YAML 1.1\n", "7B", "1e400", "30 parsecs", "null", "~", "true", "0x1F", "1_0", "<<: ",
    "\x00", "\ufeff", "\x85", "é", "\\", "@", "`",
]  # fmt: skip
yaml_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join),
)


def check_budget_data(data: Any) -> None:
    """Validate `data` as a budget, then its names against the tiny catalog: Budget or InputError."""
    try:
        budget = parse_budget(data, source="fuzz.yaml")
    except InputError as err:
        assert_clean(err)
        assert all(p.source == "fuzz.yaml" for p in err.problems)
        event("budget: input error")
        return
    assert isinstance(budget, Budget)
    assert 1 <= budget.horizon <= 120
    try:
        check_references(budget, CATALOG)
    except InputError as err:
        assert_clean(err)
        event("budget: unknown names")
        return
    event("budget: valid")


CATALOG = tiny_catalog()


@fast(300)
@given(text=yaml_text)
def test_budget_loader_on_random_yaml_text(text: str):
    try:
        data = parse_yaml(text, source="fuzz.yaml")
    except InputError as err:
        assert_clean(err)
        assert len(str(err).splitlines()) == 1
        return
    check_budget_data(data)


@fast(40)
@given(raw=st.binary(max_size=60))
def test_budget_loader_on_random_bytes(raw: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_bytes(raw)
        try:
            load_budget(path)
        except InputError as err:
            assert_clean(err)


@fast(250)
@given(data=st.one_of(model_dicts(Budget), anything))
def test_budget_loader_on_random_mappings_of_the_real_keys(data: Any):
    check_budget_data(data)


@fast(250)
@given(data=mutated_budgets())
def test_budget_loader_on_mutations_of_a_valid_budget(data: dict[str, Any]):
    check_budget_data(data)
    # What YAML would carry: the same mapping through the text loader (non-string keys aside).
    try:
        text = json.dumps(data, allow_nan=True)
    except (TypeError, ValueError):
        return
    try:
        check_budget_data(parse_yaml(text, source="fuzz.yaml"))
    except InputError as err:
        assert_clean(err)


def subset(items: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(items), min_size=1, max_size=len(items), unique=True)


training_runs = st.fixed_dictionaries(
    {"kind": st.just("training"), "params": st.sampled_from(["1B", "7B", 3e9]),
     "deadline_days": st.sampled_from([2, 7, 30, "6 weeks", "36h"])},
    optional={"flops": st.sampled_from([1.44e21, 1e20, 5e22]), "mfu": st.floats(0.05, 1.0),
              "goodput": st.sampled_from([1, "90%", 0.5]), "start_month": st.integers(0, 2),
              "accelerators": subset(["X1000", "Y500", "X1K"]), "max_spot_fraction": st.sampled_from([0, 0.5, 1]),
              "precision": st.sampled_from(["bf16", "fp8"])},
).map(lambda d: d if "flops" in d else {**d, "tokens": "20B"})  # fmt: skip
services = st.fixed_dictionaries(
    {"kind": st.just("inference"), "model": st.sampled_from(["llama-3-8b", "mistral-7b", "llama-2-13b"]),
     "input_tokens": st.sampled_from([100, 1000]), "output_tokens": st.sampled_from([50, 200]),
     "requests_per_s": st.one_of(st.sampled_from([0.5, 10, 50]), st.lists(st.integers(0, 30), min_size=1, max_size=4))},
    optional={"min_replicas": st.integers(0, 2), "tpot_ms": st.sampled_from([20, 50, 200]),
              "ttft_ms": st.sampled_from([500, 2000]), "whole_instances": st.sampled_from([False, False, True]),
              "daily_profile": st.just({"peak_factor": 2, "peak_hours": 8, "base_factor": 0.5, "base_hours": 8}),
              "precision": st.sampled_from(["bf16", "fp8", "int4"]), "start_month": st.integers(0, 1)},
)  # fmt: skip
plausible_budgets = st.fixed_dictionaries(
    {"name": st.just("fuzz"),
     "workloads": st.lists(st.one_of(training_runs, services), min_size=1, max_size=3).map(
         lambda ws: [{**w, "name": f"w{i}"} for i, w in enumerate(ws)])},
    optional={"horizon_months": st.integers(1, 6),
              "constraints": st.fixed_dictionaries({}, optional={
                  "providers": subset(["alpha", "beta"]), "regions": subset(["us-east-1", "eu-west-1", "us-west-2"]),
                  "terms": subset(["on_demand", "spot", "reserved_1y"]), "max_spot_fraction": st.sampled_from([0, 0.3]),
                  "budget_usd": st.sampled_from(["$1K", "$1M"]),
                  "caps": st.lists(st.fixed_dictionaries({"max_gpus": st.integers(1, 64)}, optional={
                      "accelerator": st.sampled_from(["X1000", "Y500"]), "provider": st.sampled_from(["alpha", "beta"])}),
                      max_size=2)})},
)  # fmt: skip


@fast(20)
@given(data=plausible_budgets)
def test_budgets_that_validate_plan_or_fail_cleanly(data: dict[str, Any]):
    """Random valid-looking budgets go through the whole pipeline (explanations and verification
    included) on the tiny catalog: a plan, or a clean error (exit code 3 errors, SolverError,
    would fail this test: none is expected on a model this small)."""
    try:
        budget = parse_budget(data, source="fuzz.yaml")
        # Short time limit: whole-instance services can make even this tiny MILP slow to prove, and
        # a time-limited plan ("feasible", with its gap) is one of the outcomes to exercise.
        plan = planner.plan(budget, catalog=CATALOG, time_limit_s=2)
    except InputError as err:
        assert_clean(err)
        event("plan: input error")
        return
    event(f"plan: {plan.status}")
    assert plan.status in ("optimal", "feasible", "infeasible")
    if plan.status == "infeasible":
        assert plan.diagnosis
    else:
        assert plan.verification.ok and plan.total_cost_usd is not None and plan.total_cost_usd >= 0


# Every number of a valid budget set to an edge value, one at a time: the whole pipeline (plan and
# independent verification, no explanation) gives a plan or a clean error. Found that way: goodput 0
# (a ZeroDivisionError), requests_per_s .inf (a PuLP error), tiny demands (plans that failed their
# own verification) and numbers beyond the solver (a traceback from PuLP).
EDGE_BUDGET: dict[str, Any] = {
    "name": "edge", "horizon_months": 3,
    "constraints": {"max_spot_fraction": 0.3, "budget_usd": "$1M", "caps": [{"max_gpus": 64, "accelerator": "X1000"}]},
    "workloads": [
        {"name": "t", "kind": "training", "params": "1B", "tokens": "200B", "deadline_days": 30, "mfu": 0.4,
         "goodput": 0.9, "state_bytes_per_param": 16, "max_spot_fraction": 0.5, "start_month": 0},
        {"name": "s", "kind": "inference", "model": "llama-3-8b", "input_tokens": 1000, "output_tokens": 200,
         "requests_per_s": 10, "growth_per_month": 0.1, "tpot_ms": 50, "ttft_ms": 1000, "min_replicas": 1,
         "egress_gb_per_request": 0.001, "end_month": 3,
         "daily_profile": {"peak_factor": 2, "peak_hours": 8, "base_factor": 0.5, "base_hours": 8}},
    ],
}  # fmt: skip
EDGE_VALUES = [
    0,
    -1,
    1e-300,
    1e-9,
    0.5,
    1,
    2,
    1e9,
    1e300,
    float("nan"),
    float("inf"),
    "1e3",
    True,
    "",
    [],
    {},
]


def number_paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every number (or quantity text such as '$1M') in `data`."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in number_paths(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in number_paths(v, (*path, i))]
    quantity = isinstance(data, (int, float)) and not isinstance(data, bool)
    return [path] if quantity or (isinstance(data, str) and data[:1] in "$0123456789") else []


def test_edge_values_of_every_number_plan_or_fail_cleanly():
    paths = number_paths(EDGE_BUDGET)
    assert len(paths) == 25
    unclean = []
    for path in paths:
        for value in EDGE_VALUES:
            data = copy.deepcopy(EDGE_BUDGET)
            parent = data
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value
            try:
                plan = planner.plan(parse_budget(data, source="edge.yaml"), catalog=CATALOG, explain=False)
            except InputError as err:
                assert_clean(err)
                continue
            except SolverError as err:  # numbers beyond any solver: named, with what to check
                if "an input is many orders of magnitude off" in str(err):
                    continue
                unclean.append((path, value, repr(err)))
                continue
            except Exception as err:  # the point: list every other exception
                unclean.append((path, value, repr(err)))
                continue
            if plan.status != "infeasible" and not plan.verification.ok:
                unclean.append((path, value, "plan failed verification"))
    assert unclean == []


# --------------------------------------------------------------------------- catalog loader

ACCELERATORS = [
    {"id": "X1000", "aliases": ["X1K"], "vendor": "Acme", "memory_gib": 80, "memory_bandwidth_gb_per_s": 2000,
     "peak_tflops": {"bf16": 1000}, "source": "made up", "as_of": "2026-01"},
    {"id": "Y500", "vendor": "Acme", "memory_gib": 80, "memory_bandwidth_gb_per_s": 2000,
     "peak_tflops": {"bf16": 500}, "source": "made up", "as_of": "2026-01"},
]  # fmt: skip
PROVIDERS = [
    {"id": "alpha", "name": "Alpha", "kind": "neocloud", "source": "made up", "as_of": "2026-01"},
    {"id": "beta", "name": "Beta", "kind": "hyperscaler", "source": "made up", "as_of": "2026-01"},
]
CELLS = {
    "provider": ["alpha", "beta", "alfa", "Alpha"],
    "region": ["r1", "r2"],
    "zone": ["z1", ""],
    "instance_type": ["x8", "x1", "y8"],
    "accelerator": ["X1000", "X1K", "Y500", "H100", "x 1000"],
    "gpus_per_instance": ["8", "1", "0", "-1", "eight", "8.5", "1e3"],
    "as_of": ["2026-01", "2026", "June 2026", "", "2026-13-45"],
    "source": ["made up", ""],
    "price_scope": ["instance", "accelerator_only", "gpu"],
    "price_quality": ["listed", "placeholder", "bogus"],
    "reserved_1y_basis": ["quoted", "derived", "guessed", ""],
    "reserved_3y_basis": ["quoted", ""],
}
cell_junk = st.one_of(
    st.sampled_from(["", " ", "n/a", "-3", "0", "1e400", "nan", "inf", "$48/h", '"', ",", "\n", "é", "\x00"]),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def cell(column: str) -> st.SearchStrategy[str]:
    good = CELLS.get(column, ["80.0", "2.5", "", "10"])
    return st.one_of(st.sampled_from(good), st.sampled_from(good), cell_junk)


@st.composite
def offerings_csv(draw: st.DrawFn) -> str:
    """A header of real columns (some dropped, repeated, misspelt or unknown) and rows of cells."""
    columns = draw(st.lists(st.sampled_from([*OFFERING_FIELDS, "on_demand_usd", "", "extra"]), max_size=14))
    if draw(st.booleans()):
        required = [
            "provider",
            "region",
            "instance_type",
            "accelerator",
            "gpus_per_instance",
            "source",
            "as_of",
        ]
        columns = [*required, "on_demand_usd_per_hour", *columns]
    rows = draw(st.lists(st.tuples(*(cell(c) for c in columns)), max_size=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    text = buffer.getvalue()
    if draw(st.integers(0, 9)) == 0:  # now and then a raw, badly quoted line
        text += draw(st.sampled_from(['alpha,"r1,x8\n', "a,b\n", ",,,,,,,,,,,,,,,,,,,,,,,,\n", "\n\n"]))
    return text


def check_catalog(files: dict[str, str | bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cat"
        folder.mkdir()
        for name, content in files.items():
            target = folder / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        try:
            catalog = load_catalog(folder)
        except InputError as err:
            assert_clean(err)
            event("catalog: input error")
            return
        event("catalog: valid")
        assert len(catalog) >= 1
        assert {o.accelerator for o in catalog.offerings} <= {"X1000", "Y500"}
        assert {o.provider for o in catalog.offerings} <= {"alpha", "beta"}


def valid_yaml(records: list[dict[str, Any]]) -> str:
    return json.dumps(records)


@fast(80)
@given(text=offerings_csv())
def test_catalog_loader_on_random_offering_rows(text: str):
    check_catalog(
        {
            "accelerators.yaml": valid_yaml(ACCELERATORS),
            "providers.yaml": valid_yaml(PROVIDERS),
            "offerings.csv": text,
        }
    )


@st.composite
def mutated_records(draw: st.DrawFn, records: list[dict[str, Any]]) -> Any:
    data = copy.deepcopy(records)
    for _ in range(draw(st.integers(1, 3))):
        if not _paths(data)[1:]:
            break
        path = draw(st.sampled_from(_paths(data)[1:]))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()):
            parent[path[-1]] = draw(anything)
        else:
            del parent[path[-1]]
    return data


def yaml_document(records: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    return st.one_of(records.map(lambda d: json.dumps(d, allow_nan=True, default=str)), yaml_text)


GOOD_CSV = (
    "provider,region,instance_type,accelerator,gpus_per_instance,on_demand_usd_per_hour,source,as_of\n"
    "alpha,r1,x8,X1000,8,80.0,made up,2026-01\nbeta,r2,y8,Y500,8,48.0,made up,2026-01\n"
)


@fast(60)
@given(
    accelerators=yaml_document(mutated_records(ACCELERATORS)),
    providers=yaml_document(mutated_records(PROVIDERS)),
    raw=st.one_of(st.none(), st.binary(max_size=30)),
)
def test_catalog_loader_on_random_yaml_files(accelerators: str, providers: str, raw: bytes | None):
    files: dict[str, str | bytes] = {
        "accelerators.yaml": accelerators,
        "providers.yaml": providers,
        "offerings.csv": GOOD_CSV,
    }
    if raw is not None:
        files["offerings_more.csv"] = raw  # a second offerings file of random bytes
    check_catalog(files)


# --------------------------------------------------------------------------- command line

NUMBERS = ["7B", "300B", "1", "8", "0.4", "40%", "5", "2.5", "700", "1_000", "1e3", "0.9"]
BAD_VALUES = ["1e400", "-3B", "0", "140%", "1e-9", "-1", "nan", "inf", "", " ", "1e308", "$2/h", "10.2kW", "1,5",
              "x", "H1OO", "--format"]  # fmt: skip
JUNK = ["--bogus", "-x", "--", "=", "--format=json", "--help", "é", "\r0", "a\nb"]


def command_specs(
    paths: list[str],
) -> dict[tuple[str, ...], tuple[list[str], dict[str, list[str] | None], set[str]]]:
    """Per subcommand: positional values, flag -> values (None: a switch), and the required flags."""
    outputs = [paths[8], paths[9], paths[9] + "/deep/er/plan.out"]
    catalogs = [paths[4], paths[5], paths[6], paths[7], ""]
    plan_flags: dict[str, list[str] | None] = {
        "--format": ["table", "markdown", "json", "html", "png", "text"], "--catalog": catalogs,
        "--output": outputs, "--solver": ["auto", "highs", "cbc", "gurobi"], "--time-limit": NUMBERS,
        "--mip-gap": NUMBERS, "--no-explain": None, "--timings": None,
    }  # fmt: skip
    gpus = ["H100", "X1000", "H1OO", "A100-80GB", "", "h100 sxm5"]
    model_flags: dict[str, list[str] | None] = {
        "--params": NUMBERS, "--model": ["gpt-3-175b", "llama-3-8b", "llama-2-7OB", ""], "--gpu": gpus,
        "--gpus": NUMBERS, "--precision": ["bf16", "fp8", "int4", "fp64"], "--price-per-gpu-hour": NUMBERS,
        "--catalog": catalogs, "--format": ["table", "json", "csv"],
    }  # fmt: skip
    return {
        ("plan",): ([*paths[:4], paths[7], paths[9]], plan_flags, set()),
        ("compare",): (paths[:4], plan_flags, set()),
        ("schema",): ([], {"--output": outputs}, set()),
        ("catalog",): (
            [],
            {
                "--gpu": gpus,
                "--provider": ["aws", "alpha", "awz"],
                "--region": ["us-east-1", "r9"],
                "--term": ["on_demand", "spot", "reserved_1y", "weekly"],
                "--format": ["table", "json", "csv", "html"],
                "--catalog": catalogs,
                "--accelerators": None,
                "--limit": ["0", "5", "-5", "x", "1e3"],
                "--include-unlisted": None,
            },
            set(),
        ),
        ("estimate", "training"): (
            [],
            {**model_flags, "--tokens": NUMBERS, "--mfu": NUMBERS, "--goodput": NUMBERS},
            {"--tokens", "--gpu", "--model"},
        ),
        ("estimate", "inference"): (
            [],
            {
                **model_flags,
                "--input-tokens": NUMBERS,
                "--output-tokens": NUMBERS,
                "--tpot-ms": NUMBERS,
                "--ttft-ms": NUMBERS,
            },
            {"--gpu", "--model", "--input-tokens", "--output-tokens"},
        ),
        ("estimate", "power"): (
            [],
            {
                "--watts": NUMBERS,
                "--pue": NUMBERS,
                "--years": NUMBERS,
                "--usd-per-kwh": NUMBERS,
                "--utilization": NUMBERS,
                "--format": ["table", "json"],
            },
            {"--watts", "--years", "--usd-per-kwh"},
        ),
    }


@pytest.fixture(scope="module")
def cli_paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Paths for the argument pool: budgets (0 tiny and valid, 1-3 broken), catalogs (4 valid, 5 broken,
    6 valid with a data center), 7 a missing file, 8 an output file, 9 a folder."""
    tmp = tmp_path_factory.mktemp("cli")
    good = tmp / "tiny.yaml"
    good.write_text(
        f"name: tiny\ncatalog: {TINY_CATALOG_DIR}\nhorizon_months: 2\nworkloads:\n"
        "  - {name: pretrain, kind: training, params: 1B, flops: 1.44e21, mfu: 0.5, goodput: 1, deadline_days: 30}\n"
    )
    broken = FIXTURES / "malformed_budgets"
    return [
        str(good),
        str(broken / "many_problems.yaml"),
        str(broken / "yaml_syntax.yaml"),
        str(broken / "unknown_region.yaml"),
        str(TINY_CATALOG_DIR),
        str(FIXTURES / "malformed_catalogs" / "many_problems"),
        str(FIXTURES / "catalogs" / "tiny"),
        str(tmp / "missing.yaml"),
        str(tmp / "out" / "report.txt"),
        str(tmp),
    ]


@st.composite
def argv_for(draw: st.DrawFn, paths: list[str]) -> list[str]:
    """Mostly well-formed command lines (real subcommand, its positional, its flags) with values
    right and wrong, and now and then a stray token."""
    specs = command_specs(paths)
    command = draw(st.sampled_from(sorted(specs)))
    positional, flags, required = specs[command]
    argv = list(command)
    if positional and draw(st.integers(0, 9)) > 0:
        argv.append(draw(st.sampled_from(positional)))
    chosen = {f for f in required if draw(st.integers(0, 9)) > 0}
    if "--model" in chosen and draw(st.booleans()):
        chosen = (chosen - {"--model"}) | {"--params"}  # the other of the two exclusive flags
    chosen |= set(draw(st.lists(st.sampled_from(sorted(flags)), max_size=3)))
    for flag in sorted(chosen):
        values = flags.get(flag)
        if values is None:
            argv.append(flag)
            continue
        wrong = draw(st.integers(0, 5)) == 0
        value = draw(
            st.one_of(st.sampled_from(BAD_VALUES), st.text(max_size=4)) if wrong else st.sampled_from(values)
        )
        argv += [f"{flag}={value}"] if draw(st.booleans()) else [flag, value]
    if draw(st.integers(0, 9)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(JUNK)))
    return argv


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
        code = exc.code if isinstance(exc.code, int) else 2
        _, err = capsys.readouterr()
        assert code in (0, 2), (argv, code)
        if code == 2:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and ": error: " in lines[0], (argv, err)
        return code, err
    _, err = capsys.readouterr()
    assert code in (0, 1, 2, 3), (argv, code)
    if code in (2, 3):
        assert err.startswith("planner: error: "), (argv, err)
        assert "failed independent verification" not in err, (argv, err)  # that would be a model bug
    assert "Traceback" not in err
    return code, err


REPO_ROOT = Path(__file__).resolve().parent.parent


def test_cli_argument_parsing_fuzz(
    cli_paths: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """Run in an empty working folder: a junk --output value ('0', '*', any text) is a relative path
    that the CLI may rightly write to, and it must not land in the repository."""
    repo_before = set(os.listdir(REPO_ROOT))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)

    @fast(200)
    @given(argv=argv_for(cli_paths))
    def fuzz(argv: list[str]) -> None:
        code, _ = run_cli(argv, capsys)
        event(f"cli: {' '.join(argv[:1])} exit {code}")

    fuzz()
    caches = {".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache", "__pycache__"}
    assert set(os.listdir(REPO_ROOT)) - repo_before - caches == set()


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["plan", "{good}", "--no-explain", "--format", "json"], 0),
        (["plan", "{good}", "--format", "png"], 2),
        (["plan", "{missing}"], 2),
        (["catalog", "--catalog", "{broken_catalog}"], 2),
        (["estimate", "training", "--params", "7B", "--tokens", "1T", "--gpu", "H1OO"], 2),
        (["estimate", "power", "--watts", "1e308", "--years", "1e308", "--usd-per-kwh", "1e308"], 2),
        (["estimate", "power", "--watts", "10kW", "--years", "3y", "--usd-per-kwh", "0.1"], 0),
    ],
)
def test_cli_examples_from_the_fuzzer(argv: list[str], code: int, cli_paths: list[str], capsys):
    """Fixed cases of the pool above, so that each outcome is known to be reached."""
    names = {"good": cli_paths[0], "missing": cli_paths[7], "broken_catalog": cli_paths[5]}
    assert run_cli([a.format(**names) for a in argv], capsys)[0] == code


def test_clean_error_classes_are_planner_errors():
    assert issubclass(InputError, PlannerError)
    for raised in (lambda: parse_yaml("a: [", "x"), lambda: parse_budget([], "x")):
        with pytest.raises(InputError):
            raised()
