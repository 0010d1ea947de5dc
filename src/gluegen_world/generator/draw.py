"""Drawing with the world's generator, and measuring it: judged accuracy, Fréchet distance,
speed on held-out English prompts.
"""

from __future__ import annotations

import random
import time

import numpy as np
import torch
from diffusers import (
    StableDiffusionPipeline,
)

from gluegen_world.captions import captions
from gluegen_world.corpus import sample_scenes
from gluegen_world.judge import (
    attribute_accuracy,
    frechet_distance,
    judge_features,
    to_pixels,
)
from gluegen_world.scenes import (
    render,
)

DRAW_BATCH = 64  # images per pipeline call; the speed figure is for one such batch


GENERATOR_STEPS = 20  # DDIM steps when the world's generator is measured


GENERATOR_GUIDANCE = 4.0  # classifier-free guidance scale when measured


@torch.no_grad()
def draw_batches(
    pipeline: StableDiffusionPipeline, inputs: dict, steps: int, guidance: float, seed: int
) -> tuple[torch.Tensor, list[float]]:
    """Images (b, 3, h, w) in [-1, 1] for pipeline `inputs` (each a list or tensor of b:
    prompt, or prompt_embeds and negative_prompt_embeds), drawn DRAW_BATCH at a time with
    seed + first index, and the seconds each batch took."""
    count = len(next(iter(inputs.values())))
    parts, seconds = [], []
    for start in range(0, count, DRAW_BATCH):
        started = time.time()
        images = pipeline(
            **{name: value[start : start + DRAW_BATCH] for name, value in inputs.items()},
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=torch.Generator().manual_seed(seed + start),
            output_type="np",
        ).images  # (b, h, w, 3) in [0, 1]
        seconds.append(time.time() - started)
        parts.append(torch.from_numpy(images).permute(0, 3, 1, 2).float() * 2.0 - 1.0)
    return torch.cat(parts), seconds


def draw_prompts(
    pipeline: StableDiffusionPipeline, prompts: list[str], steps: int, guidance: float, seed: int
) -> tuple[torch.Tensor, list[float]]:
    """Images (b, 3, h, w) in [-1, 1] for `prompts`, and the seconds each batch took."""
    return draw_batches(pipeline, {"prompt": prompts}, steps, guidance, seed)


@torch.no_grad()
def evaluate_generator(
    pipeline: StableDiffusionPipeline,
    judge,
    count: int = DRAW_BATCH,
    steps: int = GENERATOR_STEPS,
    guidance: float = GENERATOR_GUIDANCE,
    seed: int = 12345,
    split: str = "heldout",
) -> dict[str, float]:
    """Draw `count` images from one-object English prompts of `split`; the judge scores them.

    Returns the judge's accuracies, the Fréchet distance (judge features) between the drawn
    images and renders of the same scenes, the distance between two sets of renders of those
    scenes (the floor at this count), and the seconds the first batch (DRAW_BATCH images, or
    all if fewer) took.
    """
    rng = random.Random(seed)
    scenes = sample_scenes(count, split, seed, two_objects=0.0)
    prompts = [rng.choice(captions(scene, "en")) for scene in scenes]
    drawn, seconds = draw_prompts(pipeline, prompts, steps, guidance, seed)
    real, other = (
        to_pixels(np.stack([render(s, seed=offset + i) for i, s in enumerate(scenes)]))
        for offset in (seed, 2 * seed + 1)
    )
    features = {name: judge_features(judge, x) for name, x in (("drawn", drawn), ("real", real))}
    return attribute_accuracy(judge, drawn, scenes) | {
        "frechet_drawn_vs_real": frechet_distance(features["drawn"], features["real"]),
        "frechet_real_vs_real": frechet_distance(features["real"], judge_features(judge, other)),
        f"seconds_for_{DRAW_BATCH}": seconds[0],
    }
