#!/usr/bin/env python3
"""Rebuild catalogs/default/datacenter.yaml from the shared data folder (deterministic).

    python catalogs/build_datacenter.py --shared ../shared/data          # write the files
    python catalogs/build_datacenter.py --shared ../shared/data --check  # exit 1 if files would change

Inputs (under --shared): datacenter/tco_figures.csv (server and GPU prices, server power, PUE,
electricity, colocation, useful life, cost-model ratios) and gpus/gpu_specs.csv (TDPs for the
servers whose power is derived). Outputs: catalogs/default/datacenter.yaml and
catalogs/default/DATACENTER_SOURCES.md (every figure, its source and every derivation rule).
catalogs/build_default.py does not touch these two files, so both builds can run in any order.

Every figure is written with its source and date. A figure read from tco_figures.csv is checked
against the row's value cell (the build fails if the number is no longer there); a figure from
elsewhere (EXTERNAL) quotes its source; a derived figure states its rule; an assumption states its
reasoning. Nothing is silently filled in.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from build_default import write_or_check  # noqa: E402  (catalogs/, the script's own folder)

from planner.catalog.load import load_catalog  # noqa: E402

OUT_YAML = "catalogs/default/datacenter.yaml"
OUT_MD = "catalogs/default/DATACENTER_SOURCES.md"
TCO_FILE = "datacenter/tco_figures.csv"
SPECS_FILE = "gpus/gpu_specs.csv"
ASSUMPTION_AS_OF = "2025"  # date of the reasoning behind assumptions (inputs are 2024-2025 figures)


# ---------------------------------------------------------------------------------------------
# Reading the shared data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    item: str
    value: str
    unit: str
    as_of: str
    source: str
    quality: str
    notes: str

    def cite(self) -> str:
        """'tco_figures.csv P09 (Supermicro 8125GS HGX H100 server; secondary ...): <source>'."""
        return f"shared/data/{TCO_FILE} {self.id} ({self.item}; {self.quality}): {_clean(self.source)}"


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(" ; ", "; ")).strip()


def read_rows(shared: Path) -> dict[str, Row]:
    with (shared / TCO_FILE).open(newline="", encoding="utf-8") as fh:
        rows = {
            r["id"]: Row(
                r["id"],
                r["item"],
                r["value"],
                r["unit"],
                r["as_of"],
                r["source"],
                r["source_quality"],
                r["notes"],
            )
            for r in csv.DictReader(fh)
        }
    if len(rows) != 44:
        raise SystemExit(f"{TCO_FILE}: expected 44 rows, found {len(rows)}; review the figures below")
    return rows


def read_tdp_watts(shared: Path) -> dict[str, float]:
    with (shared / SPECS_FILE).open(newline="", encoding="utf-8") as fh:
        return {r["model"]: float(r["tdp_watts"]) for r in csv.DictReader(fh) if r["tdp_watts"]}


def number_in(row: Row, number: float) -> float:
    """`number`, after checking that it appears in the row's value cell (commas ignored)."""
    cell = row.value.replace(",", "")
    text = f"{number:g}" if number != int(number) else str(int(number))
    if not re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", cell):
        raise SystemExit(f"{TCO_FILE} {row.id}: expected {text} in value {row.value!r}; the data changed")
    return number


# ---------------------------------------------------------------------------------------------
# Figures from outside tco_figures.csv (found while building; each quoted as the source says it)
# ---------------------------------------------------------------------------------------------

