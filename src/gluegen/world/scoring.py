"""Drawing with the world's generator from given embeddings, and scoring the images.

Every row of the demo's table is one `score` call: the same scenes, seeds, sampler steps and
guidance; only the prompt embeddings (and the unconditional ones) differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from diffusers import StableDiffusionPipeline

from gluegen.world.generator import DRAW_BATCH
from gluegen.world.judge import SEEN
from gluegen.world.scenes import Scene


@dataclass(frozen=True)
class DrawSettings:
    """How every image of the demo is drawn."""

    # DDIM steps: English held-out prompts score 0.992 at 6 steps, 0.996 at 20 (64 images)
    steps: int = 6
    guidance: float = 4.0
    seed: int = 0


@torch.no_grad()
def own_embeds(pipeline: StableDiffusionPipeline, texts: list[str]) -> torch.Tensor:
    """The generator's own text embeddings (b, n, d) of `texts`."""
    return pipeline.encode_prompt(
        texts, device=pipeline.device, num_images_per_prompt=1, do_classifier_free_guidance=False
    )[0]


@torch.no_grad()
def draw(
    pipeline: StableDiffusionPipeline,
    embeds: torch.Tensor,
    negative: torch.Tensor,
    settings: DrawSettings,
) -> torch.Tensor:
    """Images (b, 3, h, w) in [-1, 1] from prompt embeds (b, n, d) and negative embeds."""
    parts = []
    for start in range(0, len(embeds), DRAW_BATCH):
        stop = start + DRAW_BATCH
        images = pipeline(
            prompt_embeds=embeds[start:stop],
            negative_prompt_embeds=negative[start:stop],
            num_inference_steps=settings.steps,
            guidance_scale=settings.guidance,
            generator=torch.Generator().manual_seed(settings.seed + start),
            output_type="np",
        ).images  # (b, h, w, 3) in [0, 1]
        parts.append(torch.from_numpy(images).permute(0, 3, 1, 2).float() * 2.0 - 1.0)
    return torch.cat(parts)


@torch.no_grad()
def score(judge, images: torch.Tensor, scenes: list[Scene]) -> dict[str, float]:
    """The judge's accuracy per attribute, their mean, the share with every attribute right,
    the share with shape and colour both right ("object": what a sound says), and with the
    object and the position right (a sound plus a position in words)."""
    logits = judge(pixel_values=images).logits
    predicted, targets = SEEN.predict(logits), SEEN.targets(scenes)
    right = {name: predicted[name] == targets[name] for name in targets}
    both = right["shape"] & right["colour"]
    return SEEN.accuracy(logits, scenes) | {
        "object": both.float().mean().item(),
        "object_and_position": (both & right["position"]).float().mean().item(),
    }


__all__ = ["DrawSettings", "draw", "own_embeds", "score"]
