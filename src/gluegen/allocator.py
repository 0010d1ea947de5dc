"""Keep freed memory in the process, so that CPU work does not fault in fresh pages each step.

glibc's malloc serves each allocation above its mmap threshold (128 KiB at first, raised as
large blocks are freed) with fresh pages from the kernel and hands them back when freed, and
returns free memory at the top of its heap above its trim threshold. PyTorch on a CPU
allocates and frees the same large buffers on every training step, every batch it encodes
and every denoising step, so the kernel maps new pages and zero-fills each 4 KiB on first
touch, again and again. `keep_freed_memory()` raises both limits: freed blocks stay in the
heap for the next step. The process then keeps its peak memory instead of handing it back
between steps; the peak itself does not change. What it saves is printed by
`benchmarks/bench_step.py --default-allocator` against a plain run (page faults a step).

The Trainer and `build_cache` call it when they work on a CPU, `gluegen demo` at start, and
`gluegen draw` (on a CPU) and the pages (`gluegen serve`, `gluegen world serve`), where each
denoising step does the same (large batches gain most: experiments.md, 2026-12-08). In a
Python process of your own, call it before drawing on a CPU. Set
GLUEGEN_KEEP_FREED_MEMORY=0 to leave the allocator as the process started.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 30  # blocks below 1 GiB come from the heap and are reused after free
TRIM_THRESHOLD = (1 << 31) - 1  # never give the heap's free top back to the system
OPT_OUT = "GLUEGEN_KEEP_FREED_MEMORY"  # "0": leave the allocator alone


def keep_freed_memory() -> bool:
    """Let this process reuse freed memory instead of mapping it afresh (glibc; process-wide).

    Returns whether the setting took: False where the C library has no `mallopt`, or where
    the environment variable GLUEGEN_KEEP_FREED_MEMORY is 0.
    """
    if os.environ.get(OPT_OUT, "1") == "0":
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return False
    mmap_set = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    trim_set = libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(mmap_set and trim_set)


__all__ = ["keep_freed_memory"]
