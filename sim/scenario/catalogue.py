"""The built-in accelerator catalogue.

Dense FP16/BF16 peak and board power per accelerator, from ../shared/DOMAIN.md
("Accelerators" table: vendor data sheets). A scenario's ``accelerators:`` section adds
entries or overrides these.
"""

from __future__ import annotations

BUILTIN_ACCELERATORS: dict[str, dict[str, float]] = {
    "a100": {"tflops": 312.0, "watts": 400.0},  # A100 SXM
    "h100": {"tflops": 989.0, "watts": 700.0},  # H100 SXM
    "h800": {"tflops": 989.0, "watts": 700.0},  # H100 compute, cut interconnect
    "h200": {"tflops": 989.0, "watts": 700.0},  # 141 GB HBM
    "h20": {"tflops": 148.0, "watts": 400.0},  # export-compliant part
    "ascend-910b": {"tflops": 280.0, "watts": 400.0},  # 256-320 TFLOPS, 280 common; 310-400 W
}
