"""GlueNet: translate a source encoder's token features into a generator's text space.

Notation: b - batch, n - tokens, d - features (channels); `_s` source, `_t` target,
`_m` the mixer's view of the source (the audio preset folds one 1024-vector into 16 x 64).

The network is built from mixer blocks (method.md): a channel MLP applied to every token and
a token MLP applied across the token axis. Blocks at the source size, one *bridge* block that
changes the size, blocks at the target size, then optional *tail* blocks. The recipes
`paper-multilingual` and `paper-audio` (recipes.py) reproduce the paper's two networks. Beyond
the paper, the bridge can route tokens by content instead (`attention_heads`, attention.py).

GlueNet works in *normalised* spaces: the source is divided by a fraction of its measured
mean token norm (or, with `standardize_source`, each channel centred and scaled by its
measured mean and deviation), the target token by token by the same fraction of its
per-position norm.
`translate` does both ends, so callers hand it raw encoder features and get raw generator
features back.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from huggingface_hub import ModelCard, PyTorchModelHubMixin, snapshot_download
from huggingface_hub.constants import CONFIG_NAME, SAFETENSORS_SINGLE_FILE
from safetensors.torch import save_file
from torch import nn

from gluegen.checkpoints import (
    check_header,
    check_state,
    missing_folder,
    read_json,
    read_metadata,
    read_tensors,
)
from gluegen.models.attention import ContentBridge
from gluegen.models.blocks import ACTIVATIONS, MixerBlock, TokenContext
from gluegen.models.card import model_card
from gluegen.models.config import GlueNetConfig
from gluegen.models.stats import FeatureStatistics

CONFIG_HASH_KEY = "gluegen_config_sha256"  # in model.safetensors' metadata
SAVED_FILES = (CONFIG_NAME, SAFETENSORS_SINGLE_FILE, "README.md")  # what a save writes
RUN_GLUENET = "gluenet"  # where a training run (OUTPUT_DIR) saves its GlueNet
SAVED_DTYPE = "F32"  # every GlueNet tensor is saved in float32 (safetensors' name)


def settings_hash(settings: dict) -> str:
    """SHA-256 of a config's settings as canonical JSON."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def config_hash(config: GlueNetConfig) -> str:
    """SHA-256 of a config's canonical JSON (every field)."""
    return settings_hash(dataclasses.asdict(config))


def prefix_mask(attended: torch.Tensor, ignored: torch.Tensor) -> torch.Tensor:
    """Per-token log-probabilities (b, n) that each token is attended (`attended`) and not
    (`ignored`) -> the most likely mask (b, n) that is a prefix of at least one token, as a
    tokenizer's padding makes: L ones then zeros, for the L maximising
    sum_{i<L} log p_i + sum_{i>=L} log(1 - p_i), L = 1 .. n."""
    kept = attended.cumsum(dim=1)  # (b, n): sum_{i<=k} log p_i
    dropped = ignored.flip(1).cumsum(dim=1).flip(1)  # sum_{i>=k} log(1 - p_i)
    dropped = torch.cat([dropped[:, 1:], dropped.new_zeros(len(dropped), 1)], dim=1)
    length = (kept + dropped).argmax(dim=1) + 1  # (b,)
    positions = torch.arange(attended.shape[1], device=attended.device)
    return (positions[None, :] < length[:, None]).long()


