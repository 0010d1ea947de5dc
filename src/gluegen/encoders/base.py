"""The encoder protocol: a batch of inputs -> token features, plus an identity for caches.

Notation: b - batch, n - tokens, d - features, p - pooled width.
A source encoder takes whatever its modality is (strings for text, waveforms for audio);
the target side is the generator's own text conditioning. Both return `TokenFeatures`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from huggingface_hub import try_to_load_from_cache

from gluegen.digests import files_sha256


@dataclass
class TokenFeatures:
    """Encoder output: hidden (b, n, d), mask (b, n) of valid tokens, optional pooled (b, p)."""

    hidden: torch.Tensor
    mask: torch.Tensor
    pooled: torch.Tensor | None = None

    def to(self, dtype: torch.dtype, device: torch.device | None = None) -> TokenFeatures:
        """The features (hidden, pooled) in `dtype`, the mask in its own; all on `device`
        (default: where they are)."""
        device = device or self.hidden.device
        pooled = None if self.pooled is None else self.pooled.to(device, dtype)
        return TokenFeatures(self.hidden.to(device, dtype), self.mask.to(device), pooled)


@runtime_checkable
class Encoder(Protocol):
    """What GlueGen needs of any encoder, source or target."""

    num_tokens: int  # n: every batch is padded/truncated to this many tokens
    dim: int  # d
    pooled_dim: int | None  # p, or None when the encoder has no pooled output

    def encode(self, batch: Sequence[Any]) -> TokenFeatures:
        """Encode a batch of inputs (strings, waveforms, ...) to (b, n, d) features."""
        ...

    def identity(self) -> dict[str, Any]:
        """JSON-able id (name_or_path, revision, options, fingerprint), stored in checkpoints."""
        ...


class ModelSource:
    """Where an encoder's weights come from (hub id or folder, revision) and where it runs."""

    def _set_source(
        self, name_or_path: str, revision: str | None, device: str | torch.device, dtype
    ) -> None:
        self.name_or_path = str(name_or_path)
        self.revision = revision
        self.device = torch.device(device)
        self.dtype = dtype


class LazyModel(ModelSource):
    """For encoders that read their weights on first use into `_model`, placed on `device`."""

    _model: torch.nn.Module | None
    device: torch.device

    @property
    def is_loaded(self) -> bool:
        """True once the weights have been read."""
        return self._model is not None

    def to(self, device: str | torch.device):
        """Move the encoder (now or when it loads) to `device`."""
        self.device = torch.device(device)
        if self._model is not None:
            self._model.to(self.device)
        return self


FINGERPRINT_PREFIX = "sha256:"  # fingerprints of every byte (older ones hashed file ends only)


def folder_fingerprint(path: str | Path) -> str | None:
    """A content hash of a local model folder (every byte of every file), or None for a hub id.

    Catches retrained weights under the same path, so a stale feature cache is rebuilt.
    """
    root = Path(path)
    if not root.is_dir():
        return None
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for file, content in zip(files, files_sha256(files), strict=True):
        digest.update(f"{file.relative_to(root).as_posix()}:{content}".encode())
    return FINGERPRINT_PREFIX + digest.hexdigest()[:16]


HUB_PREFIX = "hub:"  # a hub model's fingerprint: the commit of the snapshot it is read from
HUB_ROOT_FILES = ("config.json", "model_index.json")  # a model's, a diffusers pipeline's


def model_fingerprint(name_or_path: str | Path, revision: str | None = None) -> str | None:
    """What a model's files are: a local folder's content hash (`folder_fingerprint`), or for
    a hub id the commit of its snapshot in the local Hugging Face cache (the repository's
    `revision`, default main, as last downloaded), or None where neither is known yet.

    A hub model updated and downloaded again has another commit, so a feature cache of the
    old files is rebuilt; looking it up reads the local cache only, never the network.
    """
    local = folder_fingerprint(name_or_path)
    if local is not None:
        return local
    for filename in HUB_ROOT_FILES:
        try:
            cached = try_to_load_from_cache(str(name_or_path), filename, revision=revision)
        except ValueError:  # neither a folder nor a hub id (HFValidationError)
            return None
        if isinstance(cached, str):  # .../snapshots/<commit>/<filename>
            return HUB_PREFIX + Path(cached).parent.name
    return None


def identity_key(identity: dict[str, Any]) -> str:
    """A stable string for comparing identities."""
    return json.dumps(identity, sort_keys=True)


# What must agree between the encoder a GlueNet was trained on and the one it is given.
ENCODER_OPTIONS = ("kind", "layer", "max_length", "pooling")


def identity_differences(trained: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """How the encoder `given` differs from the one a GlueNet was `trained` on ('field:
    trained -> given'); content (fingerprint) decides where both have one, else the id."""
    if not trained:  # a GlueNet saved without its encoder's id
        return []
    names = list(ENCODER_OPTIONS)
    fingerprints = (str(trained.get("fingerprint")), str(given.get("fingerprint")))
    if all(f.startswith(FINGERPRINT_PREFIX) for f in fingerprints):
        names.append("fingerprint")
    else:
        names += ["name_or_path", "revision"]
    return [
        f"{name} {trained.get(name)!r} -> {given.get(name)!r}"
        for name in names
        if trained.get(name) != given.get(name)
    ]
