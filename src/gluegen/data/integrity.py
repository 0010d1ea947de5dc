"""Checks that a feature cache on disk is the one its manifest describes.

Each shard's SHA-256, byte count and rows are recorded in the manifest as the shard is written
(hashed from the temporary file just written, before it is renamed into place). The first read
of a cache in a process verifies every shard: rows and counts against the manifest, the
safetensors header for sanity, and the hash of any shard not yet verified as it stands (records
of size, mtime and checksum in `verified.json` beside the shards; a build records its own
shards, and a pooled cache reads its members' records), so an unchanged shard is never read
twice. A mismatch is a ValueError that names the shard and how to rebuild.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from gluegen.checkpoints import read_header
from gluegen.io import atomic_write_text

HASH_CHUNK_BYTES = 1 << 24
VERIFIED_FILE = "verified.json"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def shard_rows(header: dict[str, Any]) -> int:
    """Rows of a shard: the first dimension its tensors share."""
    rows = {tuple(info["shape"])[0] for name, info in header.items() if name != "__metadata__"}
    if len(rows) != 1:
        raise ValueError(f"its tensors have different row counts {sorted(rows)}")
    return rows.pop()


def shard_record(path: Path, rows: int) -> dict[str, Any]:
    """What the manifest records of the shard file at `path`."""
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path), "rows": rows}


def verify_cache(folder: Path, manifest: dict[str, Any]) -> None:
    """Raise a named ValueError unless every shard is what the manifest records."""
    records = manifest.get("records")
    if records is None or len(records) != len(manifest["shards"]):
        raise _damaged(folder, "its manifest records no checksums (an older cache)")
    if sum(record["rows"] for record in records) != manifest["count"]:
        raise _damaged(folder, f"its manifest counts {manifest['count']} rows, its shards others")
    known: dict[Path, dict] = {}  # shard folder -> its verification records
    fresh: dict[Path, dict] = {}  # shard folder -> records this verification adds
    for name, record in zip(manifest["shards"], records, strict=True):
        path = folder / name
        if not path.is_file():
            raise _damaged(folder, f"shard {name} is missing")
        size = path.stat().st_size
        try:
            header, _ = read_header(path)
            rows = shard_rows(header)
        except (ValueError, KeyError, TypeError) as error:
            raise _damaged(folder, f"shard {name} is not a readable shard ({error})") from error
        if rows != record["rows"] or size != record["bytes"]:
            raise _damaged(
                folder,
                f"shard {name} has {rows} rows and {size} bytes, "
                f"the manifest {record['rows']} and {record['bytes']}",
            )
        records = known.setdefault(path.parent, _read_verified(path.parent))
        entry = _entry(path, record["sha256"])
        if records.get(path.name) != entry:
            if sha256_file(path) != record["sha256"]:
                raise _damaged(folder, f"shard {name} does not match its checksum")
            fresh.setdefault(path.parent, {})[path.name] = entry
    for shard_folder, entries in fresh.items():
        _write_verified(shard_folder, {**known[shard_folder], **entries})


def mark_verified(folder: Path, manifest: dict[str, Any]) -> None:
    """Record a just-built cache's shards as verified as they stand: their checksums were
    taken from the very bytes written, so reading them back to hash again is not needed."""
    records = _read_verified(folder)
    for name, record in zip(manifest["shards"], manifest["records"], strict=True):
        records[name] = _entry(folder / name, record["sha256"])
    _write_verified(folder, records)


def _entry(path: Path, sha256: str) -> list:
    """What a verification records of a shard: its size and mtime, and the checksum it met;
    a shard that changed since, or a manifest expecting another checksum, is hashed again."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, sha256]


def _read_verified(folder: Path) -> dict[str, list]:
    """The verification records kept beside a folder's shards."""
    try:
        return json.loads((folder / VERIFIED_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _write_verified(folder: Path, records: dict[str, list]) -> None:
    try:
        atomic_write_text(folder / VERIFIED_FILE, json.dumps(records))
    except OSError:  # a read-only cache is verified again next time
        pass


def _damaged(folder: Path, problem: str) -> ValueError:
    return ValueError(
        f"The feature cache {folder} is damaged: {problem}. Delete the folder and run the same "
        "`gluegen cache` (or `train`) command again to rebuild it."
    )
