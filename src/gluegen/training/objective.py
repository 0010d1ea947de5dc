"""The GlueGen training objective: alignment, reconstruction and adversarial terms.

Notation: b - batch, n - tokens, d - features; `_s` source, `_t` target, `_m` mixer view.
All features here are *normalised* (GlueNet.normalize_source / normalize_target).

- alignment: token-weighted MSE between GlueNet(source) and the target;
- reconstruction: a mirror decoder maps GlueNet's output back to the source, MSE;
- adversarial: a token-wise discriminator tells translated tokens from real target tokens;
  a gradient-reversal layer in front of it makes GlueNet fool it.
Only GlueNet is kept after training; decoder and discriminator are discarded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from gluegen.models import GlueNet, GlueNetConfig
from gluegen.training.config import ObjectiveWeights

GLUED_LABEL, REAL_LABEL = 0, 1


def decoder_config(config: GlueNetConfig) -> GlueNetConfig:
    """The training decoder's config: GlueNet's target space -> the mixer's view of the source.

    It reads GlueNet's normalised output (nothing to standardise) and routes all channels
    alike by position, as the paper's decoder.
    """
    n_m, d_m = config.mixer_shape
    return dataclasses.replace(
        config,
        source_tokens=config.target_tokens,
        source_dim=config.target_dim,
        target_tokens=n_m,
        target_dim=d_m,
        mixer_tokens=None,
        mixer_dim=None,
        pooled_dim=None,
        target_mask=False,
        bridge_token_groups=1,
        attention_heads=0,
        attention_slots=0,
        standardize_source=False,
        source_encoder=config.target_encoder,
        target_encoder=config.source_encoder,
    )


class GradientReversal(torch.autograd.Function):
    """Identity forward; multiplies the gradient by -factor backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, factor: float) -> torch.Tensor:  # noqa: D102
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: D102
        return -ctx.factor * grad, None