EXTERNAL: dict[str, tuple[str, str]] = {
    # key: (source with the quoted statement, as_of)
    "dgx_b200_power": (
        "NVIDIA DGX B200 User Guide, 'Introduction to NVIDIA DGX B200 Systems', Power Specifications "
        "(docs.nvidia.com/dgx/dgxb200-user-guide/introduction-to-dgxb200.html): '14.3 kW max.', "
        "6 x 3.3 kW PSUs in 5+1 redundancy",
        "2024",
    ),
    "dgx_h200_power": (
        "NVIDIA DGX H100/H200 User Guide power specifications as summarised by unanswered.io "
        "('nvidia-dgx-power-consumption-watts'): 'Maximum input specification for the system is 10.2 kW', "
        "6 x 3.3 kW PSUs, 4+2 redundancy, for both DGX H100 and DGX H200",
        "2024",
    ),
    "h100_node_measured": (
        "Newkirk et al. 2025, 'Empirically-Calibrated H100 Node Power Models...' (arXiv 2506.14551): "
        "'even computationally intensive workloads operate at only 76% of the 10.2 kW TDP rating'; "
        "Latif et al. 2025 (IEEE Access 13, arXiv 2412.08602): maximum observed draw of an 8-GPU H100 "
        "HGX node 8.4 kW",
        "2025-06",
    ),
    "facility_capex": (
        "Cushman & Wakefield, Data Center Development Cost Guide 2025, 'Construction costs by market' "
        "(cushwake.cld.bz/Data-Center-Development-Cost-Guide-2025/8-9): 'Across 19 markets, the cost to "
        "develop one megawatt (MW) of critical load varied from $15 million in Reno on the high end to "
        "$9.3 million in San Antonio on the low end, with an average of $11.7 million'",
        "2024-10",
    ),
    "admin_wage": (
        "US Bureau of Labor Statistics, Occupational Outlook Handbook, Network and Computer Systems "
        "Administrators (bls.gov/ooh/computer-and-information-technology/"
        "network-and-computer-systems-administrators.htm): 'The median annual wage ... was $90,520 in "
        "May 2022'",
        "2022-05",
    ),
    "wage_share": (
        "US Bureau of Labor Statistics, Employer Costs for Employee Compensation - December 2019 "
        "(USDL-20-0451): private industry 'Wages and salaries averaged $24.36 per hour worked and "
        "accounted for 70.1 percent of these costs'",
        "2019-12",
    ),
    "maintenance": (
        "CTWatch Quarterly 2(2), May 2006, 'Designing and Supporting High-End Computational Facilities' "
        "(icl.utk.edu/ctwatch/quarterly/articles/2006/05/designing-and-supporting-high-end-computational-"
        "facilities/2/): 'annual maintenance costs seem to range between 4-8% of the purchase price of "
        "the machine'; first-year maintenance is often included in the price",
        "2006-05",
    ),
    "lead_time": (
        "Dell and HPE GPU-server lead times as reported by Tom's Hardware (April 2024, copy at "
        "learnallfix.com 'dell-shaves-months-off-lead-times-for-gpu-powered-ai-servers'): wait times for "
        "H100 servers 'decreased to eight to twelve weeks' from about 40 weeks in 2023; HPE about "
        "20 weeks. Omdia (Nov 2023, via tomshardware.com): H100 server lead times 36-52 weeks",
        "2024-04",
    ),
    "rtx4090_price": (
        "r/LocalLLaMA 'How to build an 8x4090 Server' (upstation.io, 2024-11-19, copy at "
        "axebps-redlib.hf.space/r/LocalLLaMA/comments/1gum5yh): 4090 'blower' (2-slot) cards for "
        "server chassis: 'Expect to pay $2000+ per 4090'; off-the-shelf cards '$1650'",
        "2024-11",
    ),
}


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """Derivation rules computed from the data (repeated in DATACENTER_SOURCES.md)."""

    server_over_baseboard: float  # full HGX server / HGX baseboard, same month (P09 / P08 2024-03)
    server_over_gpu: float  # Epoch default server cost / GPU price (O01)
    other_gpu_power_multiplier: float  # Epoch chip TDP -> server power, 'other GPUs' (W04)
    network_fraction: float  # interconnect 19% of cluster cost -> share of server capex (O02)


