"""The diffusers families GlueGen draws with: how each turns prompts into its text conditioning
and which call arguments take that conditioning instead.

- stable-diffusion (SD 1.x/2.x, SDXL and its refiner; img2img, inpaint, ControlNet): CLIP
  tokens (b, 77, d); SDXL adds a pooled vector (b, p). A UNet reads them.
- stable-diffusion-3 (SD3, 3.5; img2img, inpaint, ControlNet): CLIP-L and CLIP-G tokens
  concatenated and zero-padded to T5's width, then T5's tokens: (b, 77 + T, d_t5); pooled
  CLIP-L + CLIP-G (b, p).
- pixart (PixArt-alpha, -sigma): T5 tokens (b, T, d_t5) and their attention mask (b, T).
- flux (Flux; img2img, inpaint, Fill, Control): T5 tokens (b, T, d_t5) and CLIP-L's pooled
  output (b, p); no mask reaches the transformer.

T is the pipeline's `max_sequence_length` (its `__call__` default unless chosen). A GlueNet
for a family learns every part: tokens, the pooled vector where there is one, the mask where the
pipeline takes one (`GlueNetConfig.target_mask`).

Notation: b - batch, n - tokens, d - features, p - pooled features.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gluegen.encoders.base import TokenFeatures

TEXT_ENCODERS = ("text_encoder", "text_encoder_2", "text_encoder_3")
# Call arguments GlueGen fills in (every family's); given by a caller, they would compete.
# (A negative prompt in words is GlueGen's own argument: it encodes it as the prompts.)
CONDITIONING_ARGUMENTS = (
    "prompt",
    "prompt_embeds",
    "negative_prompt_embeds",
    "pooled_prompt_embeds",
    "negative_pooled_prompt_embeds",
    "prompt_attention_mask",
    "negative_prompt_attention_mask",
)


@dataclass(frozen=True)
class TextShape:
    """What a pipeline's denoiser reads: tokens (None: any count), width, pooled width, mask."""

    tokens: int | None
    width: int
    pooled: int | None
    masked: bool = False


class Family:
    """One diffusers family's text conditioning (subclasses below)."""

    name = ""
    prefixes: tuple[str, ...] = ()  # pipeline class names of the family start with one of these
    denoiser = "transformer"  # the component that reads the conditioning
    pooled_name: str | None = "pooled_projection_dim"  # denoiser config: pooled width
    width_name = "joint_attention_dim"  # denoiser config: token width
    masked = False
    has_clip_skip = True  # encode_prompt takes clip_skip
    # text encoders its encode_prompt needs: all of `needs`, at least one of `needs_any`
    needs: tuple[str, ...] = ()
    needs_any: tuple[str, ...] = ()

    def matches(self, pipeline_class: str) -> bool:
        """True when `pipeline_class` belongs to this family."""
        return pipeline_class.startswith(self.prefixes)

    def missing_encoders(self, pipeline: Any) -> list[str]:
        """The text encoders this family's `encode_prompt` needs that `pipeline` lacks."""
        missing = [name for name in self.needs if getattr(pipeline, name, None) is None]
        if self.needs_any and all(getattr(pipeline, n, None) is None for n in self.needs_any):
            missing.append(" or ".join(self.needs_any))
        return missing

    def default_sequence_length(self, pipeline_class: type) -> int | None:
        """The T5 length the pipeline's own `__call__` uses by default."""
        parameter = inspect.signature(pipeline_class.__call__).parameters.get("max_sequence_length")
        return None if parameter is None else int(parameter.default)

    def denoiser_shape(self, config: Any) -> TextShape:
        """The conditioning a denoiser with `config` (a dict or a config object) reads."""
        get = config.get if isinstance(config, dict) else lambda name: getattr(config, name, None)
        pooled = get(self.pooled_name) if self.pooled_name else None
        return TextShape(None, int(get(self.width_name)), pooled and int(pooled), self.masked)

    def shape(self, pipeline: Any) -> TextShape:
        """What `pipeline`'s denoiser reads."""
        return self.denoiser_shape(getattr(pipeline, self.denoiser).config)

    def encode(
        self,
        pipeline: Any,
        texts: Sequence[str],
        max_sequence_length: int | None = None,
        device: torch.device | None = None,
        clip_skip: int | None = None,
    ) -> TokenFeatures:
        """The pipeline's own `encode_prompt` of `texts`, without guidance, on `device`
        (default: the pipeline's); `max_sequence_length` None: the pipeline's default."""
        if clip_skip is not None and not self.has_clip_skip:
            raise ValueError(
                f"clip_skip: {self.name} pipelines read T5's last layer and have no clip_skip; "
                "leave it unset."
            )
        options: dict[str, Any] = {"device": device or pipeline.device}
        if clip_skip is not None:
            options["clip_skip"] = clip_skip
        if max_sequence_length is not None:
            options["max_sequence_length"] = max_sequence_length
        return self._encode(pipeline, list(texts), options)

    def _encode(self, pipeline: Any, texts: list[str], options: dict) -> TokenFeatures:
        raise NotImplementedError

    def call_arguments(self, positive: TokenFeatures, negative: TokenFeatures) -> dict[str, Any]:
        """The pipeline's keyword arguments that take `positive` and the unconditional
        `negative` conditioning instead of prompts."""
        arguments = {"prompt_embeds": positive.hidden, "negative_prompt_embeds": negative.hidden}
        if positive.pooled is not None:
            arguments["pooled_prompt_embeds"] = positive.pooled
            arguments["negative_pooled_prompt_embeds"] = negative.pooled
        return arguments

    def sequence_length(self, pipeline: Any, tokens: int) -> int | None:
        """The `max_sequence_length` for which `pipeline` encodes `tokens` tokens (None: the
        length is not a choice)."""
        return tokens


