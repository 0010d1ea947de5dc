"""Made-up words in a corpus's captions: where they go, what they are, what stays as written."""

import random

import pytest
from transformers import AutoTokenizer

from gluegen_world.corpus import read_tsv, write_text_corpus
from gluegen_world.models import shipped_model
from gluegen_world.multilingual import is_cjk
from gluegen_world.noise_words import (
    dropped_caption,
    noisy_caption,
    script_pieces,
    unseen_pieces,
    write_noisy_corpus,
)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(shipped_model("xlmr"))


def holds_in_order(longer: list, shorter: list) -> bool:
    """True when `shorter` is `longer` with some items taken out."""
    rest = iter(longer)
    return all(item in rest for item in shorter)


def test_pieces_are_split_by_script_without_specials_or_word_marks(tokenizer):
    pieces = script_pieces(tokenizer)
    everything = pieces[True] + pieces[False]
    assert everything and not any(p.startswith("\u2581") for p in everything)
    assert not set(everything) & {"<s>", "</s>", "<pad>", "<unk>", "<mask>", ""}
    assert all(any(is_cjk(c) for c in p) for p in pieces[True])
    assert not any(is_cjk(c) for p in pieces[False] for c in p)
    assert script_pieces(tokenizer) == pieces  # the same order every time


def test_noise_words_go_between_words_or_characters_and_keep_the_caption():
    rng = random.Random(0)
    for _ in range(20):
        text = "un grand cercle rouge à gauche"
        noisy = noisy_caption(text, "fr", ["xy", "q"], 3, rng)
        added = len(noisy.split(" ")) - len(text.split(" "))
        assert 1 <= added <= 3 and holds_in_order(noisy.split(" "), text.split(" "))
        chinese = "左边有一个红色的大圆"
        noisy = noisy_caption(chinese, "zh", ["的", "图"], 2, rng)
        assert " " not in noisy and 1 <= len(noisy) - len(chinese) <= 2 * 2
        assert holds_in_order(list(noisy), list(chinese))


def test_dropped_words_leave_the_rest_in_order_and_never_the_caption_empty():
    rng = random.Random(0)
    text, chinese = "un grand cercle rouge à gauche", "左边有一个红色的大圆"
    assert dropped_caption(text, "fr", 0.0, rng) == text
    lengths = []
    for _ in range(200):
        dropped = dropped_caption(text, "fr", 0.5, rng)
        assert dropped and holds_in_order(text.split(" "), dropped.split(" "))
        lengths.append(len(dropped.split(" ")))
        dropped = dropped_caption(chinese, "zh", 0.5, rng)
        assert " " not in dropped and holds_in_order(list(chinese), list(dropped))
    assert 2 < sum(lengths) / len(lengths) < 4  # about half of six words kept
    assert len(dropped_caption(text, "fr", 0.999, rng).split(" ")) == 1


def read(path):
    return read_tsv(path)[1]


def test_a_noisy_corpus_changes_its_share_of_captions_and_nothing_else(tmp_path, tokenizer):
    clean = write_text_corpus(tmp_path / "de", "de", 40, 0, seed=0)["train"]
    every = write_noisy_corpus(clean, tmp_path / "all.tsv", "de", tokenizer, 1.0, 2, seed=0)
    none = write_noisy_corpus(clean, tmp_path / "none.tsv", "de", tokenizer, 0.0, 2, seed=0)
    assert none.read_text() == clean.read_text()
    rows, noisy = read(clean), read(every)
    assert [(r["scene"], r["en"]) for r in rows] == [(r["scene"], r["en"]) for r in noisy]
    assert all(n["de"] != r["de"] for r, n in zip(rows, noisy, strict=True))
    again = write_noisy_corpus(clean, tmp_path / "again.tsv", "de", tokenizer, 1.0, 2, seed=0)
    assert again.read_text() == every.read_text()  # drawn from the seed alone
    for share, most in ((1.5, 2), (0.5, 0)):
        with pytest.raises(ValueError, match="noise"):
            write_noisy_corpus(clean, tmp_path / "bad.tsv", "de", tokenizer, share, most, 0)
    with pytest.raises(ValueError, match="noise pieces must be one of"):
        write_noisy_corpus(clean, tmp_path / "bad.tsv", "de", tokenizer, 0.5, 2, 0, "all")
    with pytest.raises(ValueError, match="word drop rate"):
        write_noisy_corpus(clean, tmp_path / "bad.tsv", "de", tokenizer, 0.5, 2, 0, drop=1.0)


def test_dropping_words_leaves_the_targets_and_is_drawn_from_the_seed(tmp_path, tokenizer):
    clean = write_text_corpus(tmp_path / "de", "de", 40, 0, seed=0)["train"]
    dropped = write_noisy_corpus(clean, tmp_path / "d.tsv", "de", tokenizer, 0.0, 2, 0, drop=0.3)
    rows, made = read(clean), read(dropped)
    assert [(r["scene"], r["en"]) for r in rows] == [(r["scene"], r["en"]) for r in made]
    assert any(m["de"] != r["de"] for r, m in zip(rows, made, strict=True))
    for row, short in zip(rows, made, strict=True):
        assert holds_in_order(row["de"].split(" "), short["de"].split(" "))
    again = write_noisy_corpus(clean, tmp_path / "a.tsv", "de", tokenizer, 0.0, 2, 0, drop=0.3)
    assert again.read_text() == dropped.read_text()


def test_unseen_pieces_are_none_of_the_captions_pieces(tokenizer):
    captions = ["左边有一个红色的大圆", "右边的星形是蓝色的"]
    pieces = script_pieces(tokenizer)[True]
    unseen = unseen_pieces(pieces, tokenizer, captions)
    assert unseen and holds_in_order(pieces, unseen)
    assert not set(unseen) & set("".join(captions))  # a character a piece
    assert "圆" in pieces and "圆" not in unseen


def test_a_corpus_made_noisy_with_unseen_pieces_adds_no_character_it_holds(tmp_path, tokenizer):
    clean = write_text_corpus(tmp_path / "zh", "zh", 40, 0, seed=0)["train"]
    noisy = write_noisy_corpus(clean, tmp_path / "n.tsv", "zh", tokenizer, 1.0, 3, 0, "unseen")
    rows = read(clean)
    held = set("".join(row["zh"] for row in rows))
    for row, made in zip(rows, read(noisy), strict=True):
        added = list(made["zh"])
        for char in row["zh"]:
            added.remove(char)  # what is left is what was made up
        assert added and not set(added) & held
