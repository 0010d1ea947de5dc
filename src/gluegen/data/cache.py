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
`pool_caches` makes one cache of several (one GlueNet for several corpora) from a manifest
alone.
"""

from __future__ import annotations

import json
import logging
import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tqdm.auto import tqdm

from gluegen.allocator import keep_freed_memory
from gluegen.data.corpus import ParallelCorpus
from gluegen.data.integrity import (
    VERIFIED_FILE,
    mark_verified,
    read_header,
    shard_record,
    shard_rows,
    verify_cache,
)
from gluegen.data.shards import OpenFiles, ShardedArray, pack_mask
from gluegen.data.split import pair_keys
from gluegen.data.statistics import split_statistics
from gluegen.encoders.base import Encoder, TokenFeatures, identity_key
from gluegen.io import atomic_write_file, atomic_write_text
from gluegen.models.stats import FeatureStatistics
from gluegen.precision import process_state, warn_if_bf16_is_slow_here

logger = logging.getLogger(__name__)

CACHE_FORMAT = 3  # 2: shard checksums in the manifest; 3: masks packed eight tokens a byte
MANIFEST_FILE = "manifest.json"  # written last: a cache folder holding it is finished
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


FULL_PRECISION = "no"
ENCODE_PRECISIONS = (FULL_PRECISION, "bf16")  # how the encoders run while building a cache


def cache_key(
    corpus: ParallelCorpus,
    source: Encoder,
    target: Encoder,
    dtype: str,
    shard_size: int,
    encode_precision: str = FULL_PRECISION,
) -> dict[str, Any]:
    """Everything that decides the cached features' content."""
    if dtype not in DTYPES:
        raise ValueError(f"Unknown cache dtype {dtype!r}; choose one of {sorted(DTYPES)}.")
    if encode_precision not in ENCODE_PRECISIONS:
        raise ValueError(f"Unknown encode precision {encode_precision!r}: {ENCODE_PRECISIONS}.")
    # full precision adds nothing, so caches built before the option keep their key
    precision = {} if encode_precision == FULL_PRECISION else {"encode_precision": encode_precision}
    return {
        **precision,
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
    """A finished cache folder: `arrays()` maps it, `load()` reads it, in corpus order.

    The first `arrays()` of a cache object checks its shards against the manifest
    (integrity.py): a damaged cache is a named error, never other features.
    """

    folder: Path
    manifest: dict[str, Any]
    verified: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def open(cls, folder: str | Path) -> FeatureCache:
        """Open a finished cache (one with a manifest)."""
        folder = Path(folder)
        manifest_path = folder / MANIFEST_FILE
        if not manifest_path.is_file():
            raise ValueError(
                f"{folder} holds no finished feature cache (no {MANIFEST_FILE}); "
                "build it with `gluegen cache`."
            )
        return cls(folder, json.loads(manifest_path.read_text()))

    @property
    def key(self) -> dict[str, Any]:
        """The key the cache was built for."""
        return self.manifest["key"]

    def __len__(self) -> int:
        return int(self.manifest["count"])

    def arrays(self) -> dict[str, ShardedArray]:
        """Memory-mapped views: source (N, n_s, d_s), target (N, n_t, d_t), masks, pooled.

        Nothing is read until rows are indexed, so a cache larger than memory trains fine.
        """
        if not self.verified:
            verify_cache(self.folder, self.manifest)
            self.verified = True
        files = [self.folder / name for name in self.manifest["shards"]]
        shapes = self.manifest["shapes"]
        tokens = {"source_mask": shapes["source"][0], "target_mask": shapes["target"][0]}
        opened = OpenFiles()  # the shard files, opened once for every tensor
        return {name: ShardedArray(files, name, tokens.get(name), opened) for name in shapes}

    def statistics(
        self, train_ids: torch.Tensor, holdout: float, seed: int, how: str = "permutation"
    ) -> FeatureStatistics:
        """The statistics of the training split `train_ids` (of the split `holdout`, `seed`,
        `how`), measured once and kept beside the cache."""
        split = (holdout, seed) if how == "permutation" else (holdout, seed, how)
        return split_statistics(self.folder, self.manifest, self.arrays(), train_ids, *split)

    def pair_keys(self) -> np.ndarray:
        """(N,) uint64: each pair's key (data/split.py), kept when the cache was built."""
        names = self.manifest.get("pair_keys")
        if not names:
            raise ValueError(
                f"The cache in {self.folder} was built before pair keys were kept, so it cannot "
                "be split by hash: delete the folder to rebuild it, or use --split-by permutation."
            )
        keys = np.concatenate([read_pair_keys(self.folder / name) for name in names])
        if len(keys) != len(self):
            raise ValueError(
                f"{self.folder}: {len(keys)} pair keys for {len(self)} pairs; the cache is "
                "damaged: delete its folder to rebuild it."
            )
        return keys

    def load(self) -> dict[str, torch.Tensor]:
        """Every row of every tensor, in memory (features as float32)."""
        everything = torch.arange(len(self))
        return {name: array[everything] for name, array in self.arrays().items()}


def pool_caches(members: list[FeatureCache], folder: str | Path) -> FeatureCache:
    """One cache whose rows are the rows of `members`, in order, without encoding again.

    The pooled folder holds only a manifest that names the members' shards where they are:
    keep the member folders. Members must share encoders, dtype and shapes. A folder already
    pooled from the same members is reused; pooling again after a member was rebuilt
    rewrites the manifest.
    """
    if not members:
        raise ValueError("pool_caches needs at least one cache to pool.")
    first = members[0]
    same = ("source_encoder", "target_encoder", "dtype")
    for member in members[1:]:
        differs = [name for name in same if member.key[name] != first.key[name]]
        if member.manifest["shapes"] != first.manifest["shapes"]:
            differs.append("shapes")
        if differs:
            raise ValueError(
                f"Cannot pool {member.folder} with {first.folder}: their {', '.join(differs)} "
                "differ; pool caches built by the same encoders."
            )
    folder = Path(folder)
    key = {name: first.key[name] for name in same} | {
        "format": CACHE_FORMAT,
        "pooled": [member.key for member in members],
        "count": sum(len(member) for member in members),
    }
    found = matching_cache(folder, key)
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "key": key,
        "count": key["count"],
        "shards": [
            os.path.relpath(member.folder / shard, folder)
            for member in members
            for shard in member.manifest["shards"]
        ],
        "records": [record for member in members for record in member.manifest["records"]],
        "shapes": first.manifest["shapes"],
        "origin": {"pooled": [member.manifest.get("origin") for member in members]},
    }
    if all(member.manifest.get("pair_keys") for member in members):  # every member's, in order
        manifest["pair_keys"] = [
            os.path.relpath(member.folder / name, folder)
            for member in members
            for name in member.manifest["pair_keys"]
        ]
    atomic_write_text(folder / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True))
    return FeatureCache.open(folder)


