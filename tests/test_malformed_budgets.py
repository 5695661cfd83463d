"""One malformed budget per class of mistake, with the exact message the user sees.

The budgets are in tests/fixtures/malformed_budgets/ and name the small valid catalog beside them.
Each message names the file, the field path (or YAML line and column), the bad value and the fix;
`planner plan` prints it on stderr as one error and exits with code 2, printing nothing on stdout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.cli import main
from planner.errors import InputError
from planner.workloads import InferenceService, load_budget, parse_budget

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "malformed_budgets"

ALLOWED_TRAINING_FIELDS = (
    "accelerators, active_params, deadline_days, flops, goodput, kind, max_spot_fraction, mfu, model, name, "
    "params, precision, start_month, state_bytes_per_param, tokens"
)
PARSECS = (
    "unknown time unit 'parsecs' in '30 parsecs': use one of h, d, w, mo, y (or hours, days, weeks, "
    "months, years)"
)
ZOO_HINT = "or give the parameter count and the planner infers a dense architecture"
ZOO_HINT += " (planner.compute.architecture_from_params)"

# fixture -> the message, "{file}" standing for the fixture's path as given on the command line.
SINGLE = {
    "yaml_syntax.yaml": (
        "{file}: line 7, column 11: YAML syntax error: expected ',' or ']', but got ':' "
        "(in a flow sequence that starts at line 6, column 19)"
    ),
    "yaml_tab.yaml": (
        "{file}: line 5, column 1: YAML syntax error: found character '\\t' that cannot start any token; "
        "indent with spaces, not tabs"
    ),
    "yaml_duplicate_key.yaml": (
        "{file}: line 7, column 1: key 'constraints' appears twice in this mapping (also at line 3); "
        "keep one, or the first value would be lost"
    ),
    "yaml_python_tag.yaml": (
        "{file}: line 1, column 7: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system': "
        "input files are plain data (tags that would build Python objects are refused); remove the tag"
    ),
    "empty_file.yaml": (
        "{file}: expected a mapping with `name` and `workloads` at the top (see examples/), got an empty file"
    ),
    "not_a_mapping.yaml": (
        "{file}: expected a mapping with `name` and `workloads` at the top (see examples/), got a list"
    ),
    "unknown_key.yaml": (
        "{file}: workloads[0].deadlne_days: unknown field 'deadlne_days': did you mean deadline_days?"
    ),
    "unknown_optional_key.yaml": (
        "{file}: constraints.max_spot_fractoin: unknown field 'max_spot_fractoin': "
        "did you mean max_spot_fraction?"
    ),
    "unknown_kind.yaml": (
        "{file}: workloads[0].kind: unknown kind 'trainign': use training or inference (did you mean training?)"
    ),
    "wrong_type.yaml": "{file}: horizon_months: must be a whole number (got 'twelve')",
    "wrong_type_list.yaml": (
        "{file}: constraints.providers: must be a list, e.g. [a, b] or one '- item' per line (got 'alpha')"
    ),
    "negative_quantity.yaml": "{file}: workloads[0].params: must be > 0 (got '-1B')",
    "zero_quantity.yaml": "{file}: workloads[0].tokens: must be > 0 (got 0)",
    "impossible_unit.yaml": f"{{file}}: workloads[0].deadline_days: {PARSECS}",
    "duplicate_names.yaml": (
        "{file}: workloads[2].name: duplicate workload name 'pretrain' (also workloads[0].name): "
        "give each workload a unique name"
    ),
    "empty_allow_list.yaml": (
        "{file}: constraints.providers: an empty list allows no provider at all: leave `providers` out to "
        "allow every provider"
    ),
    "empty_workloads.yaml": (
        "{file}: workloads: must list at least one workload: a training run (kind: training) "
        "or an inference service (kind: inference)"
    ),
    # Months: every workload within a given horizon; a per-month list says when a service ends.
    "training_beyond_horizon.yaml": (
        "{file}: workloads[0]: workload 'pretrain' runs to month 6.99 but horizon_months is 6: raise "
        "horizon_months to 7 or move the workload"
    ),
    "list_beyond_horizon.yaml": (
        "{file}: workloads[0]: workload 'chat' runs to month 8 (requests_per_s lists 8 months from "
        "start_month 0) but horizon_months is 6: raise horizon_months to 8 or shorten the list"
    ),
    "end_month_after_list.yaml": (
        "{file}: workloads[0].end_month: end_month 5 disagrees with the requests_per_s list, which gives "
        "months 0 to 1 (2 values from start_month 0) and so ends the service at month 2: extend the list "
        "to 5 values (one per month up to end_month; 0 for a month without demand), or leave end_month "
        "out to end the service after the list"
    ),
    # The datacenter: section, where the budget alone shows the mistake.
    "datacenter_duplicate_extra_server.yaml": (
        "{file}: datacenter.extra_servers: duplicate server id: extra_servers[1] 'BOX-1' repeats "
        "extra_servers[0] 'box1' (ids match ignoring case, '-', '_' and '.'): give each server its own id"
    ),
    "datacenter_unknown_server.yaml": (
        "{file}: datacenter.servers[0]: unknown server 'hgx-h1OO' (did you mean hgx-h100-8gpu?); known "
        "servers: hgx-h100-8gpu, dgx-a100-40gb"
    ),
    "datacenter_without_one.yaml": (
        "{file}: datacenter: the catalog (catalog) has no datacenter.yaml, so this section has no effect "
        "and no own servers can be planned: use a catalog with one (the bundled catalog has one) or remove "
        "the section"
    ),
    "datacenter_min_above_max.yaml": (
        "{file}: datacenter.max_site_kw: max_site_kw (100) is smaller than min_site_kw (300): raise "
        "max_site_kw or lower min_site_kw (both in kW)"
    ),
    # Sizes only the model zoo can check: the run's FLOPs (6·N·D) and the model's context.
    "training_too_small.yaml": (
        "{file}: workloads[0].tokens: 2K tokens on 1B parameters (1.2e+13 FLOPs, 6·N·D) is below the 1e18 "
        "FLOPs (about one GPU-hour) of the smallest run the planner plans; check the unit (2T is 2 "
        "trillion tokens, 8.4e23 FLOPs)"
    ),
    "request_beyond_context.yaml": (
        "{file}: workloads[0].input_tokens: 4,000 input + 200 output tokens exceed llama-2-7b's context of "
        "4,096 tokens: shorten the request or pick a model with a longer context"
    ),
    # Names are checked against the catalog (X1000, Y500; alpha, beta) and the model zoo.
    "unknown_accelerator.yaml": (
        "{file}: workloads[0].accelerators[0]: unknown accelerator 'X100': did you mean X1000, Y500?"
    ),
    "unknown_provider.yaml": "{file}: constraints.providers[0]: unknown provider 'alfa': did you mean alpha?",
    "unknown_region.yaml": (
        "{file}: constraints.regions[0]: unknown region 'us-est-1': did you mean us-east-1, eu-west-1, us-west-2?"
    ),
    "unknown_model.yaml": (
        "{file}: workloads[0].model: unknown model 'llama-3-8B-instruct' "
        f"(closest: llama-3-8b, llama-3.1-8b, llama-3-70b); {ZOO_HINT}"
    ),
}

# Files with several mistakes: (field path or YAML position, message) of every problem, in order.
MANY = {
    "many_problems.yaml": [
        ("horizon_months", "must be a whole number (got 2.5)"),
        ("constraints.budget_usd", "must be > 0 (got -5)"),
        (
            "constraints.max_spot_fraction",
            "a fraction must be between 0 and 1 (or 0% and 100%), got '150%'",
        ),
        (
            "constraints.terms[1]",
            "must be one of on_demand, spot, reserved_1y, reserved_3y, own_dc (got 'weekly')",
        ),
        (
            "workloads[0].tokens",
            "cannot read 'lots' as a number: write e.g. 175B, 1.4T, 3.14e23 or 175_000_000_000",
        ),
        ("workloads[0].deadline_days", PARSECS),
        ("workloads[0].colour", f"unknown field 'colour': allowed fields are {ALLOWED_TRAINING_FIELDS}"),
        (
            "workloads[1].precision",
            "must be one of fp32, tf32, bf16, fp16, fp8, int8, int4 (got 'bf17'): did you mean bf16?",
        ),
        (
            "workloads[1].requests_per_s",
            "expected requests per second as a number (e.g. 50) or a list with one number per month "
            "(e.g. [10, 20, 40]), got 'fast'",
        ),
        (
            "workloads[2].name",
            "duplicate workload name 'pretrain' (also workloads[0].name): give each workload a unique name",
        ),
    ],
    "many_unknown_names.yaml": [
        ("constraints.providers[1]", "unknown provider 'betta': did you mean beta?"),
        (
            "constraints.regions[0]",
            "unknown region 'eu-west-2': did you mean eu-west-1, us-west-2, us-east-1?",
        ),
        ("constraints.caps[0].accelerator", "unknown accelerator 'Y5OO': did you mean Y500, X1000?"),
        (
            "workloads[0].model",
            f"unknown model 'llama-2-7OB' (closest: llama-2-7b, llama-2-70b, llama-3-70b); {ZOO_HINT}",
        ),
        ("workloads[0].accelerators[1]", "unknown accelerator 'x2000': did you mean X1000, Y500?"),
    ],
}


def plan_error(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """stderr of `planner plan PATH`, which must exit 2 without output or traceback."""
    code = main(["plan", str(path), "--no-explain"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("planner: error: ") and err.endswith("\n") and "Traceback" not in err
    return err[len("planner: error: ") : -1]


def api_error(path: Path) -> InputError:
    """The InputError of loading and planning `path` through the Python API."""
    with pytest.raises(InputError) as info:
        planner.plan(load_budget(path), explain=False)
    return info.value


def test_every_fixture_has_a_case():
    cases = set(SINGLE) | set(MANY)
    assert {p.name for p in FIXTURES.glob("*.yaml")} == cases


def test_the_readme_lists_every_case_with_its_exact_message():
    """The fixture folder's README is the user-facing list of error classes: it must not drift."""
    readme = (FIXTURES / "README.md").read_text()
    for name, message in SINGLE.items():
        assert f"- `{name}`: " in readme and f"  {message}\n" in readme, name
    for name, expected in MANY.items():
        block = "\n".join(
            [f"  {len(expected)} problems:"] + [f"    - {{file}}: {w}: {m}" for w, m in expected]
        )
        assert f"- `{name}`:" in readme and block in readme, name


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_one_mistake_one_exact_message(name: str, capsys: pytest.CaptureFixture[str]):
    path = FIXTURES / name
    expected = SINGLE[name].format(file=path)
    assert plan_error(path, capsys) == expected
    err = api_error(path)
    assert str(err) == expected
    [problem] = err.problems
    assert problem.source == str(path)


