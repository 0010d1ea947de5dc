"""Encoders behind one protocol: source encoders of any modality, the generator's text side."""

from __future__ import annotations

from pathlib import Path

from gluegen.encoders.audio import HFAudioEncoder
from gluegen.encoders.base import Encoder, TokenFeatures, folder_fingerprint, model_fingerprint
from gluegen.encoders.target import DiffusersTextTarget, EncodePromptTarget, pipeline_target
from gluegen.encoders.text import HFTextEncoder


def load_target(
    name_or_path: str,
    revision: str | None = None,
    clip_skip: int | None = None,
    max_sequence_length: int | None = None,
    **kwargs,
) -> Encoder:
    """A diffusers pipeline (folder with model_index.json or hub id) or a plain text encoder."""
    folder = Path(name_or_path)
    if folder.is_dir() and not (folder / "model_index.json").exists():
        if clip_skip is not None or max_sequence_length is not None:
            raise ValueError(
                "clip_skip and max_sequence_length apply to a diffusers pipeline target, not a "
                "text encoder."
            )
        return HFTextEncoder(name_or_path, revision=revision, **kwargs)
    return pipeline_target(
        name_or_path,
        revision=revision,
        clip_skip=clip_skip,
        max_sequence_length=max_sequence_length,
        **kwargs,
    )


__all__ = [
    "DiffusersTextTarget",
    "EncodePromptTarget",
    "Encoder",
    "HFAudioEncoder",
    "HFTextEncoder",
    "TokenFeatures",
    "folder_fingerprint",
    "model_fingerprint",
    "load_target",
]
