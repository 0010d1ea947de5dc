"""Each language's GlueNet trained on its corpus with made-up words slipped into the captions,
on validation: an experiment, not a benchmark (the demo trains on the corpus as written).

    python benchmarks/explore_noise_words.py runs/demo-N --seed N [--share S --most K]
        [--pieces vocabulary|unseen] [--drop R]
        [--swap S --pairs N --overrides JSON --variant NAME]

`--share` of each language's corpus captions get 1 to `--most` noise words at random places
(`gluegen_world.noise_words`: pieces of the world's XLM-R vocabulary in the caption's script,
drawn with the corpus seed, as the demo draws them); the English target is the caption's as
written, so the GlueNet learns to pass over what does not name the scene.

Then four cells of the validation scenes, as `explore_ensemble.py` draws them: through the
noisy GlueNet alone (`noisy`) and averaged with the demo's shared one (`averaged`); with
`--nets shared both`, also through a shared GlueNet trained on the six noisy corpora pooled
(`shared`, prompts routed, as the demo draws it) and each noisy GlueNet averaged with that one
(`both`). Prints the judge's mean of each and the lowest language of each column; the
corpora, caches and GlueNets go to WORKDIR/noise/VARIANT-seedN/ and are reused. Everything
reads the shipped XLM-R, so another one put in its place is measured the same way (without
`averaged`: the demo's shared GlueNet reads only the XLM-R it was trained on).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from explore_ensemble import draw_cells
from transformers import XLMRobertaTokenizer

from gluegen.data.cache import pool_caches
from gluegen.models import GlueNet
from gluegen.pipelines import ANY, GlueGenPipeline
from gluegen_world.corpus import write_text_corpus
from gluegen_world.demo.corpora import write_shared_corpus
from gluegen_world.demo.settings import DEFAULT_WORKERS, FOREIGN, DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import quiet_model_loading, train_in_parallel
from gluegen_world.gluenets import ParallelSource, is_trained, world_cache, world_xlmr
from gluegen_world.models import shipped_model
from gluegen_world.noise_words import PIECE_POOLS, write_noisy_corpus
from gluegen_world.swapped_nouns import write_swapped_corpus

NETS = ("noisy", "averaged", "shared", "both")
TRAINS_SHARED = ("shared", "both")


def train(folder: Path, settings: DemoSettings, args: argparse.Namespace) -> None:
    """Write the noisy corpora, cache them, and train the GlueNets missing in `folder`: each
    language's, and with `--nets shared` or `both` the shared one on the six pooled."""
    xlmr = str(shipped_model("xlmr"))
    tokenizer = XLMRobertaTokenizer.from_pretrained(xlmr)
    jobs, caches, corpora = [], {}, {}
    for code in args.languages:
        corpus = corpora[code] = folder / "corpora" / code / "train.tsv"
        if not corpus.is_file():
            clean = args.workdir / "corpora" / code / "train.tsv"
            if args.pairs:  # a corpus of another size, drawn as the demo draws its own
                written = write_text_corpus(
                    folder / "clean" / code, code, args.pairs, 0, seed=settings.seed
                )
                clean = written["train"]
            if args.swap:  # a share of the rows with one object's noun swapped, first
                swapped = folder / "swapped" / code / "train.tsv"
                clean = write_swapped_corpus(clean, swapped, code, args.swap, settings.seed)
            write_noisy_corpus(
                clean,
                corpus,
                code,
                tokenizer,
                args.share,
                args.most,
                settings.seed,
                args.pieces,
                args.drop,
            )
        source = ParallelSource(xlmr, str(corpus), code, "en", layer=settings.source_layer)
        cache = caches[code] = world_cache(source, folder / "features" / code, False)
        recipe = settings.recipe(settings.language_role(code))
        recipe = recipe.with_overrides(**{**args.overrides, "seed": args.seed})
        if not is_trained(cache, source, folder / code, recipe):
            jobs.append((str(cache.folder), source, folder / code, recipe))
    if set(args.nets) & set(TRAINS_SHARED):
        pooled = pool_caches([caches[code] for code in FOREIGN], folder / "features" / "shared")
        shared_corpus = folder / "corpora" / "shared" / "train.tsv"
        if not shared_corpus.is_file():
            write_shared_corpus(shared_corpus, {code: corpora[code] for code in FOREIGN})
        source = ParallelSource(xlmr, str(shared_corpus), "text", "en", layer=settings.source_layer)
        recipe = settings.recipe("shared").with_overrides(seed=args.seed)
        if not is_trained(pooled, source, folder / "shared", recipe):
            jobs.insert(0, (str(pooled.folder), source, folder / "shared", recipe))  # longest
    train_in_parallel(jobs, DEFAULT_WORKERS, progress=True)


