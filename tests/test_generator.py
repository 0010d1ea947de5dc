"""The generator's training path: stages, resuming, the saved pipeline, its evaluation."""

import torch
from diffusers import StableDiffusionPipeline, UNet2DConditionModel
from transformers import ResNetForImageClassification

from gluegen_world.generator import (
    CAPTION_GROUPS,
    GeneratorTraining,
    caption_targets,
    evaluate_generator,
    train_generator,
    world_tokenizer,
)
from gluegen_world.judge import attribute_accuracy
from gluegen_world.models import shipped_model
from gluegen_world.scenes import Scene

TINY = GeneratorTraining(
    images=32,
    autoencoder_steps=2,
    text_captions=256,
    text_epochs=1,
    steps=4,
    warmup_steps=1,
    batch_size=4,
    text_hidden=16,
    unet_channels=(16, 32, 32),
    checkpoint_every=2,
)


def test_world_tokenizer_keeps_every_word_whole():
    tokenizer = world_tokenizer()
    pieces = tokenizer.tokenize("an orange diamond, small, to the right of a big purple star")
    assert pieces[:4] == ["an</w>", "orange</w>", "diamond</w>", ",</w>"]
    assert all(piece.endswith("</w>") for piece in pieces)


def test_caption_targets_name_both_objects():
    one = Scene.single("star", "red", "big", "top")
    two = Scene.pair(("circle", "blue", "small"), "left of", ("square", "green", "big"))
    targets = caption_targets([one, two])
    values = CAPTION_GROUPS.values
    assert values["first shape"][targets["first shape"][0]] == "star"
    assert values["second shape"][targets["second shape"][0]] == "none"
    assert values["second colour"][targets["second colour"][1]] == "green"
    assert values["first position"][targets["first position"][1]] == "left"


def test_generator_trains_saves_loads_and_draws(tmp_path):
    train_generator(tmp_path / "work", TINY, progress=False).save_pretrained(tmp_path / "pipe")
    pipeline = StableDiffusionPipeline.from_pretrained(tmp_path / "pipe")
    assert pipeline.vae_scale_factor == 1 and pipeline.unet.config.sample_size == 32
    judge = ResNetForImageClassification.from_pretrained(shipped_model("judge")).eval()
    pipeline.set_progress_bar_config(disable=True)
    scores = evaluate_generator(pipeline, judge, count=2, steps=2, guidance=2.0)
    assert 0.0 <= scores["mean"] <= 1.0 and scores["seconds_for_64"] > 0


def test_stopped_generator_training_resumes_to_the_same_weights(tmp_path):
    straight = train_generator(tmp_path / "straight", TINY, progress=False).unet
    train_generator(tmp_path / "stopped", TINY, progress=False, stop_after=3)
    checkpoint = UNet2DConditionModel.from_pretrained(tmp_path / "stopped" / "unet-checkpoint/unet")
    assert not all(
        torch.equal(a, b)
        for a, b in zip(checkpoint.parameters(), straight.parameters(), strict=True)
    )
    resumed = train_generator(tmp_path / "stopped", TINY, progress=False).unet
    for (name, a), b in zip(
        straight.state_dict().items(), resumed.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name


def test_changed_settings_do_not_mix_with_an_old_run(tmp_path):
    train_generator(tmp_path, TINY, progress=False, stop_after=1)
    other = GeneratorTraining(**{**TINY.__dict__, "steps": 6})
    try:
        train_generator(tmp_path, other, progress=False)
    except ValueError as error:
        assert "other settings" in str(error)
    else:
        raise AssertionError("a run with other settings was resumed")


def test_shipped_generator_loads_the_normal_way_and_follows_prompts():
    pipeline = StableDiffusionPipeline.from_pretrained(shipped_model("generator"))
    pipeline.set_progress_bar_config(disable=True)
    judge = ResNetForImageClassification.from_pretrained(shipped_model("judge")).eval()
    scenes = [
        Scene.single("square", "blue", "big", "left"),
        Scene.single("circle", "yellow", "big", "bottom"),
    ]
    prompts = ["a big blue square on the left", "a big yellow circle at the bottom"]
    images = pipeline(
        prompts,
        num_inference_steps=10,
        guidance_scale=4.0,
        generator=torch.Generator().manual_seed(0),
        output_type="np",
    ).images  # (2, 32, 32, 3)
    pixels = torch.from_numpy(images).permute(0, 3, 1, 2) * 2.0 - 1.0
    scores = attribute_accuracy(judge, pixels, scenes)
    assert scores["colour"] == 1.0 and scores["position"] == 1.0
