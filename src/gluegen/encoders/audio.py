"""Sounds -> token features of a Hugging Face audio model (AST, CLAP's audio tower, Whisper).

Inputs are sound files (any format soundfile reads) or arrays, with their sample rate when it
is not the model's: `(array, rate)`. Stereo is averaged to mono, other rates are resampled
(soxr), and a silent or unreadable input is a clear error, not a picture of noise.

Notation: b - batch, s - samples, n - tokens, d - features.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import transformers
from transformers import AutoConfig, AutoFeatureExtractor, PreTrainedModel

from gluegen.encoders.base import LazyModel, TokenFeatures, model_fingerprint
from gluegen.encoders.weights import load_encoder

SILENCE = 1e-4  # peak amplitude below which a sound counts as silent
SHORTEST_SECONDS = 0.025  # one 25 ms filterbank window: shorter sounds give no spectrogram
EMPTY_SECONDS = 1.0  # the empty input of an audio encoder: this long a silence

AudioInput = str | Path | np.ndarray | tuple[np.ndarray, int]


def ast_token_count(config: Any) -> int:
    """Patches of an AST spectrogram plus its two special tokens (cls, distillation)."""
    frequency = (config.num_mel_bins - config.patch_size) // config.frequency_stride + 1
    time = (config.max_length - config.patch_size) // config.time_stride + 1
    return frequency * time + 2


@dataclass(frozen=True)
class AudioFamily:
    """How one family of audio models turns sounds into source tokens."""

    model_class: str  # the transformers class read from the folder
    shape: Callable[[Any], tuple[int, int]]  # config -> (tokens, width)
    features: Callable[[Any, dict], torch.Tensor]  # (model, extractor output) -> (b, n, d)
    reads: str  # which hidden states become source tokens, and why
    # the first tokens that summarise the whole sound (their mean: the model's pooled output);
    # 0: none
    summary_tokens: int


AUDIO_FAMILIES = {
    "audio-spectrogram-transformer": AudioFamily(
        "ASTModel",
        lambda config: (ast_token_count(config), int(config.hidden_size)),
        lambda model, inputs: model(**inputs).last_hidden_state,
        "every token of the last layer (two summary tokens, then one per spectrogram patch): "
        "the parts of a sound stay apart for GlueNet to route",
        2,  # CLS and distillation: ASTModel's pooler_output is their mean
    ),
    "clap": AudioFamily(
        "ClapAudioModelWithProjection",
        lambda config: (1, int(config.projection_dim)),
        lambda model, inputs: model(**inputs).audio_embeds[:, None],  # (b, 1, p)
        "the projected audio embedding, one token: the space CLAP aligned with text, read as "
        "the paper read AudioCLIP's (fold it into tokens with mixer_tokens / mixer_dim)",
        1,
    ),
    "whisper": AudioFamily(
        "WhisperModel",
        lambda config: (int(config.max_source_positions), int(config.d_model)),
        lambda model, inputs: model.get_encoder()(inputs["input_features"]).last_hidden_state,
        "the encoder's last hidden state, one token per 20 ms of its 30 s window: what its "
        "decoder reads",
        0,
    ),
}
AUDIO_MODEL_TYPES = tuple(AUDIO_FAMILIES)  # what HFAudioEncoder reads


def audio_readers() -> tuple[Any, Any]:
    """soundfile and soxr, the [audio] extra; where missing, an error saying how to get them."""
    try:
        import soundfile
        import soxr
    except ImportError as error:
        raise ImportError(
            "Reading and resampling sounds needs soundfile and soxr: pip install 'gluegen[audio]'."
        ) from error
    return soundfile, soxr


def read_sound(item: AudioInput, rate: int) -> np.ndarray:
    """A sound file, an array at `rate`, or (array, its rate) -> mono float32 (s,) at `rate`."""
    soundfile, soxr = audio_readers()

    if isinstance(item, str | Path) or hasattr(item, "read_bytes"):
        # a file, or a member of a tar shard (data/tars.py), read where it lies
        where = io.BytesIO(item.read_bytes()) if hasattr(item, "read_bytes") else str(item)
        try:
            samples, source_rate = soundfile.read(where, dtype="float32", always_2d=True)
        except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
            raise ValueError(f"Cannot read the sound file {item}: {error}") from error
        samples = samples.mean(axis=1)  # (s,): stereo -> mono
        name = str(item)
    elif isinstance(item, tuple):
        samples, source_rate = as_float_samples(item[0]), int(item[1])
        name = "a sound array"
    else:
        samples, source_rate = as_float_samples(item), rate
        name = "a sound array"
    if samples.ndim == 2:
        samples = samples.mean(axis=0 if samples.shape[0] < samples.shape[1] else 1)
    if samples.ndim != 1 or samples.size == 0:
        raise ValueError(f"{name} holds no samples (shape {samples.shape}).")
    if not np.isfinite(samples).all():
        raise ValueError(f"{name} holds NaN or infinite samples; give a clean recording.")
    if np.abs(samples).max() < SILENCE:
        raise ValueError(f"{name} is silent (peak below {SILENCE}); nothing to draw from.")
    if samples.size < SHORTEST_SECONDS * source_rate:
        raise ValueError(
            f"{name} is {samples.size} samples long ({1000 * samples.size / source_rate:.1f} "
            f"ms at {source_rate} Hz); give at least {1000 * SHORTEST_SECONDS:.0f} ms."
        )
    if source_rate != rate:
        samples = soxr.resample(samples, source_rate, rate).astype(np.float32)
    return samples


def as_float_samples(array: Any) -> np.ndarray:
    """An array of samples as float32 in [-1, 1]: integer PCM (int16, int32, uint8) scaled by
    its full range, floats as they are."""
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.unsignedinteger):  # 8-bit WAV: 128 is zero
        middle = np.iinfo(array.dtype).max // 2 + 1
        return ((array.astype(np.float64) - middle) / middle).astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        return (array / (np.iinfo(array.dtype).max + 1.0)).astype(np.float32)
    return array.astype(np.float32)


class HFAudioEncoder(LazyModel):
    """Sounds -> (b, n, d) token features from the last layer of an audio model.

    Loads lazily: building the object reads only the configs.
    """

    def __init__(
        self,
        name_or_path: str,
        revision: str | None = None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        self._set_source(name_or_path, revision, device, dtype)
        try:
            config = AutoConfig.from_pretrained(self.name_or_path, revision=revision)
        except OSError as error:
            raise ValueError(
                f"Cannot load an audio encoder from {self.name_or_path!r}: give a Hugging Face "
                f"hub id or a folder holding config.json ({error})"
            ) from error
        if config.model_type not in AUDIO_FAMILIES:
            raise ValueError(
                f"{self.name_or_path!r} is a {config.model_type!r} model; HFAudioEncoder reads "
                f"{sorted(AUDIO_FAMILIES)} models."
            )
        self.family = AUDIO_FAMILIES[config.model_type]
        self.num_tokens, self.dim = self.family.shape(config)
        self.summary_tokens = self.family.summary_tokens  # the first tokens sum up the sound
        self.pooled_dim = None
        self._model: PreTrainedModel | None = None
        self._extractor = None

    @property
    def sampling_rate(self) -> int:
        """The rate the feature extractor expects; every input is resampled to it."""
        self.load()
        return int(self._extractor.sampling_rate)

    def load(self) -> HFAudioEncoder:
        """Read the feature extractor and the weights (done on the first `encode`)."""
        if self._model is None:
            kwargs = {"revision": self.revision}
            self._extractor = AutoFeatureExtractor.from_pretrained(self.name_or_path, **kwargs)
            model_class = getattr(transformers, self.family.model_class)
            model = load_encoder(model_class, self.name_or_path, **kwargs)
            self._model = model.to(self.device, self.dtype).eval().requires_grad_(False)
        return self

    def identity(self) -> dict[str, Any]:
        """Id of this encoder, stored in caches and checkpoints."""
        return {
            "kind": "hf-audio",
            "name_or_path": self.name_or_path,
            "revision": self.revision,
            "fingerprint": model_fingerprint(self.name_or_path, self.revision),
        }

    @torch.no_grad()
    def encode(self, batch: Sequence[AudioInput]) -> TokenFeatures:
        """Sounds -> hidden (b, n, d), mask (b, n) (every token is valid)."""
        if isinstance(batch, str | Path | np.ndarray | tuple):
            raise TypeError("encode takes a list of sounds, not one sound.")
        rate = self.sampling_rate
        return self._encode_waves([read_sound(item, rate) for item in batch])

    @torch.no_grad()
    def empty_features(self, count: int) -> TokenFeatures:
        """The empty input, `count` times: EMPTY_SECONDS of silence (which `encode` refuses)."""
        rate = self.sampling_rate
        return self._encode_waves([np.zeros(int(EMPTY_SECONDS * rate), np.float32)] * count)

    def _encode_waves(self, waves: list[np.ndarray]) -> TokenFeatures:
        rate = self.sampling_rate
        inputs = self._extractor(waves, sampling_rate=rate, return_tensors="pt")
        inputs = {  # features in the model's dtype; flags (CLAP's is_longer) as they are
            key: value.to(self.device, self.dtype if value.is_floating_point() else value.dtype)
            for key, value in inputs.items()
        }
        hidden = self.family.features(self._model, inputs).float()  # (b, n, d)
        mask = torch.ones(hidden.shape[:2], dtype=torch.long, device=hidden.device)
        return TokenFeatures(hidden=hidden, mask=mask)
