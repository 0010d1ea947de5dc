"""Which hidden layer of the world's XLM-R a per-language GlueNet reads best, on validation.

    python benchmarks/source_layer.py runs/demo --languages zh ja --layers 0 1 2 3 -1
    python benchmarks/source_layer.py runs/demo --layers 0 --variant seed1 --overrides '{"seed": 1}'
    python benchmarks/source_layer.py runs/demo --layers 0 --position-scale 0.0

For each layer and language: a feature cache of the demo's corpus (WORKDIR/corpora) read at
that layer, the language's GlueNet trained as the demo trains it (its recipe), then cells of
the validation scenes (`--scenes validation`): corpus phrasings, the validation families, the
validation requests, and two-object scenes in the validation families. Prints the judge's
mean of each cell; caches and GlueNets go to WORKDIR/layers/ and are reused. `--overrides`
changes settings of the language's recipe (a variant, named by `--variant` in the folders).
`--position-scale S` reads a copy of the world's XLM-R whose position embeddings are scaled by
S (0: none; written once to WORKDIR/layers/xlmr-positionsS): at the embedding layer, what
each piece is, with less (or nothing) of where it stands.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from gluegen.encoders import HFTextEncoder
from gluegen.io import atomic_write_folder
from gluegen.models import GlueNet
from gluegen.pipelines import GlueGenPipeline
from gluegen_world.demo.corpora import write_corpora
from gluegen_world.demo.settings import DEFAULT_WORKERS, FOREIGN, DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import draw_and_score, train_in_parallel
from gluegen_world.gluenets import WORLD_SOURCE_TOKENS, ParallelSource, is_trained, world_cache
from gluegen_world.models import shipped_model

# (phrasings, two objects): the cells drawn for each layer and language
CELLS = (
    ("corpus", False),
    ("validation", False),
    ("validation-requests", False),
    ("validation", True),
)

POSITIONS = "roberta.embeddings.position_embeddings.weight"  # the XLM-R's learnt positions


def scaled_positions_copy(folder: Path, scale: float) -> Path:
    """A copy of the world's XLM-R in `folder` (written once) with its position embeddings
    multiplied by `scale`."""

    def write(temporary: Path) -> None:
        shutil.copytree(shipped_model("xlmr"), temporary, dirs_exist_ok=True)
        weights = load_file(temporary / "model.safetensors")
        weights[POSITIONS] = weights[POSITIONS] * scale
        save_file(weights, temporary / "model.safetensors", metadata={"format": "pt"})

    if not folder.is_dir():  # whole or absent: written aside, then moved in
        atomic_write_folder(folder, write)
    return folder


def main(argv: list[str] | None = None) -> int:
    """Train what is missing, then print one line per (language, layer)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="A demo work folder (its corpora/ are read).")
    parser.add_argument("--languages", nargs="+", default=list(FOREIGN), choices=FOREIGN)
    parser.add_argument("--layers", nargs="+", type=int, default=[0, 1, 2, 3, -1])
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--overrides", type=json.loads, default={}, help="Recipe settings (JSON).")
    parser.add_argument("--variant", default="", help="Folder suffix of the overrides' runs.")
    parser.add_argument(
        "--position-scale",
        type=float,
        default=None,
        help="Read an XLM-R copy with its position embeddings scaled by this (0: none).",
    )
    args = parser.parse_args(argv)
    if args.overrides and not args.variant:
        parser.error("--overrides needs --variant: a name for the folders of its GlueNets.")
    settings = DemoSettings(scenes="validation")
    demo = WorldDemo(args.workdir, settings, progress=False, workers=1)
    xlmr, reading = str(shipped_model("xlmr")), ""
    if args.position_scale is not None:
        reading = f"-positions{args.position_scale:g}"
        xlmr = str(
            scaled_positions_copy(args.workdir / "layers" / f"xlmr{reading}", args.position_scale)
        )
    runs, jobs = {}, []
    corpora = write_corpora(args.workdir, settings)  # the default demo's (rewritten if not)
    for code in args.languages:
        corpus = corpora[code].corpus  # what the demo's GlueNet of the language reads
        recipe = settings.recipe(settings.language_role(code)).with_overrides(**args.overrides)
        for layer in args.layers:
            source = ParallelSource(xlmr, corpus, code, "en", layer=layer)
            features = args.workdir / "layers" / f"features-{code}{layer}{reading}"
            cache = world_cache(source, features, False)
            name = f"{code}{layer}{reading}" + (f"-{args.variant}" if args.variant else "")
            folder = runs[code, layer] = args.workdir / "layers" / name
            if not is_trained(cache, source, folder, recipe):
                jobs.append((str(cache.folder), source, folder, recipe))
    train_in_parallel(jobs, args.workers, progress=True)
    torch.set_num_threads(args.workers)
    header = "".join(f"{phrasings + ' pairs' * pairs:>22}" for phrasings, pairs in CELLS)
    print(f"{'':4}{'layer':>6}{header}")
    for (code, layer), folder in runs.items():
        encoder = HFTextEncoder(xlmr, max_length=WORLD_SOURCE_TOKENS, layer=layer)
        net = GlueNet.from_pretrained(folder / "gluenet")
        glue = GlueGenPipeline(demo.pipeline, encoder, {code: net}, unconditional="generator")
        means = []
        for phrasings, pairs in CELLS:
            prompts = demo.prompts(code, phrasings, two_objects=pairs)
            scenes = demo.pair_scenes if pairs else demo.scenes
            inputs = demo.glued_inputs(glue, prompts, [code] * len(prompts), scenes=scenes)
            embeds, negative, scenes = inputs()
            _, scores = draw_and_score(
                demo.pipeline, demo.judges, embeds, negative, scenes, settings.draw
            )
            means.append(scores["mean"])
        print(f"{code:4}{layer:>6}" + "".join(f"{m:22.3f}" for m in means), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
