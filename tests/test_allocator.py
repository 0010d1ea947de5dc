import ctypes.util
import platform

from gluegen.allocator import keep_freed_memory

ON_GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def test_keep_freed_memory_takes_on_glibc():
    taken = keep_freed_memory()
    assert isinstance(taken, bool)
    if ON_GLIBC:
        assert taken and ctypes.util.find_library("c")


def test_the_environment_can_leave_the_allocator_alone(monkeypatch):
    monkeypatch.setenv("GLUEGEN_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False
