"""planner: optimization-based procurement planner for AI compute.

Public API (stable names):
  load_catalog(path=None) -> Catalog        load_budget(path) -> Budget
  TrainingRun, InferenceService, Budget      the spec models (same fields as the YAML file)
  plan(spec, catalog=None, **options) -> Plan
"""

from planner.api import plan
from planner.catalog.catalog import Catalog
from planner.catalog.load import load_catalog
from planner.errors import InputError, PlannerError, SolverError
from planner.result import Plan
from planner.workloads import Budget, Constraints, InferenceService, TrainingRun, load_budget

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "Catalog",
    "Constraints",
    "InferenceService",
    "InputError",
    "Plan",
    "PlannerError",
    "SolverError",
    "TrainingRun",
    "__version__",
    "load_budget",
    "load_catalog",
    "plan",
]
