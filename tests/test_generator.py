"""The generator's training path runs end to end (the trained generator is still to come)."""

from diffusers import StableDiffusionPipeline
from transformers import ResNetForImageClassification

from gluegen.world.generator import (
    GeneratorTraining,
    evaluate_generator,
    train_generator,
    world_tokenizer,
)
from gluegen.world.models import shipped_model


def test_world_tokenizer_keeps_every_word_whole():
    tokenizer = world_tokenizer()
    pieces = tokenizer.tokenize("an orange diamond, small, to the right of a big purple star")
    assert pieces[:4] == ["an</w>", "orange</w>", "diamond</w>", ",</w>"]
    assert all(piece.endswith("</w>") for piece in pieces)


def test_generator_trains_saves_loads_and_draws(tmp_path):
    tiny = GeneratorTraining(
        images=32,
        autoencoder_steps=2,
        steps=2,
        batch_size=4,
        text_hidden=16,
        unet_channels=(16, 32, 32),
    )
    train_generator(tiny, progress=False).save_pretrained(tmp_path)
    pipeline = StableDiffusionPipeline.from_pretrained(tmp_path)
    assert pipeline.vae_scale_factor == 1 and pipeline.unet.config.sample_size == 32
    judge = ResNetForImageClassification.from_pretrained(shipped_model("judge")).eval()
    pipeline.set_progress_bar_config(disable=True)
    scores = evaluate_generator(pipeline, judge, count=2, steps=2, guidance=2.0)
    assert 0.0 <= scores["mean"] <= 1.0 and scores["seconds"] > 0
