"""Baselines a GlueNet is measured against.

`LinearMap`: the least-squares linear map from a source encoder's flattened token features (or
its summary: the mean of its first summary tokens, as an audio transformer pools them) to the
generator's flattened text features, fitted in closed form (ridge) on a feature cache. It is
what "is a network needed at all?" asks for. It reads and writes raw features, like
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
ALL_TOKENS = 0  # `summary_tokens` meaning: read every source token, flattened


def read_source(source: torch.Tensor, summary_tokens: int = ALL_TOKENS) -> torch.Tensor:
    """Source features (b, n_s, d_s) -> what a linear map reads: every token flattened
    (b, n_s * d_s), or the mean of the first `summary_tokens` (b, d_s)."""
    if not 0 <= summary_tokens <= source.shape[1]:
        raise ValueError(
            f"summary_tokens must be in 0..{source.shape[1]} (the source's tokens; "
            f"{ALL_TOKENS}: all of them, flattened), got {summary_tokens}"
        )
    if summary_tokens == ALL_TOKENS:
        return source.flatten(1)
    return source[:, :summary_tokens].mean(dim=1)


class LinearMap:
    """target ≈ read_source(source) @ weight + bias, reshaped to (n_t, d_t)."""

    FILE = "linear.safetensors"

    def __init__(
        self,
        weight: torch.Tensor,
        bias: torch.Tensor,
        target_shape: tuple[int, int],
        summary_tokens: int = ALL_TOKENS,
    ):
        self.weight = weight  # (n_s * d_s or d_s, n_t * d_t)
        self.bias = bias  # (n_t * d_t,)
        self.target_shape = tuple(target_shape)
        self.summary_tokens = summary_tokens

    @classmethod
    def fit(
        cls,
        cache: FeatureCache,
        ids: torch.Tensor | None = None,
        ridge: float = RIDGE,
        summary_tokens: int = ALL_TOKENS,
    ) -> LinearMap:
        """Least squares on the cache rows `ids` (all when None), with ridge regularisation,
        reading every source token or the mean of the first `summary_tokens`."""
        arrays = cache.arrays()
        ids = torch.arange(len(cache)) if ids is None else ids
        if len(ids) == 0:
            raise ValueError("No pairs to fit a linear map on.")
        if ridge <= 0:
            raise ValueError(f"ridge must be > 0 (a fraction of the mean eigenvalue), got {ridge}")
        target_shape = tuple(arrays["target"][ids[:1]].shape[1:])
        width_s = read_source(arrays["source"][ids[:1]], summary_tokens).shape[1]
        width_t = target_shape[0] * target_shape[1]  # n_t * d_t
        gram = torch.zeros(width_s, width_s, dtype=torch.float64)
        cross = torch.zeros(width_s, width_t, dtype=torch.float64)
        source_sum = torch.zeros(width_s, dtype=torch.float64)
        target_sum = torch.zeros(width_t, dtype=torch.float64)
        for start in range(0, len(ids), FIT_CHUNK):
            rows = ids[start : start + FIT_CHUNK]
            x = read_source(arrays["source"][rows], summary_tokens).double()  # (r, width_s)
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
        return cls(weight.float(), bias.float(), target_shape, summary_tokens)

    def translate(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> raw target features (b, n_t, d_t)."""
        read = read_source(source, self.summary_tokens).to(self.weight)
        return (read @ self.weight + self.bias).reshape(len(source), *self.target_shape)

    def save_pretrained(self, folder: str | Path) -> None:
        """Write folder/linear.safetensors atomically."""
        tensors = {
            "weight": self.weight.contiguous(),
            "bias": self.bias,
            "target_shape": torch.tensor(self.target_shape),
            "summary_tokens": torch.tensor(self.summary_tokens),
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
        # maps written before summaries were read hold no summary_tokens: they read every token
        summary = int(tensors["summary_tokens"]) if "summary_tokens" in tensors else ALL_TOKENS
        shape = tuple(tensors["target_shape"].tolist())
        return cls(tensors["weight"], tensors["bias"], shape, summary)


__all__ = ["ALL_TOKENS", "LinearMap", "read_source"]
