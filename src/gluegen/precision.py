"""The precision a run trains at, and the accelerate state that carries it."""

from __future__ import annotations

import logging

import torch
from accelerate import Accelerator, PartialState
from accelerate.state import AcceleratorState

logger = logging.getLogger(__name__)


def resolve_mixed_precision(setting: str, device: str | torch.device | None = None) -> str:
    """'auto' -> bf16 on a GPU that has it (the work runs on `device`; default: on the GPU
    when there is one), else full precision."""
    if setting != "auto":
        return setting
    on_gpu = torch.cuda.is_available() if device is None else torch.device(device).type == "cuda"
    return "bf16" if on_gpu and torch.cuda.is_bf16_supported() else "no"


def cpu_has_bf16_matmul() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AMX or AVX512-BF16). Without
    either, PyTorch emulates them, far slower than fp32 (`benchmarks/bench_step.py --bf16`
    prints both peaks)."""
    return torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()


def bf16_is_emulated(device: str | torch.device = "cpu") -> bool:
    """Whether bf16 matmuls on `device` would be emulated (a CPU without bf16 units)."""
    return torch.device(device).type == "cpu" and not cpu_has_bf16_matmul()


def warn_if_bf16_is_slow_here(precision: str, device: str | torch.device = "cpu") -> None:
    """Say so when bf16 is asked for on a CPU that has to emulate it."""
    if precision == "bf16" and bf16_is_emulated(device):
        logger.warning(
            "bf16 was asked for, but this CPU has no bf16 matrix units (AMX or AVX512-BF16): "
            "PyTorch emulates them, many times slower than float32 here. Use full precision "
            "on this machine (--mixed-precision no, --encode-precision no)."
        )


def make_accelerator(precision: str) -> Accelerator:
    """An Accelerator at `precision`. accelerate keeps one state per process: a precision
    other than the state's starts it afresh (runs one after another, e.g. in a notebook)."""
    state = AcceleratorState._shared_state
    if state and state.get("_mixed_precision") != precision:
        AcceleratorState._reset_state()
    on_cpu = not torch.cuda.is_available()
    warn_if_bf16_is_slow_here(precision, "cpu" if on_cpu else "cuda")
    # cpu=True where there is no GPU: without it, CPU processes would not join up
    return Accelerator(mixed_precision=precision, cpu=on_cpu)


def process_state() -> PartialState:
    """This process's place in a (possibly distributed) run: rank, main process, device.
    cpu=True where there is no GPU: without it, CPU processes would not join up (each would
    think itself the only one, and the main one)."""
    return PartialState(cpu=not torch.cuda.is_available())