def rules(rows: Mapping[str, Row]) -> Rules:
    server = number_in(rows["P09"], 296644)
    baseboard = number_in(rows["P08"], 270555)  # HGX H100 baseboard, 2024-03 (same month as P09)
    share = number_in(rows["O02"], 0.19)
    return Rules(
        server_over_baseboard=server / baseboard,
        server_over_gpu=number_in(rows["O01"], 1.64),
        other_gpu_power_multiplier=number_in(rows["W04"], 1.8),
        network_fraction=round(share / (1.0 - share), 4),
    )


def build_servers(rows: Mapping[str, Row], tdp: Mapping[str, float], r: Rules) -> list[dict[str, Any]]:
    h100_kw = number_in(rows["W01"], 10.2)
    a100_kw = number_in(rows["W02"], 6.5)
    ratio = f"{r.server_over_baseboard:.6f}"
    ratio_rule = (
        f"full server / HGX baseboard = {ratio} (P09 Supermicro HGX H100 server 296,644 over P08 HGX H100 "
        "baseboard 270,555, both 2024-03)"
    )
    h200_board = number_in(rows["P13"], 312667)
    mi300x_board = number_in(rows["P15"], 205870)
    mi300x_kw = r.other_gpu_power_multiplier * tdp["MI300X"] * 8 / 1000.0
    rtx_card = 2000.0
    rtx_kw = r.other_gpu_power_multiplier * tdp["RTX-4090"] * 8 / 1000.0
    b200_kw = 14.3
    h200_kw = 10.2
    return [
        {
            "id": "hgx-h100-8gpu",
            "name": "Supermicro AS-8125GS-TNHR (HGX H100 8-GPU)",
            "accelerator": "H100-SXM",
            "gpus_per_server": 8,
            "purchase_price_usd": number_in(rows["P09"], 296644),
            "power_kw": h100_kw,
            "price_basis": "quoted",
            "source": rows["P09"].cite(),
            "as_of": "2024-03",
            "power_basis": "derived",
            "power_source": rows["W01"].cite(),
            "power_as_of": "2022",
            "notes": (
                "Full OEM server (reseller listing, 37,080.50 USD/GPU). Power: NVIDIA's DGX H100 rating "
                "(10.2 kW, 8 x 700 W H100 SXM) applied to this HGX H100 server, same GPU board. Other H100 "
                "prices: DGX H100 329,736 (2024-03, P07) and 375,000 (2025-03, P11); HGX H100 8-GPU "
                "255,237 (2025-01, P10); Thinkmate 8-GPU node ~317k incl. InfiniBand (2024-08, P12 notes)."
            ),
        },
        {
            "id": "hgx-h200-8gpu",
            "name": "HGX H200 8-GPU server",
            "accelerator": "H200",
            "gpus_per_server": 8,
            "purchase_price_usd": round(h200_board * r.server_over_baseboard),
            "power_kw": h200_kw,
            "price_basis": "derived",
            "source": rows["P13"].cite() + "; " + rows["P09"].cite() + "; " + rows["P08"].cite(),
            "as_of": "2025-01",
            "power_basis": "derived",
            "power_source": EXTERNAL["dgx_h200_power"][0],
            "power_as_of": EXTERNAL["dgx_h200_power"][1],
            "notes": (
                f"Derived: HGX H200 8-GPU baseboard 312,667 USD (2025-01, 'on sale', P13) x {ratio_rule}. "
                "Power: the DGX H200 rating (10.2 kW, same as DGX H100; H200 SXM TDP 700 W in gpu_specs.csv) "
                "applied to an HGX H200 server."
            ),
        },
        {
            "id": "dgx-b200",
            "name": "NVIDIA DGX B200 (8x B200, 1,440 GB)",
            "accelerator": "B200",
            "gpus_per_server": 8,
            "purchase_price_usd": number_in(rows["P14"], 379273),
            "power_kw": b200_kw,
            "price_basis": "quoted",
            "source": rows["P14"].cite(),
            "as_of": "2024-12",
            "power_basis": "quoted",
            "power_source": EXTERNAL["dgx_b200_power"][0],
            "power_as_of": EXTERNAL["dgx_b200_power"][1],
            "notes": (
                "Reseller price converted from EUR (47,409.13 USD/GPU). No OEM HGX B200 price in the data; "
                "an OEM server is usually cheaper than the DGX. Needs about 14.3 kW per 10U system."
            ),
        },
        {
            "id": "hgx-a100-80gb-8gpu",
            "name": "Dihuni OptiReady AI-A100-SXM4-8NVE (HGX A100 8-GPU 640 GB, DGX A100 comparable)",
            "accelerator": "A100-80GB",
            "gpus_per_server": 8,
            "purchase_price_usd": number_in(rows["P05"], 148390),
            "power_kw": a100_kw,
            "price_basis": "quoted",
            "source": rows["P05"].cite(),
            "as_of": "2023-09",
            "power_basis": "derived",
            "power_source": rows["W02"].cite(),
            "power_as_of": "2020-05",
            "notes": (
                "Full server (EPYC, NVLink; 18,548.75 USD/GPU). Power: the DGX A100 rating (6.5 kW, 8 x 400 W "
                "A100 SXM) applied to this HGX A100 server. DGX A100 640GB: 300,000 (2021-06) and a comparable "
                "167,000 (2022-01) in P04."
            ),
        },
        {
            "id": "dgx-a100-40gb",
            "name": "NVIDIA DGX A100 (8x A100-40GB, 320 GB)",
            "accelerator": "A100-40GB",
            "gpus_per_server": 8,
            "purchase_price_usd": number_in(rows["P01"], 199000),
            "power_kw": a100_kw,
            "price_basis": "quoted",
            "source": rows["P01"].cite(),
            "as_of": "2020-05",
            "power_basis": "quoted",
            "power_source": rows["W02"].cite(),
            "power_as_of": "2020-05",
            "notes": (
                "NVIDIA launch price (24,875 USD/GPU); the only A100-40GB system price in the data and old: "
                "2023 prices of 80 GB systems were lower (hgx-a100-80gb-8gpu). Override it with a current quote."
            ),
        },
        {
            "id": "mi300x-8gpu",
            "name": "AMD Instinct MI300X 8-GPU (OAM) server",
            "accelerator": "MI300X",
            "gpus_per_server": 8,
            "purchase_price_usd": round(mi300x_board * r.server_over_baseboard),
            "power_kw": round(mi300x_kw, 2),
            "price_basis": "derived",
            "source": rows["P15"].cite() + "; " + rows["P09"].cite() + "; " + rows["P08"].cite(),
            "as_of": "2025-02",
            "power_basis": "derived",
            "power_source": rows["W04"].cite()
            + f"; MI300X TDP {tdp['MI300X']:g} W from shared/data/{SPECS_FILE}",
            "power_as_of": "2024-05",
            "notes": (
                "Derived: the P15 listing (Epoch's Hardware prices.csv links it as interpromicro.com product "
                "'amd-instinct-mi300x-192gb-8-oam-ubb') is the 8-GPU OAM universal baseboard, 205,870 USD "
                f"(2025-02), x {ratio_rule}; the NVIDIA ratio is assumed to hold for an AMD platform. "
                f"Power: Epoch's chip-to-server multiplier for 'other GPUs' 1.8 x {tdp['MI300X']:g} W x 8 "
                f"= {mi300x_kw:g} kW (no MI300X server rating in the data)."
            ),
        },
        {
            "id": "rtx4090-8gpu",
            "name": "8x GeForce RTX 4090 (2-slot blower cards) rack server",
            "accelerator": "RTX-4090",
            "gpus_per_server": 8,
            "purchase_price_usd": round(rtx_card * 8 * r.server_over_gpu),
            "power_kw": round(rtx_kw, 2),
            "price_basis": "derived",
            "source": EXTERNAL["rtx4090_price"][0] + "; " + rows["O01"].cite(),
            "as_of": EXTERNAL["rtx4090_price"][1],
            "power_basis": "derived",
            "power_source": rows["W04"].cite()
            + f"; RTX 4090 TDP {tdp['RTX-4090']:g} W from shared/data/{SPECS_FILE}",
            "power_as_of": "2024-05",
            "notes": (
                f"Derived: 8 cards x 2,000 USD x Epoch's default server-over-GPU cost ratio {r.server_over_gpu:g} "
                "(O01; fitted on data-center GPUs, so the host share of a consumer box is uncertain). Power: "
                f"1.8 x {tdp['RTX-4090']:g} W x 8 = {rtx_kw:g} kW rated (an 8x RTX 4090D build reported "
                "~4.6 kW under inference load, consistent with load_power_fraction 0.75). Caveats: no NVLink, "
                "24 GB per GPU; NVIDIA's GeForce driver licence restricts data-center deployment. Low confidence."
            ),
        },
    ]


