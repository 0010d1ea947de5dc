import ctypes.util
import platform
import resource

import pytest
import torch

from gluegen.allocator import keep_freed_memory

ON_GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def page_faults() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt


def test_keep_freed_memory_takes_on_glibc():
    taken = keep_freed_memory()
    assert isinstance(taken, bool)
    if ON_GLIBC:
        assert taken and ctypes.util.find_library("c")


@pytest.mark.skipif(not ON_GLIBC, reason="glibc's malloc only")
def test_a_freed_large_buffer_is_reused_without_fresh_pages():
    assert keep_freed_memory()
    pages = 40 * 2**20 // 4096  # a 40 MiB buffer: above glibc's largest default threshold
    for _ in range(6):  # float32: 4 KiB a page; allocated, touched, freed, until the heap
        torch.ones(pages * 1024)  # has grown to hold it
    before = page_faults()
    for _ in range(3):
        torch.ones(pages * 1024)
    assert page_faults() - before < pages // 10  # as glibc starts: every page, every time
