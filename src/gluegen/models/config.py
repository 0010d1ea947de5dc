"""GlueNetConfig: the shapes and layout of a GlueNet, saved as `config.json` beside its weights.

Plain data (no torch), so that the command line can build its flags from these fields without
loading a model library. `SHAPE_FIELDS` come from the feature cache; the rest is the layout a
recipe (recipes.py) chooses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gluegen.settings import type_problems

MIX_ORDERS = ("channels_first", "tokens_first")
ACTIVATION_NAMES = ("gelu", "identity")
EVERY_CHANNEL = 0  # bridge_token_groups: every routed channel its own group
# Fields measured from the data, never chosen: a recipe's layout leaves them to the cache.
SHAPE_FIELDS = (
    "source_tokens",
    "source_dim",
    "target_tokens",
    "target_dim",
    "pooled_dim",
    "target_mask",
)
IDENTITY_FIELDS = ("source_encoder", "target_encoder")


@dataclass
class GlueNetConfig:
    """Shapes and layout of a GlueNet. The layout defaults are the paper's multilingual one."""

    source_tokens: int = field(metadata={"help": "n_s: tokens the source encoder emits."})
    source_dim: int = field(metadata={"help": "d_s: feature width of the source encoder."})
    target_tokens: int = field(metadata={"help": "n_t: tokens the generator expects (77 for SD)."})
    target_dim: int = field(metadata={"help": "d_t: width the generator expects (768 for SD 1.x)."})
    mixer_tokens: int | None = field(
        default=None,
        metadata={"help": "Fold the source into this many tokens before mixing (audio: 16)."},
    )
    mixer_dim: int | None = field(
        default=None, metadata={"help": "Width of the folded source (audio: 64)."}
    )
    source_blocks: int = field(default=5, metadata={"help": "Residual blocks at source size."})
    source_token_mixing: bool = field(
        default=True,
        metadata={
            "help": "Source blocks mix across token positions as well as channels (the paper); "
            "off: channels only, so that a content-routing bridge reads each token's own "
            "features rather than a mix fixed by word positions."
        },
    )
    source_context: int = field(
        default=0,
        metadata={
            "help": "Before the source blocks, each token also reads this many neighbours on "
            "each side, the same way at every position (a convolution across tokens), so that "
            "a word's pieces are read together; 0: none."
        },
    )
    target_blocks: int = field(default=0, metadata={"help": "Residual blocks after the bridge."})
    tail_blocks: int = field(
        default=0, metadata={"help": "Un-normalised blocks at the end (audio preset: 2)."}
    )
    bridge_norm: bool = field(
        default=False, metadata={"help": "LayerNorm inside the size-changing bridge block."}
    )
    bridge_token_groups: int = field(
        default=1,
        metadata={
            "help": "Channel groups whose tokens the bridge routes separately (1: the paper, "
            "one routing for all channels; 0: every channel its own)."
        },
    )
    attention_heads: int = field(
        default=0,
        metadata={
            "help": "Route source tokens to target positions by content: cross-attention with "
            "this many heads from learned queries replaces the bridge (0: the paper's token "
            "MLP, which routes by position)."
        },
    )
    attention_head_dim: int = field(default=16, metadata={"help": "Width of each attention head."})
    attention_layers: int = field(
        default=2,
        metadata={"help": "Rounds of attention; later rounds' queries see what earlier found."},
    )
    attention_slots: int = field(
        default=0,
        metadata={
            "help": "Queries the attention fills, spread over the target tokens by a linear map "
            "across tokens (0: one query per target token)."
        },
    )
    mult: float = field(default=2.0, metadata={"help": "Hidden width multiplier of every MLP."})
    mix_order: str = field(
        default="channels_first",
        metadata={"help": "Which MLP a block applies first.", "choices": MIX_ORDERS},
    )
    activation: str = field(
        default="gelu",
        metadata={
            "help": "Nonlinearity of every MLP and block (identity: LayerNorms stay).",
            "choices": ACTIVATION_NAMES,
        },
    )
    pooled_dim: int | None = field(
        default=None, metadata={"help": "Also emit a pooled vector of this width (SDXL: 1280)."}
    )
    target_mask: bool = field(
        default=False,
        metadata={
            "help": "Also predict which target tokens the generator attends to (PixArt: T5's "
            "attention mask), from the glued tokens."
        },
    )
    target_offset: bool = field(
        default=False,
        metadata={
            "help": "Add a learned offset per target position and channel to the output, "
            "starting at the measured mean target."
        },
    )
    standardize_source: bool = field(
        default=False,
        metadata={
            "help": "Centre and scale each source channel by its measured mean and standard "
            "deviation (the paper divides by one scalar)."
        },
    )
    norm_fraction: float = field(
        default=0.5,
        metadata={"help": "Features are divided by this fraction of their token norms."},
    )
    source_encoder: dict = field(
        default_factory=dict, metadata={"help": "Identity of the source encoder (id, revision)."}
    )
    target_encoder: dict = field(
        default_factory=dict, metadata={"help": "Identity of the target encoder or pipeline."}
    )

    def __post_init__(self) -> None:
        for problem in type_problems(self):  # first: the checks below compare numbers
            raise ValueError(f"GlueNetConfig: {problem}")
        folds = (self.mixer_tokens is None) == (self.mixer_dim is None)
        if self.bridge_token_groups == EVERY_CHANNEL and folds:
            self.bridge_token_groups = self.bridge_channels
        for problem in self._problems():
            raise ValueError(f"GlueNetConfig: {problem}")

    def _problems(self):
        """Every inconsistency of these settings, as a message naming the fix."""
        sizes = {name: getattr(self, name) for name in SHAPE_FIELDS[:4]}
        yield from (
            f"{name} must be >= 1, got {value}" for name, value in sizes.items() if value < 1
        )
        if (self.mixer_tokens is None) != (self.mixer_dim is None):
            yield "give both mixer_tokens and mixer_dim, or neither."
        elif self.mixer_tokens is not None and (
            self.mixer_tokens * self.mixer_dim != self.source_tokens * self.source_dim
        ):
            yield (
                f"cannot fold a {self.source_tokens} x {self.source_dim} source into "
                f"{self.mixer_tokens} x {self.mixer_dim}: the element counts differ."
            )
        for name, valid in (("activation", ACTIVATION_NAMES), ("mix_order", MIX_ORDERS)):
            if getattr(self, name) not in valid:
                yield f"{name} must be one of {valid}, got {getattr(self, name)!r}"
        routed = self.bridge_channels
        if self.bridge_token_groups < 1 or routed % self.bridge_token_groups:
            yield (
                f"bridge_token_groups must divide the {routed} channels the bridge routes "
                f"({self.mix_order}), got {self.bridge_token_groups}."
            )
        counts = ("source_blocks", "target_blocks", "tail_blocks", "attention_heads")
        counts += ("attention_slots", "source_context")
        yield from (f"{name} cannot be negative." for name in counts if getattr(self, name) < 0)
        if self.attention_heads and min(self.attention_head_dim, self.attention_layers) < 1:
            yield "an attention bridge needs attention_head_dim and attention_layers >= 1."
        yield from (
            f"{name} must be finite and positive, got {getattr(self, name)}"
            for name in ("mult", "norm_fraction")
            if not 0 < getattr(self, name) < math.inf
        )

    @property
    def mixer_shape(self) -> tuple[int, int]:
        """(n_m, d_m): the shape the source blocks work at."""
        if self.mixer_tokens is None:
            return self.source_tokens, self.source_dim
        return self.mixer_tokens, self.mixer_dim

    @property
    def bridge_channels(self) -> int:
        """Channels whose tokens the bridge routes: it mixes tokens before or after it
        changes the width."""
        return self.mixer_shape[1] if self.mix_order == "tokens_first" else self.target_dim

    def layout(self) -> dict:
        """The settings a recipe chooses: every field but the shapes and encoder ids."""
        skip = SHAPE_FIELDS + IDENTITY_FIELDS
        return {name: value for name, value in vars(self).items() if name not in skip}
