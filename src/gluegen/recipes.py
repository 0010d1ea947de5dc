"""Named recipes: a GlueNet layout, its objective and its training settings under one name.

`gluegen train --preset NAME` and `get_recipe(NAME)` read the same entries; command-line flags
(or keyword arguments) override any single setting. Settings only, each with why it was
chosen; the figures behind them are in the project's docs, not here.

A recipe's layout names the shapes it was made for; a feature cache's shapes replace them
(`Recipe.gluenet_config(shapes)`), so a recipe made at the shapes world's size trains the same
layout for XLM-R-large and Stable Diffusion.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType

from gluegen.models.config import EVERY_CHANNEL, IDENTITY_FIELDS, SHAPE_FIELDS, GlueNetConfig
from gluegen.training.config import RESUMABLE_CHANGES, ObjectiveWeights, TrainConfig

ALIGNMENT_ONLY = {"reconstruction": 0.0, "adversarial": 0.0}
WEIGHT_SUFFIX = "_weight"  # loss weights are named `align_weight`, ... among the settings
# Settings of a run, not of a recipe: where it writes, whether it shows progress.
RUN_FIELDS = ("output_dir", "progress", "weights")


def recipe_settings() -> dict[str, tuple[str, dataclasses.Field]]:
    """Every setting a recipe holds, by flag name: {name: (part, dataclass field)}."""
    names = {}
    for f in dataclasses.fields(GlueNetConfig):
        if f.name not in SHAPE_FIELDS + IDENTITY_FIELDS:
            names[f.name] = ("layout", f)
    for f in dataclasses.fields(ObjectiveWeights):
        names[f.name + WEIGHT_SUFFIX] = ("objective", f)
    for f in dataclasses.fields(TrainConfig):
        if f.name not in RUN_FIELDS:
            names[f.name] = ("training", f)
    return names


def setting_home(name: str) -> tuple[str, str]:
    """(part of a recipe, field name) of the setting called `name`."""
    settings = recipe_settings()
    if name not in settings:
        raise ValueError(f"Unknown setting {name!r}; the settings are {sorted(settings)}.")
    part, f = settings[name]
    return part, f.name


@dataclass(frozen=True)
class Recipe:
    """A GlueNet layout + objective + training settings, each over the paper's defaults."""

    name: str
    summary: str
    layout: dict  # GlueNetConfig fields, shapes included (the ones the recipe was made for)
    objective: dict = field(default_factory=dict)  # ObjectiveWeights fields
    training: dict = field(default_factory=dict)  # TrainConfig fields

    def with_overrides(self, **settings) -> Recipe:
        """This recipe with settings replaced, each named as its command-line flag:
        GlueNetConfig and TrainConfig fields by name, loss weights as `NAME_weight`.
        None values are ignored; an unknown name is an error that lists the valid ones."""
        given = {name: value for name, value in settings.items() if value is not None}
        parts = {"layout": dict(self.layout), "objective": dict(self.objective)}
        parts["training"] = dict(self.training)
        for name, value in given.items():
            part, key = setting_home(name)
            parts[part][key] = value
        return dataclasses.replace(self, **parts)

    def gluenet_config(self, shapes: dict | None = None) -> GlueNetConfig:
        """The layout at `shapes` (SHAPE_FIELDS; default: the shapes it was made for)."""
        return GlueNetConfig(**{**self.layout, **(shapes or {})})

    def train_config(self, output_dir: str, progress: bool = True) -> TrainConfig:
        """The training settings (loss weights included) of a run writing to `output_dir`."""
        return TrainConfig(
            output_dir=str(output_dir),
            progress=progress,
            weights=ObjectiveWeights(**self.objective),
            **self.training,
        )

    def trained_settings(self, shapes: dict | None = None) -> dict:
        """Everything that decides the weights a run of this recipe trains at `shapes`: the
        GlueNet's config and the training settings, defaults filled in, without what only
        says where and how a run reports (`max_steps` stays: it ends the run). Two recipes
        with equal trained settings train the same GlueNet, whatever each names explicitly."""
        training = dataclasses.asdict(self.train_config(""))
        reporting = set(RESUMABLE_CHANGES) - {"max_steps"}
        return {
            "layout": dataclasses.asdict(self.gluenet_config(shapes)),
            "training": {k: v for k, v in training.items() if k not in reporting},
        }


