"""FLOPs as the benchmarks count them: torch's FlopCounterMode, taught the CPU's attention.

FlopCounterMode counts matmuls and the GPU's attention kernels, but on a CPU PyTorch runs
scaled-dot-product attention in kernels of its own, which it leaves out (a 28-layer encoder's
attention, 5% of its FLOPs, went uncounted). They are counted here with the formulas torch
uses for the same attention on a GPU. Imported by the scripts beside it, as `timing.py` is.
"""

from __future__ import annotations

import torch
from timing import finished
from torch.utils.flop_counter import (
    FlopCounterMode,
    flop_registry,
    sdpa_backward_flop_count,
    sdpa_flop_count,
)


def _attention(query, key, value, *args, **kwargs) -> int:
    """The CPU kernel's (query, key, value, ...), given as shapes."""
    return sdpa_flop_count(query, key, value)


def _attention_backward(grad_out, query, key, value, *args, **kwargs) -> int:
    """The CPU kernel's backward (grad_out, query, key, value, ...), given as shapes."""
    return sdpa_backward_flop_count(grad_out, query, key, value)


aten = torch.ops.aten
CPU_ATTENTION = {
    aten._scaled_dot_product_flash_attention_for_cpu: _attention,
    aten._scaled_dot_product_flash_attention_for_cpu_backward: _attention_backward,
}


def flop_counter() -> FlopCounterMode:
    """A FlopCounterMode that also counts the CPU's attention."""
    return FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION)


def count_flops(run) -> float:
    """FLOPs of `run()`: matmuls and attention, forward and backward."""
    with flop_counter() as counter:
        run()
    return counter.get_total_flops()


def is_counted(func) -> bool:
    """Whether `flop_counter` counts this aten call."""
    return func._overloadpacket in flop_registry or func._overloadpacket in CPU_ATTENTION


PEAK_SIDE = {"cpu": 1024, "cuda": 8192}  # matmul side for the peak: large enough for full rate


def matmul_peak(dtype: torch.dtype, device: torch.device, tries: int = 10) -> float:
    """FLOP/s of the best of `tries` square matmuls of the device's PEAK_SIDE."""
    side = PEAK_SIDE[device.type]
    a = torch.randn(side, side, dtype=dtype, device=device)
    b = torch.randn(side, side, dtype=dtype, device=device)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(tries):
        started = finished(device)
        a @ b
        best = min(best, finished(device) - started)
    return 2 * side**3 / best
