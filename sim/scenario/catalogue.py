"""The built-in accelerator catalogue.

Dense FP16/BF16 peak and board power per accelerator, from ../shared/DOMAIN.md
("Accelerators" table: vendor data sheets). A scenario's ``accelerators:`` section adds
entries or overrides these; ``failures.mtbf`` overrides the failure rates alone.

MTBF is per accelerator, all causes (GPU, HBM, host, network, software), from DOMAIN.md
("Failures"): Llama 3 405B on 16,384 H100 saw 1.97e-5 failures per GPU-hour (MTBF ≈ 50,700 h);
OPT-175B on cloud A100 lost ~2 of 128 nodes a day (per-node MTBF ≈ 1,500 h, so 12,000 h per
GPU). No source gives H20 or Ascend 910B figures: they take the H100 figure (an ASSUMPTION).

Costs, from DOMAIN.md ("Costs", converted at 7.2 CNY/USD): an H100 sells at ~$25,000-30,000
(the midpoint, $27,500 = 198,000 CNY, here); a DGX H100 server of 8 GPUs at ~$270,000, which
leaves ~$50,000 (360,000 CNY) per server for everything besides the accelerators; a standard
facility at ~$10-12 million per MW of critical IT load ($11 M = 79.2 M CNY). H800 and H200 take
the H100 price; A100, H20 and Ascend 910B prices are ASSUMPTIONS (no sourced figure: street
prices reported in 2023-2024, roughly $10,000, $12,000 and 120,000 CNY). Depreciation lives are
ASSUMPTIONS from DOMAIN.md (servers 5 years; facilities 15-20 years, the lower end here); the
annual maintenance share (3% of capital cost) and the price of moving data between cities
(500 CNY/TB, the order of public-cloud egress list prices) are ASSUMPTIONS with no source.
"""

from __future__ import annotations

HOUR = 3600.0
H100_MTBF = 50_700 * HOUR
A100_MTBF = 1_500 * 8 * HOUR

CNY_PER_USD = 7.2
H100_CNY = 27_500 * CNY_PER_USD

BUILTIN_ACCELERATORS: dict[str, dict[str, float]] = {
    # A100 SXM; price an ASSUMPTION
    "a100": {"tflops": 312.0, "watts": 400.0, "mtbf": A100_MTBF, "capex_cny": 10_000 * CNY_PER_USD},
    # H100 SXM
    "h100": {"tflops": 989.0, "watts": 700.0, "mtbf": H100_MTBF, "capex_cny": H100_CNY},
    # H100 compute, cut interconnect; price as H100
    "h800": {"tflops": 989.0, "watts": 700.0, "mtbf": H100_MTBF, "capex_cny": H100_CNY},
    # 141 GB HBM; price as H100
    "h200": {"tflops": 989.0, "watts": 700.0, "mtbf": H100_MTBF, "capex_cny": H100_CNY},
    # export-compliant; MTBF and price assumed
    "h20": {"tflops": 148.0, "watts": 400.0, "mtbf": H100_MTBF, "capex_cny": 12_000 * CNY_PER_USD},
    # 256-320 TFLOPS, 280 common; 310-400 W; MTBF assumed as H100's, price an ASSUMPTION
    "ascend-910b": {"tflops": 280.0, "watts": 400.0, "mtbf": H100_MTBF, "capex_cny": 120_000.0},
}

SERVER_CNY = 50_000 * CNY_PER_USD
"""A server's cost besides its accelerators [CNY]: DGX H100 ($270,000) less 8 H100s."""
FACILITY_CNY_PER_MW = 11e6 * CNY_PER_USD
"""A standard facility per MW of critical IT load [CNY/MW]: $10-12 million."""
SERVER_LIFE_Y = 5.0
"""Depreciation life of accelerators and servers [y] (ASSUMPTION)."""
FACILITY_LIFE_Y = 15.0
"""Depreciation life of a facility [y] (ASSUMPTION)."""
MAINTENANCE_SHARE = 0.03
"""Annual maintenance as a share of capital cost [1/y] (ASSUMPTION)."""
NETWORK_CNY_PER_TB = 500.0
"""Moving data between cities [CNY/TB] (ASSUMPTION)."""