@pytest.mark.parametrize("name", sorted(MANY))
def test_every_mistake_of_a_file_is_reported_together(name: str, capsys: pytest.CaptureFixture[str]):
    path = FIXTURES / name
    expected = MANY[name]
    lines = [f"{len(expected)} problems:"] + [f"  - {path}: {where}: {msg}" for where, msg in expected]
    assert plan_error(path, capsys) == "\n".join(lines)
    err = api_error(path)
    assert [(p.source, p.location, p.message) for p in err.problems] == [
        (str(path), where, msg) for where, msg in expected
    ]


def test_the_fixture_catalog_is_valid_and_a_fixed_budget_plans(tmp_path: Path):
    """The mistakes are the only problems: with the field fixed, the same budget plans.

    6 x 1e9 params x 20e9 tokens = 1.2e20 FLOPs; at MFU 0.5 and goodput 1 one 8 x X1000 instance
    delivers 8 x 1e15 x 0.5 x 3,600 = 1.44e19 FLOPs per hour: 8.33 h x $80/h = $666.67.
    """
    text = (FIXTURES / "unknown_key.yaml").read_text().replace("deadlne_days", "deadline_days")
    text = text.replace("catalog: catalog", f"catalog: {FIXTURES / 'catalog'}")
    path = tmp_path / "fixed.yaml"
    path.write_text(text + "    mfu: 0.5\n    goodput: 1\n")
    plan = planner.plan(load_budget(path), explain=False)
    assert plan.status == "optimal"
    assert plan.total_cost_usd == pytest.approx(1.2e20 / 1.44e19 * 80.0, rel=1e-9)


