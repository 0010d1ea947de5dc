"""The world's CLIP text side: a tokenizer over the world's words, and a text encoder that
learns to name what a caption describes (the stand-in for CLIP's pretraining), then frozen.
"""

from __future__ import annotations

import random

import torch
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from gluegen.encoders.vocab import word_vocab
from gluegen_world.captions import captions
from gluegen_world.generator.settings import GeneratorTraining
from gluegen_world.labels import AttributeGroups, FitSettings, fit_classifier
from gluegen_world.scenes import (
    COLOURS,
    POSITIONS,
    RELATIONS,
    SHAPES,
    SIZES,
    Scene,
    all_single_scenes,
    random_scene,
)

TEXT_TOKENS = 77  # as Stable Diffusion: GlueNets for the world have SD's shapes


NONE = "none"  # the second object of a one-object scene


_OBJECT_VALUES = {"shape": SHAPES, "colour": tuple(COLOURS), "size": SIZES, "position": POSITIONS}
# What the world's text encoder learns to name: both objects' attributes.


def caption_reading(scene: Scene) -> dict[str, str]:
    """Both objects' attributes, {"first shape": ..., "second shape": ...} ('none' for a
    missing second object)."""
    reading = {}
    for index, which in enumerate(("first", "second")):
        for attribute in _OBJECT_VALUES:
            present = index < len(scene.objects)
            value = getattr(scene.objects[index], attribute) if present else NONE
            reading[f"{which} {attribute}"] = value
    return reading


CAPTION_GROUPS = AttributeGroups(
    {f"first {name}": values for name, values in _OBJECT_VALUES.items()}
    | {f"second {name}": (*values, NONE) for name, values in _OBJECT_VALUES.items()},
    read=caption_reading,
)


def world_words() -> tuple[str, ...]:
    """Every English word (and comma) of every world caption."""
    words: set[str] = {","}
    scenes = all_single_scenes()
    scenes += [
        Scene.pair((a.shape, a.colour, a.size), relation, (a.shape, a.colour, a.size))
        for a in (s.objects[0] for s in scenes[:: len(scenes) // 20])
        for relation in RELATIONS
    ]
    for scene in scenes:
        for text in captions(scene, "en"):
            words.update(text.replace(",", " ").split())
    return tuple(sorted(words))


def world_tokenizer() -> CLIPTokenizer:
    """A CLIP BPE tokenizer in which every English world word is one token."""
    vocab, merges = word_vocab(world_words())
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=TEXT_TOKENS)


def tokenize(tokenizer: CLIPTokenizer, texts: list[str]) -> torch.Tensor:
    """Token ids (b, n), padded to the 77 tokens Stable Diffusion uses."""
    return tokenizer(
        texts, padding="max_length", max_length=TEXT_TOKENS, truncation=True, return_tensors="pt"
    )["input_ids"]


def new_text_encoder(tokenizer: CLIPTokenizer, settings: GeneratorTraining) -> CLIPTextModel:
    """A small CLIP text transformer over the world vocabulary."""
    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=settings.text_hidden,
        intermediate_size=4 * settings.text_hidden,
        num_hidden_layers=settings.text_layers,
        num_attention_heads=4,
        max_position_embeddings=TEXT_TOKENS,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return CLIPTextModel(config)


def caption_targets(scenes: list[Scene]) -> dict[str, torch.Tensor]:
    """Value indices (b,) of every CAPTION_GROUPS attribute ('none' for a missing object)."""
    return CAPTION_GROUPS.targets(scenes)


def train_text_encoder(
    tokenizer: CLIPTokenizer, settings: GeneratorTraining, progress: bool
) -> CLIPTextModel:
    """Teach a new CLIPTextModel to name, from its pooled output, what a caption describes."""
    rng = random.Random(f"{settings.seed}-text")
    scenes = [random_scene(rng, settings.two_objects) for _ in range(settings.text_captions)]
    ids = tokenize(tokenizer, [rng.choice(captions(scene, "en")) for scene in scenes])
    model = torch.nn.ModuleDict(
        {
            "text": new_text_encoder(tokenizer, settings),
            "head": torch.nn.Linear(settings.text_hidden, len(CAPTION_GROUPS.labels)),
        }
    )
    fit_classifier(
        model,
        ids,
        caption_targets(scenes),
        CAPTION_GROUPS,
        lambda m, batch: m["head"](m["text"](batch).pooler_output),
        FitSettings(settings.text_epochs, 128, 2e-3, settings.seed),
        description="training text encoder",
        progress=progress,
    )
    return model["text"].eval().requires_grad_(False)
