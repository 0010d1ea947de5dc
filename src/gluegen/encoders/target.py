"""The target side: a diffusers pipeline's own text conditioning, computed as the pipeline does.

SD 1.x/2.x: one CLIP text encoder -> prompt_embeds (b, 77, d).
SDXL: two encoders, penultimate hidden states concatenated -> (b, 77, d1 + d2), plus the second
encoder's projected pooled output (b, p) as pooled_prompt_embeds; the SDXL refiner the same
with its one (second) encoder. Computed here (`DiffusersTextTarget`): diffusers' SD clip_skip
path reads `text_encoder.text_model`, which transformers 5 no longer has.
SD3, PixArt, Flux (families.py): the pipeline's own `encode_prompt` (`EncodePromptTarget`).
Only the tokenizers and text encoders are read, never the denoiser's weights or the VAE.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import hf_hub_download
from transformers import AutoConfig, AutoTokenizer

from gluegen.encoders.base import ModelSource, TokenFeatures, model_fingerprint
from gluegen.encoders.families import (
    TEXT_ENCODERS,
    StableDiffusion,
    StableDiffusion3,
    family_of,
)
from gluegen.encoders.text import config_width, load_text_model

TEXT_PARTS = (("tokenizer", "text_encoder"), ("tokenizer_2", "text_encoder_2"))
KEPT_COMPONENTS = ("scheduler", "tokenizer", "tokenizer_2", "tokenizer_3", *TEXT_ENCODERS)


def read_pipeline_json(
    name_or_path: str, file: str = "model_index.json", revision: str | None = None
) -> dict[str, Any]:
    """A JSON file of a diffusers pipeline (its model_index.json by default), from a folder or
    a hub id."""
    folder = Path(name_or_path)
    if folder.is_dir():
        path = folder / file
        if not path.is_file():
            raise ValueError(
                f"{name_or_path} is not a diffusers pipeline folder: it has no {file}. "
                "Save one with pipeline.save_pretrained(folder)."
            )
        return json.loads(path.read_text())
    try:
        return json.loads(Path(hf_hub_download(name_or_path, file, revision=revision)).read_text())
    except Exception as error:  # noqa: BLE001 - any hub failure is the same user problem
        raise ValueError(
            f"Cannot read {file} of pipeline {name_or_path!r}: give a local pipeline "
            f"folder or a reachable hub id ({error})"
        ) from error


def read_model_index(name_or_path: str, revision: str | None = None) -> dict[str, Any]:
    """The pipeline's model_index.json, from a folder or a hub id."""
    return read_pipeline_json(name_or_path, "model_index.json", revision)


def pipeline_identity(target: Any, **options: Any) -> dict[str, Any]:
    """The id of a pipeline's text side: what decides its features (a cache key part)."""
    return {
        "kind": "diffusers-text",
        "name_or_path": target.name_or_path,
        "revision": target.revision,
        "pipeline_class": target.pipeline_class,
        "clip_skip": target.clip_skip,
        **options,
        "fingerprint": model_fingerprint(target.name_or_path, target.revision),
    }


def pipeline_target(
    name_or_path: str, revision: str | None = None, **options: Any
) -> DiffusersTextTarget | EncodePromptTarget:
    """The target side of a diffusers pipeline: Stable Diffusion computed here, the
    T5-reading families by their own encode_prompt."""
    pipeline_class = read_model_index(name_or_path, revision).get("_class_name", "")
    if isinstance(family_of(pipeline_class, name_or_path), StableDiffusion):
        if options.get("max_sequence_length") is not None:
            raise ValueError(
                f"max_sequence_length: {name_or_path} is a {pipeline_class}, whose CLIP reads a "
                "fixed number of tokens; leave it unset."
            )
        options.pop("max_sequence_length", None)
        return DiffusersTextTarget(name_or_path, revision=revision, **options)
    return EncodePromptTarget(name_or_path, revision=revision, **options)


