"""GlueGenPipeline: inputs -> source encoder -> GlueNet -> prompt_embeds -> a diffusers pipeline.

The generator is untouched: GlueGen only computes the `prompt_embeds` (and the pooled embeds
and attention masks where the family takes them, encoders/families.py) that the pipeline would
otherwise get from its own text encoders: Stable Diffusion 1.x/2.x, SDXL and its refiner, SD3,
PixArt, Flux, with their img2img, inpaint and ControlNet variants. The text encoders need not
be loaded (`text_encoder_3=None` saves SD3's T5), except for `unconditional="generator"` and
mixes with text.

The unconditional embedding for classifier-free guidance is, as in the paper, the empty input
through the same source encoder and GlueNet (`unconditional="source"`), or the generator's own
empty-prompt embedding (`unconditional="generator"`).

Threads: a GlueGenPipeline may be called from several threads at once; the calls run one at a
time (a lock per diffusers pipeline, shared by every GlueGenPipeline that wraps it), because a
diffusers pipeline keeps per-call state (its scheduler's timesteps, the guidance scale) on
itself. To draw in parallel, give each thread its own diffusers pipeline.

Notation: b - batch, n - tokens, d - features, p - pooled features.
"""

from __future__ import annotations

import math
import threading
import warnings
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from diffusers import DiffusionPipeline

from gluegen.encoders.base import Encoder, TokenFeatures, identity_differences
from gluegen.encoders.families import (
    CONDITIONING_ARGUMENTS,
    TextShape,
    pipeline_family,
    refuse_text_encoder_lora,
    require_text_encoders,
)
from gluegen.models import GlueNet, GlueNetEnsemble
from gluegen.pipelines.mixes import (
    DEFAULT_BLEND,
    DEFAULT_OFFSET,
    DEFAULT_SPLIT,
    MIXES,
    blend,
    offset,
    splice,
)
from gluegen.pipelines.routing import ANY, GENERATOR, GENERATOR_LANGUAGE, Route, Router

UNCONDITIONAL = ("source", "generator")
NEGATIVE_ENCODERS = ("source", "generator")  # what reads a negative prompt in words
STRENGTH_RANGE = (0.0, 1.0)  # img2img and inpaint: how much of the image is redrawn

_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # diffusers pipeline -> lock
_LOCKS_GUARD = threading.Lock()


def pipeline_lock(pipeline: DiffusionPipeline) -> threading.RLock:
    """The lock of a diffusers pipeline: every GlueGenPipeline wrapping it takes this one."""
    with _LOCKS_GUARD:
        if pipeline not in _LOCKS:
            _LOCKS[pipeline] = threading.RLock()
        return _LOCKS[pipeline]


def pipeline_text_shape(pipeline: DiffusionPipeline) -> TextShape:
    """What `pipeline`'s denoiser reads: tokens (None: any count), width, pooled width, mask."""
    return pipeline_family(pipeline).shape(pipeline)


@torch.no_grad()
def generator_conditioning(
    pipeline: DiffusionPipeline, texts: Sequence[str], tokens: int | None = None
) -> TokenFeatures:
    """The pipeline's own encoding of `texts`, without guidance: embeds (b, n, d), mask (b, n),
    pooled (b, p) or None; `tokens`: as many tokens as that (T5-reading families)."""
    family = pipeline_family(pipeline)
    length = None if tokens is None else family.sequence_length(pipeline, tokens)
    return family.encode(pipeline, texts, length)


def check_draw_settings(num_images_per_prompt: Any, kwargs: dict[str, Any]) -> None:
    """Guidance, steps, strength and image counts a pipeline would misuse silently (a NaN
    guidance draws unguided, an infinite one NaN images): refused with the range."""
    counts = {"num_images_per_prompt": num_images_per_prompt}
    counts["num_inference_steps"] = kwargs.get("num_inference_steps", 1)
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    for name in ("guidance_scale", "true_cfg_scale"):
        value = kwargs.get(name)
        if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    strength = kwargs.get("strength")
    low, high = STRENGTH_RANGE
    if strength is not None and not (isinstance(strength, int | float) and low < strength <= high):
        raise ValueError(f"strength must be in ({low}, {high}], got {strength!r}")


