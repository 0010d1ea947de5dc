"""The precision a run trains at, and the accelerate state that carries it."""

from __future__ import annotations

import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState


def resolve_mixed_precision(setting: str) -> str:
    """'auto' -> bf16 on a GPU that has it, else full precision."""
    if setting != "auto":
        return setting
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "no"


def make_accelerator(precision: str) -> Accelerator:
    """An Accelerator at `precision`. accelerate keeps one state per process: a precision
    other than the state's starts it afresh (runs one after another, e.g. in a notebook)."""
    state = AcceleratorState._shared_state
    if state and state.get("_mixed_precision") != precision:
        AcceleratorState._reset_state()
    # cpu=True where there is no GPU: without it, CPU processes would not join up
    return Accelerator(mixed_precision=precision, cpu=not torch.cuda.is_available())
