"""Does reading ahead hide the cache reads behind the step? At the real widths (XLM-R-large
77x1024 -> CLIP-L 77x768, a bf16 cache, random batches of 32).

A GPU step leaves the CPU waiting: here a step is a wait of `--step-ms` (default: the measured
time to read one batch, where hiding is hardest: read and step take as long). The loop over
`--batches` batches is timed reading in the loop (`workers=0`) and reading ahead
(`gluegen.data.loader.Prefetcher`, READ_WORKERS threads, READ_AHEAD batches), beside the bound
of perfect overlap, batches x max(read, step), each measured alone. Before every timing the
cache's pages are dropped from the page cache (`posix_fadvise`), so that rows come from the
disk, as they do from a cache larger than memory (`--warm`: from the page cache).

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_loader.py [--pairs 10000]
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


def main(argv: list[str] | None = None) -> int:
    """Build the cache, time the loop both ways; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--step-ms", type=float, help="A step's time (default: one batch's read).")
    parser.add_argument("--work", help="Where the cache goes (default: the temporary folder).")
    parser.add_argument("--warm", action="store_true", help="Rows from the page cache.")
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
