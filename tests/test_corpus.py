import json

import pytest

from gluegen.data.corpus import (
    CorpusError,
    ParallelCorpus,
    read_audio_folder,
    read_table,
    read_text_pair,
)
from gluegen.data.readers import read_corpus


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_two_aligned_files(tmp_path):
    corpus = read_text_pair(
        write(tmp_path / "en.txt", "a cat\nthe dog\n"),
        write(tmp_path / "fr.txt", "un chat\r\nle chien\n"),
    )
    assert corpus.sources == ["a cat", "the dog"] and corpus.targets == ["un chat", "le chien"]
    assert len(corpus) == 2


def test_mismatched_lengths(tmp_path):
    with pytest.raises(CorpusError, match="3 lines but .* 2"):
        read_text_pair(write(tmp_path / "a.txt", "x\ny\nz\n"), write(tmp_path / "b.txt", "x\ny\n"))


def test_empty_line_names_file_and_line(tmp_path):
    with pytest.raises(CorpusError, match=r"b.txt:2: empty line"):
        read_text_pair(write(tmp_path / "a.txt", "x\ny\n"), write(tmp_path / "b.txt", "x\n \n"))


def test_undecodable_text_names_file_and_line(tmp_path):
    with pytest.raises(CorpusError, match=r"a.txt:2: not valid UTF-8"):
        read_text_pair(
            write(tmp_path / "a.txt", b"ok\n\xff\xfe bad\n"), write(tmp_path / "b.txt", "x\ny\n")
        )


def test_tables(tmp_path):
    tsv = write(tmp_path / "p.tsv", "en\tde\na cat\teine Katze\n")
    csv_file = write(tmp_path / "p.csv", 'en,de\n"a cat, grey",eine Katze\n')
    jsonl = write(tmp_path / "p.jsonl", json.dumps({"en": "a cat", "de": "eine Katze"}) + "\n\n")
    for path in (tsv, csv_file, jsonl):
        corpus = read_table(path, "en", "de")
        assert corpus.targets == ["eine Katze"]
    assert read_table(csv_file, "en", "de").sources == ["a cat, grey"]


def test_wrong_column_names_the_columns(tmp_path):
    path = write(tmp_path / "p.tsv", "en\tde\na\tb\n")
    with pytest.raises(CorpusError, match=r"no column 'fr'; the columns are \['de', 'en'\]"):
        read_table(path, "en", "fr")


def test_empty_cell_and_bad_json(tmp_path):
    with pytest.raises(CorpusError, match=r"p.tsv:3: column 'de' is empty"):
        read_table(write(tmp_path / "p.tsv", "en\tde\na\tb\nc\t\n"), "en", "de")
    with pytest.raises(CorpusError, match=r"p.jsonl:2: not valid JSON"):
        read_table(write(tmp_path / "p.jsonl", '{"en": "a", "de": "b"}\n{oops\n'), "en", "de")
    with pytest.raises(CorpusError, match="unknown table type"):
        read_table(write(tmp_path / "p.xlsx", "x"), "en", "de")


def test_audio_folder(tmp_path):
    (tmp_path / "clips").mkdir()
    write(tmp_path / "clips" / "dog.wav", b"RIFF")
    write(tmp_path / "clips" / "captions.tsv", "file\tcaption\ndog.wav\ta dog barks\n")
    corpus = read_audio_folder(tmp_path / "clips")
    assert corpus.source_kind == "audio" and corpus.sources == [str(tmp_path / "clips" / "dog.wav")]
    write(tmp_path / "clips" / "captions.tsv", "file\tcaption\ncat.wav\ta cat\n")
    with pytest.raises(CorpusError, match="cat.wav does not exist"):
        read_audio_folder(tmp_path / "clips")


def test_read_corpus_picks_the_reader(tmp_path):
    a, b = write(tmp_path / "a.txt", "x\n"), write(tmp_path / "b.txt", "y\n")
    assert read_corpus(a, b).targets == ["y"]
    table = write(tmp_path / "t.jsonl", '{"source": "x", "target": "y"}\n')
    assert read_corpus(table).sources == ["x"]


def test_fingerprint_follows_content(tmp_path):
    a = read_text_pair(write(tmp_path / "a.txt", "x\n"), write(tmp_path / "b.txt", "y\n"))
    b = read_text_pair(write(tmp_path / "c.txt", "x\n"), write(tmp_path / "d.txt", "z\n"))
    assert a.fingerprint() != b.fingerprint()


def test_an_audio_corpus_moved_keeps_its_fingerprint(tmp_path):
    for folder, clip in (("here", b"RIFF1"), ("there", b"RIFF1"), ("changed", b"RIFF2")):
        (tmp_path / folder).mkdir()
        write(tmp_path / folder / "dog.wav", clip)
        write(tmp_path / folder / "captions.tsv", "file\tcaption\ndog.wav\ta dog barks\n")
    here, there, changed = (
        read_audio_folder(tmp_path / name).fingerprint() for name in ("here", "there", "changed")
    )
    assert here == there != changed


ROWS = {
    "zh": ["一只猫", "一只狗", "红色的车"],
    "en": ["a cat", "a dog", "a red car"],
    "split": ["train", "heldout", "train"],
    "url": ["u1", "u2", "u3"],  # a column nobody asked for
}


