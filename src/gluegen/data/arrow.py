"""Parallel corpora in the columnar formats large corpora come in: parquet and arrow files,
and folders a Hugging Face `datasets` save wrote (`Dataset.save_to_disk`).

Only the two named columns (and a `split` column, where there is one) are read, a record
batch at a time, so a wide table (image URLs, scores, ...) costs nothing beyond them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from gluegen.data.corpus import SPLIT_COLUMN, CorpusError, ParallelCorpus

ARROW_SUFFIXES = (".parquet", ".arrow")
DATASETS_MARKERS = ("dataset_info.json", "dataset_dict.json", "state.json")
BATCH_ROWS = 65_536  # rows read at once


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


def _parquet_batches(path: Path, columns: list[str]) -> Iterator[dict[str, list]]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        yield batch.to_pydict()


def _arrow_batches(path: Path, columns: list[str]) -> Iterator[dict[str, list]]:
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        try:
            reader = pa.ipc.open_file(source)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:  # the stream format (what `datasets` writes)
            source.seek(0)
            batches = iter(pa.ipc.open_stream(source))
        for batch in batches:
            yield batch.select(columns).to_pydict()


def _file_columns(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    with pa.memory_map(str(path)) as source:
        try:
            return pa.ipc.open_file(source).schema.names
        except pa.ArrowInvalid:
            source.seek(0)
            return pa.ipc.open_stream(source).schema.names


def _datasets_batches(folder: Path, columns: list[str], split: str | None):
    """(column names, batches) of a `datasets` folder; a DatasetDict gives its `split`."""
    import datasets

    loaded = datasets.load_from_disk(str(folder))
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise CorpusError(
                f"{folder}: no split {split!r}; its splits are {sorted(loaded)} (choose one "
                "with --split)."
            )
        loaded = loaded[split]
    names = loaded.column_names
    present = [c for c in columns if c in names]
    return names, loaded.select_columns(present).iter(batch_size=BATCH_ROWS)


def read_columnar(
    path: str | Path, source_column: str, target_column: str, split: str | None = "train"
) -> ParallelCorpus:
    """The pairs of a parquet or arrow file, or a `datasets` folder: two text columns; with a
    `split` column only the rows of `split` (a DatasetDict: its split `split`)."""
    require_columnar_readers()
    path = Path(path)
    wanted = [source_column, target_column, SPLIT_COLUMN]
    if path.is_dir():
        names, batches = _datasets_batches(path, wanted, split)
    else:
        names = _file_columns(path)
        read = _parquet_batches if path.suffix == ".parquet" else _arrow_batches
        batches = read(path, [c for c in wanted if c in names])
    for column in (source_column, target_column):
        if column not in names:
            raise CorpusError(
                f"{path}: no column {column!r}; the columns are {sorted(names)}. Choose them "
                "with --source-column / --target-column."
            )
    sources, targets = [], []
    row = 0
    for batch in batches:
        keep = batch.get(SPLIT_COLUMN) if split is not None else None
        for index, (source, target) in enumerate(
            zip(batch[source_column], batch[target_column], strict=True)
        ):
            row += 1
            if keep is not None and keep[index] != split:
                continue
            for column, value in ((source_column, source), (target_column, target)):
                if not isinstance(value, str) or not value.strip():
                    raise CorpusError(f"{path}: row {row}: column {column!r} is empty or not text.")
            sources.append(source)
            targets.append(target)
    if not sources:
        raise CorpusError(f"{path}: no rows" + (f" of split {split!r}." if row else "."))
    return ParallelCorpus(sources, targets, origin=str(path))
