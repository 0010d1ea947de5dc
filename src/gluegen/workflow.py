"""The steps the command line strings together, as plain functions.

corpus + encoders -> feature cache -> GlueNet config -> train -> evaluate
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig

from gluegen.data.cache import FeatureCache, build_cache
from gluegen.data.corpus import read_corpus
from gluegen.encoders import Encoder, HFAudioEncoder, HFTextEncoder, load_target
from gluegen.encoders.audio import AUDIO_MODEL_TYPES
from gluegen.evaluate import DEFAULT_CANDIDATES, alignment_metrics
from gluegen.gluenet import PRESETS, GlueNet, GlueNetConfig
from gluegen.train import split_indices


@dataclass
class CacheSpec:
    """What a feature cache is built from."""

    source_encoder: str
    target: str
    corpus: str
    corpus_target: str | None = None
    source_column: str = "source"
    target_column: str = "target"
    source_max_length: int = 77
    source_layer: int = -1
    source_pooling: str | None = None
    cache_dir: str = "gluegen-cache"
    encode_batch_size: int = 64
    shard_size: int = 4096
    cache_dtype: str = "float32"
    device: str = "cpu"


def source_kind(name_or_path: str) -> str:
    """'audio' for the audio models HFAudioEncoder reads, else 'text'."""
    try:
        model_type = AutoConfig.from_pretrained(name_or_path).model_type
    except (OSError, ValueError):
        return "text"  # HFTextEncoder says what is wrong with it
    return "audio" if model_type in AUDIO_MODEL_TYPES else "text"


def source_encoder(spec: CacheSpec) -> Encoder:
    """The source encoder named by `spec`: an audio model or a text model."""
    if source_kind(spec.source_encoder) == "audio":
        return HFAudioEncoder(spec.source_encoder, device=spec.device)
    return HFTextEncoder(
        spec.source_encoder,
        max_length=spec.source_max_length,
        layer=spec.source_layer,
        pooling=spec.source_pooling,
        device=spec.device,
    )


def prepare_cache(spec: CacheSpec, progress: bool = True) -> FeatureCache:
    """Build the feature cache for `spec`, or reuse the matching one already there."""
    corpus = read_corpus(spec.corpus, spec.corpus_target, spec.source_column, spec.target_column)
    reads = source_kind(spec.source_encoder)
    if corpus.source_kind != reads:
        raise ValueError(
            f"{spec.corpus} is a corpus of {corpus.source_kind} files, but the source encoder "
            f"{spec.source_encoder} reads {reads}: pair audio folders with an audio model "
            "(an Audio Spectrogram Transformer) and text corpora with a text model."
        )
    target = load_target(spec.target, device=spec.device)
    return build_cache(
        corpus,
        source_encoder(spec),
        target,
        spec.cache_dir,
        batch_size=spec.encode_batch_size,
        shard_size=spec.shard_size,
        dtype=spec.cache_dtype,
        progress=progress,
    )


def gluenet_config_for(
    cache: FeatureCache, preset: str = "paper-multilingual", **overrides: Any
) -> GlueNetConfig:
    """A preset's layout at the cache's shapes, with `overrides` (None values ignored)."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {sorted(PRESETS)}.")
    shapes = cache.manifest["shapes"]
    sizes = {
        "source_tokens": shapes["source"][0],
        "source_dim": shapes["source"][1],
        "target_tokens": shapes["target"][0],
        "target_dim": shapes["target"][1],
        "pooled_dim": shapes["target_pooled"][0] if "target_pooled" in shapes else None,
    }
    valid = {f.name for f in dataclasses.fields(GlueNetConfig)}
    unknown = set(overrides) - valid
    if unknown:
        raise ValueError(f"Unknown GlueNet settings {sorted(unknown)}; valid: {sorted(valid)}.")
    given = {key: value for key, value in overrides.items() if value is not None}
    return PRESETS[preset](**{**sizes, **given})


def evaluate_on_cache(
    gluenet_path: str | Path,
    cache: FeatureCache,
    holdout: float | None = None,
    seed: int = 0,
    candidates: int = DEFAULT_CANDIDATES,
) -> dict[str, float]:
    """Alignment metrics of a saved GlueNet on a cache (its held-out split when `holdout`)."""
    gluenet = GlueNet.from_pretrained(str(gluenet_path))
    arrays = cache.arrays()
    ids = split_indices(len(cache), holdout, seed)[1] if holdout else torch.arange(len(cache))
    source, target = arrays["source"][ids], arrays["target"][ids]
    expected = (gluenet.config.source_tokens, gluenet.config.source_dim)
    if tuple(source.shape[1:]) != expected:
        raise ValueError(
            f"The GlueNet reads {expected[0]}x{expected[1]} source features, the cache holds "
            f"{source.shape[1]}x{source.shape[2]}: it was built with another source encoder."
        )
    return alignment_metrics(gluenet, source, target, candidates=candidates)