def reverse_gradient(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Gradient-reversal layer: x forward, -factor * grad backward."""
    return GradientReversal.apply(x, factor)


class TokenDiscriminator(nn.Sequential):
    """One token (…, d_t) -> logits of (glued, real): Linear d->d/4, BatchNorm, ReLU, Linear->2."""

    HIDDEN_FRACTION = 0.25  # the paper's discriminator width, d_t / 4

    def __init__(self, dim: int) -> None:
        hidden = max(1, int(dim * self.HIDDEN_FRACTION))
        super().__init__(
            nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, 2)
        )


def mean_over_processes(mean: torch.Tensor) -> torch.Tensor:
    """A batch statistic averaged over the processes of a data-parallel run (their shares of
    the global batch are equal), unchanged in a single process."""
    distributed = torch.distributed
    if not (distributed.is_available() and distributed.is_initialized()):
        return mean
    world = distributed.get_world_size()
    if world == 1:
        return mean
    total = mean.detach().clone()
    distributed.all_reduce(total)
    return total / world


def alignment_token_weights(target: torch.Tensor) -> torch.Tensor:
    """Per-position weights (n_t,) from a batch of raw target features (b, n_t, d_t).

    The batch-mean feature of each position, its mean absolute difference to the last
    position's, normalised to mean 1; the last weight (zero by construction) is set to the
    mean of the two before it. Positions that differ from padding weigh more. Data-parallel,
    the batch is the global one (every process's share), as one process would see it.
    """
    mean = mean_over_processes(target.mean(dim=0))  # (n_t, d_t)
    weights = (mean - mean[-1]).abs().mean(dim=-1)  # (n_t,)
    weights = weights / weights.mean().clamp_min(torch.finfo(weights.dtype).tiny)
    if weights.shape[0] >= 3:
        weights[-1] = (weights[-2] + weights[-3]) / 2
    return weights.detach()


class GlueObjective(nn.Module):
    """GlueNet plus the training-only parts (decoder, discriminator); returns the loss terms.

    One module, so that data-parallel training wraps and synchronises all three at once.
    """

    def __init__(self, gluenet: GlueNet, weights: ObjectiveWeights | None = None) -> None:
        super().__init__()
        self.weights = weights or ObjectiveWeights()
        self.gluenet = gluenet
        # the decoder and the discriminator exist only where their losses count: at 4096-wide
        # targets the decoder would be several times GlueNet's size, and data-parallel training
        # refuses parameters that no loss reaches
        has_decoder = self.weights.reconstruction > 0
        self.decoder = GlueNet(decoder_config(gluenet.config)) if has_decoder else None
        has_discriminator = self.weights.adversarial > 0
        self.discriminator = (
            TokenDiscriminator(gluenet.config.target_dim) if has_discriminator else None
        )

    def align_loss(
        self, glued: torch.Tensor, target: torch.Tensor, token_weights: torch.Tensor
    ) -> torch.Tensor:
        """Token-weighted MSE; glued, target (b, n_t, d_t), token_weights (n_t,)."""
        squared = (glued - target).pow(2) * token_weights[None, :, None]
        return self.weights.align * squared.mean()

    def reconstruction_loss(self, glued: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
        """MSE between decoder(glued) (b, n_m, d_m) and the source folded to the mixer shape."""
        rebuilt = self.decoder(glued)
        return self.weights.reconstruction * F.mse_loss(rebuilt, source.reshape(rebuilt.shape))

    def adversarial_loss(self, glued: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Summed NLL of the discriminator over glued and real tokens (each (b, n_t, d_t)).

        The discriminator minimises it; the reversal layer makes GlueNet maximise it.
        """
        glued_tokens = reverse_gradient(glued, self.weights.reversal).flatten(0, 1)  # (b*n, d)
        real_tokens = target.flatten(0, 1)
        logits = self.discriminator(torch.cat([glued_tokens, real_tokens]))  # (2*b*n, 2)
        labels = torch.cat(
            [
                torch.full((glued_tokens.shape[0],), GLUED_LABEL, device=logits.device),
                torch.full((real_tokens.shape[0],), REAL_LABEL, device=logits.device),
            ]
        )
        nll = F.cross_entropy(logits, labels, reduction="none")
        half = glued_tokens.shape[0]
        return self.weights.adversarial * (nll[:half].mean() + nll[half:].mean())

    def forward(
        self,
        source: torch.Tensor,
        target: torch.Tensor,
        target_pooled: torch.Tensor | None = None,
        target_mask: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Named, weighted loss terms for normalised source (b, n_s, d_s), target (b, n_t, d_t).

        target_pooled (b, p) is the normalised pooled target, for GlueNets with a pooled head;
        target_mask (b, n_t) the generator's attention mask, for GlueNets with a mask head.
        """
        gluenet = self.gluenet
        glued = gluenet(source)  # (b, n_t, d_t)
        token_weights = alignment_token_weights(gluenet.denormalize_target(target))
        terms = {"align_loss": self.align_loss(glued, target, token_weights)}
        if self.weights.reconstruction > 0:
            terms["rec_loss"] = self.reconstruction_loss(glued, source)
        if self.weights.adversarial > 0:
            terms["adv_loss"] = self.adversarial_loss(glued, target)
        if target_pooled is not None and gluenet.pooled_head is not None:
            pooled = gluenet.pool(glued)
            terms["pooled_loss"] = self.weights.pooled * F.mse_loss(pooled, target_pooled)
        if target_mask is not None and gluenet.mask_head is not None:
            logits = gluenet.mask_logits(glued)  # (b, n_t)
            mask_loss = F.binary_cross_entropy_with_logits(logits, target_mask.to(logits.dtype))
            terms["mask_loss"] = self.weights.mask * mask_loss
        return terms


def head_targets(
    rows: dict[str, torch.Tensor], gluenet: GlueNet, device: torch.device
) -> dict[str, torch.Tensor]:
    """What GlueNet's optional heads learn, from a batch's `rows` as stored: the normalised
    pooled target (b, p), the attention mask (b, n_t)."""
    targets = {}
    if gluenet.pooled_head is not None and "target_pooled" in rows:
        pooled = rows["target_pooled"].to(device).float()
        targets["target_pooled"] = pooled / gluenet.target_pooled_norm
    if gluenet.mask_head is not None:
        targets["target_mask"] = rows["target_mask"].to(device)
    return targets


def head_names(gluenet: GlueNet, available: Iterable[str]) -> list[str]:
    """The tensors a step reads for `gluenet`: features, and what its heads learn."""
    names = ["source", "target"]
    if gluenet.pooled_head is not None and "target_pooled" in available:
        names.append("target_pooled")
    if gluenet.mask_head is not None:
        names.append("target_mask")
    return names
