"""Feature statistics of a cache's training split: measured once, kept beside the cache.

A pass over the training split measures what GlueNet normalises by (`FeatureStatistics`).
It reads the split in chunks bounded in bytes, so its memory does not grow with the corpus
or the feature width, and it runs once per cache and split: the result is saved in the cache
folder (`statistics-<key>.safetensors`, named by the cache's content and the split), so a
resumed run, a second run on the same split and `gluegen evaluate` read it instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from gluegen.io import atomic_write_file
from gluegen.models.stats import FeatureStatistics

logger = logging.getLogger(__name__)

STATS_CHUNK_PAIRS = 1024  # pairs per chunk at most
STATS_CHUNK_BYTES = 1 << 26  # float64 source features per chunk at most (64 MiB)
FLOAT64_BYTES = 8


def chunk_pairs(tensors: dict) -> int:
    """Pairs a statistics chunk holds: STATS_CHUNK_PAIRS, fewer where features are wide."""
    tokens, width = tensors["source"].shape[1:]
    return max(1, min(STATS_CHUNK_PAIRS, STATS_CHUNK_BYTES // (tokens * width * FLOAT64_BYTES)))


def measure_statistics(tensors: dict, indices: torch.Tensor) -> FeatureStatistics:
    """Feature statistics of the pairs at `indices`, read a chunk at a time."""
    pooled = tensors.get("target_pooled")
    size = chunk_pairs(tensors)

    def chunks():
        for i in range(0, len(indices), size):
            chunk = indices[i : i + size]
            yield (
                tensors["source"][chunk],
                tensors["target"][chunk],
                None if pooled is None else pooled[chunk],
            )

    return FeatureStatistics.measure(chunks())


def statistics_path(folder: Path, manifest: dict, *split: object) -> Path:
    """Where the statistics of a cache's split live: named by the shards' content and the
    split (holdout, seed, and how where it is not the permutation), so a rebuilt cache or
    another split never reads them."""
    checksums = [record["sha256"] for record in manifest.get("records", [])]
    identity = json.dumps([manifest["key"], checksums, *split], sort_keys=True)
    return folder / f"statistics-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.safetensors"


def _to_tensors(stats: FeatureStatistics) -> dict[str, torch.Tensor]:
    """Every statistic as a tensor (scalars in float64, as they were measured)."""
    return {
        name: torch.as_tensor(value, dtype=torch.float64 if isinstance(value, float) else None)
        for name, value in vars(stats).items()
        if value is not None
    }


def _from_tensors(tensors: dict[str, torch.Tensor]) -> FeatureStatistics:
    """The inverse of `_to_tensors`."""
    values = {}
    for name, tensor in tensors.items():
        if tensor.dim() == 0:
            values[name] = int(tensor) if name == "count" else float(tensor)
        else:
            values[name] = tensor
    return FeatureStatistics(**values)


def split_statistics(
    folder: Path, manifest: dict, tensors: dict, train_ids: torch.Tensor, *split: object
) -> FeatureStatistics:
    """The training split's statistics: read from the cache folder, or measured and saved;
    `split`: what names it (holdout, seed[, how])."""
    path = statistics_path(folder, manifest, *split)
    if path.is_file():
        try:
            stats = _from_tensors(load_file(path))
            if stats.count == len(train_ids):
                return stats
        except Exception as error:  # noqa: BLE001 - a damaged file is measured again
            logger.warning("%s could not be read (%s); measuring again.", path, error)
    stats = measure_statistics(tensors, train_ids)
    if _is_first_process():  # every process measures the same; one keeps it
        _keep(stats, path)
    return stats


def _is_first_process() -> bool:
    distributed = torch.distributed
    return not (distributed.is_available() and distributed.is_initialized()) or (
        distributed.get_rank() == 0
    )


def _keep(stats: FeatureStatistics, path: Path) -> None:
    """Write the statistics to `path` whole or not at all; a folder that cannot be written
    (a read-only cache) is said and the run goes on (measuring again next time)."""
    try:
        atomic_write_file(path, lambda temporary: save_file(_to_tensors(stats), temporary))
    except OSError as error:
        logger.warning("Could not keep the statistics in %s (%s).", path.parent, error)