# -- the paper's networks and recipe (method.md) -------------------------------------------
PAPER_MULTILINGUAL_LAYOUT = {
    "source_tokens": 77,  # XLM-R-large, padded to 77 tokens
    "source_dim": 1024,
    "target_tokens": 77,  # CLIP ViT-L/14 text
    "target_dim": 768,
    "source_blocks": 5,
    "mult": 2.0,
    "mix_order": "channels_first",
}
PAPER_AUDIO_LAYOUT = {
    "source_tokens": 1,  # one 1024-d audio embedding ...
    "source_dim": 1024,
    "mixer_tokens": 16,  # ... folded to 16 x 64
    "mixer_dim": 64,
    "target_tokens": 77,
    "target_dim": 768,
    "source_blocks": 3,
    "target_blocks": 2,
    "tail_blocks": 2,
    "bridge_norm": True,
    "mult": 4.0,
    "mix_order": "channels_first",
}
PAPER_AUDIO_TRAINING = {"epochs": 10, "batch_size": 8, "learning_rate": 5e-5, "lr_decay_epochs": 5}

# -- the shapes world's GlueNets (the demo trains these) -------------------------------------
WORLD_TEXT_SHAPES = {"source_tokens": 48, "source_dim": 64, "target_tokens": 77, "target_dim": 64}
WORLD_LAYOUT = {  # linear mixing, tokens first, every channel routed its own way
    **WORLD_TEXT_SHAPES,
    "source_blocks": 2,
    "mult": 1.0,
    "mix_order": "tokens_first",
    "activation": "identity",
    "target_offset": True,
    "standardize_source": True,
    "bridge_token_groups": EVERY_CHANNEL,
}
WORLD_TRAINING = {"epochs": 18, "learning_rate": 2e-3, "lr_decay_epochs": 6}
# sounds: twice as long, the learning rate halved every 12 epochs (chosen on validation
# scenes): drawn from unseen shape-colour pairs it composes better
WORLD_SOUND_TRAINING = {**WORLD_TRAINING, "epochs": 36, "lr_decay_epochs": 12}

# -- XLM-R-large into each diffusers family: the paper's multilingual layout at the shapes of
# each family's text conditioning (encoders/families.py; T5 lengths are the pipelines' defaults),
# trained on the alignment term alone: the reconstruction decoder and the discriminator did not
# lower held-out MSE wherever measured and took a large share of the training step (at T5's
# width the decoder alone would outweigh GlueNet many times). `paper-multilingual` keeps them.
XLMR_LARGE = {"source_tokens": 77, "source_dim": 1024}
FAMILY_TARGETS = {
    "sd1": ("Stable Diffusion 1.x (CLIP-L text)", {"target_tokens": 77, "target_dim": 768}),
    "sd2": ("Stable Diffusion 2.x (OpenCLIP-H text)", {"target_tokens": 77, "target_dim": 1024}),
    "sdxl": (
        "SDXL (CLIP-L + OpenCLIP-bigG, pooled)",
        {"target_tokens": 77, "target_dim": 2048, "pooled_dim": 1280},
    ),
    "sd3": (
        "SD3 / 3.5 (77 CLIP + 256 T5 tokens, pooled)",
        {"target_tokens": 333, "target_dim": 4096, "pooled_dim": 2048},
    ),
    "pixart": (
        "PixArt-alpha (120 T5 tokens and their mask)",
        {"target_tokens": 120, "target_dim": 4096, "target_mask": True},
    ),
    "flux": (
        "Flux (512 T5 tokens, CLIP-L pooled)",
        {"target_tokens": 512, "target_dim": 4096, "pooled_dim": 768},
    ),
}


