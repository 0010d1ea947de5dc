"""The per-language and the shared GlueNet averaged, on validation: an experiment, not a
benchmark (it chose the demo's `averaged_heldout_families` rows; the demo draws its requests
and two-object scenes in held-out families through the two averaged too).

    python benchmarks/explore_ensemble.py runs/demo [--languages fr de]

For each language, four cells of the validation scenes (`--scenes validation`), drawn from a
demo work folder's GlueNets as the demo draws them: corpus phrasings, the validation families,
the validation requests, and two-object scenes in the validation families; each through the
language's own GlueNet, through the shared one, and through both with their glued tokens
averaged (the same XLM-R features in, the mean of the two outputs to the generator). Prints
the judge's mean of each, then the lowest language of each column. Nothing is saved.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from source_layer import CELLS  # the cells drawn for each language, as it draws them

from gluegen_world.demo.settings import DEFAULT_WORKERS, FOREIGN, DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import draw_and_score, quiet_model_loading


def draw_cells(demo: WorldDemo, nets: dict[str, tuple], languages: list[str], cells=CELLS) -> None:
    """Print each language's `cells` through each of `nets` ({name: (GlueGenPipeline, whether
    prompts go to the language's key or are routed)}), one line per (language, cell), then
    the lowest language of each column."""
    print(f"{'':4}{'cell':24}" + "".join(f"{net:>10}" for net in nets))
    lowest: dict[tuple[str, str], float] = {}
    for code in languages:
        for phrasings, pairs in cells:
            prompts = demo.prompts(code, phrasings, two_objects=pairs)
            scenes = demo.pair_scenes if pairs else demo.scenes
            cell, means = phrasings + " pairs" * pairs, []
            for net, (glue, keyed) in nets.items():
                keys = [code] * len(prompts) if keyed else None
                inputs = demo.glued_inputs(glue, prompts, keys, scenes=scenes)()
                _, scores = draw_and_score(demo.pipeline, demo.judges, *inputs, demo.settings.draw)
                means.append(scores["mean"])
                lowest[cell, net] = min(lowest.get((cell, net), 1.0), means[-1])
            print(f"{code:4}{cell:24}" + "".join(f"{m:10.3f}" for m in means), flush=True)
    for phrasings, pairs in cells:
        cell = phrasings + " pairs" * pairs
        print(f"{'min':4}{cell:24}" + "".join(f"{lowest[cell, net]:10.3f}" for net in nets))


def main(argv: list[str] | None = None) -> int:
    """Print one line per (language, cell), then the lowest language per column."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="A demo work folder (its runs/ are read).")
    parser.add_argument("--languages", nargs="+", default=list(FOREIGN), choices=FOREIGN)
    parser.add_argument("--test-scenes", type=int, default=DemoSettings().test_scenes)
    args = parser.parse_args(argv)
    quiet_model_loading()
    torch.set_num_threads(DEFAULT_WORKERS)  # one per core, as the demo has workers
    settings = DemoSettings(scenes="validation", test_scenes=args.test_scenes)
    demo = WorldDemo(args.workdir, settings, progress=False, workers=1)
    runs = {name: args.workdir / "runs" / name for name in (*FOREIGN, "shared")}
    _, ours, shared, both = demo.language_pipelines(runs)
    # the shared GlueNet reads every prompt routed (to "*"), as the demo draws it
    nets = {"own": (ours, True), "shared": (shared, False), "averaged": (both, True)}
    draw_cells(demo, nets, args.languages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
