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
