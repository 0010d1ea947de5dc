"""What GlueGen adds to a generation: the source encoder and GlueNet against the whole drawing.

On the shapes world (its generator, its XLM-R, a `world-language` GlueNet at the world's shapes;
the demo's draw settings: DDIM steps, guidance), side by side, `--repeats` times interleaved:
- own: the generator drawing from its own text encoder;
- glued: `GlueGenPipeline` drawing the same prompts (source encoder, GlueNet, the same denoiser);
- glue part: the source encoder and GlueNet alone (prompts and the empty input), as the glued
  drawing runs them.
The share is glue part / glued drawing (medians, ranges over repeats).

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_generation.py [--batch 8] [--repeats 5] [--steps 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import transformers
from diffusers import DiffusionPipeline

from gluegen.encoders import HFTextEncoder
from gluegen.encoders.families import pipeline_family
from gluegen.models import GlueNet
from gluegen.pipelines import GlueGenPipeline
from gluegen.recipes import get_recipe
from gluegen_world.demo.settings import DrawSettings
from gluegen_world.gluenets import WORLD_SOURCE_TOKENS
from gluegen_world.models import shipped_model

PROMPTS = ["il y a une grande étoile rouge à gauche", "un petit cercle bleu en haut"]


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def spread(values: list[float], unit: str = "", scale: float = 1.0) -> str:
    values = [v * scale for v in values]
    return f"{statistics.median(values):.2f}{unit} [{min(values):.2f}-{max(values):.2f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=8, help="Prompts drawn at once.")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--steps", type=int, default=DrawSettings().steps, help="DDIM steps (the demo's: 6)."
    )
    args = parser.parse_args(argv)
    transformers.logging.set_verbosity_error()
    draw = DrawSettings(steps=args.steps)
    pipeline = DiffusionPipeline.from_pretrained(str(shipped_model("generator")))
    pipeline.set_progress_bar_config(disable=True)
    encoder = HFTextEncoder(str(shipped_model("xlmr")), max_length=WORLD_SOURCE_TOKENS)
    encoder.load()
    shape = pipeline_family(pipeline).shape(pipeline)
    shapes = {"source_tokens": encoder.num_tokens, "source_dim": encoder.dim}
    shapes |= {"target_tokens": shape.tokens, "target_dim": shape.width}
    torch.manual_seed(0)
    gluenet = GlueNet(get_recipe("world-language").gluenet_config(shapes))
    glue = GlueGenPipeline(pipeline, encoder, gluenet)
    prompts = (PROMPTS * args.batch)[: args.batch]
    options = {
        "num_inference_steps": draw.steps,
        "guidance_scale": draw.guidance,
        "output_type": "np",
    }

    def seeded() -> dict:
        return {**options, "generator": torch.Generator().manual_seed(draw.seed)}

    def glue_part() -> None:
        keys = glue.route(prompts)
        glue.encode(prompts, keys), glue.unconditional_embeds(keys)

    runs = {"own": [], "glued": [], "glue part": []}
    for _ in range(args.repeats + 1):  # the first round warms up and is dropped
        runs["own"].append(timed(lambda: glue.draw_with_own_encoder(prompts, **seeded())))
        runs["glued"].append(timed(lambda: glue(prompts, **seeded())))
        runs["glue part"].append(timed(glue_part))
    runs = {name: times[1:] for name, times in runs.items()}
    shares = [part / whole for part, whole in zip(runs["glue part"], runs["glued"], strict=True)]
    print(
        f"world generation: {args.batch} prompts, {draw.steps} DDIM steps, guidance "
        f"{draw.guidance}, {torch.get_num_threads()} thread(s); median [range] of {args.repeats}"
    )
    for name, times in runs.items():
        print(f"{name:34}{spread(times, ' s'):>28}")
    print(f"{'source encoder + GlueNet share':34}{spread(shares, '%', 100):>28}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
