"""Made-up words in a corpus's captions: where they go, what they are, what stays as written."""

import csv
import random

import pytest
from transformers import AutoTokenizer

from gluegen_world.corpus import write_text_corpus
from gluegen_world.models import shipped_model
from gluegen_world.multilingual import is_cjk
from gluegen_world.noise_words import noisy_caption, script_pieces, write_noisy_corpus


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


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


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
