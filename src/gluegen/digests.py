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


def files_sha256(paths: list[str | Path]) -> list[str]:
    """Hex SHA-256 of each file's content; the remembered ones are read from the store, the
    others hashed, and the store written once for all of them."""
    stamps = [_stamp(Path(path)) for path in paths]
    if any(stamp not in _known for stamp in stamps):
        _known.update(_read_store())
    missing = {stamp: Path(path) for stamp, path in zip(stamps, paths, strict=True)}
    missing = {stamp: path for stamp, path in missing.items() if stamp not in _known}
    for stamp, path in missing.items():
        _known[stamp] = _hash(path)
    if missing:
        _remember({stamp: _known[stamp] for stamp in missing})
    return [_known[stamp] for stamp in stamps]


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _read_store() -> dict[str, str]:
    try:
        return json.loads(digest_store().read_text())
    except (OSError, ValueError):
        return {}


def _remember(hashes: dict[str, str]) -> None:
    stored = _read_store()
    stored.update(hashes)
    try:
        atomic_write_text(digest_store(), json.dumps(stored))
    except OSError:  # no writable home: hashes are remembered for this process only
        pass