class GlueNet(nn.Module, PyTorchModelHubMixin, library_name="gluegen", tags=["gluegen"]):
    """Source token features (b, n_s, d_s) -> generator text features (b, n_t, d_t).

    Save with `save_pretrained(folder)`; load with `GlueNet.from_pretrained(folder_or_hub_id)`.
    The folder holds `config.json` (shapes, encoder ids) and `model.safetensors` (weights and
    the measured feature statistics).
    """

    def __init__(self, config: GlueNetConfig) -> None:
        super().__init__()
        if isinstance(config, dict):  # loaded from JSON by hand
            config = GlueNetConfig(**config)
        self.config = config
        n_m, d_m = config.mixer_shape
        n_t, d_t = config.target_tokens, config.target_dim
        # every mixer block shares the MLP width, the order of mixing and the nonlinearity
        block = partial(
            MixerBlock, mult=config.mult, mix_order=config.mix_order, activation=config.activation
        )

        def residual_blocks(count: int, tokens: int, dim: int, **kwargs) -> nn.ModuleList:
            return nn.ModuleList(block(tokens, dim, tokens, dim, **kwargs) for _ in range(count))

        self.source_blocks = residual_blocks(
            config.source_blocks, n_m, d_m, mix_tokens=config.source_token_mixing
        )
        if config.attention_heads:
            self.bridge: nn.Module = ContentBridge(
                n_m,
                d_m,
                n_t,
                d_t,
                heads=config.attention_heads,
                head_dim=config.attention_head_dim,
                layers=config.attention_layers,
                slots=config.attention_slots,
            )
        else:
            self.bridge = block(
                n_m,
                d_m,
                n_t,
                d_t,
                norm=config.bridge_norm,
                residual=False,
                token_groups=config.bridge_token_groups,
            )
        self.target_blocks = residual_blocks(config.target_blocks, n_t, d_t)
        self.tail_blocks = nn.ModuleList(
            block(n_t, d_t, n_t, d_t, norm=False, residual=False, end_activation=True)
            for _ in range(config.tail_blocks)
        )
        self.pooled_head = (
            nn.Sequential(nn.LayerNorm(d_t), nn.Linear(d_t, config.pooled_dim))
            if config.pooled_dim
            else None
        )
        # one logit per glued token: does the generator attend to it (PixArt's T5 mask)
        self.mask_head = nn.Linear(d_t, 1) if config.target_mask else None
        # (n_t, d_t), normalised; set to the measured mean target by set_statistics
        self.target_offset = nn.Parameter(torch.zeros(n_t, d_t)) if config.target_offset else None
        self.act = ACTIVATIONS[config.activation]()
        # last: its zeros draw nothing, so every other weight starts as without it
        self.source_context = (
            TokenContext(d_m, config.source_context) if config.source_context else None
        )
        # Feature statistics, measured from data (stats.py) and saved with the weights.
        self.register_buffer("source_token_norm", torch.ones(()))
        self.register_buffer("target_token_norm", torch.ones(n_t))
        self.register_buffer("target_pooled_norm", torch.ones(()))
        d_s = config.source_dim
        self.register_buffer("source_mean", torch.zeros(d_s))
        self.register_buffer("source_std", torch.ones(d_s))

    # -- statistics ---------------------------------------------------------------------
    def set_statistics(self, stats: FeatureStatistics) -> None:
        """Store measured statistics; their shapes must fit this GlueNet."""
        if stats.target_token_norm.shape != self.target_token_norm.shape:
            raise ValueError(
                f"Statistics are for {tuple(stats.target_token_norm.shape)} target tokens, "
                f"this GlueNet emits {self.config.target_tokens}."
            )
        self.source_token_norm.copy_(torch.as_tensor(stats.source_token_norm))
        self.target_token_norm.copy_(stats.target_token_norm)
        if stats.target_pooled_norm is not None:
            self.target_pooled_norm.copy_(torch.as_tensor(stats.target_pooled_norm))
        if stats.source_mean is not None:
            self.source_mean.copy_(stats.source_mean)
            self.source_std.copy_(stats.source_std)
        if self.target_offset is not None and stats.target_mean is not None:
            with torch.no_grad():
                self.target_offset.copy_(self.normalize_target(stats.target_mean))

    def _target_divisor(self) -> torch.Tensor:
        return (self.config.norm_fraction * self.target_token_norm)[:, None]  # (n_t, 1)

    def normalize_source(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> the space GlueNet reads."""
        if self.config.standardize_source:
            # each channel centred and scaled to 1, then the token norm sqrt(d_s) -> 1
            floor = torch.finfo(self.source_std.dtype).eps
            standard = (source - self.source_mean) / self.source_std.clamp_min(floor)
            return standard / (self.config.norm_fraction * self.config.source_dim**0.5)
        return source / (self.config.norm_fraction * self.source_token_norm)

    def normalize_target(self, target: torch.Tensor) -> torch.Tensor:
        """Raw target features (b, n_t, d_t) -> the space GlueNet writes."""
        return target / self._target_divisor()

    def denormalize_target(self, glued: torch.Tensor) -> torch.Tensor:
        """GlueNet output (b, n_t, d_t) -> raw generator features."""
        return glued * self._target_divisor()

    # -- the network --------------------------------------------------------------------
    def forward(self, source: torch.Tensor) -> torch.Tensor:
        """Normalised source (b, n_s, d_s) -> normalised target (b, n_t, d_t)."""
        b, n_s, d_s = source.shape
        if (n_s, d_s) != (self.config.source_tokens, self.config.source_dim):
            raise ValueError(
                f"GlueNet expects source features of {self.config.source_tokens} tokens x "
                f"{self.config.source_dim}, got {n_s} x {d_s}; pad or truncate the source "
                "encoder's output to the length this GlueNet was trained with."
            )
        x = source.reshape(b, *self.config.mixer_shape)  # (b, n_m, d_m)
        if self.source_context is not None:
            x = self.source_context(x)
        for block in self.source_blocks:
            x = self.act(block(x) + x)
        x = self.bridge(x)  # (b, n_t, d_t)
        for block in self.target_blocks:
            x = self.act(block(x) + x)
        for i, block in enumerate(self.tail_blocks):  # the release: tail_2(tail_1(x) + x)
            last = i == len(self.tail_blocks) - 1
            x = block(x) if last else block(x) + x
        if self.target_offset is not None:
            x = x + self.target_offset  # (b, n_t, d_t)
        return x

    def pool(self, glued: torch.Tensor) -> torch.Tensor:
        """Normalised target tokens (b, n_t, d_t) -> normalised pooled vector (b, pooled_dim).

        Multiply by `target_pooled_norm` for the generator's raw pooled embedding.
        """
        if self.pooled_head is None:
            raise ValueError("This GlueNet has no pooled head; set pooled_dim in its config.")
        return self.pooled_head(glued.mean(dim=1))

    def mask_logits(self, glued: torch.Tensor) -> torch.Tensor:
        """Normalised target tokens (b, n_t, d_t) -> logits (b, n_t) that each is attended to.

        The head reads the tokens without shaping them (its gradient stops there).
        """
        if self.mask_head is None:
            raise ValueError("This GlueNet has no mask head; set target_mask in its config.")
        return self.mask_head(glued.detach()).squeeze(-1)

    @torch.no_grad()
    def translate(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> raw generator features (b, n_t, d_t)."""
        return self.denormalize_target(self(self.normalize_source(source)))

    @torch.no_grad()
    def translate_pooled(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> the generator's raw pooled embedding (b, p)."""
        return self.pool(self(self.normalize_source(source))) * self.target_pooled_norm

    @torch.no_grad()
    def mask_probability_logits(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> logits (b, n_t) that each token is attended."""
        return self.mask_logits(self(self.normalize_source(source))).float()

    @torch.no_grad()
    def translate_mask(self, source: torch.Tensor) -> torch.Tensor:
        """Raw source features (b, n_s, d_s) -> the generator's attention mask (b, n_t), 1 for
        attended tokens: a prefix of at least one token, as a tokenizer's padding makes, the
        most likely one under the head's per-token probabilities."""
        logits = self.mask_probability_logits(source)  # (b, n_t)
        return prefix_mask(F.logsigmoid(logits), F.logsigmoid(-logits))

    @property
    def device(self) -> torch.device:
        """Where the GlueNet is (its statistics' device)."""
        return self.source_token_norm.device

    @classmethod
    def from_pretrained(
        cls,
        pretrained_model_name_or_path: str | Path,
        *,
        revision: str | None = None,
        cache_dir: str | Path | None = None,
        force_download: bool = False,
        local_files_only: bool = False,
        token: str | bool | None = None,
        map_location: str = "cpu",
        **unused: Any,
    ) -> GlueNet:
        """Load from a folder or a hub id, checked: the config must be a GlueNet's and the
        weights must fit it exactly (names, shapes, statistics present, finite values)."""
        folder = Path(pretrained_model_name_or_path)
        if folder.is_symlink() and not folder.exists():
            raise ValueError(
                f"{folder} is a symbolic link that leads nowhere (a loop, or a missing target): "
                "point it at a GlueNet folder."
            )
        if missing_folder(pretrained_model_name_or_path):
            raise ValueError(
                f"{folder}: no such folder (nor a hub id, OWNER/NAME): give a GlueNet folder "
                "(OUTPUT_DIR/gluenet of a run) or a hub id."
            )
        if not folder.is_dir():
            folder = Path(
                snapshot_download(
                    str(pretrained_model_name_or_path),
                    revision=revision,
                    cache_dir=cache_dir,
                    force_download=force_download,
                    local_files_only=local_files_only,
                    token=token,
                )
            )
        if not (folder / CONFIG_NAME).exists() and (folder / RUN_GLUENET / CONFIG_NAME).is_file():
            raise ValueError(
                f"{folder} is a training run's folder: its GlueNet is {folder / RUN_GLUENET}."
            )
        what = f"the GlueNet in {folder}"
        settings = read_json(folder / CONFIG_NAME, what)
        try:
            config = GlueNetConfig(**settings)
        except TypeError as error:
            raise ValueError(f"{folder / CONFIG_NAME} is not a GlueNet config: {error}") from error
        except ValueError as error:
            raise ValueError(f"{folder / CONFIG_NAME}: {error}") from error
        weights = folder / SAFETENSORS_SINGLE_FILE
        with torch.device("meta"):  # names and shapes, nothing allocated
            expected = cls(config).state_dict()
        check_header(weights, expected, SAVED_DTYPE, what)  # before any memory is spent
        model = cls(config)
        state = read_tensors(weights, what)
        check_state(state, model.state_dict(), what)
        saved_with = read_metadata(weights).get(CONFIG_HASH_KEY)
        # the file as saved: a GlueNet saved before a config field existed has none there
        if saved_with is not None and saved_with != settings_hash(settings):
            raise ValueError(
                f"{folder / CONFIG_NAME} was changed after the weights were saved with it; "
                "restore it (or save the GlueNet again)."
            )
        model.load_state_dict(state)
        return model.to(map_location)

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:
        """README.md of the folder: encoders, training record (`training_record`), usage."""
        return model_card(self.config, getattr(self, "training_record", {}))

    def _save_pretrained(self, save_directory: Path) -> None:
        """The weights, with a hash of the config they belong to (checked on load)."""
        state = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        metadata = {"format": "pt", CONFIG_HASH_KEY: config_hash(self.config)}
        save_file(state, str(Path(save_directory) / SAFETENSORS_SINGLE_FILE), metadata=metadata)

    def num_parameters(self) -> int:
        """Trainable parameters (statistics buffers excluded)."""
        return sum(p.numel() for p in self.parameters())
