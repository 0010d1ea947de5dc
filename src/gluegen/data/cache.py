"""The feature cache: encoders run once per corpus; training reads features many times.

A cache is a folder:
    build.json                 the key being built (encoder ids, corpus hash, dtype, shard size)
    shard-00000.safetensors    source, source_mask, target, target_mask[, target_pooled]
    ...
    manifest.json              written last: the key, counts, shapes, shard list
A folder whose manifest holds the same key is reused without loading either encoder; a
different key means stale, and the folder is rebuilt; shards already written under the same
key are kept, so an interrupted build resumes. Each shard is written to a temporary file and
renamed, so no shard is ever half there. Across processes (`accelerate launch`, `torchrun`)
shard k goes to process k % world_size, and the main process writes the manifest at the end.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import PartialState
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from gluegen.data.corpus import ParallelCorpus
from gluegen.encoders.base import Encoder, identity_key
from gluegen.io import atomic_write_text

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
SHARD_KEYS = ("source", "source_mask", "target", "target_mask", "target_pooled")


def cache_key(
    corpus: ParallelCorpus, source: Encoder, target: Encoder, dtype: str, shard_size: int
) -> dict[str, Any]:
    """Everything that decides the cached features' content."""
    if dtype not in DTYPES:
        raise ValueError(f"Unknown cache dtype {dtype!r}; choose one of {sorted(DTYPES)}.")
    return {
        "format": CACHE_FORMAT,
        "source_encoder": source.identity(),
        "target_encoder": target.identity(),
        "corpus": corpus.fingerprint(),
        "count": len(corpus),
        "dtype": dtype,
        "shard_size": shard_size,
    }


def shard_name(index: int) -> str:
    """File name of shard `index`."""
    return f"shard-{index:05d}.safetensors"


@dataclass
class FeatureCache:
    """A finished cache folder; `load()` returns its tensors, concatenated in corpus order."""

    folder: Path
    manifest: dict[str, Any]

    @classmethod
    def open(cls, folder: str | Path) -> FeatureCache:
        """Open a finished cache (one with a manifest)."""
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise ValueError(
                f"{folder} holds no finished feature cache (no manifest.json); "
                "build it with `gluegen cache`."
            )
        return cls(folder, json.loads(manifest_path.read_text()))

    @property
    def key(self) -> dict[str, Any]:
        """The key the cache was built for."""
        return self.manifest["key"]

    def __len__(self) -> int:
        return int(self.manifest["count"])

    def load(self, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
        """All shards: source (N, n_s, d_s), target (N, n_t, d_t), masks, pooled (N, p)."""
        parts: dict[str, list[torch.Tensor]] = {}
        for name in self.manifest["shards"]:
            for key, tensor in load_file(self.folder / name).items():
                parts.setdefault(key, []).append(tensor)
        tensors = {key: torch.cat(values) for key, values in parts.items()}
        for key in ("source", "target", "target_pooled"):
            if key in tensors:
                tensors[key] = tensors[key].to(dtype)
        return tensors


def _matching_manifest(folder: Path, key: dict[str, Any]) -> FeatureCache | None:
    try:
        cache = FeatureCache.open(folder)
    except ValueError:
        return None
    return cache if identity_key(cache.key) == identity_key(key) else None


def _prepare_folder(folder: Path, key: dict[str, Any]) -> None:
    """Main process: drop a stale build, record the key being built."""
    build_path = folder / "build.json"
    if build_path.is_file() and identity_key(json.loads(build_path.read_text())) != identity_key(
        key
    ):
        logger.warning(
            "Feature cache %s is stale (encoders or corpus changed); rebuilding.", folder
        )
        for stale in [*folder.glob("shard-*.safetensors"), folder / "manifest.json"]:
            stale.unlink(missing_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(build_path, json.dumps(key, indent=2, sort_keys=True))


def _encode_shard(
    corpus: ParallelCorpus,
    indices: range,
    source: Encoder,
    target: Encoder,
    batch_size: int,
    dtype: torch.dtype,
    progress: tqdm,
) -> dict[str, torch.Tensor]:
    parts: dict[str, list[torch.Tensor]] = {}
    for start in range(indices.start, indices.stop, batch_size):
        stop = min(start + batch_size, indices.stop)
        source_features = source.encode(corpus.sources[start:stop])
        target_features = target.encode(corpus.targets[start:stop])
        batch = {
            "source": source_features.hidden.to(dtype),  # (b, n_s, d_s)
            "source_mask": source_features.mask.to(torch.int8),  # (b, n_s)
            "target": target_features.hidden.to(dtype),  # (b, n_t, d_t)
            "target_mask": target_features.mask.to(torch.int8),  # (b, n_t)
        }
        if target_features.pooled is not None:
            batch["target_pooled"] = target_features.pooled.to(dtype)  # (b, p)
        for name, tensor in batch.items():
            parts.setdefault(name, []).append(tensor.detach().cpu())
        progress.update(stop - start)
    return {name: torch.cat(values).contiguous() for name, values in parts.items()}


def build_cache(
    corpus: ParallelCorpus,
    source: Encoder,
    target: Encoder,
    folder: str | Path,
    batch_size: int = 64,
    shard_size: int = 4096,
    dtype: str = "float32",
    progress: bool = True,
) -> FeatureCache:
    """Encode `corpus` with both encoders into `folder`, or reuse a matching cache.

    Runs data-parallel when launched on several processes; every process returns the cache.
    """
    if batch_size < 1 or shard_size < 1:
        raise ValueError("batch_size and shard_size must be >= 1.")
    folder = Path(folder)
    key = cache_key(corpus, source, target, dtype, shard_size)
    found = _matching_manifest(folder, key)
    if found is not None:
        logger.info("Reusing feature cache %s (%d pairs).", folder, len(found))
        return found

    state = PartialState(cpu=not torch.cuda.is_available())  # cpu: gloo across CPU processes
    if state.is_main_process:
        _prepare_folder(folder, key)
    state.wait_for_everyone()

    num_shards = math.ceil(len(corpus) / shard_size)
    mine = [k for k in range(num_shards) if k % state.num_processes == state.process_index]
    todo = [k for k in mine if not (folder / shard_name(k)).is_file()]
    todo_count = sum(min(shard_size, len(corpus) - k * shard_size) for k in todo)
    if len(todo) < len(mine):
        logger.info(
            "Resuming feature cache %s: %d shards already written.", folder, len(mine) - len(todo)
        )
    with tqdm(
        total=todo_count,
        desc="encoding corpus",
        unit="pair",
        disable=not (progress and state.is_main_process),
    ) as bar:
        for k in todo:
            indices = range(k * shard_size, min((k + 1) * shard_size, len(corpus)))
            tensors = _encode_shard(corpus, indices, source, target, batch_size, DTYPES[dtype], bar)
            temporary = folder / f".{shard_name(k)}.{os.getpid()}.tmp"
            metadata = {"first": str(indices.start), "process": str(state.process_index)}
            save_file(tensors, temporary, metadata=metadata)
            os.replace(temporary, folder / shard_name(k))
    state.wait_for_everyone()

    if state.is_main_process:
        first = load_file(folder / shard_name(0))
        manifest = {
            "key": key,
            "count": len(corpus),
            "shards": [shard_name(k) for k in range(num_shards)],
            "shapes": {name: list(tensor.shape[1:]) for name, tensor in first.items()},
            "origin": corpus.origin,
        }
        atomic_write_text(folder / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    state.wait_for_everyone()
    return FeatureCache.open(folder)
