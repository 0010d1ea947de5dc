"""Paraphrases: every attribute in words the world's tokenizer never saw; two disjoint groups."""

import csv
import random

import pytest

from gluegen_world.corpus import parse_scene_code, sample_scenes
from gluegen_world.generator import world_words
from gluegen_world.paraphrase import SPLITS, paraphrase, paraphrase_words, write_paraphrase_corpus
from gluegen_world.scenes import COLOURS, SHAPES, SIZES, WorldObject


def test_attribute_words_are_outside_the_world_vocabulary_and_the_groups_are_disjoint():
    world = set(world_words())
    corpus, unseen = paraphrase_words("corpus"), paraphrase_words("unseen")
    attribute_words = set(SHAPES) | set(COLOURS) | set(SIZES)
    assert not (corpus | unseen) & attribute_words
    assert not (corpus & unseen) - {"at", "the", "near", "edge", "on", "side", "shape", "very"}
    assert {"crimson", "ball", "tiny", "box", "far", "left"} <= corpus
    assert "crimson" not in world and "ball" not in world


def test_paraphrases_name_every_attribute():
    rng = random.Random(0)
    text = paraphrase(
        parse_scene_code("square,red,small,left"), rng
    )  # e.g. "a tiny crimson box at the far left"
    assert any(word in text for word in ("box", "block", "tile"))
    for split in SPLITS:
        for scene in sample_scenes(20, "heldout", 1, two_objects=0.0):
            assert paraphrase(scene, rng, split).count(" ") >= 3
    with pytest.raises(ValueError, match="one-object"):
        paraphrase(sample_scenes(50, "train", 0, two_objects=1.0)[0], rng)
    with pytest.raises(ValueError, match="split"):
        paraphrase(parse_scene_code("star,blue,big,top"), rng, "test")
    assert WorldObject("star", "blue", "big", "top")


def test_corpus_pairs_paraphrases_with_world_captions(tmp_path):
    paths = write_paraphrase_corpus(tmp_path, train=30, heldout=5, seed=0, world_share=0.5)
    with open(paths["train"], encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == 30 and set(rows[0]) == {"scene", "en", "paraphrase"}
    free = sum(row["paraphrase"] != row["en"] for row in rows)
    assert 5 < free < 30  # about half are paraphrases, the rest world captions
    unseen = paraphrase_words("unseen") - paraphrase_words("corpus") - set(world_words())
    assert not any(word in row["paraphrase"].split() for row in rows for word in unseen)
