"""Each language's GlueNet fine-tuned from the shared one, on validation: an experiment, not a
benchmark (the demo trains each language's GlueNet from random weights).

    python benchmarks/explore_warm_start.py runs/demo-N --seed N [--nets warm averaged]

For each language: a GlueNet of the shared GlueNet's layout, started from its weights
(`init_from`, the library's) and trained on the language's own cache of the demo, with
`--overrides` over the shared recipe (default: 3 epochs at 2e-3, the learning rate halved
after 2; `--seed` as the demo's). Then four cells of the validation scenes, as
`explore_ensemble.py` draws them (`draw_cells`): corpus phrasings, the validation families,
the validation requests, and two-object scenes in the validation families; through the
fine-tuned GlueNet (`warm`) and through it and the shared one averaged (`averaged`). Prints
the judge's mean of each, then the lowest language of each column; the GlueNets go to
WORKDIR/warm/VARIANT-seedN/ and are reused. `explore_ensemble.py` prints the demo's own,
shared and averaged GlueNets on the same cells.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from explore_ensemble import draw_cells

from gluegen.models import GlueNet
from gluegen.pipelines import GlueGenPipeline
from gluegen_world.demo.corpora import write_corpora
from gluegen_world.demo.settings import DEFAULT_WORKERS, FOREIGN, DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import quiet_model_loading, train_in_parallel
from gluegen_world.gluenets import ParallelSource, is_trained, world_cache
from gluegen_world.models import shipped_model

NETS = ("warm", "averaged")
# over the shared recipe: the first settings tried (its learning rate halved, few epochs)
FINE_TUNING = {"epochs": 3, "learning_rate": 2e-3, "lr_decay_epochs": 2}


def main(argv: list[str] | None = None) -> int:
    """Train what is missing, then print one line per (language, cell) and the lowest."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="A demo work folder (runs/, features/).")
    parser.add_argument("--seed", type=int, default=0, help="Training seed (the demo's).")
    parser.add_argument("--languages", nargs="+", default=list(FOREIGN), choices=FOREIGN)
    parser.add_argument("--nets", nargs="+", default=list(NETS), choices=NETS)
    parser.add_argument("--overrides", type=json.loads, default={}, help="Over FINE_TUNING.")
    parser.add_argument("--variant", default="", help="Folder name of the overrides' runs.")
    parser.add_argument("--test-scenes", type=int, default=DemoSettings().test_scenes)
    args = parser.parse_args(argv)
    if args.overrides and not args.variant:
        parser.error("--overrides needs --variant: a name for the folders of its GlueNets.")
    quiet_model_loading()
    settings = DemoSettings(scenes="validation", test_scenes=args.test_scenes)
    demo = WorldDemo(args.workdir, settings, progress=False, workers=1)
    shared_weights = args.workdir / "runs" / "shared" / "gluenet"
    tuning = {**FINE_TUNING, **args.overrides, "seed": args.seed}
    recipe = settings.recipe("shared").with_overrides(**tuning, init_from=str(shared_weights))
    folder = args.workdir / "warm" / f"{args.variant or 'default'}-seed{args.seed}"
    xlmr = str(shipped_model("xlmr"))
    jobs = []
    corpora = write_corpora(args.workdir, settings)  # the default demo's (rewritten if not)
    for code in args.languages:
        corpus = corpora[code].corpus  # what the demo's GlueNet of the language reads
        source = ParallelSource(xlmr, corpus, code, "en", layer=settings.source_layer)
        cache = world_cache(source, args.workdir / "features" / code, False)
        # reused while the recipe is the same: the shared GlueNet by its path (after training
        # it again, delete WORKDIR/warm/)
        if not is_trained(cache, source, folder / code, recipe):
            jobs.append((str(cache.folder), source, folder / code, recipe))
    train_in_parallel(jobs, DEFAULT_WORKERS, progress=True)

    torch.set_num_threads(DEFAULT_WORKERS)  # one per core, as the demo has workers
    runs = {name: args.workdir / "runs" / name for name in (*FOREIGN, "shared")}
    encoder, _, _, _ = demo.language_pipelines(runs)
    shared = GlueNet.from_pretrained(shared_weights)
    warm = {code: GlueNet.from_pretrained(folder / code / "gluenet") for code in args.languages}
    pipelines = {
        "warm": GlueGenPipeline(demo.pipeline, encoder, warm, unconditional="generator"),
        "averaged": GlueGenPipeline(
            demo.pipeline,
            encoder,
            {code: [net, shared] for code, net in warm.items()},
            unconditional="generator",
        ),
    }
    draw_cells(demo, {net: (pipelines[net], True) for net in args.nets}, args.languages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
