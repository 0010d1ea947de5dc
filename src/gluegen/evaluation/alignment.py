"""Alignment of a GlueNet on held-out pairs, measured in the generator's text space.

- mse: mean squared error between GlueNet(source) and the target, raw target units;
- mse_normalized: the same in GlueNet's normalised target space (comparable across models);
- cosine: mean cosine similarity of translated and real tokens;
- retrieval: in groups of `candidates` pairs, how often GlueNet(source_i) lies nearest
  (least MSE) to target_i among the group's targets;
- mask_accuracy (GlueNets with a mask head): share of target positions whose attention-mask
  value GlueNet predicts right;
- mean_target (when the training split's mean target is given): the same metrics of the
  predictor that always answers that mean, the floor a GlueNet must beat to have learnt.

Pairs are read and translated a chunk at a time (bounded in bytes) and the metrics kept as
running sums, so evaluating memory-mapped or sharded features of any size needs no more
memory than a chunk.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from gluegen.data.cache import FeatureCache
from gluegen.data.online import OnlineFeatures
from gluegen.data.split import split_pairs
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


def retrieval_hits(predicted: torch.Tensor, target: torch.Tensor, group: int) -> int:
    """predicted, target (N, n, d), N a multiple of `group`: how many i have target_i nearest
    among the targets of their group."""
    hits = 0
    for start in range(0, predicted.shape[0] - group + 1, group):
        p = predicted[start : start + group].flatten(1)  # (g, n*d)
        t = target[start : start + group].flatten(1)
        distances = torch.cdist(p.double(), t.double())  # (g, g)
        hits += (distances.argmin(dim=1) == torch.arange(group)).sum().item()
    return hits


def retrieval_accuracy(predicted: torch.Tensor, target: torch.Tensor, candidates: int) -> float:
    """predicted, target (N, n, d): share of i whose nearest target in its group is target_i."""
    group = min(candidates, predicted.shape[0])
    full = predicted.shape[0] // group * group
    return retrieval_hits(predicted[:full], target[:full], group) / full


EVAL_CHUNK_BYTES = 1 << 27  # raw float32 features read and translated at once (128 MiB)
FLOAT32_BYTES = 4


class _Sums:
    """Running sums of one predictor's errors over chunks of pairs, in float64."""

    def __init__(self, group: int) -> None:
        self.group = group
        self.squared = self.squared_normalized = self.cosine = 0.0
        self.elements = self.tokens = self.hits = self.grouped = 0

    def add(self, predicted: torch.Tensor, target: torch.Tensor, divisor: torch.Tensor) -> None:
        """A chunk: predicted, target (c, n_t, d_t) raw; `divisor` (n_t, d_t) normalises."""
        error = (predicted - target).double()
        self.squared += error.pow(2).sum().item()
        self.squared_normalized += (error / divisor).pow(2).sum().item()
        self.elements += error.numel()
        self.cosine += F.cosine_similarity(predicted, target, dim=-1).double().sum().item()
        self.tokens += predicted.shape[0] * predicted.shape[1]
        full = predicted.shape[0] // self.group * self.group
        self.hits += retrieval_hits(predicted[:full] / divisor, target[:full] / divisor, self.group)
        self.grouped += full

    def metrics(self) -> dict[str, float]:
        """mse, mse_normalized, cosine, retrieval of everything added."""
        return {
            "mse": self.squared / self.elements,
            "mse_normalized": self.squared_normalized / self.elements,
            "cosine": self.cosine / self.tokens,
            "retrieval": self.hits / self.grouped if self.grouped else float("nan"),
        }


