"""Scaling with the corpus: cache build and training time, disk and memory at 1k to 64k pairs.

Each size runs in a fresh process (tiny random XLM-R and SD text encoders of the real classes,
a `world-language` GlueNet at their shapes, one epoch, batch 32), which reports:
- build and training seconds, and seconds per 1,000 pairs (flat when time grows linearly);
- the cache's bytes on disk;
- peak anonymous memory (RssAnon, sampled every few milliseconds): what the process holds
  itself. The cache is read through memory maps, whose pages the kernel may drop at any time,
  so they are left out; the peak staying flat while the cache grows shows the reader streams.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_scaling.py [--sizes 1000 4000 16000 64000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.005


class PeakAnonymousMemory:
    """The largest RssAnon of this process while the `with` block runs, in bytes."""

    def __enter__(self) -> PeakAnonymousMemory:
        self.peak, self._running = self.now(), True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, self.now())

    @staticmethod
    def now() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
        return 0

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, self.now())
            time.sleep(SAMPLE_SECONDS)


def one_size(pairs: int, work: Path) -> dict:
    """Build a cache of `pairs` pairs and train one epoch on it; the measurements."""
    import torch
    import transformers

    from gluegen import testing as toy
    from gluegen.data.cache import build_cache
    from gluegen.data.corpus import ParallelCorpus
    from gluegen.data.prepare import cache_shapes
    from gluegen.encoders import HFTextEncoder, load_target
    from gluegen.recipes import get_recipe
    from gluegen.training.trainer import Trainer

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)
    size = toy.EncoderSize()
    source = HFTextEncoder(str(toy.save_xlmr(work / "xlmr", size)), max_length=size.max_tokens)
    target = load_target(str(toy.save_sd_pipeline(work / "sd", size, seed=1)))
    sentences = toy.toy_sentences(pairs, seed=0, max_words=12)
    corpus = ParallelCorpus(sentences, sentences)
    with PeakAnonymousMemory() as build_memory:
        started = time.perf_counter()
        cache = build_cache(corpus, source, target, work / "cache", progress=False)
        build_seconds = time.perf_counter() - started
    recipe = get_recipe("world-language").with_overrides(epochs=1, holdout=0.01)
    settings = recipe.train_config(str(work / "run"), progress=False)
    with PeakAnonymousMemory() as train_memory:
        started = time.perf_counter()
        Trainer(cache, recipe.gluenet_config(cache_shapes(cache)), settings).run()
        train_seconds = time.perf_counter() - started
    disk = sum(p.stat().st_size for p in (work / "cache").glob("shard-*.safetensors"))
    return {
        "pairs": pairs,
        "build_s": build_seconds,
        "train_s": train_seconds,
        "disk": disk,
        "build_peak": build_memory.peak,
        "train_peak": train_memory.peak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000, 64000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child process's size
    args = parser.parse_args(argv)
    if args.one:
        with tempfile.TemporaryDirectory(prefix="gluegen-scaling-") as work:
            print(json.dumps(one_size(args.one, Path(work))))
        return 0
    print(f"{'pairs':>8}{'build s':>10}{'s/1k':>7}{'train s':>10}{'s/1k':>7}", end="")
    print(f"{'disk MB':>10}{'peak MB build':>15}{'peak MB train':>15}")
    for pairs in args.sizes:
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(pairs)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
        per_k = 1000 / pairs
        print(
            f"{pairs:>8}{r['build_s']:>10.1f}{r['build_s'] * per_k:>7.2f}"
            f"{r['train_s']:>10.1f}{r['train_s'] * per_k:>7.2f}{r['disk'] / 1e6:>10.1f}"
            f"{r['build_peak'] / 1e6:>15.0f}{r['train_peak'] / 1e6:>15.0f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
