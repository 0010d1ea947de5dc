"""CPU process settings for PyTorch work.

`keep_freed_memory()`: PyTorch on CPU allocates and frees the same large buffers on every
step. By default glibc maps large buffers (above a threshold that starts at 128 KiB) afresh
and returns them on free, so the kernel zero-fills their pages again each time (a third of
the time of drawing a demo cell on one thread; docs/experiments.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 30  # blocks below 1 GiB come from the heap and are reused after free
TRIM_THRESHOLD = (1 << 31) - 1  # never give the heap's free top back to the system


def keep_freed_memory() -> bool:
    """Let this process reuse freed memory instead of mapping it afresh (glibc only).

    Returns whether the setting took: False where the C library has no `mallopt`.
    """
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
