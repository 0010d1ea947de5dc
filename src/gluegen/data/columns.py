"""Text columns kept out of the process's own memory: memory-mapped Arrow.

`TextColumn` reads one column of a mapped Arrow table as Python strings only where asked.
`store_pairs` writes (source, target) pairs, as a reader yields them, into an Arrow file a
record batch at a time and maps it: a text file or table of 10M captions then costs the
process no 10M Python strings. The file lies in GLUEGEN_HOME/corpora (default
~/.cache/gluegen: a disk, not a RAM-backed temporary folder) and is unlinked as soon as it is
mapped: the mapping keeps it readable, and nothing is left behind. Without pyarrow (the
`gluegen[data]` extra) the pairs are kept as lists.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

CHECK_ROWS = 65_536  # rows checked, iterated or written at once
logger = logging.getLogger(__name__)


class TextColumn(Sequence[str]):
    """One text column of a memory-mapped Arrow table, the rows `rows` of it (None: all), read
    as Python strings only where asked (`column[i]`, `column[a:b]`, iteration)."""

    def __init__(self, column: Any, rows: np.ndarray | None = None) -> None:
        self.column, self.rows = column, rows  # a pyarrow ChunkedArray; int64 row numbers

    def __len__(self) -> int:
        return len(self.column) if self.rows is None else len(self.rows)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if self.rows is None and step == 1:
                return self.column.slice(start, max(0, stop - start)).to_pylist()
            return self.take(np.arange(start, stop, step))
        if not -len(self) <= index < len(self):
            raise IndexError(f"row {index} of a column of {len(self)}")
        index %= len(self)
        row = index if self.rows is None else int(self.rows[index])
        return self.column[row].as_py()

    def take(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        """The texts of rows `indices` (one gather)."""
        indices = np.asarray(indices, dtype=np.int64)
        rows = indices if self.rows is None else self.rows[indices]
        return self.column.take(rows).to_pylist()

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same texts (a list read another way)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # compared by content, as a list is

    def __iter__(self) -> Iterator[str]:
        if self.rows is None:
            for chunk in self.column.chunks:
                yield from chunk.to_pylist()
            return
        for start in range(0, len(self.rows), CHECK_ROWS):
            yield from self.take(np.arange(start, min(start + CHECK_ROWS, len(self.rows))))


def store_dir() -> Path:
    """Where pairs are written before they are mapped."""
    home = os.environ.get("GLUEGEN_HOME") or Path.home() / ".cache" / "gluegen"
    return Path(home) / "corpora"


def store_pairs(pairs: Iterable[tuple[str, str]]) -> tuple[Sequence[str], Sequence[str]]:
    """(sources, targets) of `pairs`, memory-mapped Arrow columns (lists without pyarrow)."""
    try:
        import pyarrow as pa
    except ImportError:
        return _lists(pairs)
    schema = pa.schema([("source", pa.large_string()), ("target", pa.large_string())])
    try:
        folder = store_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=folder, prefix="pairs-", suffix=".arrow")
    except OSError as error:  # a home that cannot be written: keep them in memory
        logger.warning("Cannot write %s (%s); the corpus is kept in memory.", store_dir(), error)
        return _lists(pairs)
    os.close(handle)
    try:
        with pa.OSFile(name, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for sources, targets in _batches(pairs):
                columns = [
                    pa.array(sources, pa.large_string()),
                    pa.array(targets, pa.large_string()),
                ]
                writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
        table = pa.ipc.open_file(pa.memory_map(name)).read_all()
    finally:
        os.unlink(name)  # the mapping keeps the data readable until it is dropped
    return TextColumn(table.column("source")), TextColumn(table.column("target"))


def _lists(pairs: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    sources, targets = [], []
    for source, target in pairs:
        sources.append(source)
        targets.append(target)
    return sources, targets


def _batches(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[list[str], list[str]]]:
    """(sources, targets) of CHECK_ROWS pairs at a time."""
    sources: list[str] = []
    targets: list[str] = []
    for source, target in pairs:
        sources.append(source)
        targets.append(target)
        if len(sources) == CHECK_ROWS:
            yield sources, targets
            sources, targets = [], []
    if sources:
        yield sources, targets