def _ones(embeds: torch.Tensor) -> torch.Tensor:
    return torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device)  # (b, n)


class StableDiffusion(Family):
    """SD 1.x/2.x and SDXL: one or two CLIP encoders (a UNet reads them)."""

    name = "stable-diffusion"
    prefixes = ("StableDiffusion",)
    denoiser = "unet"
    needs_any = ("text_encoder", "text_encoder_2")  # the SDXL refiner has only the second

    def matches(self, pipeline_class: str) -> bool:  # noqa: D102
        return super().matches(pipeline_class) and not STABLE_DIFFUSION_3.matches(pipeline_class)

    def shape(self, pipeline: Any) -> TextShape:  # noqa: D102
        encoders = [getattr(pipeline, name, None) for name in TEXT_ENCODERS[:2]]
        encoders = [encoder for encoder in encoders if encoder is not None]
        if not encoders:  # loaded without them: what the UNet reads
            return self.unet_shape(pipeline)
        tokenizers = [getattr(pipeline, name, None) for name in ("tokenizer", "tokenizer_2")]
        tokens = int(next(t for t in tokenizers if t is not None).model_max_length)
        width = sum(int(encoder.config.hidden_size) for encoder in encoders)
        second = getattr(pipeline, "text_encoder_2", None)  # SDXL and its refiner: pooled
        pooled = getattr(second.config, "projection_dim", None) if second is not None else None
        return TextShape(tokens, width, None if pooled is None else int(pooled))

    def unet_shape(self, pipeline: Any) -> TextShape:
        """What the UNet reads, from its config: any token count, the cross-attention width,
        and (SDXL) the pooled width left beside the time ids in its added embedding."""
        config = pipeline.unet.config
        pooled = None
        if config.addition_embed_type == "text_time":
            # SDXL adds 6 time ids (sizes, crop); the refiner 5 (an aesthetic score)
            time_ids = 5 if getattr(pipeline.config, "requires_aesthetics_score", False) else 6
            added = config.projection_class_embeddings_input_dim
            pooled = int(added - time_ids * config.addition_time_embed_dim)
        return TextShape(None, int(config.cross_attention_dim), pooled)

    def sequence_length(self, pipeline, tokens) -> None:  # noqa: D102
        return None

    def _encode(self, pipeline, texts, options) -> TokenFeatures:
        encoded = pipeline.encode_prompt(
            texts, num_images_per_prompt=1, do_classifier_free_guidance=False, **options
        )
        pooled = encoded[2] if len(encoded) == 4 else None
        return TokenFeatures(encoded[0], _ones(encoded[0]), pooled)


class StableDiffusion3(Family):
    """SD3 and 3.5: CLIP-L and CLIP-G tokens, zero-padded to T5's width, then T5's tokens."""

    name = "stable-diffusion-3"
    prefixes = ("StableDiffusion3",)
    needs = ("text_encoder", "text_encoder_2")  # without T5 it pads zeros in its place

    def _encode(self, pipeline, texts, options) -> TokenFeatures:
        embeds, _, pooled, _ = pipeline.encode_prompt(
            texts, None, None, num_images_per_prompt=1, do_classifier_free_guidance=False, **options
        )
        return TokenFeatures(embeds, _ones(embeds), pooled)

    def sequence_length(self, pipeline, tokens) -> int:  # noqa: D102
        return tokens - int(pipeline.tokenizer_max_length)  # the CLIP positions come first


