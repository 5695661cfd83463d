"""Shared vocabulary: numeric precisions and purchase terms."""

from __future__ import annotations

from enum import StrEnum


class Precision(StrEnum):
    """Numeric format of weights/compute. Values are the spellings accepted in YAML and on the CLI."""

    FP32 = "fp32"
    TF32 = "tf32"
    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"


class Term(StrEnum):
    """How capacity is bought. Reserved terms pay every hour of the term; the others per hour used."""

    ON_DEMAND = "on_demand"
    SPOT = "spot"
    RESERVED_1Y = "reserved_1y"
    RESERVED_3Y = "reserved_3y"
    OWN_DC = "own_dc"

    @property
    def is_reserved(self) -> bool:
        return self in (Term.RESERVED_1Y, Term.RESERVED_3Y)

    @property
    def is_pooled(self) -> bool:
        """Bought ahead and drawn on by workloads: commitments and own servers."""
        return self in (Term.RESERVED_1Y, Term.RESERVED_3Y, Term.OWN_DC)

    @property
    def term_months(self) -> int | None:
        """Length of a commitment in months (730 h each); None for pay-per-use terms."""
        return {Term.RESERVED_1Y: 12, Term.RESERVED_3Y: 36}.get(self)


CLOUD_TERMS: tuple[Term, ...] = (Term.ON_DEMAND, Term.SPOT, Term.RESERVED_1Y, Term.RESERVED_3Y)
