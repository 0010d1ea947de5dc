"""Which pairs of a corpus train and which are held out: a property of the data, shared by the
training loop and every later evaluation of the run."""

from __future__ import annotations

import torch


def split_indices(count: int, holdout: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded permutation of range(count) cut into (train, held-out)."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    held = min(count - 1, max(1, round(count * holdout))) if holdout > 0 else 0
    return order[held:], order[:held]