def test_a_name_on_several_lines_is_refused_at_load(tmp_path: Path):
    """Names go into report headings and table cells: a newline or tab in one is a mistake."""
    path = tmp_path / "newline.yaml"
    path.write_text(
        'name: n\nworkloads:\n  - {name: "a\\nb", kind: training, params: 1B, tokens: 1T, deadline_days: 9}\n'
    )
    with pytest.raises(InputError) as info:
        load_budget(path)
    assert str(info.value) == (
        f"{path}: workloads[0].name: a name must be one line of printable text (no newlines or tabs), got 'a\\nb'"
    )


def test_a_self_referencing_alias_and_an_alias_bomb_are_refused(tmp_path: Path):
    """safe_load accepts both; the first would recurse in validation, the second expands to 10^7 values."""
    path = tmp_path / "alias.yaml"
    path.write_text("name: &n [*n]\nworkloads: []\n")
    with pytest.raises(InputError) as info:
        load_budget(path)
    assert str(info.value) == (
        f"{path}: line 1, column 7: YAML alias refers to itself: a value cannot contain itself"
    )
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    path.write_text("\n".join(levels) + "\n")
    with pytest.raises(InputError) as info:
        load_budget(path)
    assert str(info.value) == (
        f"{path}: YAML aliases expand to more than 1,000,000 values; write the values out instead of nesting aliases"
    )


