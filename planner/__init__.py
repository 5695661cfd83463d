"""planner: optimization-based procurement planner for AI compute."""

__version__ = "0.1.0"
