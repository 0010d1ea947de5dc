"""The building blocks of a GlueNet (method.md): MLPs, per-group linear maps, mixer blocks.

Notation: b - batch, n - tokens, d - features (channels), r - rows of a linear map's input.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {"gelu": nn.GELU, "identity": nn.Identity}  # by GlueNetConfig.activation


class GroupedLinear(nn.Module):
    """A linear map of the last axis with its own weights per group of rows.

    (b, r, in) -> (b, r, out), the r rows split into `groups` equal groups. A token MLP sees
    the channels as rows: with one group per channel every channel is routed across tokens
    in its own way (the paper's token MLP: one group, the same routing for all channels).
    """

    def __init__(self, dim_in: int, dim_out: int, groups: int) -> None:
        super().__init__()
        self.groups = groups
        bound = dim_in**-0.5
        self.weight = nn.Parameter(torch.empty(groups, dim_in, dim_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(groups, 1, dim_out).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(b, r, in) -> (b, r, out)."""
        b, rows, width = x.shape
        x = x.reshape(b, self.groups, rows // self.groups, width)  # (b, g, r/g, in)
        y = torch.einsum("bgri,gio->bgro", x, self.weight) + self.bias
        return y.reshape(b, rows, -1)


class TokenContext(nn.Module):
    """Each token plus a learned linear map of itself and its `reach` neighbours on each side,
    the same at every position (a convolution across tokens): (b, n, d) -> (b, n, d).

    A tokenizer splits words into pieces that other words share ("Rand" and "Raute" both start
    with "Ra"); read one piece at a time, the shared piece says the wrong word. Its neighbours
    tell them apart wherever the word stands. Zero at the start: a fresh GlueNet reads as
    without it, and no random draw is spent on it.
    """

    def __init__(self, dim: int, reach: int) -> None:
        super().__init__()
        self.reach = reach
        self.weight = nn.Parameter(torch.zeros(dim, dim, 2 * reach + 1))  # (out, in, window)
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(b, n, d) -> (b, n, d)."""
        mixed = F.conv1d(x.transpose(1, 2), self.weight, self.bias, padding=self.reach)
        return x + mixed.transpose(1, 2)


class MLP(nn.Sequential):
    """in -> mult*in -> mult*in -> out, the activation between, LayerNorm after each linear
    if `norm`.

    With `groups` > 1 every linear is a `GroupedLinear` (rows routed per group).
    """

    def __init__(
        self,
        dim_in: int,
        dim_out: int,
        mult: float,
        norm: bool,
        end_activation: bool = False,
        activation: str = "gelu",
        groups: int = 1,
    ) -> None:
        hidden = int(dim_in * mult)
        linear = nn.Linear if groups == 1 else partial(GroupedLinear, groups=groups)
        layers: list[nn.Module] = []
        for width_in, width_out in ((dim_in, hidden), (hidden, hidden), (hidden, dim_out)):
            layers.append(linear(width_in, width_out))
            if norm:
                layers.append(nn.LayerNorm(width_out))
            layers.append(ACTIVATIONS[activation]())
        if not end_activation:
            layers.pop()  # no activation after the last linear
        super().__init__(*layers)


class MixerBlock(nn.Module):
    """A channel MLP on every token and, unless `mix_tokens` is False, a token MLP across
    tokens.

    (b, n_in, d_in) -> (b, n_out, d_out). With `residual`, each MLP adds its input back
    (only possible when that MLP keeps its size).
    """

    def __init__(
        self,
        tokens_in: int,
        dim_in: int,
        tokens_out: int,
        dim_out: int,
        mult: float,
        norm: bool = True,
        residual: bool = True,
        mix_order: str = "channels_first",
        end_activation: bool = False,
        activation: str = "gelu",
        token_groups: int = 1,
        mix_tokens: bool = True,
    ) -> None:
        super().__init__()
        if residual and (tokens_in, dim_in) != (tokens_out, dim_out):
            raise ValueError("A residual mixer block must keep its shape.")
        if not mix_tokens and tokens_in != tokens_out:
            raise ValueError("A block that does not mix tokens cannot change their number.")
        self.residual = residual
        self.tokens_first = mix_order == "tokens_first"
        self.channel_mlp = MLP(dim_in, dim_out, mult, norm, end_activation, activation)
        self.token_mlp = (
            MLP(tokens_in, tokens_out, mult, norm, activation=activation, groups=token_groups)
            if mix_tokens
            else None
        )

    def _mix_channels(self, x: torch.Tensor) -> torch.Tensor:
        y = self.channel_mlp(x)  # (b, n, d_out)
        return y + x if self.residual else y

    def _mix_tokens(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2)  # (b, d, n): mix tokens
        y = self.token_mlp(x)
        y = y + x if self.residual else y
        return y.transpose(1, 2)  # (b, n_out, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(b, n_in, d_in) -> (b, n_out, d_out)."""
        if self.token_mlp is None:
            return self._mix_channels(x)
        if self.tokens_first:
            return self._mix_channels(self._mix_tokens(x))
        return self._mix_tokens(self._mix_channels(x))


__all__ = ["ACTIVATIONS", "MLP", "GroupedLinear", "MixerBlock"]