# ---------------------------------------------------------------------------------------------
# Site
# ---------------------------------------------------------------------------------------------


def fig(basis: str, source: str, as_of: str, notes: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"basis": basis, "source": source, "as_of": as_of}
    if notes:
        out["notes"] = notes
    return out


def build_site(rows: Mapping[str, Row], r: Rules) -> dict[str, Any]:
    wage = 90520.0
    wage_share = 0.701
    staff = 2
    ops = round(staff * wage / wage_share / 12.0)
    share = number_in(rows["O02"], 0.19)
    values: dict[str, Any] = {
        "facility_model": "colocation",
        "pue": number_in(rows["E04"], 1.25),
        "electricity_usd_per_kwh": number_in(rows["E06"], 0.0826),
        "colocation_usd_per_kw_month": number_in(rows["C01"], 184.06),
        "colocation_includes_power": False,
        "facility_capex_usd_per_kw": 11700.0,
        "facility_life_years": 15,
        "network_storage_capex_fraction": r.network_fraction,
        "operations_usd_per_month": float(ops),
        "maintenance_fraction_per_year": 0.06,
        "useful_life_years": number_in(rows["L05"], 5),
        "lead_time_months": 4,
        "residual_value_fraction": 0.0,
        "cost_of_capital": None,
        "min_site_kw": 250.0,
        "max_site_kw": None,
        "idle_power_fraction": 0.25,
        "load_power_fraction": number_in(rows["W05"], 0.75),
        "capex_accounting": "amortized",
    }
    sources = {
        "pue": fig(
            "quoted",
            rows["E04"].cite(),
            "2024-05",
            "Epoch's PUE for operators other than hyperscalers (hyperscalers 1.10). Context: 1.1-1.3 for AI "
            "data centers (E05, SemiAnalysis via Epoch), industry average 1.58 in 2023 (E01, Uptime Institute).",
        ),
        "electricity_usd_per_kwh": fig(
            "quoted",
            rows["E06"].cite(),
            "2025",
            "US average industrial price for 2025 (EIA series as used by Epoch; 2024: 0.0771). Regional "
            "prices differ by a factor of two or more: override for your site.",
        ),
        "colocation_usd_per_kw_month": fig(
            "quoted",
            rows["C01"].cite(),
            "2024-12",
            "CBRE H2 2024 average monthly asking rate for a 250-500 kW requirement across primary North "
            "American markets (N+1/Tier III), per kW of critical IT capacity; electricity is billed on top. "
            "H1 2024: 174.06, H2 2023: 163.44; primary-market vacancy 1.9% at end 2024.",
        ),
        "facility_capex_usd_per_kw": fig(
            "quoted",
            EXTERNAL["facility_capex"][0],
            EXTERNAL["facility_capex"][1],
            "11.7 million USD per MW of critical load = 11,700 USD per kW of IT capacity; excludes land, "
            "design/soft costs, owner-furnished equipment and owner contingencies. Not in the shared data. "
            "Used only with facility_model: own_facility.",
        ),
        "facility_life_years": fig(
            "assumption",
            "assumption of this catalog (no facility life in the shared data)",
            ASSUMPTION_AS_OF,
            "The building's electrical and mechanical plant ('critical capacity', 53% of construction cost in "
            "the Cushman & Wakefield guide) is typically replaced after 15-20 years; the shell lasts longer. "
            "15 years is the conservative end. Used only with facility_model: own_facility.",
        ),
        "network_storage_capex_fraction": fig(
            "derived",
            rows["O02"].cite(),
            "2024-05",
            f"Epoch puts the cluster interconnect at {share:g} of total cluster cost (its code multiplies "
            f"server cost by 1 / (1 - {share:g})), so network = server capex x {share:g} / {1 - share:g} = "
            f"{r.network_fraction:g}. Storage is not in the data and not added: override if you buy storage.",
        ),
        "operations_usd_per_month": fig(
            "derived",
            EXTERNAL["admin_wage"][0] + "; " + EXTERNAL["wage_share"][0],
            EXTERNAL["admin_wage"][1],
            f"{staff} full-time staff (an assumption: the smallest on-call rotation for one site; the "
            f"colocation provider's remote hands do physical work) x 90,520 USD median wage / "
            f"{wage_share:g} (wages' share of employer compensation) / 12 = {ops:,} USD per month per site.",
        ),
        "maintenance_fraction_per_year": fig(
            "derived",
            EXTERNAL["maintenance"][0],
            EXTERNAL["maintenance"][1],
            "Midpoint of the quoted 4-8% per year. An old (2006) HPC figure: no GPU-specific figure in the "
            "data. Applied from the first month, although vendors often include year-one support.",
        ),
        "useful_life_years": fig(
            "quoted",
            rows["L05"].cite(),
            "2024-05",
            "Epoch's AI-server lifetime from 2023 on. Hyperscalers depreciate servers over 5-6 years "
            "(L01-L04); Amazon shortened part of its servers from 6 to 5 years in 2025 citing the pace of AI.",
        ),
        "lead_time_months": fig(
            "derived",
            EXTERNAL["lead_time"][0],
            EXTERNAL["lead_time"][1],
            "Delivery 8-12 weeks (about 3 months) in 2024 plus 1 month to rack, cable and burn in (an "
            "assumption). Lead times were 36-52 weeks in late 2023: override when supply is tight.",
        ),
        "residual_value_fraction": fig(
            "assumption",
            "assumption of this catalog (no resale values in the shared data)",
            ASSUMPTION_AS_OF,
            "Zero resale value at the end of the useful life: the whole price is recovered over the life. "
            "Used GPU servers do sell, but the data has no resale prices, so this is conservative for owning.",
        ),
        "cost_of_capital": fig(
            "assumption",
            "not set by this catalog",
            ASSUMPTION_AS_OF,
            "No cost of capital: capex is amortized straight-line without interest, which favours owning. "
            "Set your own rate (e.g. 7-10%, typical US corporate costs of capital in Damodaran's 'Cost of "
            "Equity and Capital (US)' table, pages.stern.nyu.edu/adamodar, January 2026).",
        ),
        "min_site_kw": fig(
            "derived",
            rows["C01"].cite(),
            "2024-12",
            "The colocation rate is quoted for a 250-500 kW requirement, so a site opened at this price pays "
            "for at least 250 kW (about 24 H100 servers). Smaller deployments rent at retail prices, not in "
            "the data: override both figures for a small site.",
        ),
        "max_site_kw": fig(
            "assumption",
            "not set by this catalog",
            ASSUMPTION_AS_OF,
            "No cap on site capacity in the data (large requirements usually get lower rates, not modelled).",
        ),
        "idle_power_fraction": fig(
            "assumption",
            "assumption of this catalog; context from "
            + rows["W06"].cite()
            + "; "
            + EXTERNAL["h100_node_measured"][0],
            ASSUMPTION_AS_OF,
            "No idle draw of a GPU server in the data. GPUs fall to about 15% of their maximum between "
            "training steps (W06), while CPUs, memory, fans, NICs and NVSwitches keep drawing; 25% of the "
            "busy draw is the assumption.",
        ),
        "load_power_fraction": fig(
            "quoted",
            rows["W05"].cite() + "; " + EXTERNAL["h100_node_measured"][0],
            "2024-05",
            "Average server power during training as a share of rated server power (Epoch: 0.75 for GPUs); "
            "measured on 8-GPU H100 nodes: 76% of the 10.2 kW rating (Newkirk et al. 2025). DGX H100 typical "
            "draw 6.5-8.5 kW (W01 notes).",
        ),
    }
    values["sources"] = sources
    return values


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

