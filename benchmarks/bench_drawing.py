"""One demo cell's drawing, three ways: the UNet's activations contiguous (PyTorch's default)
or channels-last, computing in float32 or bfloat16 (autocast; the demo's default where the CPU
has native bfloat16, `--draw-precision`).

A cell is the demo's test scenes (64) drawn with its draw settings (DDIM steps, guidance) from
the generator's own embeddings of their English captions. The ways draw the same cell in turn,
`--repeats` times; the table gives the seconds of each (median [range]), the paired speed-up
over float32 channels-last (the demo's drawing before bfloat16), the largest pixel difference
from its images, and the judge's mean score of each way's images (the same scenes).

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_drawing.py [--repeats 5] [--images 64]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time

import torch
from diffusers import StableDiffusionPipeline

from gluegen.pipelines import generator_conditioning
from gluegen_world.captions import caption
from gluegen_world.demo.scene_sets import scene_set
from gluegen_world.demo.settings import DemoSettings
from gluegen_world.judge import load_judges
from gluegen_world.models import shipped_model
from gluegen_world.scoring import draw, score

# name -> (the UNet's activation layout, draw precision); the first is the baseline
WAYS = {
    "float32 channels-last": (torch.channels_last, "float32"),
    "float32 contiguous": (torch.contiguous_format, "float32"),
    "bfloat16 channels-last": (torch.channels_last, "bfloat16"),
}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--images", type=int, default=DemoSettings().test_scenes, help="Images of the cell."
    )
    args = parser.parse_args(argv)
    settings = DemoSettings(test_scenes=args.images)
    pipelines = {}
    for name, (layout, _) in WAYS.items():
        pipeline = StableDiffusionPipeline.from_pretrained(shipped_model("generator"))
        pipeline.set_progress_bar_config(disable=True)
        pipeline.unet.to(memory_format=layout)
        pipelines[name] = pipeline
    scenes = scene_set(settings)
    rng = random.Random(0)
    prompts = [caption(scene, "en", rng) for scene in scenes]
    any_pipeline = next(iter(pipelines.values()))
    embeds = generator_conditioning(any_pipeline, prompts).hidden  # (64, 77, 64)
    negative = generator_conditioning(any_pipeline, [""] * len(prompts)).hidden
    seconds: dict[str, list[float]] = {name: [] for name in WAYS}
    images: dict[str, torch.Tensor] = {}
    for _ in range(args.repeats):
        for name, pipeline in pipelines.items():
            way = dataclasses.replace(settings.draw, precision=WAYS[name][1])
            started = time.perf_counter()
            images[name] = draw(pipeline, embeds, negative, way)
            seconds[name].append(time.perf_counter() - started)
    baseline = next(iter(WAYS))
    judges = load_judges()
    print(
        f"one cell: {len(prompts)} images, {settings.draw.steps} DDIM steps, "
        f"guidance {settings.draw.guidance}; {args.repeats} paired repeats, "
        f"{torch.get_num_threads()} thread(s)"
    )
    print(f"{'way':24}{'s per cell':>20}{'speed-up':>20}{'largest difference':>20}{'judged':>8}")
    for name, times in seconds.items():
        ratios = [b / t for b, t in zip(seconds[baseline], times, strict=True)]
        difference = (images[baseline] - images[name]).abs().max().item()
        judged = score(judges, images[name], scenes)["mean"]
        print(f"{name:24}{spread(times):>20}{spread(ratios):>20}{difference:>20.1e}{judged:>8.3f}")
    print("(pixels in [-1, 1]; judged: the judge's mean over shape, colour, size and position)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
