"""Sounds of shapes-world objects: shape -> timbre, colour -> pitch, size -> loudness and length.

Each clip is mono, 16 kHz, one second: a tone with a random onset and duration, an attack and
release envelope, and background noise, so that an audio model has real work to do. Position
is silent: in sound + text prompts it comes from the text.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from gluegen_world.scenes import COLOURS, SHAPES, WorldObject

SAMPLE_RATE = 16_000
CLIP_SECONDS = 1.0
# Colour -> fundamental frequency (Hz): a whole-tone scale from C4, one step a colour.
PITCHES = dict(zip(COLOURS, (261.6, 293.7, 329.6, 370.0, 415.3, 466.2), strict=True))
# Size -> peak amplitude and tone length range (seconds).
LOUDNESS = {"small": 0.3, "big": 0.8}
DURATIONS = {"small": (0.25, 0.4), "big": (0.5, 0.7)}
MAX_ONSET = 0.25  # seconds
PITCH_JITTER = 0.01  # relative detune, so no two clips are identical
NOISE_LEVEL = (0.01, 0.05)  # RMS of the background noise
ENVELOPE_SECONDS = 0.02  # attack and release
TREMOLO_HZ = 10.0  # the diamond pulses: a sine whose loudness swings fully 10 times a second
TIMBRES = dict(zip(SHAPES, ("sine", "square", "triangle", "sawtooth", "tremolo"), strict=True))


def _tone(timbre: str, frequency: float, t: np.ndarray) -> np.ndarray:
    """One period shape per timbre, in [-1, 1]."""
    phase = frequency * t
    if timbre == "sine":
        return np.sin(2 * np.pi * phase)
    if timbre == "square":
        return np.sign(np.sin(2 * np.pi * phase)) * 0.7  # a square is louder per amplitude
    if timbre == "triangle":
        return 2 * np.abs(2 * (phase - np.floor(phase + 0.5))) - 1
    if timbre == "sawtooth":
        return (2 * (phase - np.floor(phase + 0.5))) * 0.8
    if timbre == "tremolo":
        pulse = 0.5 + 0.5 * np.sin(2 * np.pi * TREMOLO_HZ * t)
        return np.sin(2 * np.pi * phase) * pulse
    raise ValueError(f"Unknown timbre {timbre!r}.")


def synthesize(item: WorldObject, seed: int = 0) -> np.ndarray:
    """The sound of `item`: float32 (SAMPLE_RATE * CLIP_SECONDS,) in [-1, 1]."""
    rng = np.random.default_rng(seed)
    samples = int(SAMPLE_RATE * CLIP_SECONDS)
    clip = rng.normal(0.0, rng.uniform(*NOISE_LEVEL), samples)
    duration = rng.uniform(*DURATIONS[item.size])
    onset = rng.uniform(0.0, min(MAX_ONSET, CLIP_SECONDS - duration))
    start, length = int(onset * SAMPLE_RATE), int(duration * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    frequency = PITCHES[item.colour] * (1 + rng.uniform(-PITCH_JITTER, PITCH_JITTER))
    ramp = np.clip(np.minimum(t, t[::-1]) / ENVELOPE_SECONDS, 0.0, 1.0)
    clip[start : start + length] += (
        LOUDNESS[item.size] * ramp * _tone(TIMBRES[item.shape], frequency, t)
    )
    return np.clip(clip, -1.0, 1.0).astype(np.float32)


def write_wav(path: str | Path, waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """Write a mono float waveform in [-1, 1] as 16-bit PCM WAV."""
    pcm = (np.clip(waveform, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(pcm.tobytes())


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM mono WAV as (float32 waveform in [-1, 1], sample rate)."""
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2 or handle.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono PCM WAV.")
        rate = handle.getframerate()
        frames = handle.readframes(handle.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32767, rate


__all__ = ["SAMPLE_RATE", "read_wav", "synthesize", "write_wav"]