# The world's GlueNets that gather tokens by content: 16-head cross-attention into 24 slots.
WORLD_ATTENTION_LAYOUT = {
    **WORLD_LAYOUT,
    "bridge_token_groups": 1,
    "attention_heads": 16,
    "attention_head_dim": 8,
    "attention_slots": 24,
}
WORLD_ATTENTION_TRAINING = {"epochs": 6, "learning_rate": 4e-3, "lr_decay_epochs": 2}
# one language routed by content, its source blocks mixing channels only: nothing before the
# attention is tied to word positions, so phrasings no corpus holds are read far better
# (chosen on validation scenes)
WORLD_LANGUAGE_ATTENTION_LAYOUT = {**WORLD_ATTENTION_LAYOUT, "source_token_mixing": False}
# each of them at twice the shared net's learning rate: held-out phrasings read better, corpus
# phrasings as well (chosen on validation scenes, three seeds)
WORLD_LANGUAGE_ATTENTION_TRAINING = {**WORLD_ATTENTION_TRAINING, "learning_rate": 8e-3}
# one net for six languages' pairs: longer, the same learning rate halved every 3 epochs
# (chosen on validation scenes)
WORLD_SHARED_TRAINING = {**WORLD_ATTENTION_TRAINING, "epochs": 10, "lr_decay_epochs": 3}


def family_recipe(family: str) -> Recipe:
    """XLM-R-large into `family`'s text space: the paper's layout, the alignment term alone."""
    what, target = FAMILY_TARGETS[family]
    return Recipe(
        f"{family}-multilingual",
        f"the paper's multilingual GlueNet, alignment term only: XLM-R-large -> {what}",
        {**PAPER_MULTILINGUAL_LAYOUT, **XLMR_LARGE, **target},
        ALIGNMENT_ONLY,
    )


RECIPES = MappingProxyType(
    {
        recipe.name: recipe
        for recipe in (
            Recipe(
                "paper-multilingual",
                "the paper's multilingual GlueNet and objective (alignment, reconstruction, "
                "adversarial): XLM-R-large -> CLIP-L text",
                PAPER_MULTILINGUAL_LAYOUT,
            ),
            Recipe(
                "paper-audio",
                "the paper's audio GlueNet and objective: one audio embedding -> CLIP-L text",
                PAPER_AUDIO_LAYOUT,
                training=PAPER_AUDIO_TRAINING,
            ),
            *(family_recipe(family) for family in FAMILY_TARGETS),
            Recipe(
                "world-language",
                "one language: linear token mixing, each channel routed its own way, "
                "alignment only",
                WORLD_LAYOUT,
                ALIGNMENT_ONLY,
                WORLD_TRAINING,
            ),
            Recipe(
                "world-shared",
                "one GlueNet for several languages: tokens routed by content (attention)",
                WORLD_ATTENTION_LAYOUT,
                ALIGNMENT_ONLY,
                WORLD_SHARED_TRAINING,
            ),
            Recipe(
                "world-language-attention",
                "one language, tokens routed by content (attention); source blocks mix "
                "channels only",
                WORLD_LANGUAGE_ATTENTION_LAYOUT,
                ALIGNMENT_ONLY,
                WORLD_LANGUAGE_ATTENTION_TRAINING,
            ),
            Recipe(
                "world-sound",
                "a sound encoder's tokens: linear mixing, channels neither routed apart nor "
                "standardised",
                {
                    **WORLD_LAYOUT,
                    "source_tokens": 79,
                    "source_dim": 128,
                    "standardize_source": False,
                    "bridge_token_groups": 1,
                },
                ALIGNMENT_ONLY,
                WORLD_SOUND_TRAINING,
            ),
            Recipe(
                "world-sentence",
                "a sentence encoder's pooled vector folded into tokens, as the paper folds "
                "an audio embedding",
                {
                    **WORLD_LAYOUT,
                    "source_tokens": 1,
                    "source_dim": 384,
                    "mixer_tokens": 6,
                    "mixer_dim": 64,
                    "mult": 2.0,
                    "activation": "gelu",
                    "standardize_source": False,
                    "bridge_token_groups": 1,
                },
                ALIGNMENT_ONLY,
                WORLD_TRAINING,
            ),
            Recipe(
                "world-paper",
                "the paper's multilingual layout and objective at the world's learning rate",
                {**PAPER_MULTILINGUAL_LAYOUT, **WORLD_TEXT_SHAPES},
                training={"learning_rate": 2e-3},
            ),
        )
    }
)


def get_recipe(name: str) -> Recipe:
    """The recipe called `name`; a clear error names the others."""
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}; choose one of {sorted(RECIPES)}.")
    return RECIPES[name]


__all__ = ["RECIPES", "Recipe", "get_recipe", "recipe_settings"]
