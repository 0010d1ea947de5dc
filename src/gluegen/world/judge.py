"""The judge: names every attribute of a one-object shapes-world picture.

It is the world's analogue of CLIP score (attribute accuracy of generated images) and, through
its pooled features, of FID (a Fréchet distance between sets of images). It is a real
`ResNetForImageClassification`; its labels are the attribute values ("shape=circle", ...),
read one group at a time. It is trained on clean renders *and* on renders spoiled the way
generated images are (noise, blur, tint, background drift), so drift cannot fool it.

Notation: b - batch, c - channels, h, w - image side.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm
from transformers import ResNetConfig, ResNetForImageClassification

from gluegen.world.scenes import (
    ATTRIBUTES,
    COLOURS,
    POSITIONS,
    SHAPES,
    SIZES,
    Scene,
    random_scene,
    render,
)

ATTRIBUTE_VALUES = {"shape": SHAPES, "colour": tuple(COLOURS), "size": SIZES, "position": POSITIONS}
LABELS = [
    f"{attribute}={value}" for attribute in ATTRIBUTES for value in ATTRIBUTE_VALUES[attribute]
]


@dataclass
class JudgeTraining:
    """How the judge is trained (defaults measured to pass 0.98 accuracy in about a minute)."""

    images: int = 20_000  # distinct renders, drawn once
    epochs: int = 6
    batch_size: int = 128
    learning_rate: float = 3e-3
    spoil_share: float = 0.7  # share of training images spoiled like generated ones
    seed: int = 0


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


def new_judge(seed: int = 0) -> ResNetForImageClassification:
    """An untrained judge: a small ResNet with one label per attribute value."""
    torch.manual_seed(seed)
    config = ResNetConfig(
        num_channels=3,
        embedding_size=24,
        hidden_sizes=[32, 64, 96],
        depths=[1, 1, 1],
        layer_type="basic",
        downsample_in_first_stage=False,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    return ResNetForImageClassification(config)


def attribute_logits(logits: torch.Tensor) -> dict[str, torch.Tensor]:
    """Split (b, len(LABELS)) logits into one (b, values) block per attribute."""
    blocks, start = {}, 0
    for attribute in ATTRIBUTES:
        count = len(ATTRIBUTE_VALUES[attribute])
        blocks[attribute] = logits[:, start : start + count]
        start += count
    return blocks


def scene_targets(scenes: list[Scene]) -> dict[str, torch.Tensor]:
    """Attribute indices (b,) of one-object scenes."""
    return {
        attribute: torch.tensor(
            [ATTRIBUTE_VALUES[attribute].index(getattr(s.objects[0], attribute)) for s in scenes]
        )
        for attribute in ATTRIBUTES
    }


def draw(count: int, seed: int) -> tuple[np.ndarray, list[Scene]]:
    """`count` random one-object scenes and their renders (count, 32, 32, 3)."""
    rng = random.Random(seed)
    scenes = [random_scene(rng) for _ in range(count)]
    images = np.stack([render(scene, seed=seed * 1_000_003 + i) for i, scene in enumerate(scenes)])
    return images, scenes


def train_judge(
    settings: JudgeTraining | None = None, progress: bool = True
) -> ResNetForImageClassification:
    """Train a judge from scratch on freshly drawn renders."""
    settings = settings or JudgeTraining()
    images, scenes = draw(settings.images, settings.seed)
    pixels, targets = to_pixels(images), scene_targets(scenes)
    model = new_judge(settings.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    steps = settings.epochs * (len(pixels) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, settings.learning_rate, total_steps=steps
    )
    generator = torch.Generator().manual_seed(settings.seed)
    model.train()
    with tqdm(total=steps, desc="training judge", disable=not progress) as bar:
        for _ in range(settings.epochs):
            order = torch.randperm(len(pixels), generator=generator)
            for start in range(0, len(order) - settings.batch_size + 1, settings.batch_size):
                ids = order[start : start + settings.batch_size]
                batch = pixels[ids]
                spoiled = torch.rand(len(ids), generator=generator) < settings.spoil_share
                batch[spoiled] = spoil(batch[spoiled], generator)
                blocks = attribute_logits(model(pixel_values=batch).logits)
                loss = sum(F.cross_entropy(blocks[a], targets[a][ids]) for a in ATTRIBUTES)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    return model.eval()


@torch.no_grad()
def judge_attributes(
    model: ResNetForImageClassification, pixels: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Predicted attribute indices (b,) for pixels (b, 3, h, w) in [-1, 1]."""
    blocks = attribute_logits(model(pixel_values=pixels).logits)
    return {attribute: block.argmax(dim=1) for attribute, block in blocks.items()}


def attribute_accuracy(
    model: ResNetForImageClassification, pixels: torch.Tensor, scenes: list[Scene]
) -> dict[str, float]:
    """Accuracy per attribute, their mean, and the share of images with every attribute right."""
    predicted, targets = judge_attributes(model, pixels), scene_targets(scenes)
    right = torch.stack([predicted[a] == targets[a] for a in ATTRIBUTES])  # (attributes, b)
    scores = {a: right[i].float().mean().item() for i, a in enumerate(ATTRIBUTES)}
    scores["mean"] = right.float().mean().item()
    scores["all"] = right.all(dim=0).float().mean().item()
    return scores


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


def save_judge(model: ResNetForImageClassification, folder: str | Path) -> None:
    """Save as a normal Hugging Face model folder."""
    model.save_pretrained(folder)


def load_judge(folder: str | Path) -> ResNetForImageClassification:
    """Load a judge the normal way, `ResNetForImageClassification.from_pretrained`."""
    return ResNetForImageClassification.from_pretrained(folder).eval()


def evaluate_judge(model: ResNetForImageClassification, count: int, seed: int) -> dict:
    """Judge accuracy on fresh renders, and the Fréchet distance between two real sets.

    The renders use seeds the judge never saw and include the held-out combinations.
    """
    images, scenes = draw(count, seed)
    other, _ = draw(count, seed + 1)
    pixels = to_pixels(images)
    scores = attribute_accuracy(model, pixels, scenes)
    distance = frechet_distance(
        judge_features(model, pixels), judge_features(model, to_pixels(other))
    )
    return {"accuracy": scores, "frechet_real_vs_real": distance, "count": count}