PAIR_KEYS_FILE = "pair_keys.npy"  # each pair's key, for the split by hash


def write_pair_keys(path: Path, keys: np.ndarray) -> None:
    """Keys (N,) uint64 to `path`, whole or not at all."""

    def write(temporary: Path) -> None:
        with open(temporary, "wb") as handle:  # a handle: np.save would add ".npy" to a name
            np.save(handle, keys, allow_pickle=False)

    atomic_write_file(path, write)


def read_pair_keys(path: Path) -> np.ndarray:
    """The keys written by `write_pair_keys`."""
    try:
        keys = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path}: cannot read the pair keys ({error}); rebuild the cache."
        ) from error
    return keys.astype(np.uint64, copy=False)


def matching_cache(folder: Path, key: dict[str, Any]) -> FeatureCache | None:
    """The finished cache in `folder` when it was built for `key`, else None."""
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
        for stale in [*folder.glob("shard-*"), folder / MANIFEST_FILE, folder / VERIFIED_FILE]:
            stale.unlink(missing_ok=True)
    (folder / MANIFEST_FILE).unlink(missing_ok=True)
    for leftover in folder.glob(".shard-*.tmp"):  # from a build killed mid-write
        leftover.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(build_path, json.dumps(key, indent=2, sort_keys=True))


def encoding_context(encode_precision: str, device: str | torch.device):
    """Autocast for the encoders' forward passes (bf16), or nothing (full precision)."""
    enabled = encode_precision == "bf16"
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=enabled)


def encode_pairs(
    sources: list, targets: list, source: Encoder, target: Encoder, encode_precision: str
) -> tuple[TokenFeatures, TokenFeatures]:
    """Both sides of some pairs through their encoders, as a run encodes them (without
    gradients; under bf16 autocast when `encode_precision` says so)."""
    with torch.no_grad(), encoding_context(encode_precision, getattr(source, "device", "cpu")):
        return source.encode(sources), target.encode(targets)


def _encode_shard(
    corpus: ParallelCorpus,
    indices: range,
    source: Encoder,
    target: Encoder,
    batch_size: int,
    dtype: torch.dtype,
    progress: tqdm,
    encode_precision: str = FULL_PRECISION,
) -> dict[str, torch.Tensor]:
    shard: dict[str, torch.Tensor] = {}  # each (rows, ...), filled batch by batch
    for start in range(indices.start, indices.stop, batch_size):
        stop = min(start + batch_size, indices.stop)
        source_features, target_features = encode_pairs(
            corpus.sources[start:stop], corpus.targets[start:stop], source, target, encode_precision
        )
        batch = {
            "source": source_features.hidden.to(dtype),  # (b, n_s, d_s)
            "source_mask": pack_mask(source_features.mask),  # (b, ceil(n_s / 8)) bits
            "target": target_features.hidden.to(dtype),  # (b, n_t, d_t)
            "target_mask": pack_mask(target_features.mask),  # (b, ceil(n_t / 8)) bits
        }
        if target_features.pooled is not None:
            batch["target_pooled"] = target_features.pooled.to(dtype)  # (b, p)
        for name, tensor in batch.items():
            if name not in shard:
                shard[name] = torch.empty((len(indices), *tensor.shape[1:]), dtype=tensor.dtype)
            shard[name][start - indices.start : stop - indices.start] = tensor.detach()
        progress.update(stop - start)
    return shard


