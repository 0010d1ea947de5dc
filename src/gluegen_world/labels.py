"""Attribute classifiers: one label per attribute value, read one attribute at a time.

The judge (pictures) and the sound encoder (clips) are both Hugging Face classifiers whose
labels are "attribute=value"; their logits split into one block per attribute, trained with a
cross-entropy per block. This module holds that shared part and the training loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from gluegen_world.scenes import Scene


def object_attributes(scene: Scene) -> dict[str, str]:
    """The attributes of a one-object scene's object: {"shape": "circle", ...}."""
    return dataclasses.asdict(scene.objects[0])


@dataclass(frozen=True)
class AttributeGroups:
    """Attributes and their values, e.g. {"shape": SHAPES, "colour": (...)}, and how a scene
    reads as them (`read`: scene -> {attribute: value}; default its one object's)."""

    values: dict[str, tuple[str, ...]]
    read: Callable[[Scene], dict[str, str]] = object_attributes

    @property
    def labels(self) -> list[str]:
        """'attribute=value' for every value, in logit order."""
        return [f"{name}={value}" for name, values in self.values.items() for value in values]

    def label_maps(self) -> dict[str, dict]:
        """id2label and label2id for a transformers config."""
        return {
            "id2label": dict(enumerate(self.labels)),
            "label2id": {label: i for i, label in enumerate(self.labels)},
        }

    def split(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        """(b, len(labels)) logits -> one (b, values) block per attribute."""
        blocks, start = {}, 0
        for name, values in self.values.items():
            blocks[name] = logits[:, start : start + len(values)]
            start += len(values)
        return blocks

    def targets(self, scenes: list[Scene]) -> dict[str, torch.Tensor]:
        """Value indices (b,) per attribute of `scenes`, as `read` reads them."""
        readings = [self.read(scene) for scene in scenes]
        return {
            name: torch.tensor([values.index(reading[name]) for reading in readings])
            for name, values in self.values.items()
        }

    def loss(self, logits: torch.Tensor, targets: dict[str, torch.Tensor]) -> torch.Tensor:
        """Summed cross-entropy of the attribute blocks."""
        blocks = self.split(logits)
        return sum(F.cross_entropy(blocks[name], targets[name]) for name in self.values)

    def predict(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predicted value indices (b,) per attribute."""
        return {name: block.argmax(dim=1) for name, block in self.split(logits).items()}

    def correct(self, logits: torch.Tensor, scenes: list[Scene]) -> dict[str, torch.Tensor]:
        """Per attribute, which items (b,) are predicted right."""
        predicted, targets = self.predict(logits), self.targets(scenes)
        return {name: predicted[name] == targets[name] for name in self.values}

    def accuracy(self, logits: torch.Tensor, scenes: list[Scene]) -> dict[str, float]:
        """Accuracy per attribute, their mean, and the share of items with all right."""
        right = torch.stack(list(self.correct(logits, scenes).values()))
        scores = {name: right[i].float().mean().item() for i, name in enumerate(self.values)}
        scores["mean"] = right.float().mean().item()
        scores["all"] = right.all(dim=0).float().mean().item()
        return scores


@dataclass
class FitSettings:
    """Optimisation of an attribute classifier."""

    epochs: int
    batch_size: int
    learning_rate: float
    seed: int


def fit_classifier(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    targets: dict[str, torch.Tensor],
    groups: AttributeGroups,
    logits_of: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor],
    settings: FitSettings,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    description: str = "training",
    progress: bool = True,
) -> torch.nn.Module:
    """AdamW with a one-cycle schedule over shuffled batches of `inputs` (n, ...)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    steps = settings.epochs * (len(inputs) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, settings.learning_rate, total_steps=steps
    )
    generator = torch.Generator().manual_seed(settings.seed)
    model.train()
    with tqdm(total=steps, desc=description, disable=not progress) as bar:
        for _ in range(settings.epochs):
            order = torch.randperm(len(inputs), generator=generator)
            for start in range(0, len(order) - settings.batch_size + 1, settings.batch_size):
                ids = order[start : start + settings.batch_size]
                batch = inputs[ids] if augment is None else augment(inputs[ids], generator)
                loss = groups.loss(logits_of(model, batch), {k: v[ids] for k, v in targets.items()})
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    return model.eval()
