"""Which reader a corpus path needs: two text files, a table, a parquet or arrow file, a
folder a `datasets` save wrote, a hub dataset (hf://datasets/OWNER/NAME), webdataset tar shards
of sounds and captions, or a folder of audio files."""

from __future__ import annotations

from pathlib import Path

from gluegen.data.arrow import HUB_PREFIX, is_columnar, read_columnar
from gluegen.data.corpus import (
    CorpusError,
    ParallelCorpus,
    read_audio_folder,
    read_table,
    read_text_pair,
)
from gluegen.data.tars import is_tar_corpus, read_tar_shards


def read_corpus(
    source: str | Path,
    target: str | Path | None = None,
    source_column: str = "source",
    target_column: str = "target",
    split: str | None = "train",
) -> ParallelCorpus:
    """Pick the reader: two text files, a table, a parquet or arrow file, a `datasets` folder,
    a hub dataset, webdataset tar shards of sounds, or an audio folder (rows of `split`)."""
    if str(source).startswith(HUB_PREFIX):
        return read_columnar(str(source), source_column, target_column, split)
    source = Path(source)
    if is_columnar(source):
        if not source.exists():
            raise CorpusError(f"{source}: no such file.")
        return read_columnar(source, source_column, target_column, split)
    if is_tar_corpus(source):
        return read_tar_shards(source, target_column, split)
    if source.is_dir():
        return read_audio_folder(source, target, source_column, target_column, split)
    if target is not None:
        return read_text_pair(source, target)
    return read_table(source, source_column, target_column, split=split)
