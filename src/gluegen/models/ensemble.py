"""Several GlueNets read as one: the mean of their glued tokens.

GlueNets trained on one source encoder for one generator translate into the same token space,
so their outputs can be averaged, as any ensemble of regressors: a GlueNet for one language
and one shared by several, say, which fail on different prompts. The pooled embeddings are
averaged too, and the mask is the most likely prefix under the members' mean per-token
probabilities.

Notation: b - batch, k - members, n - tokens, d - features; `_s` source, `_t` target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gluegen.models.config import IDENTITY_FIELDS, SHAPE_FIELDS, GlueNetConfig
from gluegen.models.gluenet import GlueNet, prefix_mask


class GlueNetEnsemble(nn.Module):
    """Source token features (b, n_s, d_s) -> the mean of several GlueNets' generator features
    (b, n_t, d_t). Every member must read the same source encoder and write the same
    generator's conditioning (shapes and encoder ids alike); `config` is the first member's.

    A GlueGenPipeline takes one wherever it takes a GlueNet; a list of GlueNets given for a
    key there becomes one.
    """

    def __init__(self, gluenets: Sequence[GlueNet]) -> None:
        super().__init__()
        members = list(gluenets)
        if not members:
            raise ValueError("A GlueNetEnsemble needs at least one GlueNet.")
        for i, member in enumerate(members):
            if not isinstance(member, GlueNet):
                raise ValueError(
                    f"Member {i} of the ensemble is a {type(member).__name__}: give GlueNets."
                )
        first = members[0].config
        for i, member in enumerate(members[1:], start=1):
            differences = [
                f"{name} {getattr(first, name)!r} -> {getattr(member.config, name)!r}"
                for name in SHAPE_FIELDS + IDENTITY_FIELDS
                if getattr(first, name) != getattr(member.config, name)
            ]
            if differences:
                raise ValueError(
                    f"GlueNet {i} of the ensemble differs from the first ("
                    f"{'; '.join(differences)}): average only GlueNets trained on one source "
                    "encoder for one generator."
                )
        self.members = nn.ModuleList(members)

    @classmethod
    def from_pretrained(cls, folders: Sequence[str | Path], **kwargs) -> GlueNetEnsemble:
        """The GlueNets in `folders` (folders or hub ids; `kwargs` go to each load)."""
        return cls([GlueNet.from_pretrained(folder, **kwargs) for folder in folders])

    @property
    def config(self) -> GlueNetConfig:
        """The first member's config: the shapes and encoder ids every member shares."""
        return self.members[0].config

    @property
    def device(self) -> torch.device:
        """Where the members are (the first's device)."""
        return self.members[0].device

    @torch.no_grad()
    def translate(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> the members' mean raw generator features."""
        glued = [member.translate(source.to(member.device)) for member in self.members]
        return torch.stack([g.to(self.device) for g in glued]).mean(0)  # (k, b, n_t, d_t) -> mean

    @torch.no_grad()
    def translate_pooled(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> the members' mean pooled embedding (b, p)."""
        pooled = [member.translate_pooled(source.to(member.device)) for member in self.members]
        return torch.stack([p.to(self.device) for p in pooled]).mean(0)

    @torch.no_grad()
    def translate_mask(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> the attention mask (b, n_t): the most likely
        prefix under the members' mean probability that each token is attended to."""
        logits = torch.stack(
            [
                member.mask_probability_logits(source.to(member.device)).to(self.device)
                for member in self.members
            ]
        )  # (k, b, n_t)
        count = math.log(len(self.members))
        attended = torch.logsumexp(F.logsigmoid(logits), dim=0) - count  # log mean p: (b, n_t)
        ignored = torch.logsumexp(F.logsigmoid(-logits), dim=0) - count  # log mean (1 - p)
        return prefix_mask(attended, ignored)

    def num_parameters(self) -> int:
        """Trainable parameters of every member."""
        return sum(member.num_parameters() for member in self.members)
