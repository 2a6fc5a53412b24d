"""The built-in accelerator catalogue.

Dense FP16/BF16 peak and board power per accelerator, from ../shared/DOMAIN.md
("Accelerators" table: vendor data sheets). A scenario's ``accelerators:`` section adds
entries or overrides these; ``failures.mtbf`` overrides the failure rates alone.

MTBF is per accelerator, all causes (GPU, HBM, host, network, software), from DOMAIN.md
("Failures"): Llama 3 405B on 16,384 H100 saw 1.97e-5 failures per GPU-hour (MTBF ≈ 50,700 h);
OPT-175B on cloud A100 lost ~2 of 128 nodes a day (per-node MTBF ≈ 1,500 h, so 12,000 h per
GPU). No source gives H20 or Ascend 910B figures: they take the H100 figure (an ASSUMPTION).
"""

from __future__ import annotations

HOUR = 3600.0
H100_MTBF = 50_700 * HOUR
A100_MTBF = 1_500 * 8 * HOUR

BUILTIN_ACCELERATORS: dict[str, dict[str, float]] = {
    "a100": {"tflops": 312.0, "watts": 400.0, "mtbf": A100_MTBF},  # A100 SXM
    "h100": {"tflops": 989.0, "watts": 700.0, "mtbf": H100_MTBF},  # H100 SXM
    "h800": {"tflops": 989.0, "watts": 700.0, "mtbf": H100_MTBF},  # H100 compute, cut interconnect
    "h200": {"tflops": 989.0, "watts": 700.0, "mtbf": H100_MTBF},  # 141 GB HBM
    "h20": {"tflops": 148.0, "watts": 400.0, "mtbf": H100_MTBF},  # export-compliant; MTBF assumed
    # 256-320 TFLOPS, 280 common; 310-400 W; MTBF assumed as H100's
    "ascend-910b": {"tflops": 280.0, "watts": 400.0, "mtbf": H100_MTBF},
}