def _record_path(folder: Path, index: int) -> Path:
    return folder / f"{shard_name(index)}.record.json"


def _write_shard(
    folder: Path,
    index: int,
    tensors: dict[str, torch.Tensor],
    metadata: dict[str, str],
    hasher: ThreadPoolExecutor,
) -> Future:
    """The shard to a temporary file; then, in `hasher`'s thread while the next shard is
    encoded (its bytes still in the page cache), hashed, renamed into place, its record
    beside it. The shard counts as written once renamed."""
    temporary = folder / f".{shard_name(index)}.{os.getpid()}.tmp"
    save_file(tensors, temporary, metadata=metadata)
    rows = len(next(iter(tensors.values())))

    def finish() -> None:
        record = shard_record(temporary, rows=rows)
        os.replace(temporary, folder / shard_name(index))
        atomic_write_text(_record_path(folder, index), json.dumps(record))

    return hasher.submit(finish)


def _shard_record(folder: Path, index: int) -> dict[str, Any]:
    """The record written with shard `index`, or (a build killed between the two) one made
    from the shard on disk."""
    try:
        return json.loads(_record_path(folder, index).read_text())
    except (OSError, ValueError):
        path = folder / shard_name(index)
        return shard_record(path, shard_rows(read_header(path)[0]))


def _load_weights(*encoders: Encoder) -> None:
    """Read the weights of encoders that read them on first use (they have `load`), so that
    any load messages print before the progress bar opens, not through it."""
    for encoder in encoders:
        if hasattr(encoder, "load"):
            encoder.load()


def build_cache(
    corpus: ParallelCorpus,
    source: Encoder,
    target: Encoder,
    folder: str | Path,
    batch_size: int = 64,
    shard_size: int = 4096,
    dtype: str = "float32",
    progress: bool = True,
    encode_precision: str = FULL_PRECISION,
) -> FeatureCache:
    """Encode `corpus` with both encoders into `folder`, or reuse a matching cache;
    `encode_precision` "bf16" runs the encoders under bf16 autocast.

    Runs data-parallel when launched on several processes; every process returns the cache.
    """
    if batch_size < 1 or shard_size < 1:
        raise ValueError("batch_size and shard_size must be >= 1.")
    folder = Path(folder)
    key = cache_key(corpus, source, target, dtype, shard_size, encode_precision)
    found = matching_cache(folder, key)
    if found is not None:
        logger.info("Reusing feature cache %s (%d pairs).", folder, len(found))
        for leftover in folder.glob(".shard-*.tmp"):  # from a build killed mid-write
            leftover.unlink(missing_ok=True)
        return found

    device = torch.device(getattr(source, "device", "cpu"))
    warn_if_bf16_is_slow_here(encode_precision, device)
    if device.type == "cpu":
        keep_freed_memory()  # every batch allocates the same large activations
    state = process_state()
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
    _load_weights(source, target)
    with (
        tqdm(
            total=todo_count,
            desc="encoding corpus",
            unit="pair",
            disable=not (progress and state.is_main_process),
        ) as bar,
        ThreadPoolExecutor(1, "gluegen-hasher") as hasher,
    ):
        written = []
        for k in todo:
            indices = range(k * shard_size, min((k + 1) * shard_size, len(corpus)))
            tensors = _encode_shard(
                corpus, indices, source, target, batch_size, DTYPES[dtype], bar, encode_precision
            )
            metadata = {"first": str(indices.start), "process": str(state.process_index)}
            written.append(_write_shard(folder, k, tensors, metadata, hasher))
            del tensors  # the next shard's memory, not two at once
        for job in written:
            job.result()  # a failed hash or rename stops the build here
    state.wait_for_everyone()

    if state.is_main_process:
        with safe_open(folder / shard_name(0), "pt") as first:
            shapes = {name: first.get_slice(name).get_shape()[1:] for name in first.keys()}  # noqa: SIM118
        write_pair_keys(folder / PAIR_KEYS_FILE, pair_keys(corpus.keyed_pairs()))
        manifest = {
            "key": key,
            "count": len(corpus),
            "shards": [shard_name(k) for k in range(num_shards)],
            "records": [_shard_record(folder, k) for k in range(num_shards)],
            "shapes": shapes,
            "origin": corpus.origin,
            "pair_keys": [PAIR_KEYS_FILE],
        }
        atomic_write_text(folder / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True))
        mark_verified(folder, manifest)
    state.wait_for_everyone()
    return FeatureCache.open(folder)