def test_parquet_and_arrow_files_give_their_pairs(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(ROWS)
    pq.write_table(table, tmp_path / "pairs.parquet", row_group_size=2)
    with pa.OSFile(str(tmp_path / "pairs.arrow"), "wb") as sink:
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    for name in ("pairs.parquet", "pairs.arrow"):
        corpus = read_corpus(tmp_path / name, source_column="zh", target_column="en")
        assert list(corpus.sources) == ["一只猫", "红色的车"]
        assert list(corpus.targets) == ["a cat", "a red car"]
        every = read_corpus(tmp_path / name, source_column="zh", target_column="en", split=None)
        assert len(every) == 3
    with pytest.raises(CorpusError, match="no column 'fr'; the columns are"):
        read_corpus(tmp_path / "pairs.parquet", source_column="fr", target_column="en")
    with pytest.raises(CorpusError, match="no such file"):
        read_corpus(tmp_path / "missing.parquet")


def test_a_datasets_folder_gives_its_pairs_and_splits(tmp_path):
    import datasets

    datasets.Dataset.from_dict(ROWS).save_to_disk(str(tmp_path / "one"))
    corpus = read_corpus(tmp_path / "one", source_column="zh", target_column="en")
    assert list(corpus.targets) == ["a cat", "a red car"]
    splits = datasets.DatasetDict(
        {"train": datasets.Dataset.from_dict({"zh": ["一只猫"], "en": ["a cat"]})}
    )
    splits.save_to_disk(str(tmp_path / "dict"))
    assert list(read_corpus(tmp_path / "dict", source_column="zh", target_column="en").sources) == [
        "一只猫"
    ]
    with pytest.raises(CorpusError, match="no split 'validation'; its splits are"):
        read_corpus(tmp_path / "dict", source_column="zh", target_column="en", split="validation")


def test_an_empty_cell_of_a_parquet_file_is_named(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"source": ["x", " "], "target": ["y", "z"]}), tmp_path / "p.parquet")
    with pytest.raises(CorpusError, match="row 2: column 'source' is empty"):
        read_corpus(tmp_path / "p.parquet", split=None)


def test_columnar_corpora_stay_mapped_and_read_their_splits_rows(tmp_path):
    import pyarrow as pa

    from gluegen.data.arrow import TextColumn

    rows = {
        "zh": [f"第{i}句" for i in range(10)],
        "en": [f"line {i}" for i in range(10)],
        "split": ["train", "heldout"] * 5,
    }
    with pa.OSFile(str(tmp_path / "pairs.arrow"), "wb") as sink:
        table = pa.table(rows)
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=3)  # rows across record batches
    corpus = read_corpus(tmp_path / "pairs.arrow", source_column="zh", target_column="en")
    assert isinstance(corpus.sources, TextColumn) and len(corpus) == 5
    assert list(corpus.targets) == [f"line {i}" for i in range(0, 10, 2)]
    assert corpus.targets[1:3] == ["line 2", "line 4"] and corpus.targets[-1] == "line 8"
    assert corpus.pairs_at([4, 0]) == (["第8句", "第0句"], ["line 8", "line 0"])
    assert (
        corpus.fingerprint()
        == ParallelCorpus(list(corpus.sources), list(corpus.targets)).fingerprint()
    )


def test_a_hub_dataset_is_loaded_by_datasets_and_its_split_read(monkeypatch):
    import datasets

    asked = []

    def load_dataset(name, split):
        asked.append((name, split))
        return datasets.Dataset.from_dict({"source": ["un chat"], "target": ["a cat"]})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    corpus = read_corpus("hf://datasets/someone/pairs", split="train")
    assert asked == [("someone/pairs", "train")] and list(corpus.targets) == ["a cat"]


def test_text_corpora_are_mapped_as_they_are_read_and_leave_no_file(tmp_path, monkeypatch):
    import sys

    from gluegen.data.columns import TextColumn, store_pairs

    monkeypatch.setenv("GLUEGEN_HOME", str(tmp_path / "home"))
    source, target = tmp_path / "a.txt", tmp_path / "b.txt"
    source.write_text("a cat\nthe dog\na bird\n", encoding="utf-8")
    target.write_text("un chat\nle chien\nun oiseau\n", encoding="utf-8")
    corpus = read_corpus(source, target)
    assert isinstance(corpus.targets, TextColumn) and corpus.targets == [
        "un chat",
        "le chien",
        "un oiseau",
    ]
    assert list((tmp_path / "home" / "corpora").iterdir()) == []  # unlinked once mapped
    target.write_text("un chat\nle chien\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="a.txt has 3 lines but .*b.txt has 2"):
        read_corpus(source, target)
    monkeypatch.setenv("GLUEGEN_HOME", str(source))  # a file: no folder can be made there
    kept = store_pairs(iter([("x", "y")]))
    assert kept == (["x"], ["y"]) and isinstance(kept[0], list)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # without the `data` extra: lists
    kept = store_pairs(iter([("x", "y")]))
    assert kept == (["x"], ["y"]) and isinstance(kept[0], list)
