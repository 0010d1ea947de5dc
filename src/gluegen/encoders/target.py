"""The target side: a diffusers pipeline's own text conditioning, computed as the pipeline does.

SD 1.x/2.x: one CLIP text encoder -> prompt_embeds (b, 77, d).
SDXL: two encoders, penultimate hidden states concatenated -> (b, 77, d1 + d2), plus the second
encoder's projected pooled output (b, p) as pooled_prompt_embeds; the SDXL refiner the same
with its one (second) encoder.
Only the tokenizers and text encoders are read, never the UNet or VAE.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import hf_hub_download
from transformers import AutoConfig, AutoTokenizer

from gluegen.encoders.base import ModelSource, TokenFeatures, folder_fingerprint
from gluegen.encoders.text import config_width, load_text_model

TEXT_PARTS = (("tokenizer", "text_encoder"), ("tokenizer_2", "text_encoder_2"))


def read_model_index(name_or_path: str, revision: str | None = None) -> dict[str, Any]:
    """The pipeline's model_index.json, from a folder or a hub id."""
    folder = Path(name_or_path)
    if folder.is_dir():
        index = folder / "model_index.json"
        if not index.is_file():
            raise ValueError(
                f"{name_or_path} is not a diffusers pipeline folder: it has no model_index.json. "
                "Save one with pipeline.save_pretrained(folder)."
            )
        return json.loads(index.read_text())
    try:
        return json.loads(
            Path(hf_hub_download(name_or_path, "model_index.json", revision=revision)).read_text()
        )
    except Exception as error:  # noqa: BLE001 - any hub failure is the same user problem
        raise ValueError(
            f"Cannot read model_index.json of pipeline {name_or_path!r}: give a local pipeline "
            f"folder or a reachable hub id ({error})"
        ) from error


# Pipelines whose text conditioning is one or two CLIP encoders' tokens (+ a pooled vector):
# SD 1.x/2.x and SDXL with their img2img, inpaint and ControlNet variants, the SDXL refiner.
SUPPORTED_FAMILY = "StableDiffusion"
NOT_YET = ("StableDiffusion3",)  # CLIP + T5 tokens: more than GlueNet produces yet


def refuse_unsupported(pipeline_class: str, name_or_path: str) -> None:
    """A named error, before any work, for a pipeline whose text space GlueGen cannot produce."""
    if pipeline_class.startswith(SUPPORTED_FAMILY) and not pipeline_class.startswith(NOT_YET):
        return
    raise ValueError(
        f"{name_or_path} is a {pipeline_class or 'pipeline of unknown class'}: GlueGen does not "
        "yet produce its text conditioning (SD3, PixArt, Flux and others read T5 tokens, "
        "masks or other inputs). Supported: Stable Diffusion 1.x/2.x and SDXL pipelines (with "
        "their img2img, inpaint and ControlNet variants, and the SDXL refiner)."
    )


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
        refuse_unsupported(self.pipeline_class, name_or_path)
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
        return {
            "kind": "diffusers-text",
            "name_or_path": self.name_or_path,
            "revision": self.revision,
            "pipeline_class": self.pipeline_class,
            "clip_skip": self.clip_skip,
            "fingerprint": folder_fingerprint(self.name_or_path),
        }

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
