"""The original GlueGen release's GlueNet classes, rewritten here (same layers, same order, same
forward) so that tests can make checkpoints in its exact layout without its code."""

import torch
from torch import nn


def mlp(width_in, width_out, hidden, norm, last_norm, end_gelu=False):
    """Linear [LN] GELU Linear [LN] GELU Linear [LN] [GELU], as the release's Sequentials."""
    layers = []
    for a, b in ((width_in, hidden), (hidden, hidden)):
        layers += [nn.Linear(a, b), *([nn.LayerNorm(b)] if norm else []), nn.GELU()]
    layers.append(nn.Linear(hidden, width_out))
    if last_norm:
        layers.append(nn.LayerNorm(width_out))
    if end_gelu:
        layers.append(nn.GELU())
    return nn.Sequential(*layers)


class TranslatorBase(nn.Module):
    """`translator_base` (norm=True) and `translator_base_noln` (norm=False): channels first,
    each MLP residual when the width is kept."""

    def __init__(self, num_tok, dim, dim_out, mult=2, norm=True):
        super().__init__()
        self.dim_in, self.dim_out = dim, dim_out
        self.net_tok = mlp(num_tok, num_tok, int(num_tok * mult), norm, norm)
        self.net_sen = mlp(dim, dim_out, int(dim * mult), norm, norm)

    def forward(self, x):
        if self.dim_in == self.dim_out:
            x = self.net_sen(x) + x
            x = x.transpose(1, 2)
            x = self.net_tok(x) + x
            return x.transpose(1, 2)
        x = self.net_sen(x).transpose(1, 2)
        return self.net_tok(x).transpose(1, 2)


class TranslatorNoLN(nn.Module):
    """`Translator_noln`: the release's multilingual GlueNet."""

    def __init__(self, num_tok, dim, dim_out, mult=2, depth=5):
        super().__init__()
        self.blocks = nn.ModuleList(TranslatorBase(num_tok, dim, dim, mult) for _ in range(depth))
        self.gelu = nn.GELU()
        self.tail = TranslatorBase(num_tok, dim, dim_out, mult, norm=False)

    def forward(self, x):
        for block in self.blocks:
            x = self.gelu(block(x) + x)
        return self.tail(x)


class TranslatorTokDim(nn.Module):
    """`translator_tok_dim`: channels (dim -> dim_out), then tokens (tok_in -> tok_out)."""

    def __init__(self, num_tok, num_tok_out, dim, dim_out, mult=2, last_ln=True):
        super().__init__()
        self.net_tok = mlp(num_tok, num_tok_out, int(num_tok * mult), last_ln, last_ln)
        self.net_sen = mlp(dim, dim_out, int(dim * mult), last_ln, last_ln, end_gelu=not last_ln)

    def forward(self, x):
        x = self.net_sen(x).transpose(1, 2)
        return self.net_tok(x).transpose(1, 2)


class TranslatorWithHeadV0(nn.Module):
    """`Translator_w_head_v0`: the release's audio GlueNet."""

    def __init__(self, num_tok, num_tok_out, dim, dim_out, mult=2, depth=5):
        super().__init__()
        self.trans = TranslatorTokDim(num_tok, num_tok_out, dim, dim_out, mult, last_ln=True)
        self.tail_1 = TranslatorTokDim(num_tok_out, num_tok_out, dim_out, dim_out, mult, False)
        self.tail_2 = TranslatorTokDim(num_tok_out, num_tok_out, dim_out, dim_out, mult, False)
        self.in_blocks = nn.ModuleList(TranslatorBase(num_tok, dim, dim, mult) for _ in range(3))
        self.out_blocks = nn.ModuleList(
            TranslatorBase(num_tok_out, dim_out, dim_out, mult) for _ in range(depth - 3)
        )
        self.gelu = nn.GELU()

    def forward(self, x):
        for block in self.in_blocks:
            x = self.gelu(block(x) + x)
        x = self.trans(x)
        for block in self.out_blocks:
            x = self.gelu(block(x) + x)
        return self.tail_2(self.tail_1(x) + x)


def randomised(module, seed=0):
    """Every parameter redrawn (LayerNorms too), so that a wrong mapping cannot pass."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.2)
    return module.eval()
