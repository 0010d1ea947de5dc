"""Encoder stand-ins for benchmarks: features of a real encoder's shape, at no cost."""

from __future__ import annotations

import torch

from gluegen.encoders.base import TokenFeatures


class RandomFeatures:
    """An encoder stand-in: random (b, tokens, dim) features, every token valid."""

    pooled_dim = None

    def __init__(self, role: str, tokens: int, dim: int) -> None:
        self.role, self.num_tokens, self.dim = role, tokens, dim

    def encode(self, batch) -> TokenFeatures:
        hidden = torch.randn(len(batch), self.num_tokens, self.dim)
        return TokenFeatures(hidden, torch.ones(len(batch), self.num_tokens, dtype=torch.long))

    def identity(self) -> dict:
        return {"name_or_path": f"random {self.role} {self.num_tokens}x{self.dim}"}
