"""Alignment of a GlueNet on held-out pairs, measured in the generator's text space.

- mse: mean squared error between GlueNet(source) and the target, raw target units;
- mse_normalized: the same in GlueNet's normalised target space (comparable across models);
- cosine: mean cosine similarity of translated and real tokens;
- retrieval: in groups of `candidates` pairs, how often GlueNet(source_i) lies nearest
  (least MSE) to target_i among the group's targets;
- mask_accuracy (GlueNets with a mask head): share of target positions whose attention-mask
  value GlueNet predicts right.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gluegen.data.cache import FeatureCache
from gluegen.data.split import split_indices
from gluegen.models import GlueNet
from gluegen.training.config import DEFAULT_CANDIDATES


@torch.no_grad()
def translate_all(
    gluenet: GlueNet, source: torch.Tensor, batch_size: int = 256, translate=None
) -> torch.Tensor:
    """Raw source (N, n_s, d_s) -> raw translated target (N, n_t, d_t), in batches, as float;
    `translate` another of GlueNet's outputs instead (e.g. `gluenet.translate_mask`)."""
    translate = translate or gluenet.translate
    device = gluenet.source_token_norm.device
    was_training = gluenet.training
    gluenet.eval()
    parts = [
        translate(source[i : i + batch_size].to(device)).float().cpu()
        for i in range(0, source.shape[0], batch_size)
    ]
    gluenet.train(was_training)
    return torch.cat(parts)


def retrieval_accuracy(predicted: torch.Tensor, target: torch.Tensor, candidates: int) -> float:
    """predicted, target (N, n, d): share of i whose nearest target in its group is target_i."""
    count = predicted.shape[0]
    group = min(candidates, count)
    correct, total = 0, 0
    for start in range(0, count - group + 1, group):
        p = predicted[start : start + group].flatten(1)  # (g, n*d)
        t = target[start : start + group].flatten(1)
        distances = torch.cdist(p.double(), t.double())  # (g, g)
        correct += (distances.argmin(dim=1) == torch.arange(group)).sum().item()
        total += group
    return correct / total


@torch.no_grad()
def alignment_metrics(
    gluenet: GlueNet,
    source: torch.Tensor,
    target: torch.Tensor,
    candidates: int = DEFAULT_CANDIDATES,
    target_mask: torch.Tensor | None = None,
) -> dict[str, float]:
    """Metrics of GlueNet on raw held-out pairs: source (N, n_s, d_s), target (N, n_t, d_t),
    and the target's attention mask (N, n_t) for a GlueNet with a mask head."""
    if source.shape[0] != target.shape[0] or source.shape[0] == 0:
        raise ValueError(
            "alignment_metrics needs the same, non-zero number of sources and targets."
        )
    predicted = translate_all(gluenet, source)  # (N, n_t, d_t)
    target = target.float()
    divisor = gluenet.normalize_target(
        torch.ones_like(target[0]).to(gluenet.target_token_norm)
    ).cpu()
    divisor = 1.0 / divisor  # (n_t, d_t): what normalisation divides by
    metrics = {
        "mse": F.mse_loss(predicted, target).item(),
        "mse_normalized": F.mse_loss(predicted / divisor, target / divisor).item(),
        "cosine": F.cosine_similarity(predicted, target, dim=-1).mean().item(),
        "retrieval": retrieval_accuracy(predicted / divisor, target / divisor, candidates),
        "retrieval_candidates": float(min(candidates, source.shape[0])),
        "count": float(source.shape[0]),
    }
    if target_mask is not None and gluenet.mask_head is not None:
        predicted_mask = translate_all(gluenet, source, translate=gluenet.translate_mask)
        right = predicted_mask == target_mask.to(predicted_mask.dtype)
        metrics["mask_accuracy"] = right.float().mean().item()
    return metrics


TABLE_COLUMNS = ("mse", "mse_normalized", "cosine", "retrieval")
OPTIONAL_COLUMNS = ("mask_accuracy",)  # where a GlueNet has the head


def metrics_table(title: str, rows: dict[str, dict[str, float]]) -> str:
    """A plain-text table: one row per model, alignment metrics as columns."""
    columns = TABLE_COLUMNS + tuple(
        c for c in OPTIONAL_COLUMNS if any(c in metrics for metrics in rows.values())
    )
    lines = ["", title, f"{'':24}" + "".join(f"{c:>16}" for c in columns)]
    for name, metrics in rows.items():
        values = "".join(f"{metrics.get(c, float('nan')):>16.4f}" for c in columns)
        lines.append(f"{name:24}{values}")
    return "\n".join(lines)


def evaluate_on_cache(
    gluenet_path: str | Path,
    cache: FeatureCache,
    holdout: float | None = None,
    seed: int = 0,
    candidates: int = DEFAULT_CANDIDATES,
) -> dict[str, float]:
    """Alignment metrics of a saved GlueNet on a cache (its held-out split when `holdout`)."""
    gluenet = GlueNet.from_pretrained(str(gluenet_path))
    arrays = cache.arrays()
    ids = split_indices(len(cache), holdout, seed)[1] if holdout else torch.arange(len(cache))
    source, target = arrays["source"][ids], arrays["target"][ids]
    expected = (gluenet.config.source_tokens, gluenet.config.source_dim)
    if tuple(source.shape[1:]) != expected:
        raise ValueError(
            f"The GlueNet reads {expected[0]}x{expected[1]} source features, the cache holds "
            f"{source.shape[1]}x{source.shape[2]}: it was built with another source encoder."
        )
    mask = arrays["target_mask"][ids]
    return alignment_metrics(gluenet, source, target, candidates=candidates, target_mask=mask)