def chunk_pairs(source_shape, target_shape, group: int) -> int:
    """Pairs an evaluation chunk holds: whole retrieval groups, about EVAL_CHUNK_BYTES."""
    pair_bytes = FLOAT32_BYTES * (math.prod(source_shape[1:]) + 2 * math.prod(target_shape[1:]))
    return group * max(1, EVAL_CHUNK_BYTES // (pair_bytes * group))


@torch.no_grad()
def alignment_metrics(
    gluenet: GlueNet,
    source,
    target,
    candidates: int = DEFAULT_CANDIDATES,
    target_mask=None,
    mean_target: torch.Tensor | None = None,
    ids: torch.Tensor | None = None,
) -> dict[str, float]:
    """Metrics of GlueNet on raw held-out pairs: source (N, n_s, d_s), target (N, n_t, d_t),
    and the target's attention mask (N, n_t) for a GlueNet with a mask head: tensors, or
    cached arrays read a chunk at a time (`ids`: the rows to evaluate, default all).
    `mean_target` (n_t, d_t): the training split's mean, scored as a predictor beside it."""
    ids = torch.arange(source.shape[0]) if ids is None else torch.as_tensor(ids).reshape(-1)
    if source.shape[0] != target.shape[0] or len(ids) == 0:
        raise ValueError(
            "alignment_metrics needs the same, non-zero number of sources and targets."
        )
    group = min(candidates, len(ids))
    sums, floor = _Sums(group), _Sums(group)
    divisor = (
        1.0
        / gluenet.normalize_target(torch.ones(target.shape[1:]).to(gluenet.target_token_norm)).cpu()
    )  # (n_t, d_t): what normalisation divides by
    mask_right = mask_count = 0
    size = chunk_pairs(source.shape, target.shape, group)
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        chunk_source, chunk_target = source[chunk], target[chunk].float()
        sums.add(translate_all(gluenet, chunk_source), chunk_target, divisor)
        if mean_target is not None:
            floor.add(mean_target.float().expand_as(chunk_target), chunk_target, divisor)
        if target_mask is not None and gluenet.mask_head is not None:
            predicted = translate_all(gluenet, chunk_source, translate=gluenet.translate_mask)
            right = predicted == target_mask[chunk].to(predicted.dtype)
            mask_right, mask_count = mask_right + right.sum().item(), mask_count + right.numel()
    metrics = sums.metrics() | {"retrieval_candidates": float(group), "count": float(len(ids))}
    if mask_count:
        metrics["mask_accuracy"] = mask_right / mask_count
    if mean_target is not None:
        metrics["mean_target"] = floor.metrics()
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


def held_out_sample(eval_ids: torch.Tensor, limit: int) -> torch.Tensor:
    """The held-out pairs evaluated: the first `limit` of the split (a random sample: the split
    is a seeded permutation), all of them when `limit` is 0."""
    return eval_ids[:limit] if limit else eval_ids


def evaluate_on_cache(
    gluenet_path: str | Path,
    cache: FeatureCache | OnlineFeatures,
    holdout: float | None = None,
    seed: int = 0,
    candidates: int = DEFAULT_CANDIDATES,
    limit: int = 0,
    split: str = "permutation",
) -> dict[str, float]:
    """Alignment metrics of a saved GlueNet on a cache: its held-out split (`holdout`, `seed`,
    `split`) when `holdout` (beside the training split's mean target), else every pair; at
    most `limit` pairs."""
    gluenet = GlueNet.from_pretrained(str(gluenet_path))
    arrays = cache.arrays()
    expected = (gluenet.config.source_tokens, gluenet.config.source_dim)
    if tuple(arrays["source"].shape[1:]) != expected:
        found = arrays["source"].shape
        raise ValueError(
            f"The GlueNet reads {expected[0]}x{expected[1]} source features, the cache holds "
            f"{found[1]}x{found[2]}: it was built with another source encoder."
        )
    mean_target = None
    if holdout:
        train_ids, ids = split_pairs(cache, holdout, seed, split)
        mean_target = cache.statistics(train_ids, holdout, seed, split).target_mean
    else:
        ids = torch.arange(len(cache))
    return alignment_metrics(
        gluenet,
        arrays["source"],
        arrays["target"],
        candidates=candidates,
        target_mask=arrays["target_mask"],
        mean_target=mean_target,
        ids=held_out_sample(ids, limit),
    )
