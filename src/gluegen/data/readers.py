"""Which reader a corpus path needs: two text files, a table, a parquet or arrow file, a
folder a `datasets` save wrote, or a folder of audio files."""

from __future__ import annotations

from pathlib import Path

from gluegen.data.arrow import ARROW_SUFFIXES, is_datasets_folder, read_columnar
from gluegen.data.corpus import (
    CorpusError,
    ParallelCorpus,
    read_audio_folder,
    read_table,
    read_text_pair,
)


def read_corpus(
    source: str | Path,
    target: str | Path | None = None,
    source_column: str = "source",
    target_column: str = "target",
    split: str | None = "train",
) -> ParallelCorpus:
    """Pick the reader: two text files, a table, a parquet or arrow file, a `datasets` folder,
    or an audio folder (tables: rows of `split`)."""
    source = Path(source)
    if source.suffix.lower() in ARROW_SUFFIXES or is_datasets_folder(source):
        if not source.exists():
            raise CorpusError(f"{source}: no such file.")
        return read_columnar(source, source_column, target_column, split)
    if source.is_dir():
        return read_audio_folder(source, target, source_column, target_column, split)
    if target is not None:
        return read_text_pair(source, target)
    return read_table(source, source_column, target_column, split=split)
