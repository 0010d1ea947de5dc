"""Which pairs of a corpus train and which are held out: a property of the data, shared by the
training loop and every later evaluation of the run.

Two ways (`TrainConfig.split_by`, `--split-by`):
- "permutation": a seeded permutation of the corpus's rows, cut at the held-out share;
- "hash": each pair by a hash of its two texts (`pair_keys`), mixed with the seed: a pair is
  held out or not whatever the corpus's order or size, so a corpus that grows, is re-shuffled
  or re-exported keeps its held-out pairs, and its evaluations stay comparable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from gluegen.data.corpus import length_prefixed

SPLITS = ("permutation", "hash")
KEY_BYTES = 8  # a pair's key: the first 8 bytes of BLAKE2b over its length-prefixed texts
GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment: mixes the seed into the keys


def split_indices(count: int, holdout: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded permutation of range(count) cut into (train, held-out)."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    held = min(count - 1, max(1, round(count * holdout))) if holdout > 0 else 0
    return order[held:], order[:held]


def pair_keys(pairs: Iterable[tuple[str, str]]) -> np.ndarray:
    """(N,) uint64: each (source, target) pair's key, from its content alone (a sound file's
    identity where the source is a sound, `corpus.sound_identities`)."""
    keys = []
    for source, target in pairs:
        digest = hashlib.blake2b(
            length_prefixed(source) + length_prefixed(target), digest_size=KEY_BYTES
        )
        keys.append(int.from_bytes(digest.digest(), "little"))
    return np.array(keys, dtype=np.uint64)


def _unit(keys: np.ndarray, seed: int) -> np.ndarray:
    """Each key, mixed with `seed` (splitmix64's finaliser), as a number in [0, 1)."""
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as splitmix64 means it to
        x = keys + np.uint64(seed % 2**64) * GOLDEN
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / 2.0**53


def hash_split(keys: np.ndarray, holdout: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) row indices: a pair is held out when its mixed key falls below
    `holdout` (about that share; at least one pair either side, as the permutation keeps)."""
    unit = _unit(keys, seed)
    held = unit < holdout if holdout > 0 else np.zeros(len(keys), dtype=bool)
    if holdout > 0 and not held.any():
        held[np.argmin(unit)] = True
    if held.all() and len(keys) > 1:
        held[np.argmax(unit)] = False
    rows = torch.arange(len(keys))
    mask = torch.from_numpy(held)
    return rows[~mask], rows[mask]


def split_pairs(
    features: Any, holdout: float, seed: int, how: str = "permutation"
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) rows of a cache or online features, split `how` (SPLITS)."""
    if how not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {how!r}")
    if how == "permutation":
        return split_indices(len(features), holdout, seed)
    return hash_split(features.pair_keys(), holdout, seed)
