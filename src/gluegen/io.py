"""Writing files so that nothing is ever half there: write a temporary file, then rename."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

FOLDER_MODE = 0o755


def atomic_write_file(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call `write(temporary_file)`, then rename it to `path`: the file is whole or absent,
    and no temporary is left behind whatever `write` raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write `text` to `path` atomically."""
    atomic_write_file(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


COMPLETE_MARK = ".complete"  # written last into a temporary folder: its contents are whole


# what torch.save's zip writer says when the disk fills under it (safetensors raises OSError)
WRITE_FAILURE_WORDS = ("unexpected pos", "file write failed")


def is_write_failure(error: Exception) -> bool:
    """An error of writing bytes (a full disk, a quota, a vanished folder), not of the code
    that produced them."""
    text = str(error).lower()
    return isinstance(error, OSError) or any(word in text for word in WRITE_FAILURE_WORDS)


class WriteError(ValueError):
    """A folder could not be written (most often a full disk); the previous one is intact."""

    def __init__(self, path: Path, error: Exception) -> None:
        free = shutil.disk_usage(path.parent).free
        super().__init__(
            f"Could not write {path} ({type(error).__name__}: {error}); {free / 1e6:,.0f} MB "
            f"are free on its disk. A full disk is the usual cause: free space and run again "
            f"(--resume continues a run). The previous {path.name} is intact."
        )


def temporary_folders(path: Path) -> list[Path]:
    """The temporary folders `atomic_write_folder` makes for `path`, newest last."""
    return sorted(path.parent.glob(f".{path.name}.*.tmp"), key=lambda p: p.stat().st_mtime)


def old_folder(path: Path) -> Path:
    """Where `atomic_write_folder` keeps the previous `path` while it swaps in the new one."""
    return path.with_name(f".{path.name}.old")


def atomic_write_folder(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call `write(temporary_folder)`, then put that folder at `path` (replacing any old one).

    The temporary folder is marked complete before the swap, and the previous folder is
    moved aside, not deleted, until the new one is in place: whenever the process dies, a
    whole folder exists at `path`, at `old_folder(path)` or in a complete temporary folder,
    and `recover_folder` puts it back.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    os.chmod(temporary, FOLDER_MODE)  # mkdtemp makes it private; the result is a normal folder
    try:
        try:
            write(temporary)
        except (OSError, RuntimeError) as error:
            if not is_write_failure(error):
                raise
            raise WriteError(path, error) from error
        (temporary / COMPLETE_MARK).touch()
        old = old_folder(path)
        if path.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        (temporary / COMPLETE_MARK).unlink()
        os.replace(temporary, path)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def recover_folder(path: str | Path) -> Path | None:
    """After an interrupted `atomic_write_folder`: put the newest whole folder at `path`
    (a complete temporary one, else the previous one) and remove the leftovers.

    Returns `path` when a folder is there afterwards, else None."""
    path = Path(path)
    if not path.exists():
        complete = [t for t in temporary_folders(path) if (t / COMPLETE_MARK).exists()]
        if complete:
            (complete[-1] / COMPLETE_MARK).unlink()
            os.replace(complete[-1], path)
        elif old_folder(path).exists():
            os.replace(old_folder(path), path)
    for leftover in [*temporary_folders(path), old_folder(path)]:
        shutil.rmtree(leftover, ignore_errors=True)
    return path if path.exists() else None
