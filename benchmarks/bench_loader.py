"""Does reading ahead hide the cache reads behind the step? At the real widths (XLM-R-large
77x1024 -> CLIP-L 77x768, a bf16 cache, random batches of 32).

A GPU step leaves the CPU waiting: here a step is a wait of `--step-ms` (default: the measured
time to read one batch, where hiding is hardest: read and step take as long). The loop over
`--batches` batches is timed reading in the loop (`workers=0`) and reading ahead
(`gluegen.data.loader.Prefetcher`, READ_WORKERS threads, READ_AHEAD batches), beside the bound
of perfect overlap, batches x max(read, step), each measured alone. Before every timing the
cache's pages are dropped from the page cache (`posix_fadvise`), so that rows come from the
disk, as they do from a cache larger than memory (`--warm`: from the page cache).

`--trainer` also times the Trainer itself (a `sd1-multilingual` GlueNet at these shapes, on
the machine's accelerator where there is one: the case reading ahead is for) for `--batches`
steps, reading in the loop and ahead, each from a cold page cache.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_loader.py [--pairs 10000] [--trainer]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from bench_scale import BATCH, build

from gluegen.data.cache import FeatureCache
from gluegen.data.loader import READ_AHEAD, READ_WORKERS, Prefetcher, read_rows

NAMES = ("source", "target")


def evict(arrays) -> None:
    """Drop the cache's pages from the page cache: the next reads go to the disk."""
    for part in arrays["source"].parts:
        descriptor = os.open(part.path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def step_seconds(step_s: float, count: int) -> float:
    """What `count` waits of `step_s` take (the sleep's own overhead included)."""
    started = time.perf_counter()
    for _ in range(count):
        time.sleep(step_s)
    return (time.perf_counter() - started) / count


def loop_seconds(arrays, batches, step_s: float, workers: int) -> float:
    """Seconds for the loop: each batch read (ahead or not), then a step of `step_s`."""
    started = time.perf_counter()
    with Prefetcher(arrays, NAMES, batches.__getitem__, len(batches), workers) as reader:
        for step in range(len(batches)):
            reader.batch(step)
            time.sleep(step_s)  # the CPU waits on the device
    return time.perf_counter() - started


def trainer_seconds(folder: Path, steps: int, workers: int, cold) -> float:
    """Seconds for a Trainer run of `steps` steps on the cache in `folder` (its start-up and
    evaluations are the same either way, on `BATCH` held-out pairs), batches read by
    `workers` threads."""
    from gluegen.data.prepare import cache_shapes
    from gluegen.recipes import get_recipe
    from gluegen.training import trainer

    cache = FeatureCache.open(folder / "cache")
    recipe = get_recipe("sd1-multilingual").with_overrides(epochs=1, max_steps=steps)
    with tempfile.TemporaryDirectory(prefix="gluegen-loader-run-") as run:
        settings = recipe.train_config(run, False)
        settings.eval_pairs = BATCH  # the start-up is not what is timed
        before = trainer.READ_WORKERS
        trainer.READ_WORKERS = workers
        try:
            runner = trainer.Trainer(cache, recipe.gluenet_config(cache_shapes(cache)), settings)
            cold(cache.arrays())
            started = time.perf_counter()
            runner.run()
            return time.perf_counter() - started
        finally:
            trainer.READ_WORKERS = before


def main(argv: list[str] | None = None) -> int:
    """Build the cache, time the loop both ways; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--step-ms", type=float, help="A step's time (default: one batch's read).")
    parser.add_argument("--work", help="Where the cache goes (default: the temporary folder).")
    parser.add_argument("--warm", action="store_true", help="Rows from the page cache.")
    parser.add_argument("--trainer", action="store_true", help="Time the Trainer's steps too.")
    args = parser.parse_args(argv)
    cold = (lambda arrays: None) if args.warm else evict
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="gluegen-loader-", dir=args.work) as work:
        build(args.pairs, Path(work), "bfloat16")
        arrays = FeatureCache.open(Path(work) / "cache").arrays()
        generator = torch.Generator().manual_seed(0)
        batches = [
            torch.randint(args.pairs, (BATCH,), generator=generator) for _ in range(args.batches)
        ]
        cold(arrays)
        started = time.perf_counter()
        for ids in batches:
            read_rows(arrays, NAMES, ids)
        read_s = (time.perf_counter() - started) / len(batches)
        step_s = read_s if args.step_ms is None else args.step_ms / 1000
        cold(arrays)
        inline = loop_seconds(arrays, batches, step_s, workers=0)
        cold(arrays)
        ahead = loop_seconds(arrays, batches, step_s, workers=READ_WORKERS)
        step_s = step_seconds(step_s, len(batches))
        if args.trainer:
            timed = {w: trainer_seconds(Path(work), args.batches, w, cold) for w in (0, 2)}
    bound = len(batches) * max(read_s, step_s)
    print(
        f"{args.pairs} pairs, {len(batches)} batches of {BATCH}, "
        f"{'page cache' if args.warm else 'disk'}: a read {read_s * 1000:.1f} ms, "
        f"a step {step_s * 1000:.1f} ms; {READ_WORKERS} readers, {READ_AHEAD} batches ahead"
    )
    print(f"{'':24}{'seconds':>10}{'of the bound':>14}")
    for name, seconds in (("read in the loop", inline), ("read ahead", ahead)):
        print(f"{name:24}{seconds:>10.2f}{bound / seconds:>14.2f}")
    print(f"{'bound (full overlap)':24}{bound:>10.2f}")
    if args.trainer:
        import accelerate

        device = accelerate.PartialState().device
        print(f"\na Trainer run of {args.batches} steps (sd1-multilingual, {device}), seconds")
        print(f"{'read in the loop':24}{timed[0]:>10.2f}")
        print(f"{'read ahead':24}{timed[2]:>10.2f}{timed[0] / timed[2]:>10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
