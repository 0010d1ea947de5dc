import pytest
import torch
from transformers import ResNetForImageClassification

from gluegen.cli import main
from gluegen_world.judge import (
    PAIRS,
    JudgeTraining,
    PairJudgeTraining,
    attribute_accuracy,
    draw,
    frechet_distance,
    judge_features,
    pair_reading,
    spoil,
    to_pixels,
    train_judge,
)
from gluegen_world.models import shipped_model
from gluegen_world.scenes import Scene


@pytest.mark.parametrize(
    "name, two_objects, first_label",
    [("judge", False, "shape=circle"), ("pair_judge", True, "axis=horizontal")],
)
def test_shipped_judges_load_the_normal_way_and_name_every_attribute(
    name, two_objects, first_label
):
    judge = ResNetForImageClassification.from_pretrained(shipped_model(name)).eval()
    images, scenes = draw(300, seed=777, two_objects=two_objects)  # seeds the judge never saw
    pixels = to_pixels(images)
    assert attribute_accuracy(judge, pixels, scenes)["mean"] >= 0.98
    spoiled = spoil(pixels.clone(), torch.Generator().manual_seed(0))
    assert attribute_accuracy(judge, spoiled, scenes)["mean"] >= 0.95
    assert judge.config.id2label[0] == first_label


def test_a_pair_reads_as_its_picture_shows():
    # "a blue square right of a yellow diamond" is the picture of "a yellow diamond left of a
    # blue square": one reading, the left object first
    square, diamond = ("square", "blue", "big"), ("diamond", "yellow", "small")
    right_of = pair_reading(Scene.pair(square, "right of", diamond))
    assert right_of == pair_reading(Scene.pair(diamond, "left of", square))
    assert right_of["axis"] == "horizontal" and right_of["first_shape"] == "diamond"
    below = pair_reading(Scene.pair(square, "below", diamond))
    assert below["axis"] == "vertical" and below["first_colour"] == "yellow"
    targets = PAIRS.targets([Scene.pair(square, "above", diamond)])
    assert targets["axis"].item() == 1 and targets["second_size"].item() == 0


def test_pair_judge_training_learns_beyond_chance():
    settings = PairJudgeTraining(images=512, epochs=2, batch_size=64)
    judge = train_judge(settings, progress=False)
    images, scenes = draw(128, seed=5, two_objects=True)
    assert attribute_accuracy(judge, to_pixels(images), scenes)["axis"] > 0.6


def test_frechet_distance():
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(500, 4, generator=generator, dtype=torch.float64)
    b = torch.randn(500, 4, generator=generator, dtype=torch.float64)
    assert frechet_distance(a, a) < 1e-6
    assert frechet_distance(a, b) < 0.2 < frechet_distance(a, b + 1.0)
    judge = ResNetForImageClassification.from_pretrained(shipped_model("judge")).eval()
    features = judge_features(judge, to_pixels(draw(8, seed=1)[0]))
    assert features.shape[0] == 8 and features.ndim == 2


def test_judge_training_learns_beyond_chance():
    judge = train_judge(JudgeTraining(images=512, epochs=2, batch_size=64), progress=False)
    assert isinstance(judge, ResNetForImageClassification) and not judge.training
    images, scenes = draw(200, seed=5)  # fresh renders
    chance = (1 / 5 + 1 / 6 + 1 / 2 + 1 / 4) / 4  # shape, colour, size, position
    assert attribute_accuracy(judge, to_pixels(images), scenes)["mean"] > chance + 0.07


def test_world_cli(tmp_path, capsys):
    assert (
        main(
            [
                "world",
                "corpus",
                "--language",
                "de",
                "--out",
                str(tmp_path / "de"),
                "--train",
                "20",
                "--heldout",
                "5",
            ]
        )
        == 0
    )
    assert (tmp_path / "de" / "heldout.tsv").read_text().startswith("scene\ten\tde\n")
    assert (
        main(["world", "sounds", "--out", str(tmp_path / "s"), "--train", "3", "--heldout", "1"])
        == 0
    )
    captions = (tmp_path / "s" / "captions.tsv").read_text().splitlines()[1:]
    assert all(line.split("\t")[1].startswith(("on the", "at the")) for line in captions)
    evaluate = ["world", "evaluate", "--count", "64", "--generator-images", "4"]
    assert main(evaluate) == 0
    printed = capsys.readouterr().out
    assert "Fréchet distance" in printed and "generator, 4 images" in printed