class DiffusersTextTarget(ModelSource):
    """Prompts -> the exact prompt_embeds (and pooled embeds) a diffusers pipeline would use."""

    def __init__(
        self,
        name_or_path: str,
        revision: str | None = None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        clip_skip: int | None = None,
    ) -> None:
        if clip_skip is not None and clip_skip < 1:
            raise ValueError(
                f"clip_skip must be >= 1 (layers skipped from the end), got {clip_skip}"
            )
        self._set_source(name_or_path, revision, device, dtype)
        self.clip_skip = clip_skip
        index = read_model_index(self.name_or_path, revision)
        self.pipeline_class = index.get("_class_name", "")
        if not isinstance(family_of(self.pipeline_class, name_or_path), StableDiffusion):
            raise ValueError(f"{name_or_path}: load it with pipeline_target().")
        self.parts = [(tok, enc) for tok, enc in TEXT_PARTS if index.get(enc) and index[enc][0]]
        if not self.parts:
            raise ValueError(f"Pipeline {name_or_path!r} has no text encoder to align to.")
        configs = [
            AutoConfig.from_pretrained(self.name_or_path, subfolder=enc, revision=revision)
            for _, enc in self.parts
        ]
        # SDXL (and its refiner, which has only the second encoder): penultimate layers and
        # the second encoder's pooled output, as diffusers' encode_prompt
        self.uses_hidden_layer = any(enc == "text_encoder_2" for _, enc in self.parts)
        self.num_tokens = int(configs[0].max_position_embeddings)
        self.dim = sum(config_width(config) for config in configs)
        projection = getattr(configs[-1], "projection_dim", None)
        is_projected = any("WithProjection" in a for a in configs[-1].architectures or [])
        self.pooled_dim = int(projection) if self.uses_hidden_layer and is_projected else None
        self._loaded: list[tuple[Any, Any]] | None = None

    @property
    def is_loaded(self) -> bool:
        """True once the text encoders' weights have been read."""
        return self._loaded is not None

    def load(self) -> DiffusersTextTarget:
        """Read tokenizers and text encoders (done on the first `encode`)."""
        if self._loaded is None:
            self._loaded = []
            for tok, enc in self.parts:
                kwargs = {"revision": self.revision}
                tokenizer = AutoTokenizer.from_pretrained(
                    self.name_or_path, subfolder=tok, **kwargs
                )
                model = load_text_model(self.name_or_path, subfolder=enc, **kwargs)
                model = model.to(self.device, self.dtype).eval().requires_grad_(False)
                self._loaded.append((tokenizer, model))
        return self

    def to(self, device: str | torch.device) -> DiffusersTextTarget:
        """Move the encoders (now or when they load) to `device`."""
        self.device = torch.device(device)
        for _, model in self._loaded or []:
            model.to(self.device)
        return self

    def identity(self) -> dict[str, Any]:
        """Id of the pipeline whose text space this is."""
        return pipeline_identity(self)

    @torch.no_grad()
    def encode(self, batch: Sequence[str]) -> TokenFeatures:
        """Prompts -> prompt_embeds (b, n, d), mask (b, n), pooled (b, p) for SDXL."""
        if isinstance(batch, str):
            raise TypeError("encode takes a list of strings, not one string.")
        self.load()
        hidden_parts, pooled, mask = [], None, None
        for tokenizer, model in self._loaded:
            tokens = tokenizer(
                list(batch),
                padding="max_length",
                max_length=self.num_tokens,
                truncation=True,
                return_tensors="pt",
            ).to(self.device)
            mask = tokens["attention_mask"] if mask is None else mask
            use_mask = getattr(model.config, "use_attention_mask", False)
            output = model(
                tokens["input_ids"],
                attention_mask=tokens["attention_mask"] if use_mask else None,
                output_hidden_states=self.uses_hidden_layer or self.clip_skip is not None,
            )
            skip = self.clip_skip or 0
            if self.uses_hidden_layer:  # SDXL counts clip_skip from the penultimate layer
                hidden_parts.append(output.hidden_states[-(skip + 2)])
                pooled = output[0]  # the last encoder's projected pooled output
            elif skip:  # SD: that layer, through the final LayerNorm, as diffusers does
                layer = output.hidden_states[-(skip + 1)]
                text_model = getattr(model, "text_model", model)  # transformers 5 flattened it
                hidden_parts.append(text_model.final_layer_norm(layer))
            else:
                hidden_parts.append(output.last_hidden_state)
        hidden = torch.cat(hidden_parts, dim=-1).float()  # (b, n, d1 + d2)
        if self.pooled_dim is None:
            pooled = None
        return TokenFeatures(
            hidden=hidden, mask=mask, pooled=None if pooled is None else pooled.float()
        )