def pipelines(demo: WorldDemo, folder: Path, languages: list[str], nets: list[str]) -> dict:
    """{net: (GlueGenPipeline, whether prompts go to the language's key)} for `nets`."""
    # the XLM-R the GlueNets here were trained on; the demo's shared GlueNet only where a
    # cell averages with it (it reads the XLM-R the demo ran with)
    encoder = world_xlmr(demo.settings.source_layer)
    noisy = {code: GlueNet.from_pretrained(folder / code / "gluenet") for code in languages}
    shared = {}
    if "averaged" in nets:
        shared["demo"] = GlueNet.from_pretrained(demo.workdir / "runs" / "shared" / "gluenet")
    if set(nets) & set(TRAINS_SHARED):
        shared["noisy"] = GlueNet.from_pretrained(folder / "shared" / "gluenet")
    keyed = {
        "noisy": noisy,
        "averaged": {code: [net, shared.get("demo")] for code, net in noisy.items()},
        "both": {code: [net, shared.get("noisy")] for code, net in noisy.items()},
    }
    chosen = {}
    for net in nets:
        # the shared GlueNet reads every prompt routed (to "*"), as the demo draws it
        gluenets = {ANY: shared["noisy"]} if net == "shared" else keyed[net]
        glue = GlueGenPipeline(demo.pipeline, encoder, gluenets, unconditional="generator")
        chosen[net] = (glue, net != "shared")
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Write, cache and train what is missing, then print one line per (language, cell)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="A demo work folder (corpora/, runs/).")
    parser.add_argument("--seed", type=int, default=0, help="Training seed (the demo's).")
    parser.add_argument("--languages", nargs="+", default=list(FOREIGN), choices=FOREIGN)
    parser.add_argument("--nets", nargs="+", default=list(NETS[:2]), choices=NETS)
    demo_default = DemoSettings()
    parser.add_argument(
        "--share", type=float, default=demo_default.noise_share, help="Captions made noisy."
    )
    parser.add_argument(
        "--most", type=int, default=demo_default.noise_words, help="Most noise words in one."
    )
    parser.add_argument(
        "--pieces",
        default=demo_default.noise_pieces,
        choices=PIECE_POOLS,
        help="What made-up words are made of (the demo's --noise-pieces).",
    )
    parser.add_argument(
        "--drop",
        type=float,
        default=0.0,
        help="Each word of every caption (Chinese, Japanese: each character) dropped with this "
        "probability, before the made-up words go in.",
    )
    parser.add_argument(
        "--swap",
        type=float,
        default=0.0,
        help="Share of the rows whose shape noun is swapped for another's, the words agreeing "
        "with it kept, before the made-up words go in (gluegen_world.swapped_nouns).",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="Pairs per language: a corpus of this size drawn afresh (default: the demo's).",
    )
    parser.add_argument(
        "--overrides",
        type=json.loads,
        default={},
        help="Recipe settings of the language GlueNets (JSON), e.g. fewer epochs over more pairs.",
    )
    parser.add_argument(
        "--variant", default="", help="Folder name (default: share, most, pieces and drop)."
    )
    parser.add_argument("--test-scenes", type=int, default=demo_default.test_scenes)
    args = parser.parse_args(argv)
    if (args.pairs or args.overrides or args.swap) and not args.variant:
        parser.error("--pairs, --overrides and --swap need --variant: a name for their folders.")
    if set(args.nets) & set(TRAINS_SHARED) and set(args.languages) != set(FOREIGN):
        parser.error("--nets shared or both: the shared GlueNet reads all six languages.")
    quiet_model_loading()
    settings = DemoSettings(scenes="validation", test_scenes=args.test_scenes)
    demo = WorldDemo(args.workdir, settings, progress=False, workers=1)
    dropped = f"-drop{args.drop}" if args.drop else ""
    variant = args.variant or f"s{args.share}-m{args.most}-{args.pieces}{dropped}"
    folder = args.workdir / "noise" / f"{variant}-seed{args.seed}"
    train(folder, settings, args)
    torch.set_num_threads(DEFAULT_WORKERS)  # one per core, as the demo has workers
    draw_cells(demo, pipelines(demo, folder, args.languages, args.nets), args.languages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
