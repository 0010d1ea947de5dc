"""Does a run's memory stay flat as the corpus grows, and how close does the cache reader come
to the disk's own read rate? At the real widths: XLM-R-large 77x1024 -> CLIP-L 77x768.

Each size builds its cache in one process and trains in another: encoder stand-ins of those
output shapes (they cost nothing, so the data path is what is measured) fill a cache
(`--cache-dtype`, bfloat16 by default: what a GPU run caches), then
- the cache reader: random training batches of 32 read through the cache (source and target
  features, as the Trainer's step reads them) against the read bound: the same rows read with plain
  positioned reads (`os.preadv`) into a buffer, nothing else done;
- a training run on the cache (the statistics pass over the training split, the held-out
  evaluation before the first step, `--steps` steps of a `world-language` GlueNet at these
  shapes): its peak resident memory, which should not grow with the corpus.
The cache is freshly written, so both reads come from the page cache where it fits in memory:
the bound is the same access pattern, read however the machine serves it (each is timed twice,
in turn, and the faster kept).

Online mode (`--features online`, no cache), two tables:
- memory: training runs of `--steps` steps on corpora of `--online-sizes` pairs (stand-ins of
  the real output shapes, which cost nothing), captions of a web caption's length read from a
  parquet file (`--online-corpus tsv`: a TSV; `list`: a Python list): the peak should not grow
  with the corpus;
- rate: encoders of the real widths (`--encoder-layers` layers each: a layer's FLOP rate does not
  depend on how many follow) encoding training batches as the Trainer asks for them, against
  the bound of their counted FLOPs at this machine's measured fp32 matmul peak.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_scale.py [--sizes 10000 25000 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

SOURCE_SHAPE, TARGET_SHAPE = (77, 1024), (77, 768)  # XLM-R-large, CLIP ViT-L/14 text
BATCH = 32
READ_BATCHES = 200  # random batches each reader reads


def read_bound(cache, batches: list) -> float:
    """Seconds to read the rows of `batches` with nothing but positioned reads (every shard
    opened once, every offset worked out before the clock starts) into one buffer a tensor:
    the bound a reader is held to."""
    arrays = cache.arrays()
    descriptors = {part.path: os.open(part.path, os.O_RDONLY) for part in arrays["source"].parts}
    buffers = {  # one batch of each tensor, reused by every batch
        name: memoryview(bytearray(arrays[name].parts[0].row_bytes * BATCH))
        for name in ("source", "target")
    }
    plan = []  # per batch and tensor: [(descriptor, offset, view)]
    for ids in batches:
        for name in ("source", "target"):
            array = arrays[name]
            size = array.parts[0].row_bytes
            buffer = buffers[name]
            shards = torch.searchsorted(array.starts[1:], ids, right=True).tolist()
            reads = []
            for index, (row, shard) in enumerate(zip(ids.tolist(), shards, strict=True)):
                part = array.parts[shard]
                offset = part.offset + (row - int(array.starts[shard])) * size
                reads.append(
                    (descriptors[part.path], offset, buffer[index * size : (index + 1) * size])
                )
            plan.append(reads)
    started = time.perf_counter()
    for reads in plan:
        for descriptor, offset, view in reads:
            os.preadv(descriptor, [view], offset)
    seconds = time.perf_counter() - started
    for descriptor in descriptors.values():
        os.close(descriptor)
    return seconds


def reader_seconds(cache, batches: list) -> float:
    """Seconds to read `batches` through the cache as the Trainer's step does: source and
    target features as stored (widened where the step runs)."""
    arrays = cache.arrays()
    started = time.perf_counter()
    for ids in batches:
        for name in ("source", "target"):
            arrays[name].stored(ids)
    return time.perf_counter() - started


def build(pairs: int, work: Path, dtype: str) -> dict:
    """Fill a cache of `pairs` real-shape pairs in `work` (its own process)."""
    from stand_ins import RandomFeatures

    from gluegen.data.cache import build_cache
    from gluegen.data.corpus import ParallelCorpus

    torch.set_num_threads(1)
    texts = [str(i) for i in range(pairs)]
    source = RandomFeatures("source", *SOURCE_SHAPE)
    target = RandomFeatures("target", *TARGET_SHAPE)
    corpus = ParallelCorpus(texts, texts)
    started = time.perf_counter()
    build_cache(corpus, source, target, work / "cache", dtype=dtype, progress=False)
    seconds = time.perf_counter() - started
    disk = sum(p.stat().st_size for p in (work / "cache").glob("shard-*.safetensors"))
    return {"build_pairs_s": pairs / seconds, "bytes_pair": disk / pairs}


def train_and_read(work: Path, steps: int) -> dict:
    """Train on the cache in `work`, then time its reader against the bound (a fresh process,
    so that its peak memory is the run's own)."""
    from gluegen.data.cache import FeatureCache
    from gluegen.data.prepare import cache_shapes
    from gluegen.recipes import get_recipe
    from gluegen.training.trainer import Trainer

    torch.set_num_threads(1)
    cache = FeatureCache.open(work / "cache")
    recipe = get_recipe("world-language").with_overrides(epochs=1, max_steps=steps)
    settings = recipe.train_config(str(work / "run"), False)
    started = time.perf_counter()
    Trainer(cache, recipe.gluenet_config(cache_shapes(cache)), settings).run()
    train_seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # before the readers run
    generator = torch.Generator().manual_seed(0)
    batches = [
        torch.randint(len(cache), (BATCH,), generator=generator) for _ in range(READ_BATCHES)
    ]
    # each twice, in turn (bound, reader, reader, bound), the faster of each: neither gains
    # from pages the other brought in
    first_bound, first_reader = read_bound(cache, batches), reader_seconds(cache, batches)
    reader = min(first_reader, reader_seconds(cache, batches))
    bound = min(first_bound, read_bound(cache, batches))
    return {
        "reader_pairs_s": READ_BATCHES * BATCH / reader,
        "bound_pairs_s": READ_BATCHES * BATCH / bound,
        "train_s": train_seconds,
        "peak_rss": peak,
    }


def caption(index: int) -> str:
    """A caption of a typical web caption's length (~60 characters), distinct per index."""
    return f"a photograph of item {index:08d} on a wooden table in soft morning light"


def write_corpus(pairs: int, path: Path) -> dict:
    """A parquet (or, by its suffix, TSV) corpus of `pairs` captions in both columns, written a
    chunk at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    chunk = 100_000
    if path.suffix == ".tsv":
        with open(path, "w", encoding="utf-8") as table:
            table.write("source\ttarget\n")
            for index in range(pairs):
                table.write(f"{caption(index)}\t{caption(index)}\n")
        return {"bytes": path.stat().st_size}
    schema = pa.schema([("source", pa.string()), ("target", pa.string())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, pairs, chunk):
            texts = [caption(i) for i in range(start, min(start + chunk, pairs))]
            writer.write_table(pa.table({"source": texts, "target": texts}, schema=schema))
    return {"bytes": path.stat().st_size}


def train_online(pairs: int, steps: int, corpus: str | None) -> dict:
    """Train `steps` steps on `pairs` online pairs (its own process): the peak memory. The
    pairs come from the file `corpus` (a parquet file or a TSV, both mapped as read), or else
    a list of the same captions."""
    from stand_ins import RandomFeatures

    from gluegen.data.corpus import ParallelCorpus
    from gluegen.data.online import OnlineFeatures
    from gluegen.data.prepare import cache_shapes
    from gluegen.data.readers import read_corpus
    from gluegen.recipes import get_recipe
    from gluegen.training.trainer import Trainer

    torch.set_num_threads(1)
    if corpus:
        pairs_read = read_corpus(corpus, split=None)
    else:
        texts = [caption(i) for i in range(pairs)]
        pairs_read = ParallelCorpus(texts, list(texts))
    source = RandomFeatures("source", *SOURCE_SHAPE)
    target = RandomFeatures("target", *TARGET_SHAPE)
    features = OnlineFeatures(pairs_read, source, target)
    recipe = get_recipe("world-language").with_overrides(epochs=1, max_steps=steps)
    with tempfile.TemporaryDirectory(prefix="gluegen-online-") as work:
        config = recipe.train_config(work, False)
        started = time.perf_counter()
        Trainer(features, recipe.gluenet_config(cache_shapes(features)), config).run()
    return {
        "train_s": time.perf_counter() - started,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def online_rate(layers: int, batches: int) -> dict:
    """Encoders of the real widths, `layers` deep, encoding training batches online: pairs/s
    against the bound their counted FLOPs allow at the measured matmul peak."""
    from flops import count_flops, matmul_peak

    from gluegen import testing as toy
    from gluegen.data.corpus import ParallelCorpus
    from gluegen.data.online import OnlineFeatures
    from gluegen.encoders import HFTextEncoder, load_target

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="gluegen-encoders-") as work:
        sizes = [
            toy.EncoderSize(hidden=w, layers=layers, heads=h, max_tokens=77, mlp_ratio=4)
            for w, h in ((SOURCE_SHAPE[1], 16), (TARGET_SHAPE[1], 12))
        ]
        source = HFTextEncoder(str(toy.save_xlmr(Path(work) / "xlmr", sizes[0])), max_length=77)
        target = load_target(str(toy.save_sd_pipeline(Path(work) / "sd", sizes[1])))
        texts = toy.toy_sentences(BATCH * (batches + 1), seed=0, max_words=60)
        features = OnlineFeatures(ParallelCorpus(texts, texts), source, target)
        flops = count_flops(lambda: features.rows(torch.arange(1, BATCH + 1))) / BATCH
        peak = matmul_peak(torch.float32, torch.device("cpu"))
        order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(0))
        started = time.perf_counter()
        for index in range(batches):
            features.rows(order[index * BATCH : (index + 1) * BATCH])
        seconds = time.perf_counter() - started
        peak = max(peak, matmul_peak(torch.float32, torch.device("cpu")))
    return {
        "pairs_s": batches * BATCH / seconds,
        "bound_pairs_s": peak / flops,
        "gflop_pair": flops / 1e9,
        "peak_gflops": peak / 1e9,
    }


def child(*args: str) -> dict:
    """Run this script with `args` in a fresh process; its JSON answer."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 25_000, 50_000])
    parser.add_argument("--cache-dtype", default="bfloat16", choices=("float32", "bfloat16"))
    parser.add_argument("--steps", type=int, default=20, help="Training steps at each size.")
    parser.add_argument("--work", help="Where caches go (default: the system's temporary folder).")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)  # a child: build N pairs
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # a child
    parser.add_argument("--online-sizes", type=int, nargs="*", default=[10_000, 1_000_000])
    parser.add_argument("--encoder-layers", type=int, default=2, help="Online rate: encoder depth.")
    parser.add_argument("--online-batches", type=int, default=8, help="Online rate: batches timed.")
    parser.add_argument(
        "--online-corpus",
        default="parquet",
        choices=("parquet", "tsv", "list"),
        help="Online memory: pairs from a parquet file or a TSV (both mapped), or a Python list.",
    )
    parser.add_argument("--train-online", type=int, help=argparse.SUPPRESS)  # a child
    parser.add_argument("--write-corpus", type=int, help=argparse.SUPPRESS)  # a child
    parser.add_argument("--corpus", help=argparse.SUPPRESS)  # a child's parquet file
    parser.add_argument("--rate", action="store_true", help=argparse.SUPPRESS)  # a child
    args = parser.parse_args(argv)
    if args.write_corpus:
        print(json.dumps(write_corpus(args.write_corpus, Path(args.corpus))))
        return 0
    if args.train_online:
        print(json.dumps(train_online(args.train_online, args.steps, args.corpus)))
        return 0
    if args.rate:
        print(json.dumps(online_rate(args.encoder_layers, args.online_batches)))
        return 0
    if args.build:
        print(json.dumps(build(args.build, Path(args.work), args.cache_dtype)))
        return 0
    if args.measure:
        print(json.dumps(train_and_read(Path(args.work), args.steps)))
        return 0
    print(f"{args.cache_dtype} cache at {SOURCE_SHAPE} -> {TARGET_SHAPE}; pairs/s, one process")
    columns = ("pairs", "build/s", "bytes/pair", "reader/s", "bound/s", "of bound", "train s")
    print("".join(f"{c:>12}" for c in columns) + f"{'peak RSS MB':>14}")
    first = None
    for pairs in args.sizes:
        with tempfile.TemporaryDirectory(prefix="gluegen-scale-", dir=args.work) as work:
            r = child("--build", str(pairs), "--work", work, "--cache-dtype", args.cache_dtype)
            r |= child("--measure", "--work", work, "--steps", str(args.steps))
        first = first or r["peak_rss"]
        cells = (
            f"{pairs:>12}{r['build_pairs_s']:>12.0f}{r['bytes_pair']:>12.0f}"
            f"{r['reader_pairs_s']:>12.0f}{r['bound_pairs_s']:>12.0f}"
            f"{r['reader_pairs_s'] / r['bound_pairs_s']:>12.2f}{r['train_s']:>12.1f}"
        )
        print(
            cells + f"{r['peak_rss'] / 1e6:>14.0f}  ({r['peak_rss'] / first:.2f}x the first)",
            flush=True,
        )
    report_online(args)
    return 0