class EncodePromptTarget(ModelSource):
    """Prompts -> the conditioning of an SD3, PixArt or Flux pipeline: its own `encode_prompt`,
    run on the pipeline loaded with its tokenizers and text encoders only."""

    masked: bool

    def __init__(
        self,
        name_or_path: str,
        revision: str | None = None,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        clip_skip: int | None = None,
        max_sequence_length: int | None = None,
    ) -> None:
        import diffusers

        self._set_source(name_or_path, revision, device, dtype)
        self.index = read_model_index(self.name_or_path, revision)
        self.pipeline_class = self.index.get("_class_name", "")
        self.family = family_of(self.pipeline_class, name_or_path)  # or a named refusal
        if clip_skip is not None and not self.family.has_clip_skip:
            raise ValueError(
                f"clip_skip: {self.pipeline_class} reads T5's last layer and has no clip_skip; "
                "leave --target-clip-skip unset."
            )
        if max_sequence_length is not None and max_sequence_length < 1:
            raise ValueError(f"max_sequence_length must be >= 1, got {max_sequence_length}")
        self.clip_skip = clip_skip
        pipeline_type = getattr(diffusers, self.pipeline_class)
        self.max_sequence_length = max_sequence_length or self.family.default_sequence_length(
            pipeline_type
        )
        denoiser = read_pipeline_json(
            self.name_or_path, f"{self.family.denoiser}/config.json", revision
        )
        shape = self.family.denoiser_shape(denoiser)
        clip_positions = 0
        if isinstance(self.family, StableDiffusion3):  # CLIP's tokens ahead of T5's
            tokenizer = AutoTokenizer.from_pretrained(
                self.name_or_path, subfolder="tokenizer", revision=revision
            )
            clip_positions = int(tokenizer.model_max_length)
        self.num_tokens = clip_positions + self.max_sequence_length
        self.dim, self.pooled_dim, self.masked = shape.width, shape.pooled, shape.masked
        self._denoiser_config = denoiser
        self._pipeline: Any = None

    @property
    def is_loaded(self) -> bool:
        """True once the text encoders' weights have been read."""
        return self._pipeline is not None

    def load(self) -> EncodePromptTarget:
        """Read the pipeline's tokenizers and text encoders (done on the first `encode`)."""
        if self._pipeline is None:
            import diffusers

            components = {k: v for k, v in self.index.items() if not k.startswith("_")}
            skipped = {  # every part but the text side, and parts the folder does not have
                name: None
                for name, entry in components.items()
                if name not in KEPT_COMPONENTS or not (isinstance(entry, list) and entry[0])
            }
            if isinstance(self.family, StableDiffusion3) and "text_encoder_3" in skipped:
                # without T5 encode_prompt fills its tokens with zeros of the transformer's
                # width, read from a weightless stand-in
                skipped["transformer"] = self._weightless_denoiser()
            pipeline = diffusers.DiffusionPipeline.from_pretrained(
                self.name_or_path, revision=self.revision, dtype=self.dtype, **skipped
            )
            for name in TEXT_ENCODERS:
                encoder = getattr(pipeline, name, None)
                if encoder is not None:
                    encoder.to(self.device).eval().requires_grad_(False)
            self._pipeline = pipeline
        return self

    def _weightless_denoiser(self) -> Any:
        import diffusers
        from accelerate import init_empty_weights

        config = {k: v for k, v in self._denoiser_config.items() if not k.startswith("_")}
        with init_empty_weights():
            return getattr(diffusers, self._denoiser_config["_class_name"]).from_config(config)

    def to(self, device: str | torch.device) -> EncodePromptTarget:
        """Move the text encoders (now or when they load) to `device`."""
        self.device = torch.device(device)
        for name in TEXT_ENCODERS:
            encoder = getattr(self._pipeline, name, None) if self._pipeline else None
            if encoder is not None:
                encoder.to(self.device)
        return self

    def identity(self) -> dict[str, Any]:
        """Id of the pipeline whose text space this is (its T5 length too)."""
        return pipeline_identity(self, max_sequence_length=self.max_sequence_length)

    @torch.no_grad()
    def encode(self, batch: Sequence[str]) -> TokenFeatures:
        """Prompts -> prompt_embeds (b, n, d), mask (b, n), pooled (b, p) or None."""
        if isinstance(batch, str):
            raise TypeError("encode takes a list of strings, not one string.")
        self.load()
        features = self.family.encode(
            self._pipeline, batch, self.max_sequence_length, self.device, self.clip_skip
        )
        pooled = None if features.pooled is None else features.pooled.float()
        return TokenFeatures(features.hidden.float(), features.mask, pooled)
