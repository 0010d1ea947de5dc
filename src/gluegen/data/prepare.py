"""A parallel corpus and two encoders -> a feature cache (what `gluegen cache` builds).

corpus -> source encoder + the generator's text side -> FeatureCache; `cache_shapes` tells a
recipe the shapes its GlueNet must have.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoConfig

from gluegen.data.cache import FeatureCache, build_cache
from gluegen.data.choice import choose_features
from gluegen.data.online import OnlineFeatures
from gluegen.data.readers import read_corpus
from gluegen.data.spec import CacheSpec
from gluegen.encoders import Encoder, HFAudioEncoder, HFTextEncoder, load_target
from gluegen.encoders.audio import AUDIO_MODEL_TYPES
from gluegen.encoders.families import family_of
from gluegen.precision import process_state, resolve_mixed_precision


def source_kind(name_or_path: str) -> str:
    """'audio' for the audio models HFAudioEncoder reads, else 'text'."""
    try:
        model_type = AutoConfig.from_pretrained(name_or_path).model_type
    except (OSError, ValueError):
        return "text"  # HFTextEncoder says what is wrong with it
    return "audio" if model_type in AUDIO_MODEL_TYPES else "text"


def encoding_device(setting: str) -> torch.device:
    """The device `--device` names; 'auto': this process's GPU when there is one (each
    process its own under torchrun), else the CPU."""
    if setting == "auto":
        return process_state().device
    try:
        return torch.device(setting)
    except RuntimeError as error:
        raise ValueError(
            f"--device {setting!r} is not a device ({error}); use auto, cpu, cuda or cuda:N."
        ) from error


def source_encoder(spec: CacheSpec, device: torch.device) -> Encoder:
    """The source encoder named by `spec`, on `device`: an audio model or a text model."""
    if source_kind(spec.source_encoder) == "audio":
        return HFAudioEncoder(spec.source_encoder, device=device)
    return HFTextEncoder(
        spec.source_encoder,
        max_length=spec.source_max_length,
        layer=spec.source_layer,
        pooling=spec.source_pooling,
        device=device,
    )


def prepare_cache(
    spec: CacheSpec, progress: bool = True, epochs: int = 1
) -> FeatureCache | OnlineFeatures:
    """Build the feature cache for `spec`, or reuse the matching one already there; with
    `spec.features == "online"`, the encoders loaded to encode each batch as it is read;
    "auto": whichever costs less for `epochs` (`choice.choose_features`; the result's `choice`
    says which and why)."""
    corpus = read_corpus(
        spec.corpus, spec.corpus_target, spec.source_column, spec.target_column, spec.split
    )
    reads = source_kind(spec.source_encoder)
    if corpus.source_kind != reads:
        raise ValueError(
            f"{spec.corpus} is a corpus of {corpus.source_kind} files, but the source encoder "
            f"{spec.source_encoder} reads {reads}: pair audio folders with an audio model "
            "(AST, CLAP or Whisper) and text corpora with a text model."
        )
    device = encoding_device(spec.device)
    precision = resolve_mixed_precision(spec.encode_precision, device)
    target = load_target(
        spec.target,
        device=device,
        clip_skip=spec.target_clip_skip,
        max_sequence_length=spec.target_max_sequence_length,
    )
    source = source_encoder(spec, device)
    options = {
        "batch_size": spec.encode_batch_size,
        "shard_size": spec.shard_size,
        "dtype": cache_dtype(spec.cache_dtype, precision),
        "encode_precision": precision,
    }
    choice = None
    if spec.features == "auto":
        folder = Path(spec.cache_dir)
        choice = choose_features(
            corpus, source, target, folder, epochs, options, spec.encode_batch_size
        )
    if (choice.features if choice else spec.features) == "online":
        features = OnlineFeatures(corpus, source, target, precision)
    else:
        features = build_cache(corpus, source, target, spec.cache_dir, progress=progress, **options)
    features.choice = choice
    return features


def cache_dtype(setting: str, encode_precision: str) -> str:
    """'auto' -> bfloat16 where the encoders run in bf16 (their features hold no more), else
    float32; any other setting as it is."""
    if setting != "auto":
        return setting
    return "bfloat16" if encode_precision == "bf16" else "float32"


def cache_shapes(cache: FeatureCache | OnlineFeatures) -> dict:
    """The GlueNet shapes a cache's features ask for (GlueNetConfig's SHAPE_FIELDS)."""
    shapes = cache.manifest["shapes"]
    pipeline_class = cache.key["target_encoder"].get("pipeline_class")
    return {
        "source_tokens": shapes["source"][0],
        "source_dim": shapes["source"][1],
        "target_tokens": shapes["target"][0],
        "target_dim": shapes["target"][1],
        "pooled_dim": shapes["target_pooled"][0] if "target_pooled" in shapes else None,
        # the generator attends to a mask of the target's tokens (PixArt)
        "target_mask": bool(pipeline_class) and family_of(pipeline_class).masked,
    }