HEADER = (
    "# Generated by catalogs/build_datacenter.py from shared/data/datacenter/tco_figures.csv; do not edit\n"
    "# by hand (see DATACENTER_SOURCES.md). Units: USD, kW (rated IT power per server), years, months.\n"
)


def build(shared: Path) -> dict[str, str]:
    rows = read_rows(shared)
    tdp = read_tdp_watts(shared)
    r = rules(rows)
    servers = build_servers(rows, tdp, r)
    site = build_site(rows, r)
    body = yaml.safe_dump(
        {"servers": servers, "site": site},
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return {OUT_YAML: HEADER + body, OUT_MD: sources_md(rows, servers, site, r)}


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines)


USED_ROWS = {
    "P01": "dgx-a100-40gb price",
    "P05": "hgx-a100-80gb-8gpu price",
    "P08": "baseboard-to-server ratio (2024-03 value)",
    "P09": "hgx-h100-8gpu price; baseboard-to-server ratio",
    "P13": "hgx-h200-8gpu price (derived, 2025-01 value)",
    "P14": "dgx-b200 price",
    "P15": "mi300x-8gpu price (derived)",
    "W01": "power of H100 servers",
    "W02": "power of A100 servers",
    "W04": "power of MI300X and RTX 4090 servers (derived)",
    "W05": "load_power_fraction",
    "W06": "context for idle_power_fraction",
    "E04": "pue",
    "E06": "electricity_usd_per_kwh (2025 value)",
    "C01": "colocation_usd_per_kw_month (H2 2024 value), min_site_kw",
    "L05": "useful_life_years",
    "O01": "rtx4090-8gpu price (derived)",
    "O02": "network_storage_capex_fraction (derived)",
}


