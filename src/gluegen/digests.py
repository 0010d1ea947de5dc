"""Content hashes of files, each computed once: remembered by path, size and modification time.

A model folder or an audio corpus is fingerprinted by the SHA-256 of every byte of every file,
so that any change (a retrained weight, a clip replaced by another of the same size) makes a
feature cache stale. Hashing gigabytes on every run would cost seconds, so each file's hash is
kept in `GLUEGEN_HOME/digests.json` (default ~/.cache/gluegen) under (path, size, mtime) and
read back while those are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from gluegen.io import atomic_write_text

CHUNK_BYTES = 1 << 24
_known: dict[str, str] = {}  # stamp -> hash, this process


def digest_store() -> Path:
    """Where file hashes are remembered between runs."""
    home = os.environ.get("GLUEGEN_HOME") or Path.home() / ".cache" / "gluegen"
    return Path(home) / "digests.json"


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's content (remembered while its size and mtime stay)."""
    path = Path(path)
    stamp = _stamp(path)
    if stamp not in _known:
        _known.update(_read_store())
    if stamp not in _known:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
        _known[stamp] = digest.hexdigest()
        _remember(stamp, _known[stamp])
    return _known[stamp]


def _read_store() -> dict[str, str]:
    try:
        return json.loads(digest_store().read_text())
    except (OSError, ValueError):
        return {}


def _remember(stamp: str, value: str) -> None:
    stored = _read_store()
    stored[stamp] = value
    try:
        atomic_write_text(digest_store(), json.dumps(stored))
    except OSError:  # no writable home: hashes are remembered for this process only
        pass