def test_unreadable_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert plan_error(tmp_path / "nope.yaml", capsys) == f"file not found: {tmp_path / 'nope.yaml'}"
    assert plan_error(tmp_path, capsys) == f"expected a file, got a directory: {tmp_path}"
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    assert plan_error(binary, capsys) == f"{binary}: not UTF-8 text (invalid start byte at byte 6)"


SERVICE = {"kind": "inference", "model": "llama-2-7b", "input_tokens": 512, "output_tokens": 128}


def test_a_workload_past_the_horizon_comes_with_the_other_problems():
    """The horizon check runs per workload, so it is located and reported with the rest of the file."""
    with pytest.raises(InputError) as info:
        parse_budget(
            {
                "name": "b",
                "horizon_months": 3,
                "workloads": [
                    {"name": "a", **SERVICE, "requests_per_s": [1, 2, 3, 4]},
                    {"name": "b", **SERVICE, "requests_per_s": 5, "colour": "red"},
                ],
            },
            source="b.yaml",
        )
    assert [(p.location, p.message[:30]) for p in info.value.problems] == [
        ("workloads[0]", "workload 'a' runs to month 4 ("),
        ("workloads[1].colour", "unknown field 'colour': allowe"),
    ]


def test_the_default_horizon_covers_a_per_month_list():
    """No horizon_months: 12 months, or as many as the list needs (start_month 3 + 15 values = 18)."""
    budget = parse_budget({"name": "b", "workloads": [{"name": "a", **SERVICE, "requests_per_s": [1] * 5}]})
    assert budget.horizon == 12
    long = {"name": "a", **SERVICE, "requests_per_s": [1] * 15, "start_month": 3}
    assert parse_budget({"name": "b", "workloads": [long]}).horizon == 18
    with pytest.raises(InputError) as info:
        parse_budget({"name": "b", "workloads": [{**long, "requests_per_s": [1] * 118}]}, source="b.yaml")
    assert str(info.value) == (
        "b.yaml: workload 'a' runs to month 121.00, beyond the 120-month limit of a plan: shorten its "
        "requests_per_s list or move its start_month"
    )


def test_end_month_that_agrees_with_the_list_is_accepted():
    """end_month equal to start_month + the list's length says the same thing twice: no error."""
    spec = {"name": "a", **SERVICE, "requests_per_s": [1, 2, 0, 0, 0], "start_month": 1, "end_month": 6}
    [service] = parse_budget({"name": "b", "workloads": [spec]}).workloads
    assert isinstance(service, InferenceService)
    assert service.last_month(12) == 6
    assert [service.requests_per_s_in_month(m) for m in range(7)] == [0, 1, 2, 0, 0, 0, 0]
    with pytest.raises(
        InputError, match=r"workloads\[0\].end_month: end_month 4 disagrees .* shorten the list to 3"
    ):
        parse_budget({"name": "b", "workloads": [{**spec, "end_month": 4}]})
