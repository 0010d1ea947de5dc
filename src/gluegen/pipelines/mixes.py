"""Sound + text: mixing an input's glued embeds with the generator's embeds of some words.

Notation: b - batch, n - tokens, d - features. Every mix takes and returns (b, n, d).
- splice: the paper's, `concat(a[:i], c[:i], (a[2i:] + c[2i:]) / 2)`;
- blend: every token a weighted average of both;
- offset: what the words add to the generator's empty prompt (or to the mean of some other
  texts), added to the input's tokens.
"""

from __future__ import annotations

import torch

MIXES = ("splice", "blend", "offset")
DEFAULT_SPLIT = 5  # the paper's split point, in 3..7
DEFAULT_BLEND = 0.5  # share of the sound in a blend
DEFAULT_OFFSET = 1.0  # how much of the text's offset from the empty prompt is added


def splice(sound: torch.Tensor, text: torch.Tensor, split: int = DEFAULT_SPLIT) -> torch.Tensor:
    """The paper's sound + text mix of two (b, n, d) embeds: a[:i], c[:i], (a[2i:] + c[2i:]) / 2.

    The result keeps n tokens: the first i of the sound, the first i of the text (its start
    token and first words), then the average of both from token 2i on.
    """
    if not 1 <= split <= sound.shape[1] // 2:
        raise ValueError(f"split must be in 1..{sound.shape[1] // 2}, got {split}")
    tail = (sound[:, 2 * split :] + text[:, 2 * split :]) / 2
    return torch.cat([sound[:, :split], text[:, :split], tail], dim=1)  # (b, n, d)


def blend(sound: torch.Tensor, text: torch.Tensor, weight: float = DEFAULT_BLEND) -> torch.Tensor:
    """Every token a weighted average: weight * sound + (1 - weight) * text, (b, n, d)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    return weight * sound + (1.0 - weight) * text


def offset(
    glued: torch.Tensor, text: torch.Tensor, empty: torch.Tensor, weight: float = DEFAULT_OFFSET
) -> torch.Tensor:
    """glued + weight * (text - empty), each token scaled back to the glued token's norm.

    glued, text (b, n, d); empty (1 or b, n, d), the generator's own empty prompt, or any
    origin the words are measured from (the mean of the texts they are told apart from).
    What the text's words add to it is added to the input's tokens; the rescale keeps
    every token at the norm the generator gets from the glued input alone.
    """
    if weight < 0.0:
        raise ValueError(f"weight must be >= 0, got {weight}")
    shifted = glued + weight * (text - empty)  # (b, n, d)
    scale = glued.norm(dim=-1, keepdim=True) / shifted.norm(dim=-1, keepdim=True)
    return shifted * scale.nan_to_num(0.0)