def repeat_each(features: TokenFeatures, count: int) -> TokenFeatures:
    """Each row `count` times, the copies together (b -> b * count rows), as the pipelines
    repeat prompts for several images each."""
    if count == 1:
        return features
    pooled = features.pooled
    return TokenFeatures(
        features.hidden.repeat_interleave(count, dim=0),
        features.mask.repeat_interleave(count, dim=0),
        None if pooled is None else pooled.repeat_interleave(count, dim=0),
    )


Glue = GlueNet | GlueNetEnsemble  # what translates one key's source features


def as_glue(gluenets: Glue | Sequence[GlueNet], key: str = ANY) -> Glue:
    """A GlueNet, an ensemble, or a list of GlueNets (-> their ensemble; one alone stays as
    it is); anything else is refused, naming the key."""
    if isinstance(gluenets, GlueNet | GlueNetEnsemble):
        return gluenets
    if isinstance(gluenets, Sequence) and not isinstance(gluenets, str) and gluenets:
        members = list(gluenets)
        return members[0] if len(members) == 1 else GlueNetEnsemble(members)
    where = "The GlueNet" if key == ANY else f"The GlueNet for {key!r}"
    raise ValueError(
        f"{where} is a {type(gluenets).__name__}: give a GlueNet (GlueNet.from_pretrained), "
        "or a list of them to average."
    )


def as_batch(inputs: Any) -> list[Any]:
    """One input (a prompt, a sound file, an array, an (array, rate) pair) or a list -> a list."""
    is_pair = isinstance(inputs, tuple) and len(inputs) == 2 and isinstance(inputs[1], int)
    if isinstance(inputs, str | Path) or is_pair or not isinstance(inputs, Sequence):
        return [inputs]
    return list(inputs)


