"""The feature cache: build time against the floor, bytes per pair, and what bf16 storage costs.

On a world corpus (French-English, the world's XLM-R as source, its generator's CLIP as
target), side by side in one run, `--repeats` times interleaved (the machine is shared):
- floor: one forward pass of both encoders over the corpus, nothing written;
- build: `build_cache` of the same corpus (float32, then bfloat16), from scratch;
- bytes per pair on disk, against float32 features padded to the token count;
- held-out alignment of a `world-language` GlueNet trained on each cache (same seed).

`--encoders random`: stand-ins that return random features of XLM-R-large's and CLIP-L text's
shapes (77x1024, 77x768) at once, as a GPU nearly does at those sizes: the floor is then only
making the features, and the table gives what the cache's own work (copying, writing,
hashing) costs per pair and the rate it writes at. No GlueNet is trained.

Run:  python benchmarks/bench_cache.py [--pairs 3000] [--repeats 3] [--epochs 18]
      python benchmarks/bench_cache.py --encoders random --pairs 1024
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from stand_ins import RandomFeatures

from gluegen.allocator import keep_freed_memory
from gluegen.data.cache import FeatureCache, build_cache
from gluegen.data.corpus import ParallelCorpus, read_table
from gluegen.data.prepare import cache_shapes
from gluegen.encoders import HFTextEncoder, load_target
from gluegen.evaluation.alignment import evaluate_on_cache
from gluegen.recipes import get_recipe
from gluegen.training.trainer import Trainer
from gluegen_world.corpus import write_text_corpus
from gluegen_world.gluenets import WORLD_SOURCE_TOKENS
from gluegen_world.models import shipped_model

DTYPES = ("float32", "bfloat16")
BATCH = 64  # pairs per encoder call, as the cache builds
REAL_SHAPES = {"source": (77, 1024), "target": (77, 768)}  # XLM-R-large, CLIP-L text


def floor_seconds(corpus, source, target) -> float:
    """One forward pass of both encoders over the corpus."""
    started = time.perf_counter()
    with torch.no_grad():
        for start in range(0, len(corpus), BATCH):
            source.encode(corpus.sources[start : start + BATCH])
            target.encode(corpus.targets[start : start + BATCH])
    return time.perf_counter() - started


def cache_bytes(folder: Path) -> int:
    """Bytes of the cache's shards."""
    return sum(path.stat().st_size for path in folder.glob("shard-*.safetensors"))


def trained_mse(cache, reference, folder: Path, epochs: int) -> float:
    """Held-out MSE, against the float32 features of `reference`, of a world-language GlueNet
    trained on `cache` (the same split)."""
    recipe = get_recipe("world-language").with_overrides(epochs=epochs)
    settings = recipe.train_config(folder, False)
    Trainer(cache, recipe.gluenet_config(cache_shapes(cache)), settings).run()
    metrics = evaluate_on_cache(folder / "gluenet", reference, settings.holdout, settings.seed)
    return metrics["mse"]


def main(argv: list[str] | None = None) -> int:
    """Measure; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=18, help="GlueNet epochs (0: skip).")
    parser.add_argument(
        "--encoders", choices=("world", "random"), default="world", help="See above."
    )
    args = parser.parse_args(argv)
    keep_freed_memory()  # as build_cache does on a CPU: the floor runs under the same allocator
    work = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    try:
        if args.encoders == "random":
            sentences = [f"pair {i}" for i in range(args.pairs)]
            corpus = ParallelCorpus(sentences, sentences)
            source, target = (RandomFeatures(role, *REAL_SHAPES[role]) for role in REAL_SHAPES)
            args.epochs = 0
        else:
            table = write_text_corpus(work / "corpus", "fr", args.pairs, 0, seed=0)["train"]
            corpus = read_table(table, "fr", "en")
            source = HFTextEncoder(str(shipped_model("xlmr")), max_length=WORLD_SOURCE_TOKENS)
            target = load_target(str(shipped_model("generator")))
            source.load(), target.load()
        floors, builds = [], {dtype: [] for dtype in DTYPES}
        for repeat in range(args.repeats):
            floors.append(floor_seconds(corpus, source, target))
            for dtype in DTYPES:
                folder = work / f"cache-{dtype}-{repeat}"
                started = time.perf_counter()
                build_cache(corpus, source, target, folder, dtype=dtype, progress=False)
                builds[dtype].append(time.perf_counter() - started)
        floor = statistics.median(floors)
        padded = 4 * (source.num_tokens * source.dim + target.num_tokens * target.dim)
        names = ("world XLM-R", "world CLIP") if args.encoders == "world" else ("random",) * 2
        print(
            f"{args.pairs} pairs; {names[0]} {source.num_tokens}x{source.dim} -> {names[1]} "
            f"{target.num_tokens}x{target.dim}; medians of {args.repeats} interleaved runs"
        )
        print(
            f"{'':24}{'seconds':>9}{'range':>14}{'/ floor':>9}{'bytes/pair':>12}{'/ fp32':>8}"
            f"{'cache ms/pair':>15}{'MB/s':>7}"
        )
        spread = f"{min(floors):.1f}-{max(floors):.1f}"
        print(f"{'floor: both encoders':24}{floor:>9.1f}{spread:>14}{1:>9.2f}{'':>12}{'':>8}")
        mses = {}
        for dtype in DTYPES:
            seconds = statistics.median(builds[dtype])
            stored = cache_bytes(work / f"cache-{dtype}-0") / args.pairs
            spread = f"{min(builds[dtype]):.1f}-{max(builds[dtype]):.1f}"
            own = seconds - floor  # the cache's own work, beyond making features
            # within the floor's noise (a build no slower than the floor): nothing to measure
            rate = (
                f"{1000 * own / args.pairs:>15.2f}{stored * args.pairs / own / 1e6:>7.0f}"
                if own > 0
                else f"{'-':>15}{'-':>7}"
            )
            print(
                f"{'build, ' + dtype:24}{seconds:>9.1f}{spread:>14}{seconds / floor:>9.2f}"
                f"{stored:>12.0f}{stored / padded:>8.2f}{rate}"
            )
            if args.epochs:
                cache = FeatureCache.open(work / f"cache-{dtype}-0")
                reference = FeatureCache.open(work / "cache-float32-0")
                mses[dtype] = trained_mse(cache, reference, work / f"run-{dtype}", args.epochs)
        print(f"float32 features padded: {padded} bytes/pair")
        for dtype, mse in mses.items():
            print(
                f"world-language GlueNet ({args.epochs} epochs) trained on {dtype}: held-out "
                f"MSE {mse:.4f} (against float32 features)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
