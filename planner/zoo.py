"""Model zoo: architectures of public LLMs (planner/data/models.yaml), each citing its paper or model card."""

from __future__ import annotations

import difflib
from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError

from planner.compute import ModelArch
from planner.errors import InputError


@cache
def _zoo() -> dict[str, ModelArch]:
    path = resources.files("planner") / "data" / "models.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    models: dict[str, ModelArch] = {}
    for i, raw in enumerate(data["models"]):
        try:
            arch = ModelArch.model_validate(raw)
        except ValidationError as exc:
            raise InputError.from_validation(
                exc, source="planner/data/models.yaml", prefix=f"models[{i}]"
            ) from exc
        key = arch.id.lower()
        if key in models:
            raise InputError(f"duplicate model id {arch.id!r}", source="planner/data/models.yaml")
        models[key] = arch
    return models


def list_models() -> list[ModelArch]:
    """Every model of the zoo, in file order."""
    return list(_zoo().values())


def get_model(model_id: str) -> ModelArch:
    """The zoo entry for ``model_id`` (case-insensitive; '_' and ' ' read as '-'); InputError naming the closest ids otherwise."""
    key = model_id.strip().lower().replace("_", "-").replace(" ", "-")
    zoo = _zoo()
    if key in zoo:
        return zoo[key]
    close = difflib.get_close_matches(key, list(zoo), n=3, cutoff=0.5)
    hint = f"closest: {', '.join(close)}" if close else f"known: {', '.join(sorted(zoo))}"
    raise InputError(
        f"unknown model {model_id!r} ({hint}); or give the parameter count and the planner infers "
        "a dense architecture (planner.compute.architecture_from_params)"
    )
