"""GlueGenPipeline: inputs -> source encoder -> GlueNet -> prompt_embeds -> a diffusers pipeline.

The generator is untouched: GlueGen only computes the `prompt_embeds` (and, for SDXL, the
pooled embeds) that the pipeline would otherwise get from its own text encoder, so any
pipeline that accepts them works (Stable Diffusion 1.x/2.x, SDXL, their ControlNet variants).

The unconditional embedding for classifier-free guidance is, as in the paper, the empty input
through the same source encoder and GlueNet (`unconditional="source"`), or the generator's own
empty-prompt embedding (`unconditional="generator"`).

Notation: b - batch, n - tokens, d - features, p - pooled features.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from diffusers import DiffusionPipeline

from gluegen.encoders.base import Encoder
from gluegen.gluenet import GlueNet

UNCONDITIONAL = ("source", "generator")


def pipeline_text_shape(pipeline: DiffusionPipeline) -> tuple[int, int, int | None]:
    """(tokens, width, pooled width or None) of the prompt_embeds `pipeline` takes."""
    encoders = [getattr(pipeline, name, None) for name in ("text_encoder", "text_encoder_2")]
    encoders = [encoder for encoder in encoders if encoder is not None]
    if not encoders:
        raise ValueError(f"{type(pipeline).__name__} has no text encoder whose embeds to replace.")
    tokens = int(pipeline.tokenizer.model_max_length)
    width = sum(int(encoder.config.hidden_size) for encoder in encoders)
    pooled = getattr(encoders[-1].config, "projection_dim", None) if len(encoders) > 1 else None
    return tokens, width, None if pooled is None else int(pooled)


def as_batch(inputs: Any) -> list[Any]:
    """One input (a prompt, a sound file, an array, an (array, rate) pair) or a list -> a list."""
    is_pair = isinstance(inputs, tuple) and len(inputs) == 2 and isinstance(inputs[1], int)
    if isinstance(inputs, str | Path) or is_pair or not isinstance(inputs, Sequence):
        return [inputs]
    return list(inputs)


class GlueGenPipeline:
    """Draw from a new encoder's inputs with a frozen diffusers pipeline, through a GlueNet."""

    def __init__(
        self,
        pipeline: DiffusionPipeline,
        encoder: Encoder,
        gluenet: GlueNet,
        unconditional: str = "source",
    ) -> None:
        if unconditional not in UNCONDITIONAL:
            raise ValueError(f"unconditional must be one of {UNCONDITIONAL}, got {unconditional!r}")
        self.pipeline, self.encoder, self.gluenet = pipeline, encoder, gluenet.eval()
        self.unconditional = unconditional
        self.check_fits()

    def check_fits(self) -> None:
        """Raise, before any denoising step, when the shapes of encoder, GlueNet and pipeline
        do not chain."""
        config = self.gluenet.config
        source = (self.encoder.num_tokens, self.encoder.dim)
        if source != (config.source_tokens, config.source_dim):
            raise ValueError(
                f"The source encoder gives {source[0]} tokens x {source[1]} features, the GlueNet "
                f"was trained on {config.source_tokens} x {config.source_dim}: load the encoder "
                "the GlueNet was trained with (its id is in the GlueNet's config.json)."
            )
        tokens, width, pooled = pipeline_text_shape(self.pipeline)
        if (tokens, width) != (config.target_tokens, config.target_dim):
            raise ValueError(
                f"The pipeline takes prompt_embeds of {tokens} tokens x {width}, the GlueNet gives "
                f"{config.target_tokens} x {config.target_dim}: this GlueNet was trained for "
                "another generator."
            )
        if pooled is not None and config.pooled_dim != pooled:
            raise ValueError(
                f"The pipeline also takes a pooled embedding of {pooled} features and the GlueNet "
                f"has {'no pooled head' if config.pooled_dim is None else config.pooled_dim}: "
                "train it with the pipeline's pooled output (gluegen train on an SDXL cache)."
            )

    def _warn_if_truncated(self, inputs: Sequence[Any]) -> None:
        tokenizer = getattr(self.encoder, "_tokenizer", None)
        if tokenizer is None or not isinstance(inputs[0], str):
            return
        lengths = [len(ids) for ids in tokenizer(list(inputs))["input_ids"]]
        longest = max(lengths)
        if longest > self.encoder.num_tokens:
            warnings.warn(
                f"A prompt is {longest} tokens long; the source encoder reads "
                f"{self.encoder.num_tokens}, the rest is cut off.",
                stacklevel=3,
            )

    @torch.no_grad()
    def encode(self, inputs: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Inputs -> prompt_embeds (b, n, d) and pooled embeds (b, p) or None."""
        if hasattr(self.encoder, "load"):
            self.encoder.load()
        self._warn_if_truncated(inputs)
        source = self.encoder.encode(list(inputs)).hidden  # (b, n_s, d_s)
        embeds = self.gluenet.translate(source)  # (b, n_t, d_t)
        pooled = self.gluenet.translate_pooled(source) if self.gluenet.config.pooled_dim else None
        return embeds, pooled

    @torch.no_grad()
    def unconditional_embeds(self, count: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The empty input's embeds, `count` times: through the source side or the generator's."""
        if self.unconditional == "source":
            embeds, pooled = self.encode([""])
        else:
            encoded = self.pipeline.encode_prompt(
                "",
                device=self.pipeline.device,
                num_images_per_prompt=1,
                do_classifier_free_guidance=False,
            )
            embeds = encoded[0]
            pooled = encoded[2] if len(encoded) == 4 else None
        repeat = (count, 1, 1)
        return embeds.repeat(*repeat), None if pooled is None else pooled.repeat(count, 1)

    def __call__(self, inputs: Any, num_images_per_prompt: int = 1, **kwargs: Any) -> Any:
        """Draw images for `inputs` (one or a list); other arguments go to the pipeline."""
        # 1. check inputs
        batch = as_batch(inputs)
        if not batch:
            raise ValueError("No inputs: give one prompt (or sound) or a list of them.")
        for i, item in enumerate(batch):
            if isinstance(item, str) and not item.strip():
                raise ValueError(
                    f"Input {i} is an empty prompt; GlueGen draws from what the source encoder "
                    "reads. For an unconditional image use guidance_scale=1 with any prompt's "
                    "unconditional_embeds()."
                )
        for name in ("prompt", "prompt_embeds", "negative_prompt_embeds"):
            if name in kwargs:
                raise ValueError(f"{name} is computed by GlueGen; pass your inputs instead.")
        # 2. source encoder -> GlueNet
        embeds, pooled = self.encode(batch)
        # 3. the unconditional embedding
        negative, negative_pooled = self.unconditional_embeds(len(batch))
        extra = {}
        if pooled is not None:
            extra = {
                "pooled_prompt_embeds": pooled,
                "negative_pooled_prompt_embeds": negative_pooled,
            }
        # 4. the untouched pipeline draws
        return self.pipeline(
            prompt_embeds=embeds,
            negative_prompt_embeds=negative,
            num_images_per_prompt=num_images_per_prompt,
            **extra,
            **kwargs,
        )