class GlueGenPipeline:
    """Draw from a new encoder's inputs with a frozen diffusers pipeline, through GlueNets.

    `gluenets` is one GlueNet, or several keyed by the language they read (ISO 639-1 codes,
    "fr", "zh", ...) with an optional ANY for a shared one: each prompt then goes through the
    GlueNet of its language, read by lingua over every language it knows (or `language=`). A
    prompt in a language with no GlueNet goes to ANY when loaded, else to the generator's own
    text encoder when it is in `generator_language`, else it is refused (routing.py).
    Where a key is given a list of GlueNets (or a GlueNetEnsemble), its prompts go through
    each of them and the generator gets the mean of their glued tokens (models/ensemble.py).
    """

    def __init__(
        self,
        pipeline: DiffusionPipeline,
        encoder: Encoder,
        gluenets: Glue | Sequence[GlueNet] | Mapping[str, Glue | Sequence[GlueNet]],
        unconditional: str = "source",
        generator_language: str | None = GENERATOR_LANGUAGE,
    ) -> None:
        if unconditional not in UNCONDITIONAL:
            raise ValueError(f"unconditional must be one of {UNCONDITIONAL}, got {unconditional!r}")
        if not isinstance(gluenets, Mapping):
            gluenets = {ANY: gluenets}
        if not gluenets:
            raise ValueError("Give at least one GlueNet.")
        self.pipeline, self.encoder = pipeline, encoder
        self.gluenets = {key: as_glue(gluenet, key).eval() for key, gluenet in gluenets.items()}
        self.unconditional = unconditional
        self.family = pipeline_family(pipeline)  # names what the pipeline's call takes
        refuse_text_encoder_lora(pipeline)
        if unconditional == "generator":  # checked now, not at the first draw
            require_text_encoders(pipeline, 'unconditional="generator"')
        self.router = Router(self.gluenets, generator_language)
        self._lock = pipeline_lock(pipeline)  # one call at a time per diffusers pipeline
        for key, gluenet in self.gluenets.items():
            self.check_fits(gluenet, key)

    def to(self, device: str | torch.device) -> GlueGenPipeline:
        """Every part to `device`: the diffusers pipeline, the source encoder (now, or when it
        loads its weights) and the GlueNets, as diffusers' `pipeline.to` moves its own parts.
        Returns the pipeline."""
        self.pipeline.to(device)
        if hasattr(self.encoder, "to"):  # an encoder of one's own may live where it likes
            self.encoder.to(device)
        for gluenet in self.gluenets.values():
            gluenet.to(device)
        return self

    def check_fits(self, gluenet: Glue, key: str = ANY) -> None:
        """Raise, before any denoising step, when the shapes of encoder, GlueNet and pipeline
        do not chain."""
        config, name = gluenet.config, "The GlueNet" if key == ANY else f"The {key!r} GlueNet"
        differences = identity_differences(config.source_encoder, self.encoder.identity())
        if differences:
            raise ValueError(
                f"{name} was trained on another source encoder ({'; '.join(differences)}): "
                "load the encoder it was trained with (its id is in the GlueNet's config.json)."
            )
        source = (self.encoder.num_tokens, self.encoder.dim)
        if source != (config.source_tokens, config.source_dim):
            raise ValueError(
                f"The source encoder gives {source[0]} tokens x {source[1]} features; {name} was "
                f"trained on {config.source_tokens} x {config.source_dim}: load the encoder "
                "the GlueNet was trained with (its id is in the GlueNet's config.json)."
            )
        shape = pipeline_text_shape(self.pipeline)
        target = (config.target_tokens, config.target_dim)
        if shape.width != config.target_dim or shape.tokens not in (None, config.target_tokens):
            takes = f"{shape.tokens} tokens x " if shape.tokens else "tokens of width "
            raise ValueError(
                f"The pipeline takes prompt_embeds of {takes}{shape.width}; {name} gives "
                f"{target[0]} x {target[1]}: it was trained for another generator."
            )
        if shape.pooled is not None and config.pooled_dim != shape.pooled:
            raise ValueError(
                f"The pipeline also takes a pooled embedding of {shape.pooled} features; {name} "
                f"has {'no pooled head' if config.pooled_dim is None else config.pooled_dim}: "
                "train it on a cache of this pipeline (it holds the pooled output)."
            )
        if shape.masked and not config.target_mask:
            raise ValueError(
                f"The pipeline attends to a mask of its text tokens; {name} has no mask head: "
                "train it on a cache of this pipeline (gluegen train sets target_mask)."
            )

    # -- which GlueNet reads which input ------------------------------------------------------
    def routes(self, inputs: Sequence[Any], language: str | None = None) -> list[Route]:
        """The path of each input (a GlueNet or the generator's own encoder) and the language
        it was read in; `language`: every input's, as the caller says."""
        if language is not None:
            routes = [self.router.given(language)] * len(inputs)
        else:
            routes = [self.router.route(item) for item in inputs]
        by_generator = [r.language for r in routes if r.key == GENERATOR]
        missing = self.family.missing_encoders(self.pipeline) if by_generator else []
        if missing:
            raise ValueError(
                f"A prompt in {by_generator[0]!r}, which has no GlueNet, is drawn by the "
                f"generator's own text encoder, and the pipeline was loaded without "
                f"{', '.join(missing)}: load them, or a GlueNet for {by_generator[0]!r} or '*'."
            )
        return routes

    def route(self, inputs: Sequence[Any], language: str | None = None) -> list[str]:
        """The key of each input's path: a GlueNet's key, or GENERATOR."""
        return [route.key for route in self.routes(inputs, language)]

    def _warn_if_truncated(self, inputs: Sequence[Any]) -> None:
        lengths = getattr(self.encoder, "token_lengths", None)
        if lengths is None or not isinstance(inputs[0], str):
            return
        longest = max(lengths(list(inputs)))
        if longest > self.encoder.max_length:
            warnings.warn(
                f"A prompt is {longest} tokens long; the source encoder reads "
                f"{self.encoder.max_length}, the rest is cut off.",
                stacklevel=5,
            )

    # -- embeddings ----------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, inputs: Sequence[Any], keys: Sequence[str] | None = None) -> TokenFeatures:
        """Inputs -> the glued conditioning: prompt_embeds (b, n, d), mask (b, n), pooled
        (b, p) or None; each input through the GlueNet `keys[i]` (default: `route`)."""
        with self._lock:  # the encoder loads its weights on first use
            if hasattr(self.encoder, "load"):
                self.encoder.load()
            self._warn_if_truncated(inputs)
            keys = list(keys or self.route(inputs))
            return self.encode_features(*self._read(inputs, keys))

    def _read(
        self, items: Sequence[Any], keys: Sequence[str]
    ) -> tuple[torch.Tensor | None, Sequence[str], TokenFeatures | None]:
        """`encode_features`' arguments for `items` routed by `keys`: source features
        (g, n_s, d_s) of the g items routed to GlueNets, the keys, and the generator's own
        encoding of the items routed to it (None where there are none)."""
        glued = [item for item, key in zip(items, keys, strict=True) if key != GENERATOR]
        own = [item for item, key in zip(items, keys, strict=True) if key == GENERATOR]
        source = self.encoder.encode(glued).hidden if glued else None
        mine = generator_conditioning(self.pipeline, own, self.target_tokens) if own else None
        return source, keys, mine

    @property
    def target_tokens(self) -> int:
        """How many tokens the GlueNets give (and the generator's own rows get)."""
        return next(iter(self.gluenets.values())).config.target_tokens

    @torch.no_grad()
    def encode_features(
        self, source: torch.Tensor | None, keys: Sequence[str], own: TokenFeatures | None = None
    ) -> TokenFeatures:
        """The glued conditioning of inputs routed by `keys`: source features (g, n_s, d_s) of
        the g rows routed to GlueNets, in order, each through the GlueNet of its key; `own`:
        the generator's own rows (keys GENERATOR), in order. Gives embeds (b, n, d), mask
        (b, n) (all ones without a mask head), pooled (b, p) or None."""
        embeds = mask = pooled = None
        place = {row: i for i, row in enumerate(r for r, k in enumerate(keys) if k != GENERATOR)}
        for key in dict.fromkeys(keys):
            rows = torch.tensor([i for i, k in enumerate(keys) if k == key])
            if key == GENERATOR:
                embeds, mask, pooled = self._place(own, rows, (embeds, mask, pooled), len(keys))
                continue
            gluenet = self.gluenets[key]
            read = source[[place[row] for row in rows.tolist()]]  # (rows, n_s, d_s)
            read = read.to(gluenet.device)  # where the GlueNet is
            glued = gluenet.translate(read)  # (rows, n_t, d_t), on the GlueNet's device
            if embeds is None:
                embeds = glued.new_zeros(len(keys), *glued.shape[1:])
                mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device)
            embeds[rows] = glued.to(embeds.device)
            if gluenet.config.target_mask:
                mask[rows] = gluenet.translate_mask(read).to(mask.device)  # (rows, n_t)
            if gluenet.config.pooled_dim:
                part = gluenet.translate_pooled(read)  # (rows, p)
                pooled = part.new_zeros(len(keys), part.shape[1]) if pooled is None else pooled
                pooled[rows] = part.to(pooled.device)
        return TokenFeatures(embeds, mask, pooled)

    @staticmethod
    def _place(own: TokenFeatures | None, rows: torch.Tensor, built: tuple, count: int) -> tuple:
        """(embeds, mask, pooled) of `count` rows with `own` (r rows) placed at `rows`."""
        if own is None or len(own.hidden) != len(rows):
            raise ValueError("Give the generator's own encoding of every row routed to it.")
        embeds, mask, pooled = built
        if embeds is None:
            embeds = own.hidden.new_zeros(count, *own.hidden.shape[1:])
            mask = torch.ones(embeds.shape[:2], dtype=torch.long, device=embeds.device)
        embeds[rows] = own.hidden.to(embeds.device, embeds.dtype)
        mask[rows] = own.mask.to(mask.device)
        if own.pooled is not None:
            if pooled is None:
                pooled = own.pooled.new_zeros(count, own.pooled.shape[1])
            pooled[rows] = own.pooled.to(pooled.device, pooled.dtype)
        return embeds, mask, pooled

    def _own(self, texts: Sequence[str], like: torch.Tensor) -> TokenFeatures:
        """The generator's own encoding of `texts`, as many tokens as `like` (b, n, d)."""
        own = generator_conditioning(self.pipeline, texts, like.shape[1])
        return own.to(like.dtype, like.device)

    @torch.no_grad()
    def unconditional_embeds(self, keys: Sequence[str]) -> TokenFeatures:
        """The empty input's conditioning for each key: through the source side and that
        GlueNet, or the generator's own empty prompt (always, for rows routed to GENERATOR)."""
        keys = list(keys)
        glued = len(keys) - keys.count(GENERATOR)
        if self.unconditional == "source" and glued:
            empty = getattr(self.encoder, "empty_features", None)
            source = empty(glued) if empty else self.encoder.encode([""] * glued)
            own = self._own_empty(len(keys) - glued) if glued < len(keys) else None
            return self.encode_features(source.hidden, keys, own)
        return self._own_empty(len(keys))

    def _own_empty(self, count: int) -> TokenFeatures:
        """The generator's own empty-prompt conditioning, `count` rows."""
        own = generator_conditioning(self.pipeline, [""], self.target_tokens)
        embeds, pooled = own.hidden, own.pooled
        if getattr(self.pipeline.config, "force_zeros_for_empty_prompt", False):
            # SDXL draws its own empty prompt as zeros (embeds and pooled), not as an encoding
            embeds, pooled = embeds.zero_(), None if pooled is None else pooled.zero_()
        return TokenFeatures(
            embeds.repeat(count, 1, 1),
            own.mask.repeat(count, 1),
            None if pooled is None else pooled.repeat(count, 1),
        )

    @torch.no_grad()
    def negative_embeds(
        self, negatives: Sequence[str], keys: Sequence[str], encoder: str | None, like: Any
    ) -> TokenFeatures:
        """A negative prompt in words for each input: through the source encoder and the
        input's GlueNet (`encoder="source"`: words in the prompt's language), or through the
        generator's own text encoder (`"generator"`: words in its language, and always for
        prompts routed to it)."""
        if encoder not in NEGATIVE_ENCODERS:
            raise ValueError(
                "negative_prompt: say which encoder reads it, negative_encoder='source' (the "
                "source encoder and the prompt's GlueNet: words in the prompt's language) or "
                f"'generator' (the generator's own text encoder: words in its language); got "
                f"{encoder!r}."
            )
        if len(negatives) == 1:
            negatives = list(negatives) * len(keys)
        if len(negatives) != len(keys) or not all(isinstance(n, str) for n in negatives):
            raise ValueError(
                f"negative_prompt: give one text, or one per input ({len(keys)}); got "
                f"{len(negatives)}."
            )
        if encoder == "generator":
            require_text_encoders(self.pipeline, "A negative prompt through the generator")
            return self._own(negatives, like.hidden)
        if self.encoder.identity().get("kind") != "hf-text":
            raise ValueError(
                "negative_prompt: the source encoder reads sounds, not words; give "
                "negative_encoder='generator' to read it with the generator's own encoder."
            )
        return self.encode_features(*self._read(negatives, keys))

    @torch.no_grad()
    def mix_with_text(
        self,
        glued: TokenFeatures,
        texts: Sequence[str],
        mix: str = "splice",
        split: int = DEFAULT_SPLIT,
        weight: float | None = None,
        against: Sequence[str] | None = None,
    ) -> TokenFeatures:
        """Glued conditioning (b inputs) mixed with the generator's own encoding of `texts`
        (b of them); the mask attends to the tokens either side attends to.

        `weight`: the sound's share in a blend (default DEFAULT_BLEND), the text offset's
        factor in an offset mix (default DEFAULT_OFFSET); a splice cuts at `split`.
        `against` (offset only): texts the words are told apart from, such as every value
        they choose among ("on the left", "on the right", ...); the offset is then measured
        from the mean of their encodings instead of the empty prompt, so that what all of
        them say alike (words that pull towards some object) is not added.
        """
        if mix not in MIXES:
            raise ValueError(f"mix must be one of {MIXES}, got {mix!r}")
        if against is not None and (mix != "offset" or not against):
            raise ValueError(
                "against names the texts an offset mix is measured from: give mix='offset' "
                "and at least one text (or against=None for the empty prompt)."
            )
        require_text_encoders(self.pipeline, "Mixing with text")
        embeds = glued.hidden
        if len(texts) != len(embeds):
            raise ValueError(f"Give one text per input: {len(embeds)} inputs, {len(texts)} texts.")
        own = self._own(texts, embeds)  # (b, n, d)
        if mix == "splice":
            mixed = splice(embeds, own.hidden, split)
        elif mix == "blend":
            mixed = blend(embeds, own.hidden, DEFAULT_BLEND if weight is None else weight)
        else:
            reference = [""] if against is None else list(against)
            origin = self._own(reference, embeds).hidden.mean(0, keepdim=True)  # (1, n, d)
            factor = DEFAULT_OFFSET if weight is None else weight
            mixed = offset(embeds, own.hidden, origin, factor)
        return TokenFeatures(mixed, torch.maximum(glued.mask, own.mask), glued.pooled)

    def draw_with_own_encoder(self, prompts: str | Sequence[str], **kwargs: Any) -> Any:
        """The wrapped pipeline drawing from `prompts` through its own text encoder (the
        baseline GlueGen is compared with), under the same lock as every GlueGen call."""
        with self._lock:
            return self.pipeline(prompt=as_batch(prompts), **kwargs)

    def __call__(
        self,
        inputs: Any = None,
        num_images_per_prompt: int = 1,
        language: str | None = None,
        text: str | Sequence[str] | None = None,
        mix: str = "splice",
        mix_split: int = DEFAULT_SPLIT,
        mix_weight: float | None = None,
        mix_against: Sequence[str] | None = None,
        negative_prompt: str | Sequence[str] | None = None,
        negative_encoder: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Draw `num_images_per_prompt` images for each of `inputs` (one or a list); other
        arguments go to the pipeline.

        With `text` (one per input), each input's glued embeds are mixed with the text's own
        embeds from the generator's text encoder: `mix="splice"` (the paper's, at `mix_split`),
        `"blend"` (a weighted average, `mix_weight` of the input) or `"offset"` (the text's
        offset from the empty prompt, or from the mean of `mix_against`'s, times `mix_weight`,
        added to the input's tokens, each kept at its norm). `negative_prompt` (one, or one per
        input) replaces the empty input for guidance, read by `negative_encoder`: "source" or
        "generator" (`negative_embeds`). `prompt=` (diffusers' name) is taken for `inputs`.
        """
        if "prompt" in kwargs:
            if inputs is not None:
                raise ValueError("Give the prompts once: as inputs or as prompt=, not both.")
            inputs = kwargs.pop("prompt")
        negative = (negative_prompt, negative_encoder)
        with self._lock:
            return self._draw(
                inputs,
                num_images_per_prompt,
                language,
                (text, mix, mix_split, mix_weight, mix_against),
                negative,
                kwargs,
            )

    def _draw(self, inputs, num_images_per_prompt, language, mixing, negative, kwargs) -> Any:
        # 1. check inputs
        batch = [] if inputs is None else as_batch(inputs)
        if not batch:
            raise ValueError("No inputs: give one prompt (or sound) or a list of them.")
        for i, item in enumerate(batch):
            if isinstance(item, str) and not item.strip():
                raise ValueError(
                    f"Input {i} is an empty prompt; GlueGen draws from what the source encoder "
                    "reads: give it a description."
                )
        for name in CONDITIONING_ARGUMENTS:
            if name in kwargs:
                raise ValueError(f"{name} is computed by GlueGen; pass your inputs instead.")
        check_draw_settings(num_images_per_prompt, kwargs)
        refuse_text_encoder_lora(self.pipeline)  # a LoRA loaded since construction, too
        if "clip_skip" in kwargs:
            raise ValueError(
                "clip_skip changes the generator's own text features, which GlueGen replaces: "
                "train the GlueNet on them instead (gluegen train --target-clip-skip N)."
            )
        # 2. each input's GlueNet
        keys = self.route(batch, language)
        # 3. source encoder -> GlueNet
        glued = self.encode(batch, keys)
        text, mix, mix_split, mix_weight, mix_against = mixing
        if text is not None:
            glued = self.mix_with_text(
                glued, as_batch(text), mix, mix_split, mix_weight, mix_against
            )
        # 4. the unconditional conditioning: the empty input, or a negative prompt in words
        negative_prompt, negative_encoder = negative
        if negative_prompt is None:
            unconditional = self.unconditional_embeds(keys)
        else:
            words = as_batch(negative_prompt)
            unconditional = self.negative_embeds(words, keys, negative_encoder, glued)
        # 5. several images per input: each row repeated here, as every family's pipeline
        # would repeat its own prompts (SD3 and Flux do not repeat given embeds)
        glued = repeat_each(glued, num_images_per_prompt)
        unconditional = repeat_each(unconditional, num_images_per_prompt)
        # 6. the untouched pipeline draws, on its device, in its denoiser's precision
        dtype = getattr(self.pipeline, self.family.denoiser).dtype
        device = self.pipeline._execution_device
        positive, negative_embeds = glued.to(dtype, device), unconditional.to(dtype, device)
        return self.pipeline(**self.family.call_arguments(positive, negative_embeds), **kwargs)
