"""Parallel corpora: the same content in the source's "language" and the target's.

Readers, each failing with a `CorpusError` that names the file and line:
- two aligned text files, one example a line (`read_text_pair`);
- a TSV, CSV or JSONL table with named columns (`read_table`);
- a folder of audio files with a captions table (`read_audio_folder`);
- (`arrow.py`) a parquet or arrow file, or a folder a `datasets` save wrote;
`readers.read_corpus` picks the reader a path needs.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gluegen.data.columns import store_pairs
from gluegen.digests import files_sha256

TABLE_SUFFIXES = (".tsv", ".csv", ".jsonl")
SPLIT_COLUMN = "split"  # a table column naming each row's split (train, heldout, ...)
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


class CorpusError(ValueError):
    """A parallel corpus that cannot be read; the message names the file, line and fix."""


@dataclass
class ParallelCorpus:
    """Aligned examples: sources[i] (a string, or an audio file path) pairs with targets[i];
    memory-mapped text columns (`columns.TextColumn`), or lists (sounds, no pyarrow)."""

    sources: Sequence[str]
    targets: Sequence[str]
    origin: str = ""
    source_kind: str = "text"  # "text" or "audio"

    def __post_init__(self) -> None:
        if len(self.sources) != len(self.targets):
            raise CorpusError(
                f"{self.origin}: {len(self.sources)} sources but {len(self.targets)} targets."
            )
        if not self.sources:
            raise CorpusError(f"{self.origin}: the corpus is empty.")

    def __len__(self) -> int:
        return len(self.sources)

    def pairs_at(self, ids: Sequence[int]) -> tuple[list[str], list[str]]:
        """(sources, targets) of the pairs `ids`; one gather a column where it is mapped."""
        return _take(self.sources, ids), _take(self.targets, ids)

    def keyed_pairs(self) -> Iterator[tuple[str, str]]:
        """(source, target) of every pair, a sound as its identity (what a pair's key hashes)."""
        sources = sound_identities(self.sources) if self.source_kind == "audio" else self.sources
        return zip(sources, self.targets, strict=True)

    def fingerprint(self) -> str:
        """Hash of every pair, for cache matching: texts, or for audio each file's content
        (not where it lies: a corpus moved or copied keeps its caches)."""
        digest = hashlib.sha256(self.source_kind.encode())
        for source, target in self.keyed_pairs():
            # each field length-prefixed: no two corpora hash alike, whatever their texts hold
            digest.update(length_prefixed(source) + length_prefixed(target))
        return digest.hexdigest()[:16]


def length_prefixed(text: str) -> bytes:
    """`text` as UTF-8 after its length (8 bytes): fields hashed one after another this way
    never run into each other."""
    data = text.encode()
    return len(data).to_bytes(8, "little") + data


def sound_identities(sounds: Sequence) -> list[str]:
    """What each sound is, by content: a file's SHA-256; a tar shard's member (data/tars.py)
    its shard's SHA-256 with its name and place (each file hashed once)."""
    files = [str(getattr(sound, "tar", sound)) for sound in sounds]
    unique = list(dict.fromkeys(files))
    digests = dict(zip(unique, files_sha256(unique), strict=True))
    return [
        f"{digests[file]}:{sound.name}:{sound.offset}:{sound.size}"
        if hasattr(sound, "tar")
        else digests[file]
        for sound, file in zip(sounds, files, strict=True)
    ]


def _take(column: Sequence[str], ids: Sequence[int]) -> list[str]:
    take = getattr(column, "take", None)
    return take(ids) if take is not None else [column[i] for i in ids]


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text without newline) for every line; bad UTF-8 names its line."""
    if not path.is_file():
        raise CorpusError(f"{path}: no such file.")
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise CorpusError(
                    f"{path}:{number}: not valid UTF-8 ({error.reason} at byte {error.start}); "
                    "re-encode the file as UTF-8."
                ) from error
            if number == 1:
                text = text.removeprefix("\ufeff")
            yield number, text.rstrip("\r\n")


def read_text_pair(source_file: str | Path, target_file: str | Path) -> ParallelCorpus:
    """Two aligned text files: line i of one translates line i of the other (read in step,
    a line of each at a time)."""
    paths = (Path(source_file), Path(target_file))
    counts = [0, 0]

    def lines(side: int) -> Iterator[str]:
        for number, text in _decoded_lines(paths[side]):
            if not text.strip():
                raise CorpusError(
                    f"{paths[side]}:{number}: empty line; every line must hold one example "
                    "(remove the line in both files)."
                )
            counts[side] = number
            yield text

    def aligned() -> Iterator[tuple[str, str]]:
        sources, targets = lines(0), lines(1)
        for source in sources:
            target = next(targets, None)
            if target is None:
                break
            yield source, target
        for _ in sources:  # count what is left of either, to name both lengths
            pass
        for _ in targets:
            pass
        if counts[0] != counts[1]:
            raise CorpusError(
                f"{source_file} has {counts[0]} lines but {target_file} has {counts[1]}; "
                "the files must be aligned line by line."
            )

    sources, targets = store_pairs(aligned())
    return ParallelCorpus(sources, targets, origin=f"{source_file} + {target_file}")


def _table_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row dict) from a TSV, CSV or JSONL file."""
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise CorpusError(f"{path}: unknown table type {suffix!r}; use one of {TABLE_SUFFIXES}.")
    if suffix == ".jsonl":
        for number, text in _decoded_lines(path):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{path}:{number}: not valid JSON ({error.msg}).") from error
            if not isinstance(row, dict):
                raise CorpusError(f"{path}:{number}: expected a JSON object per line.")
            yield number, row
        return
    text = (line + "\n" for _, line in _decoded_lines(path))  # read as csv asks, not whole
    with _fields_of_any_length():
        yield from _csv_rows(path, suffix, text)


