"""Each language's own GlueNet averaged with one of another training seed, on validation: an
experiment, not a benchmark (issue 34's per-language held-out families line).

    python benchmarks/explore_seed_pairs.py runs/demo --pairs 0:3 1:4 2:5 [--averaged]

Trains each language's GlueNet as the demo trains it (its recipe, cache and corpus) at every
seed the pairs name that the work folder lacks (`runs/CODE-seedK`; seed 0 is the folder's own
`runs/CODE`, the demo's default), in two worker processes, then draws the validation cells of
`explore_ensemble.py` for each language through each pair's first GlueNet alone and through
the pair, their glued tokens averaged (a `GlueNetEnsemble`, as the page averages a language's
own and the shared GlueNet). `--averaged` draws the held-out cells as the page draws a
language instead: the first GlueNet and the shared one of its seed (`runs/shared-seedK`,
trained where missing), against the pair and that shared one, at equal weight (the shared
GlueNet twice among four members). Prints one line per (language, cell), then the lowest
language of each column. The trained GlueNets stay in the work folder; nothing else is saved.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from explore_ensemble import draw_cells
from source_layer import CELLS

from gluegen.data.cache import FeatureCache, pool_caches
from gluegen.models import GlueNet
from gluegen.pipelines import ANY, GlueGenPipeline
from gluegen_world.demo.corpora import write_corpora
from gluegen_world.demo.settings import DEFAULT_WORKERS, FOREIGN, DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import quiet_model_loading, train_in_parallel
from gluegen_world.gluenets import is_trained, world_cache, world_xlmr


def seed_folder(workdir: Path, name: str, seed: int) -> Path:
    """Where the GlueNet `name` (a language, or "shared") of `seed` is: the demo's for seed 0."""
    return workdir / "runs" / (name if seed == 0 else f"{name}-seed{seed}")


def training_jobs(
    workdir: Path, settings: DemoSettings, pairs: list[tuple], languages: list[str], averaged: bool
):
    """(cache folder, source, run folder, recipe) of each GlueNet the pairs need and the work
    folder lacks, trained as the demo of `settings` trains them, the longest (shared) first."""
    sources = write_corpora(workdir, settings)
    jobs = []
    for code in languages:
        cache = world_cache(sources[code], workdir / "features" / code, False)
        for seed in sorted({seed for pair in pairs for seed in pair}):
            recipe = settings.recipe(settings.language_role(code)).with_overrides(seed=seed)
            folder = seed_folder(workdir, code, seed)
            if not is_trained(cache, sources[code], folder, recipe):
                jobs.append((str(cache.folder), sources[code], folder, recipe))
    if averaged:  # the shared GlueNet of each first seed, as the demo trains it
        pooled = pool_caches(
            [FeatureCache.open(workdir / "features" / code) for code in FOREIGN],
            workdir / "features" / "shared",
        )
        for seed in sorted({first for first, _ in pairs}):
            recipe = settings.recipe("shared").with_overrides(seed=seed)
            folder = seed_folder(workdir, "shared", seed)
            if not is_trained(pooled, sources[ANY], folder, recipe):
                jobs.insert(0, (str(pooled.folder), sources[ANY], folder, recipe))
    return jobs


def pair_columns(workdir: Path, pair: tuple, languages: list[str], averaged: bool) -> dict:
    """{column: {language: GlueNet or list of GlueNets}} of one seed pair: the first alone
    and the pair, or (`averaged`) each with the shared GlueNet of the first seed."""
    first, second = pair
    alone, both = {}, {}
    for code in FOREIGN:  # every key, so that no prompt is refused; the drawn ones differ
        net = GlueNet.from_pretrained(seed_folder(workdir, code, first) / "gluenet")
        other = seed_folder(workdir, code, second if code in languages else first)
        alone[code] = net
        both[code] = [net, GlueNet.from_pretrained(other / "gluenet")]
    if not averaged:
        return {f"{first}": alone, f"{first}+{second}": both}
    shared = GlueNet.from_pretrained(seed_folder(workdir, "shared", first) / "gluenet")
    return {
        f"{first}+sh": {code: [net, shared] for code, net in alone.items()},
        f"{first}+{second}+sh": {code: [*two, shared, shared] for code, two in both.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Train the missing seeds, then print one line per (language, cell)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="A seed-0 demo work folder.")
    parser.add_argument("--pairs", nargs="+", default=["0:3", "1:4", "2:5"], help="A:B seeds.")
    parser.add_argument("--languages", nargs="+", default=list(FOREIGN), choices=FOREIGN)
    parser.add_argument("--averaged", action="store_true", help="With the shared GlueNet.")
    args = parser.parse_args(argv)
    pairs = [tuple(int(seed) for seed in pair.split(":")) for pair in args.pairs]
    quiet_model_loading()
    settings = DemoSettings(scenes="validation")
    jobs = training_jobs(args.workdir, settings, pairs, args.languages, args.averaged)
    train_in_parallel(jobs, DEFAULT_WORKERS, True)

    torch.set_num_threads(DEFAULT_WORKERS)  # one per core, as the demo has workers
    demo = WorldDemo(args.workdir, settings, progress=False, workers=1)
    xlmr = world_xlmr(settings.source_layer)
    nets = {}
    for pair in pairs:
        for name, gluenets in pair_columns(
            args.workdir, pair, args.languages, args.averaged
        ).items():
            glue = GlueGenPipeline(demo.pipeline, xlmr, gluenets, unconditional="generator")
            nets[name] = (glue, True)
    draw_cells(demo, nets, args.languages, CELLS[1:] if args.averaged else CELLS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
