"""The judges: one names every attribute of a one-object shapes-world picture, the other
both objects of a two-object picture and how they lie.

It is the world's analogue of CLIP score (attribute accuracy of generated images) and, through
its pooled features, of FID (a Fréchet distance between sets of images). It is a real
`ResNetForImageClassification`; its labels are the attribute values ("shape=circle", ...),
read one group at a time. It is trained on clean renders *and* on renders spoiled the way
generated images are (noise, blur, tint, background drift), so drift cannot fool it.

A two-object picture is read the way it shows: the axis the objects lie on (horizontal: left
and right; vertical: top and bottom), then the first object (left or top) and the second
(right or bottom), each by shape, colour and size; "A left of B" and "B right of A" are one
picture and one reading. A drawing with the objects swapped gets both objects wrong.

Notation: b - batch, c - channels, h, w - image side.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from transformers import ResNetConfig, ResNetForImageClassification

from gluegen_world.labels import AttributeGroups, FitSettings, fit_classifier
from gluegen_world.scenes import (
    COLOURS,
    POSITIONS,
    SHAPES,
    SIZES,
    Scene,
    random_scene,
    render,
)

SEEN = AttributeGroups(
    {"shape": SHAPES, "colour": tuple(COLOURS), "size": SIZES, "position": POSITIONS}
)
AXES = {"left": "horizontal", "right": "horizontal", "top": "vertical", "bottom": "vertical"}
FIRST_POSITIONS = ("left", "top")  # the first object of a reading: the left or top one
OBJECT_ATTRIBUTES = {"shape": SHAPES, "colour": tuple(COLOURS), "size": SIZES}  # of each of two


def pair_reading(scene: Scene) -> dict[str, str]:
    """How a two-object picture reads: the axis, then the first and second object."""
    first, second = sorted(scene.objects, key=lambda o: o.position not in FIRST_POSITIONS)
    reading = {"axis": AXES[first.position]}
    for name, item in (("first", first), ("second", second)):
        for attribute in OBJECT_ATTRIBUTES:
            reading[f"{name}_{attribute}"] = getattr(item, attribute)
    return reading


PAIRS = AttributeGroups(
    {
        "axis": ("horizontal", "vertical"),
        **{
            f"{name}_{attribute}": values
            for name in ("first", "second")
            for attribute, values in OBJECT_ATTRIBUTES.items()
        },
    },
    read=pair_reading,
)


@dataclass
class JudgeTraining:
    """How the judge is trained (defaults chosen to judge fresh renders near-perfectly, fast)."""

    images: int = 20_000  # distinct renders, drawn once
    epochs: int = 6
    batch_size: int = 128
    learning_rate: float = 3e-3
    spoil_share: float = 0.7  # share of training images spoiled like generated ones
    seed: int = 0
    two_objects: bool = False  # the pair judge


@dataclass
class PairJudgeTraining(JudgeTraining):
    """How the pair judge is trained."""

    images: int = 30_000
    epochs: int = 8
    two_objects: bool = True


def to_pixels(images: np.ndarray) -> torch.Tensor:
    """uint8 images (b, h, w, 3) -> float pixel values (b, 3, h, w) in [-1, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def spoil(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Damage (b, 3, h, w) pixels the way a generator's samples are damaged."""
    b = pixels.shape[0]

    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(b, *shape, generator=generator)

    out = pixels + uniform(-0.15, 0.15, 3, 1, 1)  # tint and background drift
    out = out * uniform(0.8, 1.2, 1, 1, 1)  # contrast
    blurred = F.avg_pool2d(out, 3, stride=1, padding=1, count_include_pad=False)
    out = torch.where(torch.rand(b, 1, 1, 1, generator=generator) < 0.5, blurred, out)
    out = out + uniform(0.0, 0.15, 1, 1, 1) * torch.randn(out.shape, generator=generator)
    return out.clamp(-1.0, 1.0)


def new_judge(seed: int = 0, groups: AttributeGroups = SEEN) -> ResNetForImageClassification:
    """An untrained judge: a small ResNet with one label per attribute value of `groups`."""
    torch.manual_seed(seed)
    config = ResNetConfig(
        num_channels=3,
        embedding_size=24,
        hidden_sizes=[32, 64, 96],
        depths=[1, 1, 1],
        layer_type="basic",
        downsample_in_first_stage=False,
        num_labels=len(groups.labels),
        **groups.label_maps(),
    )
    return ResNetForImageClassification(config)


def draw(count: int, seed: int, two_objects: bool = False) -> tuple[np.ndarray, list[Scene]]:
    """`count` random one-object (or two-object) scenes and their renders (count, 32, 32, 3)."""
    rng = random.Random(seed)
    scenes = [random_scene(rng, float(two_objects)) for _ in range(count)]
    images = np.stack([render(scene, seed=seed * 1_000_003 + i) for i, scene in enumerate(scenes)])
    return images, scenes


def train_judge(
    settings: JudgeTraining | None = None, progress: bool = True
) -> ResNetForImageClassification:
    """Train a judge (a pair judge with `PairJudgeTraining`) from scratch on freshly drawn
    renders, most of them spoiled."""
    settings = settings or JudgeTraining()
    groups = PAIRS if settings.two_objects else SEEN
    images, scenes = draw(settings.images, settings.seed, settings.two_objects)

    def spoil_some(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        chosen = torch.rand(len(batch), generator=generator) < settings.spoil_share
        batch[chosen] = spoil(batch[chosen], generator)
        return batch

    return fit_classifier(
        new_judge(settings.seed, groups),
        to_pixels(images),
        groups.targets(scenes),
        groups,
        lambda model, pixels: model(pixel_values=pixels).logits,
        FitSettings(settings.epochs, settings.batch_size, settings.learning_rate, settings.seed),
        augment=spoil_some,
        description="training pair judge" if settings.two_objects else "training judge",
        progress=progress,
    )


@torch.no_grad()
def attribute_accuracy(
    model: ResNetForImageClassification, pixels: torch.Tensor, scenes: list[Scene]
) -> dict[str, float]:
    """Accuracy per attribute, their mean, and the share of images with every attribute right
    (the pair judge's attributes for a pair judge)."""
    return groups_of(model).accuracy(model(pixel_values=pixels).logits, scenes)


def groups_of(model: ResNetForImageClassification) -> AttributeGroups:
    """The attributes a judge names: a pair judge's or a one-object judge's."""
    return PAIRS if "axis=horizontal" in model.config.label2id else SEEN


@torch.no_grad()
def judge_features(
    model: ResNetForImageClassification, pixels: torch.Tensor, batch: int = 256
) -> torch.Tensor:
    """Pooled features (b, d) of pixels (b, 3, h, w), for Fréchet distances."""
    parts = [
        model.resnet(pixel_values=pixels[i : i + batch]).pooler_output.flatten(1)
        for i in range(0, len(pixels), batch)
    ]
    return torch.cat(parts).double()


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (n, d) (the FID formula)."""
    mean_a, mean_b = features_a.mean(0), features_b.mean(0)
    cov_a, cov_b = torch.cov(features_a.T), torch.cov(features_b.T)
    root_a = _psd_sqrt(cov_a)
    cross = _psd_sqrt(root_a @ cov_b @ root_a)
    return ((mean_a - mean_b).pow(2).sum() + torch.trace(cov_a + cov_b - 2 * cross)).item()


def load_judge(folder: str | Path) -> ResNetForImageClassification:
    """Load a judge the normal way, `ResNetForImageClassification.from_pretrained`."""
    return ResNetForImageClassification.from_pretrained(folder).eval()


@dataclass(frozen=True)
class Judges:
    """The world's two judges: of one-object pictures, and of two-object pictures."""

    single: ResNetForImageClassification
    pair: ResNetForImageClassification

    def of(self, scenes: list[Scene]) -> ResNetForImageClassification:
        """The judge of `scenes` (all one-object or all two-object)."""
        return self.pair if scenes[0].relation is not None else self.single


def load_judges() -> Judges:
    """The shipped judges."""
    from gluegen_world.models import shipped_model

    return Judges(load_judge(shipped_model("judge")), load_judge(shipped_model("pair_judge")))


def evaluate_judge(model: ResNetForImageClassification, count: int, seed: int) -> dict:
    """Judge accuracy on fresh renders, and the Fréchet distance between two real sets.

    The renders use seeds the judge never saw and include the held-out combinations (of two
    objects for a pair judge).
    """
    two_objects = groups_of(model) is PAIRS
    images, scenes = draw(count, seed, two_objects)
    other, _ = draw(count, seed + 1, two_objects)
    pixels = to_pixels(images)
    scores = attribute_accuracy(model, pixels, scenes)
    distance = frechet_distance(
        judge_features(model, pixels), judge_features(model, to_pixels(other))
    )
    return {"accuracy": scores, "frechet_real_vs_real": distance, "count": count}
