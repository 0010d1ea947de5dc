import ctypes.util
import platform

from gluegen_world.cpu import keep_freed_memory


def test_keep_freed_memory_takes_on_glibc():
    taken = keep_freed_memory()
    assert isinstance(taken, bool)
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert taken and ctypes.util.find_library("c")