def report_online(args: argparse.Namespace) -> None:
    """The online tables: peak memory by corpus size, the encoders' rate against its bound."""
    if args.online_sizes:
        print(
            f"\nonline features, {args.steps} steps; stand-ins of the same shapes; captions of "
            f"{len(caption(0))} characters from {args.online_corpus}"
        )
        print(f"{'pairs':>12}{'train s':>12}{'peak RSS MB':>14}")
        first = None
        for pairs in args.online_sizes:
            with tempfile.TemporaryDirectory(prefix="gluegen-online-", dir=args.work) as work:
                corpus = []
                if args.online_corpus != "list":
                    path = str(Path(work) / f"pairs.{args.online_corpus}")
                    child("--write-corpus", str(pairs), "--corpus", path)
                    corpus = ["--corpus", path]
                r = child("--train-online", str(pairs), "--steps", str(args.steps), *corpus)
            first = first or r["peak_rss"]
            peak = f"{r['peak_rss'] / 1e6:>14.0f}  ({r['peak_rss'] / first:.2f}x the first)"
            print(f"{pairs:>12}{r['train_s']:>12.1f}" + peak, flush=True)
    layers, batches = str(args.encoder_layers), str(args.online_batches)
    r = child("--rate", "--encoder-layers", layers, "--online-batches", batches)
    ratio = r["pairs_s"] / r["bound_pairs_s"]
    print(
        f"\nonline encoding, real widths, {args.encoder_layers} layers each: "
        f"{r['gflop_pair']:.2f} GFLOP a pair, fp32 peak {r['peak_gflops']:.1f} GFLOP/s\n"
        f"{'pairs/s':>12}{'bound/s':>12}{'of bound':>12}\n"
        f"{r['pairs_s']:>12.2f}{r['bound_pairs_s']:>12.2f}{ratio:>12.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
