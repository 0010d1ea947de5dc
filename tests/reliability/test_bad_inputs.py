"""Bad sounds are refused with a message before any model runs; integer PCM is scaled."""

import numpy as np
import pytest
import soundfile

from gluegen.encoders.audio import read_sound
from gluegen_world.scenes import WorldObject
from gluegen_world.sounds import SAMPLE_RATE, synthesize

CLIP = synthesize(WorldObject("star", "red", "big", "left"), seed=3)


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda x: np.where(np.arange(x.size) == 100, np.nan, x), "NaN or infinite"),
        (lambda x: np.where(np.arange(x.size) == 100, np.inf, x), "NaN or infinite"),
        (lambda x: x[:10], "10 samples long"),
    ],
    ids=["nan", "inf", "ten-samples"],
)
def test_unusable_sounds_are_refused_by_name(spoil, message, tmp_path):
    spoiled = spoil(CLIP).astype(np.float32)
    with pytest.raises(ValueError, match=message):
        read_sound(spoiled, SAMPLE_RATE)
    with pytest.raises(ValueError, match=message):
        read_sound((spoiled, SAMPLE_RATE), SAMPLE_RATE)
    soundfile.write(tmp_path / "spoiled.wav", spoiled, SAMPLE_RATE, subtype="FLOAT")
    with pytest.raises(ValueError, match=message):
        read_sound(tmp_path / "spoiled.wav", SAMPLE_RATE)


def test_integer_pcm_arrays_are_scaled_like_the_same_file():
    pcm = np.round(CLIP * 32767).astype(np.int16)
    scaled = read_sound(pcm, SAMPLE_RATE)
    assert np.abs(scaled - CLIP).max() < 1e-4
    assert np.abs(read_sound((pcm.astype(np.int32) << 16, SAMPLE_RATE), SAMPLE_RATE)).max() <= 1
    unsigned = (np.round(CLIP * 127) + 128).astype(np.uint8)
    assert np.abs(read_sound(unsigned, SAMPLE_RATE) - CLIP).max() < 1e-2


def test_a_gluenet_is_refused_with_another_encoder_of_the_same_shape(tmp_path):
    from diffusers import StableDiffusionPipeline

    from gluegen.encoders.text import HFTextEncoder
    from gluegen.models import GlueNet, GlueNetConfig
    from gluegen.pipelines import GlueGenPipeline
    from gluegen.pipelines.glue import pipeline_text_shape
    from gluegen.testing import save_sd_pipeline, save_xlmr

    sd = StableDiffusionPipeline.from_pretrained(save_sd_pipeline(tmp_path / "sd"))
    trained_on = HFTextEncoder(str(save_xlmr(tmp_path / "a", seed=0)), max_length=8)
    other = HFTextEncoder(str(save_xlmr(tmp_path / "b", seed=1)), max_length=8)
    shape = pipeline_text_shape(sd)
    tokens, width = shape.tokens, shape.width
    config = GlueNetConfig(
        source_tokens=8,
        source_dim=trained_on.dim,
        target_tokens=tokens,
        target_dim=width,
        source_encoder=trained_on.identity(),
    )
    GlueGenPipeline(sd, trained_on, GlueNet(config))  # its own encoder fits
    with pytest.raises(ValueError, match="trained on another source encoder.*fingerprint"):
        GlueGenPipeline(sd, other, GlueNet(config))
    reading_another_layer = HFTextEncoder(str(tmp_path / "a"), max_length=8, layer=0)
    with pytest.raises(ValueError, match="layer -1 -> 0"):
        GlueGenPipeline(sd, reading_another_layer, GlueNet(config))
