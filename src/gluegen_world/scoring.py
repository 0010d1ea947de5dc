"""Drawing with the world's generator from given embeddings, and scoring the images.

Every row of the demo's table is one `score` call: the same scenes, seeds, sampler steps and
guidance; only the prompt embeddings (and the unconditional ones) differ.
"""

from __future__ import annotations

import torch
from diffusers import StableDiffusionPipeline

from gluegen_world.demo.settings import DrawSettings
from gluegen_world.generator import draw_batches
from gluegen_world.judge import PAIRS, SEEN, Judges
from gluegen_world.scenes import Scene


def draw(
    pipeline: StableDiffusionPipeline,
    embeds: torch.Tensor,
    negative: torch.Tensor,
    settings: DrawSettings,
) -> torch.Tensor:
    """Images (b, 3, h, w) in [-1, 1] from prompt embeds (b, n, d) and negative embeds, the
    generator computing in `settings.precision` (float32 images either way)."""
    inputs = {"prompt_embeds": embeds, "negative_prompt_embeds": negative}
    low_precision = settings.precision == "bfloat16"
    with torch.autocast(pipeline.device.type, dtype=torch.bfloat16, enabled=low_precision):
        return draw_batches(pipeline, inputs, settings.steps, settings.guidance, settings.seed)[0]


@torch.no_grad()
def score(judges: Judges, images: torch.Tensor, scenes: list[Scene]) -> dict[str, float]:
    """The judge's accuracy per attribute, their mean, the share with every attribute right;
    for one-object scenes also the share with shape and colour both right ("object": what a
    sound says), and with the object and the position right (a sound plus a position in
    words). Two-object scenes are read by the pair judge (`gluegen_world.judge`)."""
    judge = judges.of(scenes)
    logits = judge(pixel_values=images).logits
    if judge is judges.pair:
        return PAIRS.accuracy(logits, scenes)
    right = SEEN.correct(logits, scenes)
    both = right["shape"] & right["colour"]
    return SEEN.accuracy(logits, scenes) | {
        "object": both.float().mean().item(),
        "object_and_position": (both & right["position"]).float().mean().item(),
    }


__all__ = ["DrawSettings", "draw", "score"]
