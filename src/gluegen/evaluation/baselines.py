"""Baselines a GlueNet is measured against.

`LinearMap`: the least-squares linear map from a source encoder's flattened token features to
the generator's flattened text features, fitted in closed form (ridge) on a feature cache. It
is what "is a network needed at all?" asks for. It reads and writes raw features, like
`GlueNet.translate`, so the two are drawn from the same way.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

from gluegen.checkpoints import read_tensors
from gluegen.data.cache import FeatureCache
from gluegen.io import atomic_write_folder

RIDGE = 1e-3  # regularisation, a fraction of the mean eigenvalue of the source Gram matrix
FIT_CHUNK = 1024  # rows of the cache read at a time while accumulating the normal equations


class LinearMap:
    """target ≈ source.flatten() @ weight + bias, reshaped to (n_t, d_t)."""

    FILE = "linear.safetensors"

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, target_shape: tuple[int, int]):
        self.weight = weight  # (n_s * d_s, n_t * d_t)
        self.bias = bias  # (n_t * d_t,)
        self.target_shape = tuple(target_shape)

    @classmethod
    def fit(
        cls, cache: FeatureCache, ids: torch.Tensor | None = None, ridge: float = RIDGE
    ) -> LinearMap:
        """Least squares on the cache rows `ids` (all when None), with ridge regularisation."""
        arrays = cache.arrays()
        ids = torch.arange(len(cache)) if ids is None else ids
        if len(ids) == 0:
            raise ValueError("No pairs to fit a linear map on.")
        target_shape = tuple(arrays["target"][ids[:1]].shape[1:])
        width_s = arrays["source"][ids[:1]].flatten(1).shape[1]  # n_s * d_s
        width_t = target_shape[0] * target_shape[1]  # n_t * d_t
        gram = torch.zeros(width_s, width_s, dtype=torch.float64)
        cross = torch.zeros(width_s, width_t, dtype=torch.float64)
        source_sum = torch.zeros(width_s, dtype=torch.float64)
        target_sum = torch.zeros(width_t, dtype=torch.float64)
        for start in range(0, len(ids), FIT_CHUNK):
            rows = ids[start : start + FIT_CHUNK]
            x = arrays["source"][rows].flatten(1).double()  # (r, n_s * d_s)
            y = arrays["target"][rows].flatten(1).double()  # (r, n_t * d_t)
            gram += x.T @ x
            cross += x.T @ y
            source_sum += x.sum(0)
            target_sum += y.sum(0)
        count = len(ids)
        source_mean, target_mean = source_sum / count, target_sum / count
        # centre: the bias takes the means, the weight the covariances
        gram = gram - count * torch.outer(source_mean, source_mean)
        cross = cross - count * torch.outer(source_mean, target_mean)
        strength = ridge * gram.diagonal().mean().clamp_min(1e-12)
        gram = gram + strength * torch.eye(gram.shape[0], dtype=gram.dtype)
        weight = torch.linalg.solve(gram, cross)
        bias = target_mean - source_mean @ weight
        return cls(weight.float(), bias.float(), target_shape)

    def translate(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> raw target features (b, n_t, d_t)."""
        flat = source.flatten(1).to(self.weight) @ self.weight + self.bias
        return flat.reshape(len(source), *self.target_shape)

    def save_pretrained(self, folder: str | Path) -> None:
        """Write folder/linear.safetensors atomically."""
        tensors = {
            "weight": self.weight.contiguous(),
            "bias": self.bias,
            "target_shape": torch.tensor(self.target_shape),
        }
        atomic_write_folder(Path(folder), lambda tmp: save_file(tensors, str(tmp / self.FILE)))

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> LinearMap:
        """Load a map written by `save_pretrained`."""
        what = f"the linear map in {folder}"
        tensors = read_tensors(Path(folder) / cls.FILE, what)
        missing = sorted({"weight", "bias", "target_shape"} - set(tensors))
        if missing:
            raise ValueError(f"{what} lacks {missing}: write it again with save_pretrained.")
        return cls(tensors["weight"], tensors["bias"], tuple(tensors["target_shape"].tolist()))


__all__ = ["LinearMap"]
