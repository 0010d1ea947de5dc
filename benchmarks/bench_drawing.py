"""One demo cell's drawing, by the layout of the UNet's activations: contiguous (PyTorch's
default) against channels-last (what the demo's drawing workers use).

A cell is the demo's test scenes (64) drawn with its draw settings (DDIM steps, guidance) from
the generator's own embeddings of their English captions. The two layouts draw the same cell
in turn, `--repeats` times; the table gives the seconds of each (median [range]), the paired
ratios, and the largest difference between their images (the same images up to rounding).

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_drawing.py [--repeats 5] [--images 64]
"""

from __future__ import annotations

import argparse
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
from gluegen_world.models import shipped_model
from gluegen_world.scoring import draw

LAYOUTS = {"contiguous": torch.contiguous_format, "channels-last": torch.channels_last}


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
    for name, layout in LAYOUTS.items():
        pipeline = StableDiffusionPipeline.from_pretrained(shipped_model("generator"))
        pipeline.set_progress_bar_config(disable=True)
        pipeline.unet.to(memory_format=layout)
        pipelines[name] = pipeline
    rng = random.Random(0)
    prompts = [caption(scene, "en", rng) for scene in scene_set(settings)]
    any_pipeline = pipelines["contiguous"]
    embeds = generator_conditioning(any_pipeline, prompts).hidden  # (64, 77, 64)
    negative = generator_conditioning(any_pipeline, [""] * len(prompts)).hidden
    seconds: dict[str, list[float]] = {name: [] for name in LAYOUTS}
    images: dict[str, torch.Tensor] = {}
    for _ in range(args.repeats):
        for name, pipeline in pipelines.items():
            started = time.perf_counter()
            images[name] = draw(pipeline, embeds, negative, settings.draw)
            seconds[name].append(time.perf_counter() - started)
    base = seconds["contiguous"]
    print(
        f"one cell: {len(prompts)} images, {settings.draw.steps} DDIM steps, "
        f"guidance {settings.draw.guidance}; {args.repeats} paired repeats, "
        f"{torch.get_num_threads()} thread(s)"
    )
    print(f"{'UNet layout':16}{'s per cell':>22}{'speed-up':>22}")
    for name, times in seconds.items():
        ratios = [b / t for b, t in zip(base, times, strict=True)]
        print(f"{name:16}{spread(times):>22}{spread(ratios):>22}")
    difference = (images["contiguous"] - images["channels-last"]).abs().max().item()
    print(f"largest pixel difference between the layouts' images (of 2): {difference:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