@contextlib.contextmanager
def _fields_of_any_length():
    """csv's field size limit lifted while a table is read (a caption may be long)."""
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _csv_rows(path: Path, suffix: str, text: Iterator[str]) -> Iterator[tuple[int, dict]]:
    """(line number, row dict) of a TSV or CSV table's text."""
    if suffix == ".tsv":  # tab-separated: a quote is a character like any other
        reader = csv.DictReader(text, delimiter="\t", quoting=csv.QUOTE_NONE)
    else:  # a quote opened and never closed is an error, not the rest of the file in a field
        reader = csv.DictReader(text, delimiter=",", strict=True)
    row_start = 2  # the line after the header
    try:
        for row in reader:
            yield row_start, row
            row_start = reader.line_num + 1
    except csv.Error as error:
        raise CorpusError(
            f"{path}:{row_start}: not valid CSV ({error}; a quote opened here never closes?)."
        ) from error


def _pairs(
    path: Path, source_column: str, target_column: str, split: str | None
) -> Iterator[tuple[int, str, str]]:
    """(line number, source, target) of a table's rows in `split` (all rows when None or when
    the table has no `split` column), as they are read."""
    found, splits_seen = 0, set()
    for number, row in _table_rows(path):
        if split is not None and SPLIT_COLUMN in row:
            splits_seen.add(row[SPLIT_COLUMN])
            if row[SPLIT_COLUMN] != split:
                continue
        for column in (source_column, target_column):
            if column not in row:
                raise CorpusError(
                    f"{path}:{number}: no column {column!r}; the columns are {sorted(row)}. "
                    "Choose them with --source-column / --target-column."
                )
            value = row[column]
            if not isinstance(value, str) or not value.strip():
                raise CorpusError(f"{path}:{number}: column {column!r} is empty or not text.")
        found += 1
        yield number, row[source_column], row[target_column]
    if not found and splits_seen:
        raise CorpusError(
            f"{path}: no rows of split {split!r}; its splits are {sorted(splits_seen)} "
            "(choose one with --split)."
        )
    if not found:
        raise CorpusError(f"{path}: the table has no rows.")


def read_table(
    path: str | Path,
    source_column: str,
    target_column: str,
    source_kind: str = "text",
    split: str | None = "train",
) -> ParallelCorpus:
    """A TSV/CSV (with a header row) or JSONL table; the two named columns form the pairs.

    A table with a `split` column gives only the rows of `split` (None: every row).
    """
    path = Path(path)
    pairs = (
        (source, target) for _, source, target in _pairs(path, source_column, target_column, split)
    )
    sources, targets = store_pairs(pairs)
    return ParallelCorpus(sources, targets, origin=str(path), source_kind=source_kind)


def read_audio_folder(
    folder: str | Path,
    captions: str | Path | None = None,
    file_column: str = "file",
    caption_column: str = "caption",
    split: str | None = "train",
) -> ParallelCorpus:
    """Audio files with a captions table (default `captions.tsv` in the folder).

    The table's `file_column` holds paths relative to the folder; with a `split` column only
    the rows of `split` are read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder}: no such folder of audio files.")
    table = Path(captions) if captions else folder / "captions.tsv"
    if not table.is_file() and captions is None:
        raise CorpusError(
            f"{folder} is a folder without captions.tsv: give a text file, a table (TSV, CSV, "
            "JSONL, parquet, arrow), a folder a `datasets` save wrote, or a folder of audio "
            "files with captions.tsv."
        )
    pairs = list(_pairs(table, file_column, caption_column, split))
    resolved = []
    for number, name, _ in pairs:
        file = folder / name
        if not file.is_file():
            raise CorpusError(f"{table}:{number}: audio file {file} does not exist.")
        if file.suffix.lower() not in AUDIO_SUFFIXES:
            raise CorpusError(f"{table}:{number}: {file} is not an audio file {AUDIO_SUFFIXES}.")
        resolved.append(str(file))
    captions_read = [p[2] for p in pairs]
    return ParallelCorpus(resolved, captions_read, origin=str(table), source_kind="audio")
