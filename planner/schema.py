"""JSON Schema of the budget file, generated from the pydantic models (editors validate and complete
budget YAML with it; docs/budget.schema.json is this output, checked by the tests)."""

from __future__ import annotations

import json
from typing import Any

from planner.workloads import Budget

SCHEMA_ID = "urn:planner:budget:v1"


def budget_json_schema() -> dict[str, Any]:
    schema = Budget.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "planner budget file",
    }


def budget_json_schema_text() -> str:
    return json.dumps(budget_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
