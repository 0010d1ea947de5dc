"""English targets in the caption's order: the same image, the relation turned round."""

import pytest

from gluegen_world.captions import captions
from gluegen_world.captions.cjk import zh_phrase
from gluegen_world.corpus import parse_scene_code, read_tsv, write_text_corpus
from gluegen_world.mention_order import second_named_first, turned, write_mention_order_corpus
from gluegen_world.scenes import Scene


def test_a_turned_scene_is_the_same_image():
    scene = Scene.pair(("circle", "red", "big"), "left of", ("star", "blue", "small"))
    other = turned(scene)
    assert other.relation == "right of" and turned(other) == scene
    assert set(other.objects) == set(scene.objects)  # each object keeps its place


def test_which_corpus_phrasings_name_the_second_object_first():
    # zh: A 在 B 的上面 / B 的上面有 A; ja: B の左に A がある / A は B の左にあります
    assert second_named_first("zh", "above") == (False, True)
    assert second_named_first("ja", "left of") == (True, False)
    assert second_named_first("fr", "below") == (False, False)


def test_only_rows_naming_the_second_object_first_get_a_turned_target(tmp_path):
    clean = write_text_corpus(tmp_path / "zh", "zh", 80, 0, seed=0, two_objects=0.5)["train"]
    ordered = write_mention_order_corpus(clean, tmp_path / "ordered.tsv", "zh", seed=0)
    rows, new_rows = read_tsv(clean)[1], read_tsv(ordered)[1]
    changed = 0
    for row, new in zip(rows, new_rows, strict=True):
        assert new["zh"] == row["zh"]
        scene, new_scene = parse_scene_code(row["scene"]), parse_scene_code(new["scene"])
        if new == row:
            continue
        changed += 1
        assert new_scene == turned(scene) and new["en"] in captions(new_scene, "en")
        first, second = (zh_phrase(o) for o in new_scene.objects)
        if first != second:  # two objects alike are named in either order
            assert row["zh"].index(first) < row["zh"].index(second)  # the caption's order
    assert 0 < changed < len(rows) // 2
    french = write_text_corpus(tmp_path / "fr", "fr", 40, 0, seed=0, two_objects=0.5)["train"]
    same = write_mention_order_corpus(french, tmp_path / "fr.tsv", "fr", seed=0)
    assert same.read_text() == french.read_text()  # French names the first object first
    again = write_mention_order_corpus(clean, tmp_path / "again.tsv", "zh", seed=0)
    assert again.read_text() == ordered.read_text()


def test_a_corpus_with_noise_is_refused(tmp_path):
    clean = write_text_corpus(tmp_path / "ja", "ja", 40, 0, seed=0, two_objects=1.0)["train"]
    text = clean.read_text().splitlines()
    text[1] = text[1] + "ぬ"
    noisy = tmp_path / "noisy.tsv"
    noisy.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match="no corpus phrasing"):
        write_mention_order_corpus(noisy, tmp_path / "out.tsv", "ja", seed=0)


def test_the_demo_orders_a_corpus_before_its_made_up_words(tmp_path):
    from gluegen_world.demo.corpora import language_corpus
    from gluegen_world.demo.settings import DemoSettings

    settings = DemoSettings(pairs=30, mention_order_languages=("ja",))
    train, read = language_corpus(tmp_path / "ja", "ja", settings)
    ordered = tmp_path / "ja" / "ordered.tsv"
    assert read == tmp_path / "ja" / "noisy.tsv" and ordered.read_text() != train.read_text()
    scenes_and_english = [line.split("\t")[:2] for line in ordered.read_text().splitlines()]
    assert scenes_and_english == [line.split("\t")[:2] for line in read.read_text().splitlines()]
    language_corpus(tmp_path / "zh", "zh", settings)  # not among the languages named
    assert not (tmp_path / "zh" / "ordered.tsv").exists()
    with pytest.raises(ValueError, match="--mention-order-languages"):
        DemoSettings(mention_order_languages=("en",))
