"""Swapped shape nouns: the noun changes, what agrees with it stays, no held-out pair enters."""

import random

import pytest

from gluegen_world.captions import captions
from gluegen_world.corpus import is_heldout, parse_scene_code, read_tsv, write_text_corpus
from gluegen_world.scenes import Scene, WorldObject
from gluegen_world.swapped_nouns import SHAPE_NOUNS, swapped_caption, write_swapped_corpus


def read(path):
    return read_tsv(path)[1]


def test_the_noun_is_swapped_and_its_article_and_endings_kept():
    star = Scene((WorldObject("star", "red", "small", "left"),))
    text = "es gibt einen kleinen roten Stern links"
    rng = random.Random(0)
    for _ in range(20):
        scene, swapped = swapped_caption(star, text, "de", rng)
        shape = scene.objects[0].shape
        assert shape != "star" and not is_heldout(scene)
        assert swapped == text.replace("Stern", SHAPE_NOUNS["de"][shape])  # "einen ... -en" kept
        assert scene.objects[0].colour == "red" and scene.objects[0].position == "left"


def test_a_noun_said_twice_is_not_swapped():
    a = WorldObject("circle", "red", "small", "left")
    b = WorldObject("circle", "blue", "big", "right")
    scene = Scene((a, b), "left of")
    text = "一个红色的小圆形在一个蓝色的大圆形的左边"
    assert swapped_caption(scene, text, "zh", random.Random(0)) is None


def test_a_swapped_corpus_changes_its_share_and_holds_no_heldout_pair(tmp_path):
    clean = write_text_corpus(tmp_path / "fr", "fr", 60, 0, seed=0)["train"]
    none = write_swapped_corpus(clean, tmp_path / "none.tsv", "fr", 0.0, seed=0)
    assert none.read_text() == clean.read_text()
    every = write_swapped_corpus(clean, tmp_path / "all.tsv", "fr", 1.0, seed=0)
    rows, swapped = read(clean), read(every)
    changed = [(r, s) for r, s in zip(rows, swapped, strict=True) if r != s]
    assert len(changed) > len(rows) // 2
    for row, new in changed:
        scene = parse_scene_code(new["scene"])
        assert not is_heldout(scene) and new["en"] in captions(scene, "en")
        old = parse_scene_code(row["scene"])
        pairs = zip(old.objects, scene.objects, strict=True)
        moved = [i for i, (before, after) in enumerate(pairs) if before != after]
        assert len(moved) == 1 and old.relation == scene.relation
        (i,) = moved
        nouns = SHAPE_NOUNS["fr"]
        shapes = old.objects[i].shape, scene.objects[i].shape
        assert new["fr"] == row["fr"].replace(nouns[shapes[0]], nouns[shapes[1]])
    again = write_swapped_corpus(clean, tmp_path / "again.tsv", "fr", 1.0, seed=0)
    assert again.read_text() == every.read_text()  # drawn from the seed alone
    with pytest.raises(ValueError, match="swap share"):
        write_swapped_corpus(clean, tmp_path / "bad.tsv", "fr", 1.5, seed=0)
    with pytest.raises(ValueError, match="no shape nouns"):
        write_swapped_corpus(clean, tmp_path / "bad.tsv", "en", 0.5, seed=0)
