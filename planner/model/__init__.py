"""The optimization model: candidates (hard filters) → build (named constraint families) → solve."""