def sources_md(
    rows: Mapping[str, Row], servers: Sequence[Mapping[str, Any]], site: Mapping[str, Any], r: Rules
) -> str:
    parts = [
        "# catalogs/default/datacenter.yaml: sources and how it is built",
        "",
        "Generated by `catalogs/build_datacenter.py` from `shared/data/datacenter/tco_figures.csv` (and the TDPs "
        "of `shared/data/gpus/gpu_specs.csv`). Do not edit by hand: change the script and rebuild. "
        "`catalogs/build_default.py` (which writes the rest of the folder and `SOURCES.md`) does not touch "
        "these two files. docs/datacenter.md explains the fields and the cost conventions.",
        "",
        "```bash",
        ". /work/venv/bin/activate",
        "python catalogs/build_datacenter.py --shared ../shared/data          # rewrite the files",
        "python catalogs/build_datacenter.py --shared ../shared/data --check  # exit 1 if a rebuild would change them",
        "```",
        "",
        "Bases: `quoted` (the number is in the source), `derived` (computed by the rule given), `assumption` "
        "(no source has it; the reasoning is given). Every number read from tco_figures.csv is checked "
        "against the row's value cell at build time.",
        "",
        "## Servers",
        "",
        _table(
            [
                "id",
                "accelerator",
                "GPUs",
                "price USD",
                "price basis",
                "price as of",
                "power kW",
                "power basis",
            ],
            [
                (
                    s["id"],
                    s["accelerator"],
                    s["gpus_per_server"],
                    f"{s['purchase_price_usd']:,.0f}",
                    s["price_basis"],
                    s["as_of"],
                    f"{s['power_kw']:g}",
                    s["power_basis"],
                )
                for s in servers
            ],
        ),
        "",
    ]
    for s in servers:
        parts += [
            f"### {s['id']}",
            "",
            f"- price: {s['source']}",
            f"- power: {s['power_source']} (as of {s['power_as_of']})",
            f"- notes: {s['notes']}",
            "",
        ]
    parts += [
        "## Derivation rules",
        "",
        f"- **Server from HGX/OAM baseboard**: x {r.server_over_baseboard:.6f} = P09 (Supermicro HGX H100 "
        "server, 296,644 USD, 2024-03) / P08 (HGX H100 8-GPU baseboard, 270,555 USD, 2024-03). Applied to "
        "the H200 baseboard (P13) and the MI300X OAM baseboard (P15).",
        f"- **Server from GPU price**: x {r.server_over_gpu:g} (Epoch's default server cost over GPU price, O01). "
        "Applied to the RTX 4090 box.",
        f"- **Server power from chip TDP**: x {r.other_gpu_power_multiplier:g} per GPU (Epoch's 'other GPUs' "
        "multiplier, W04; H100 and A100 use the DGX ratings instead). Applied to MI300X and RTX 4090.",
        f"- **Network and storage**: interconnect = 19% of cluster cost (O02) -> {r.network_fraction:g} of "
        "server capex.",
        "",
        "## Site assumptions",
        "",
    ]
    src = site["sources"]
    table_rows = []
    for name, value in site.items():
        if name == "sources":
            continue
        f = src.get(name)
        table_rows.append(
            (
                name,
                _value_text(value),
                f["basis"] if f else "choice",
                f["as_of"] if f else "",
                f.get("notes", "") if f else _CHOICES.get(name, ""),
            )
        )
    parts += [_table(["field", "value", "basis", "as of", "notes"], table_rows), ""]
    parts += ["Sources of the site figures:", ""]
    parts += [f"- `{name}`: {f['source']}" for name, f in src.items()]
    parts += [
        "",
        "## Rows of tco_figures.csv",
        "",
        _table(
            ["row", "item", "used for"],
            [(rid, row.item, USED_ROWS.get(rid, "not used (context only)")) for rid, row in rows.items()],
        ),
        "",
        "Not used: the other purchase prices (kept as alternatives in the server notes), the measured power "
        "figures W03/W07/W08, the PUE context rows E01-E03/E05, the hyperscalers' useful lives L01-L04 "
        "(context for useful_life_years), utilization O03, rental assumptions O04-O06 and cluster "
        "reliability O07-O08 (the planner's goodput default uses those; planner/compute.py).",
        "",
    ]
    return "\n".join(parts)


def _value_text(value: Any) -> str:
    """YAML spelling: null, false, 250 (not 250.0)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return str(value)


_CHOICES = {
    "facility_model": "default: rent colocation (own_facility: build, using facility_capex_usd_per_kw)",
    "colocation_includes_power": "wholesale colocation bills metered electricity on top of the rent",
    "capex_accounting": "capex charged monthly over the useful life (upfront: at purchase, minus residual value)",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared" / "data", help="shared data folder"
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if any file would change")
    args = parser.parse_args(argv)
    files = build(args.shared.resolve())
    changed, exit_code = write_or_check(files, args.check)
    if exit_code is not None:
        return exit_code
    catalog = load_catalog(REPO / "catalogs" / "default")  # full validation, accelerators included
    dc = catalog.datacenter
    count = 0 if dc is None else len(dc.servers)
    print(f"wrote {len(files)} files ({', '.join(changed) or 'no changes'}); {count} servers load")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