class PixArt(Family):
    """PixArt-alpha and -sigma: T5 tokens and their attention mask."""

    name = "pixart"
    prefixes = ("PixArt",)
    needs = ("text_encoder",)
    pooled_name = None
    width_name = "caption_channels"
    masked = True
    has_clip_skip = False

    def _encode(self, pipeline, texts, options) -> TokenFeatures:
        embeds, mask, _, _ = pipeline.encode_prompt(
            texts,
            do_classifier_free_guidance=False,
            clean_caption=False,  # the caption as written (cleaning needs bs4 and ftfy)
            **options,
        )
        return TokenFeatures(embeds, mask, None)

    def call_arguments(self, positive, negative) -> dict[str, Any]:  # noqa: D102
        return {
            "prompt_embeds": positive.hidden,
            "prompt_attention_mask": positive.mask,
            "negative_prompt": None,  # the pipeline's default "" would be encoded instead
            "negative_prompt_embeds": negative.hidden,
            "negative_prompt_attention_mask": negative.mask,
        }


class Flux(Family):
    """Flux: T5 tokens and CLIP-L's pooled output (no mask reaches the transformer)."""

    name = "flux"
    prefixes = ("Flux",)
    needs = ("text_encoder", "text_encoder_2")
    has_clip_skip = False

    def _encode(self, pipeline, texts, options) -> TokenFeatures:
        embeds, pooled, _ = pipeline.encode_prompt(texts, None, num_images_per_prompt=1, **options)
        return TokenFeatures(embeds, _ones(embeds), pooled)


STABLE_DIFFUSION_3 = StableDiffusion3()
FAMILIES = (StableDiffusion(), STABLE_DIFFUSION_3, PixArt(), Flux())


def family_of(pipeline_class: str, name_or_path: str = "the pipeline") -> Family:
    """The family of a pipeline class name; a named error for any other pipeline."""
    for family in FAMILIES:
        if family.matches(pipeline_class):
            return family
    raise ValueError(
        f"{name_or_path} is a {pipeline_class or 'pipeline of unknown class'}: GlueGen does not "
        "produce its text conditioning. Supported: Stable Diffusion 1.x/2.x, SDXL and its "
        "refiner, SD3, PixArt and Flux pipelines (with their img2img, inpaint and ControlNet "
        "variants)."
    )


def takes_prompt_embeds(pipeline: Any) -> bool:
    """Whether the pipeline's `__call__` takes text conditioning as `prompt_embeds`."""
    return "prompt_embeds" in inspect.signature(type(pipeline).__call__).parameters


def pipeline_family(pipeline: Any) -> Family:
    """The family of a loaded diffusers pipeline, by what it is: a pipeline that takes
    `prompt_embeds`, of a family's class or a subclass of one (any name); a pipeline of no
    known class that takes them and has a UNet (a community Stable Diffusion pipeline) is read
    as Stable Diffusion. Anything else is a named error."""
    name = type(pipeline).__name__
    if not takes_prompt_embeds(pipeline):
        raise ValueError(
            f"A {name} takes no text conditioning (its __call__ has no prompt_embeds): GlueGen "
            "draws through pipelines conditioned on text, such as StableDiffusionPipeline."
        )
    for base in type(pipeline).__mro__:
        for family in FAMILIES:
            if base.__module__.startswith("diffusers") and family.matches(base.__name__):
                return family
    if getattr(pipeline, "unet", None) is not None:
        return FAMILIES[0]
    return family_of(name)  # the named refusal


def require_text_encoders(pipeline: Any, why: str) -> None:
    """A named error when `pipeline` lacks a text encoder its family needs for `why`."""
    missing = pipeline_family(pipeline).missing_encoders(pipeline)
    if missing:
        raise ValueError(
            f"{why} needs the pipeline's own text encoders, and it was loaded without "
            f"{', '.join(missing)}: load them, or use unconditional='source' and no `text` mix."
        )


def refuse_text_encoder_lora(pipeline: Any) -> None:
    """A LoRA loaded into a text encoder moves the space GlueNet was trained for; GlueGen does
    not read it, so it is an error with the way out."""
    for name in TEXT_ENCODERS:
        encoder = getattr(pipeline, name, None)
        if encoder is not None and getattr(encoder, "peft_config", None):
            raise ValueError(
                f"The pipeline's {name} carries a LoRA, which GlueNet's target features do not "
                "have: fuse it (pipeline.fuse_lora(); pipeline.unload_lora_weights(); "
                "pipeline.save_pretrained(folder)) and train the GlueNet on that folder, or "
                "load the LoRA into the denoiser only."
            )
