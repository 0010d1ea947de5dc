"""A run folder shared with its user: one run at a time, and nothing removed that the run did
not write.

`FolderLock(folder)` holds an exclusive lock on FOLDER/.gluegen.lock while a run works there
(the kernel releases it when the process ends, however it ends); the file names its holder, so
a second run refuses with the first one's process id, and a lock left by a process that is gone
is taken over with a message. `foreign_files` lists what a user put in a folder GlueGen writes,
so that a run refuses to replace such a folder unless told to.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path

logger = logging.getLogger(__name__)

LOCK_FILE = ".gluegen.lock"


class FolderBusyError(ValueError):
    """Another run holds the folder; the message names it."""


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class FolderLock:
    """`with FolderLock(folder, what):` one holder at a time; refuses naming the holder.

    Re-entrant within a process: a command that holds its folder can call code that locks it
    again (the CLI's `train` holds it while the cache is built, the Trainer while it trains).
    """

    _held: dict[Path, int] = {}  # lock files this process holds, and how many times

    def __init__(self, folder: str | Path, what: str = "a gluegen run") -> None:
        self.path = (Path(folder) / LOCK_FILE).absolute()
        self.what = what
        self._descriptor: int | None = None

    def _holder(self) -> dict:
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def __enter__(self) -> FolderLock:
        if self.path in FolderLock._held:
            FolderLock._held[self.path] += 1
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            holder = self._holder()
            raise FolderBusyError(
                f"{self.path.parent} is in use by {holder.get('what', 'another gluegen run')} "
                f"(process {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
                f"{holder.get('started', '?')}); wait for it to finish, or choose another folder."
            ) from None
        previous = self._holder()
        if previous.get("pid") and previous.get("host") == socket.gethostname():
            if not _process_alive(int(previous["pid"])):
                logger.warning(
                    "%s: taking over the lock of process %s, which is no longer running.",
                    self.path.parent,
                    previous["pid"],
                )
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "what": self.what,
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(record).encode(), 0)
        self._descriptor = descriptor
        FolderLock._held[self.path] = 1
        return self

    def __exit__(self, *exc: object) -> None:
        FolderLock._held[self.path] -= 1
        if FolderLock._held[self.path]:
            return
        del FolderLock._held[self.path]
        if self._descriptor is not None:
            os.ftruncate(self._descriptor, 0)  # released: names no holder
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
            os.close(self._descriptor)
            self._descriptor = None


def main_process_lock(folder: str | Path, what: str):
    """A `FolderLock` in the main process of a (possibly distributed) command, nothing in the
    others: the main process speaks for the run."""
    from gluegen.precision import process_state  # accelerate loads only for a command

    if process_state().is_main_process:
        return FolderLock(folder, what)
    return contextlib.nullcontext()


def foreign_files(folder: Path, ours: tuple[str, ...]) -> list[str]:
    """Names in `folder` that GlueGen does not write there (empty when there is no folder)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name not in ours)
