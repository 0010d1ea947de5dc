"""Parallel corpora in the columnar formats large corpora come in: parquet and arrow files,
folders a Hugging Face `datasets` save wrote (`Dataset.save_to_disk`), and datasets on the
Hugging Face hub (`hf://datasets/OWNER/NAME`).

The texts stay memory-mapped, in Arrow's layout: a corpus of 10M captions costs the process
an index of its split's rows (8 bytes a row, where a `split` column leaves some out), not 10M
Python strings. Arrow files and `datasets` folders are mapped where they lie; parquet files
and hub datasets go through `datasets.load_dataset`, which writes them once as Arrow into its
cache (HF_DATASETS_CACHE) and maps that. Only the two named columns and a `split` column are
read; every text is checked a record batch at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gluegen.data.columns import CHECK_ROWS, TextColumn
from gluegen.data.corpus import SPLIT_COLUMN, CorpusError, ParallelCorpus

ARROW_SUFFIXES = (".parquet", ".arrow")
DATASETS_MARKERS = ("dataset_info.json", "dataset_dict.json", "state.json")
HUB_PREFIX = "hf://datasets/"  # a dataset on the Hugging Face hub (or in its local cache)


def require_columnar_readers() -> None:
    """pyarrow and datasets are an extra; say how to get them."""
    try:
        import datasets  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as error:
        raise CorpusError(
            f"Reading parquet, arrow and `datasets` corpora needs pyarrow and datasets ({error}): "
            "pip install 'gluegen[data]'."
        ) from error


def is_datasets_folder(path: Path) -> bool:
    """A folder written by `datasets`' `save_to_disk` (a Dataset or a DatasetDict)."""
    return path.is_dir() and any((path / marker).is_file() for marker in DATASETS_MARKERS)


def is_columnar(name: str | Path) -> bool:
    """A hub dataset, a parquet or arrow file, or a `datasets` folder."""
    text = str(name)
    path = Path(text)
    return (
        text.startswith(HUB_PREFIX)
        or path.suffix.lower() in ARROW_SUFFIXES
        or is_datasets_folder(path)
    )


def _mapped_table(path: Path, split: str | None) -> Any:
    """The Arrow table of a corpus, memory-mapped (see the module's docstring)."""
    import datasets
    import pyarrow as pa

    if str(path).startswith(HUB_PREFIX) or path.suffix.lower() == ".parquet":
        name = str(path).removeprefix(HUB_PREFIX)
        try:
            if name == str(path):  # a parquet file
                loaded = datasets.load_dataset("parquet", data_files=str(path), split="train")
            else:
                loaded = datasets.load_dataset(name, split=split or "train")
        except (FileNotFoundError, ValueError, ConnectionError) as error:
            raise CorpusError(f"{path}: cannot load it with `datasets` ({error}).") from error
        return loaded.data.table
    if path.suffix.lower() == ".arrow":
        source = pa.memory_map(str(path))
        try:
            return pa.ipc.open_file(source).read_all()
        except pa.ArrowInvalid:  # the stream format (what `datasets` writes)
            source.seek(0)
            return pa.ipc.open_stream(source).read_all()
    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise CorpusError(
                f"{path}: no split {split!r}; its splits are {sorted(loaded)} (choose one "
                "with --split)."
            )
        loaded = loaded[split]
    return loaded.flatten_indices().data.table


def _split_rows(table: Any, split: str | None, path: Path) -> np.ndarray | None:
    """Row numbers of `split` where the table has a split column (None: every row)."""
    import pyarrow.compute as pc

    if split is None or SPLIT_COLUMN not in table.column_names:
        return None
    column = table.column(SPLIT_COLUMN)
    rows = pc.indices_nonzero(pc.fill_null(pc.equal(column, split), False)).to_numpy()
    if len(rows) == 0:
        seen = pc.unique(column).to_pylist()
        raise CorpusError(
            f"{path}: no rows of split {split!r}; its splits are {sorted(map(str, seen))} "
            "(choose one with --split)."
        )
    return rows.astype(np.int64)


def _check_texts(column: TextColumn, name: str, path: Path) -> None:
    """Every text of `column` present and not blank, checked a chunk at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(column.column.type) and not pa.types.is_large_string(
        column.column.type
    ):
        raise CorpusError(f"{path}: column {name!r} holds {column.column.type}, not text.")
    for start in range(0, len(column), CHECK_ROWS):
        indices = np.arange(start, min(start + CHECK_ROWS, len(column)))
        rows = indices if column.rows is None else column.rows[indices]
        texts = column.column.take(rows)
        blank = pc.fill_null(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0), True)
        bad = pc.indices_nonzero(blank).to_numpy()
        if len(bad):
            row = int(rows[bad[0]]) + 1
            raise CorpusError(f"{path}: row {row}: column {name!r} is empty or not text.")


def read_columnar(
    path: str | Path, source_column: str, target_column: str, split: str | None = "train"
) -> ParallelCorpus:
    """The pairs of a parquet or arrow file, a `datasets` folder or a hub dataset: two text
    columns, memory-mapped; with a `split` column only the rows of `split` (a DatasetDict or
    a hub dataset: its split `split`)."""
    require_columnar_readers()
    path = Path(path) if not str(path).startswith(HUB_PREFIX) else path
    table = _mapped_table(path, split)
    names = table.column_names
    for column in (source_column, target_column):
        if column not in names:
            raise CorpusError(
                f"{path}: no column {column!r}; the columns are {sorted(names)}. Choose them "
                "with --source-column / --target-column."
            )
    rows = _split_rows(table, split, path)
    sources = TextColumn(table.column(source_column), rows)
    targets = TextColumn(table.column(target_column), rows)
    if len(sources) == 0:
        raise CorpusError(f"{path}: no rows.")
    for name, column in ((source_column, sources), (target_column, targets)):
        _check_texts(column, name, path)
    return ParallelCorpus(sources, targets, origin=str(path))
