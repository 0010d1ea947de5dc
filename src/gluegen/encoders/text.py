"""Any Hugging Face text encoder as a GlueGen encoder (XLM-R, T5 encoder, CLIP text, BERT...)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel

from gluegen.encoders.base import LazyModel, TokenFeatures, model_fingerprint
from gluegen.encoders.weights import load_encoder

logger = logging.getLogger(__name__)

# Families whose text encoder must be loaded with a class of its own: the encoder half of an
# encoder-decoder, the text tower of a two-tower model.
ENCODER_ONLY_CLASSES = {
    "t5": "T5EncoderModel",
    "mt5": "MT5EncoderModel",
    "umt5": "UMT5EncoderModel",
    "clip": "CLIPTextModel",
    "clip_text_model": "CLIPTextModel",
}
# Saved architectures that are text encoders already, and are loaded as they are.
TEXT_ENCODER_ARCHITECTURES = {"CLIPTextModel", "CLIPTextModelWithProjection", "T5EncoderModel"}


def text_config(config: Any) -> Any:
    """The text part of a (possibly multi-modal) transformers config."""
    return getattr(config, "text_config", None) or config


def config_width(config: Any) -> int:
    """Hidden width of a transformers text config (hidden_size, or d_model for T5)."""
    config = text_config(config)
    for name in ("hidden_size", "d_model"):
        if getattr(config, name, None):
            return int(getattr(config, name))
    raise ValueError(f"Cannot tell the hidden width of a {type(config).__name__}.")


def load_text_model(name_or_path: str, revision: str | None = None, **kwargs) -> PreTrainedModel:
    """Load the encoder-only model behind `name_or_path` with the real transformers class
    (`load_encoder`: weights it reads missing from the checkpoint are an error)."""
    import transformers

    config = AutoConfig.from_pretrained(name_or_path, revision=revision, **kwargs)
    saved = [a for a in config.architectures or [] if a in TEXT_ENCODER_ARCHITECTURES]
    class_name = saved[0] if saved else ENCODER_ONLY_CLASSES.get(config.model_type)
    model_class = getattr(transformers, class_name) if class_name else AutoModel
    return load_encoder(model_class, name_or_path, revision=revision, **kwargs)


POOLINGS = (None, "mean")
DEFAULT_TOKENS = 77  # tokens read when not told: what Stable Diffusion's CLIP reads
# RoBERTa-style models number positions after the padding index: two fewer are usable.
OFFSET_POSITIONS = {"xlm-roberta": 2, "roberta": 2, "camembert": 2, "xlm-roberta-xl": 2}


def usable_positions(config: Any) -> int | None:
    """Tokens a text model can read (None: no limit, e.g. T5's relative positions)."""
    config = text_config(config)
    positions = getattr(config, "max_position_embeddings", None)
    if positions is None:
        return None
    return int(positions) - OFFSET_POSITIONS.get(config.model_type, 0)


class HFTextEncoder(LazyModel):
    """Strings -> (b, max_length, d) token features from one hidden layer of a text model.

    With `pooling="mean"`, one token (b, 1, d): the mean over the prompt's tokens, as sentence
    encoders (sentence-transformers) are trained to be read.

    Loads lazily: building the object reads only the config, so a cache that already holds
    the features never loads the weights.
    """

    def __init__(
        self,
        name_or_path: str,
        max_length: int | None = None,
        layer: int = -1,
        revision: str | None = None,
        subfolder: str = "",
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        pooling: str | None = None,
    ) -> None:
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self._set_source(name_or_path, revision, device, dtype)
        self.subfolder = subfolder
        self.layer = layer
        self.pooling = pooling
        try:
            config = AutoConfig.from_pretrained(
                self.name_or_path, revision=revision, subfolder=subfolder
            )
        except OSError as error:
            raise ValueError(
                f"Cannot load a text encoder from {self.name_or_path!r}: give a Hugging Face "
                f"hub id or a folder holding config.json ({error})"
            ) from error
        self.model_type = config.model_type
        positions = usable_positions(config)
        if max_length is None:  # Stable Diffusion's 77, or all the model reads if fewer
            max_length = min(DEFAULT_TOKENS, positions or DEFAULT_TOKENS)
        if positions is not None and max_length > positions:
            raise ValueError(
                f"max_length {max_length} is beyond the {positions} positions "
                f"{self.name_or_path} reads; give at most {positions} (--source-max-length)."
            )
        self.max_length = max_length  # tokens read
        self.num_tokens = 1 if pooling else max_length  # tokens emitted
        self.dim = config_width(config)
        self.pooled_dim = None
        self._model: PreTrainedModel | None = None
        self._tokenizer = None

    def load(self) -> HFTextEncoder:
        """Read tokenizer and weights (done on the first `encode`)."""
        if self._model is None:
            kwargs = {"revision": self.revision, "subfolder": self.subfolder}
            self._tokenizer = AutoTokenizer.from_pretrained(self.name_or_path, **kwargs)
            model = load_text_model(self.name_or_path, **kwargs)
            self._model = model.to(self.device, self.dtype).eval().requires_grad_(False)
        return self

    def identity(self) -> dict[str, Any]:
        """Id of this encoder and its options, stored in caches and checkpoints."""
        return {
            "kind": "hf-text",
            "name_or_path": self.name_or_path,
            "revision": self.revision,
            "subfolder": self.subfolder,
            "layer": self.layer,
            "max_length": self.max_length,
            "pooling": self.pooling,
            "fingerprint": model_fingerprint(self.name_or_path, self.revision),
        }

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Strings -> input_ids, attention_mask, each (b, max_length)."""
        self.load()
        return self._tokenizer(
            list(texts),
            padding="max_length",
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        )

    def token_lengths(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text takes before truncation (special tokens included)."""
        self.load()
        return [len(ids) for ids in self._tokenizer(list(texts))["input_ids"]]

    @torch.no_grad()
    def encode(self, batch: Sequence[str]) -> TokenFeatures:
        """Strings -> hidden (b, max_length, d) from the chosen layer, mask (b, max_length)."""
        if isinstance(batch, str):
            raise TypeError("encode takes a list of strings, not one string.")
        tokens = self.tokenize(batch).to(self.device)
        want_layers = self.layer != -1
        output = self._model(
            input_ids=tokens["input_ids"],
            attention_mask=tokens["attention_mask"],
            output_hidden_states=want_layers,
        )
        hidden = output.hidden_states[self.layer] if want_layers else output.last_hidden_state
        mask = tokens["attention_mask"]  # (b, max_length)
        if self.pooling == "mean":
            weights = mask[:, :, None].to(hidden.dtype)
            hidden = (hidden * weights).sum(1, keepdim=True) / weights.sum(1, keepdim=True)
            mask = mask[:, :1]  # (b, 1, d), (b, 1)
        return TokenFeatures(hidden=hidden.float(), mask=mask)

    def empty_features(self, count: int) -> TokenFeatures:
        """The empty input, `count` times: the empty string."""
        return self.encode([""] * count)
