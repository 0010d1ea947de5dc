"""The benchmarks' clock: wall time read once a device has done its queued work.

Imported by the scripts beside it (`from timing import finished`): running a script puts this
folder on the import path, and the tests' `load_benchmark` does the same.
"""

from __future__ import annotations

import time

import torch


def finished(device: torch.device) -> float:
    """perf_counter() once the device's queued work is done (a GPU runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()
