"""A bridge that gathers source tokens by what they say, not by where they stand.

The paper's bridge (`blocks.MixerBlock`) routes source position i to target position j with a
fixed weight. That suits one language, whose words come in one order; one GlueNet for several
languages finds the colour word third in one caption and seventh in another. Here learned
queries, one per output slot, attend over the source tokens (multi-head cross-attention), so
a slot picks its words by their features wherever they stand.

The values stay linear in the source: a slot's output is a weighted sum of linear maps of the
tokens it picked, so combinations of known words never seen together compose.

Notation: b - batch, n - source tokens, d - widths, s - slots, h - heads, k - head width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ContentBridge(nn.Module):
    """(b, n_in, d_in) -> (b, n_out, d_out) by cross-attention from learned queries.

    Keys are the tokens' features plus a learned offset per position (zero at the start):
    content first, position only where the data ask for it.
    `layers` rounds: each round's queries read what the earlier rounds gathered, so a slot can
    look for a word given the others (a caption's template). With `slots` < n_out the queries
    fill that many slots, spread over the n_out tokens by one linear map across tokens.
    """

    def __init__(
        self,
        tokens_in: int,
        dim_in: int,
        tokens_out: int,
        dim_out: int,
        heads: int,
        head_dim: int,
        layers: int,
        slots: int = 0,
    ) -> None:
        super().__init__()
        width = heads * head_dim
        slots = slots or tokens_out
        self.heads = heads
        self.queries = nn.Parameter(torch.randn(slots, width))  # (s, h*k), normalised on use
        self.query_norms = nn.ModuleList(nn.LayerNorm(width) for _ in range(layers))
        self.keys_values = nn.ModuleList(nn.Linear(dim_in, 2 * width) for _ in range(layers))
        # (n_in, h*k): a learned key offset per source position, starting at none
        self.key_positions = nn.Parameter(torch.zeros(tokens_in, width))
        self.query_updates = nn.ModuleList(nn.Linear(width, width) for _ in range(layers - 1))
        self.out = nn.Linear(layers * width, dim_out)
        self.spread = nn.Linear(slots, tokens_out) if slots != tokens_out else None

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.heads, -1)).transpose(1, 2)  # (b, n, h*k) -> (b, h, n, k)

    def forward(self, source: torch.Tensor) -> torch.Tensor:
        """(b, n_in, d_in) -> (b, n_out, d_out)."""
        queries = self.queries.expand(source.shape[0], -1, -1)  # (b, s, h*k)
        gathered = []
        for round_, (norm, keys_values) in enumerate(
            zip(self.query_norms, self.keys_values, strict=True)
        ):
            keys, values = keys_values(source).chunk(2, dim=-1)  # (b, n_in, h*k) each
            found = F.scaled_dot_product_attention(
                self._split_heads(norm(queries)),
                self._split_heads(keys + self.key_positions),
                self._split_heads(values),
            )  # (b, h, s, k)
            found = found.transpose(1, 2).flatten(2)  # (b, s, h*k)
            gathered.append(found)
            if round_ < len(self.query_updates):
                queries = queries + self.query_updates[round_](found)
        out = self.out(torch.cat(gathered, dim=-1))  # (b, s, d_out)
        if self.spread is not None:
            out = self.spread(out.transpose(1, 2)).transpose(1, 2)  # (b, n_out, d_out)
        return out


__all__ = ["ContentBridge"]
