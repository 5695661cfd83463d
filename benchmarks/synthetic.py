"""Synthetic catalogs of any size, shaped like the bundled one, for scale benchmarks.

Offerings draw accelerators, GPUs per instance, fabric and the spread of prices from the bundled
catalog's own rows (each row's per-GPU prices scaled by a log-normal factor), across synthetic
providers and regions. Deterministic for a given size and seed.

    python benchmarks/synthetic.py 100000 /tmp/synthetic-100k
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
from pathlib import Path

from planner.catalog.load import OFFERING_COLUMNS, bundled_catalog_dir, load_catalog

PROVIDERS = 40
REGIONS_PER_PROVIDER = 12


def write_synthetic_catalog(size: int, folder: Path, seed: int = 7) -> Path:
    """Write `size` offerings to `folder` (accelerators and providers from the bundled catalog)."""
    base = load_catalog(None)
    template = [o for o in base.offerings if o.price_is_complete and o.price_quality == "listed"]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(bundled_catalog_dir() / "accelerators.yaml", folder / "accelerators.yaml")
    providers = [f"synth{i:02d}" for i in range(PROVIDERS)]
    lines = [
        "- id: "
        + p
        + "\n  name: Synthetic "
        + p
        + "\n  kind: neocloud\n  source: benchmarks/synthetic.py\n  as_of: '2026-01'\n"
        for p in providers
    ]
    (folder / "providers.yaml").write_text("".join(lines))
    with open(folder / "offerings.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=OFFERING_COLUMNS)
        writer.writeheader()
        for i in range(size):
            o = rng.choice(template)
            factor = rng.lognormvariate(0.0, 0.25)
            provider = rng.choice(providers)

            def scaled(price: float | None, factor: float = factor) -> float | None:
                return None if price is None else round(price * factor, 4)

            row = {c: "" for c in OFFERING_COLUMNS}
            row.update(
                provider=provider,
                region=f"{provider}-r{rng.randrange(REGIONS_PER_PROVIDER):02d}",
                zone=f"z{i}",
                instance_type=o.instance_type,
                accelerator=o.accelerator,
                gpus_per_instance=o.gpus_per_instance,
                on_demand_usd_per_hour=scaled(o.on_demand_usd_per_hour),
                spot_usd_per_hour=scaled(o.spot_usd_per_hour),
                cluster_interconnect=o.cluster_interconnect or "",
                price_scope="instance",
                price_quality="listed",
                source="benchmarks/synthetic.py (scaled from the bundled catalog)",
                as_of="2026-01",
            )
            if o.reserved_1y_usd_per_hour is not None or o.reserved_3y_usd_per_hour is not None:
                row.update(reserved_source="scaled from the bundled catalog", reserved_as_of="2026-01")
            if o.reserved_1y_usd_per_hour is not None:
                row.update(
                    reserved_1y_usd_per_hour=scaled(o.reserved_1y_usd_per_hour), reserved_1y_basis="derived"
                )
            if o.reserved_3y_usd_per_hour is not None:
                row.update(
                    reserved_3y_usd_per_hour=scaled(o.reserved_3y_usd_per_hour), reserved_3y_basis="derived"
                )
            if not row["on_demand_usd_per_hour"] and not row["spot_usd_per_hour"]:
                row["on_demand_usd_per_hour"] = 1.0
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    shutil.copy(bundled_catalog_dir() / "datacenter.yaml", folder / "datacenter.yaml")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write_synthetic_catalog(args.size, args.folder, args.seed)
    print(load_catalog(args.folder))


if __name__ == "__main__":
    main()
