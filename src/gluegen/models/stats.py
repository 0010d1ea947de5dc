"""Feature statistics measured from data, never pasted as literals.

GlueNet divides both sides by the same fraction (the paper's one half) of these norms, so
that normalised source and target tokens have comparable norms and the loss terms keep the
balance the paper's weights assume.

The paper divides XLM-R features by 3 and CLIP features, token by token, by half of a
77-number table of per-position norms measured on CLIP outputs. Here both are measured
from the feature cache and stored with the GlueNet checkpoint:

- `source_token_norm`: mean L2 norm of a source token (a scalar, over all positions);
- `target_token_norm`: mean L2 norm of the target feature at each token position, (n_t,);
- `target_pooled_norm`: mean L2 norm of the pooled target vector, where there is one;
- `target_mean`: the mean target feature at each position, (n_t, d_t) (the starting value
  of a GlueNet's learned output offset, `GlueNetConfig.target_offset`);
- `source_mean`, `source_std`: mean and standard deviation of each source channel, (d_s,)
  (for `GlueNetConfig.standardize_source`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch


@dataclass
class FeatureStatistics:
    """Measured scales of the source and target feature spaces."""

    source_token_norm: float
    target_token_norm: torch.Tensor  # (n_t,)
    target_pooled_norm: float | None = None
    count: int = 0
    target_mean: torch.Tensor | None = None  # (n_t, d_t)
    source_mean: torch.Tensor | None = None  # (d_s,)
    source_std: torch.Tensor | None = None  # (d_s,)

    def is_finite(self) -> bool:
        """True when no statistic is NaN or infinite (features with NaN make all of them NaN)."""
        values = [
            torch.as_tensor(v, dtype=torch.float64) for v in vars(self).values() if v is not None
        ]
        return all(bool(torch.isfinite(v).all()) for v in values)

    @classmethod
    def measure(
        cls,
        batches: Iterable[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]],
    ) -> FeatureStatistics:
        """Accumulate over (source (b, n_s, d_s), target (b, n_t, d_t), pooled (b, p) | None)."""
        source_norm_sum, source_tokens = 0.0, 0
        # running sums; each becomes a tensor at the first batch
        channel_sum = channel_squares = 0.0  # (d_s,)
        token_norm_sum = 0.0  # (n_t,)
        target_sum = 0.0  # (n_t, d_t)
        pooled_norm_sum, count = 0.0, 0
        has_pooled = False
        for source, target, pooled in batches:
            source, target = source.double(), target.double()
            source_norm_sum += source.norm(dim=-1).sum().item()
            source_tokens += source.shape[0] * source.shape[1]
            tokens = source.flatten(0, 1)  # (b * n_s, d_s)
            channel_sum = channel_sum + tokens.sum(dim=0)
            channel_squares = channel_squares + tokens.pow(2).sum(dim=0)
            token_norm_sum = token_norm_sum + target.norm(dim=-1).sum(dim=0)
            target_sum = target_sum + target.sum(dim=0)
            if pooled is not None:
                has_pooled = True
                pooled_norm_sum += pooled.double().norm(dim=-1).sum().item()
            count += target.shape[0]
        if count == 0:
            raise ValueError("Cannot measure feature statistics from an empty corpus.")
        source_token_norm = source_norm_sum / source_tokens
        if source_token_norm == 0.0:
            raise ValueError("The source features are all zero; check the source encoder.")
        source_mean = channel_sum / source_tokens
        source_var = (channel_squares / source_tokens - source_mean.pow(2)).clamp_min(0.0)
        return cls(
            source_token_norm=source_token_norm,
            target_token_norm=(token_norm_sum / count).float(),
            target_pooled_norm=pooled_norm_sum / count if has_pooled else None,
            count=count,
            target_mean=(target_sum / count).float(),
            source_mean=source_mean.float(),
            source_std=source_var.sqrt().float(),
        )
