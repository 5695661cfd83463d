"""Own-data-center cost model (total cost of ownership)."""

from __future__ import annotations


def energy_kwh(it_watts: float, hours: float, pue: float = 1.0, utilization: float = 1.0) -> float:
    """Facility energy = IT power x utilization x PUE x hours (The Green Grid, PUE definition, WP #49).

    Utilization scales the IT draw linearly; idle draw is not modelled here (conservative for low
    utilization would add it; callers who know their idle power pass it as part of it_watts).
    """
    return it_watts * utilization * pue * hours / 1000.0
