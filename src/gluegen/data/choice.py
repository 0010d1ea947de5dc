"""`--features auto`: a feature cache or online features, chosen by what each would cost.

A run of E epochs over N pairs costs, with a cache, one encoding pass, the write, and E passes
of reading (N / encode + N / write + E * N / read seconds); online, E encoding passes (E * N /
encode). The three rates are measured at the start on the corpus's first batches, and the
choice is said with them. A cache already built for the same encoders and corpus costs no
encoding, so it is always taken.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from gluegen.data.cache import build_cache, cache_key, encode_pairs, matching_cache
from gluegen.data.corpus import ParallelCorpus
from gluegen.encoders.base import Encoder

TIMED_BATCHES = 2  # batches timed for each rate, after one warm-up batch


@dataclass
class Choice:
    """Which features a run uses, and why (said before training)."""

    features: str  # "cache" or "online"
    why: str


def _rate(seconds: float, pairs: int) -> float:
    return pairs / max(seconds, 1e-9)


def measured_rates(
    corpus: ParallelCorpus, source: Encoder, target: Encoder, spec_options: dict, batch: int
) -> tuple[float, float, float]:
    """(encoded, written, read) pairs per second on the corpus's first batches: a small cache
    built and read back in a temporary folder as the run would (just written, it is read from
    the page cache: a cache larger than memory reads at the disk's rate)."""
    batch = max(1, min(batch, len(corpus) // (TIMED_BATCHES + 1)))  # a small corpus: smaller
    count = min(len(corpus), batch * (TIMED_BATCHES + 1))
    kind = corpus.source_kind
    sample = ParallelCorpus(corpus.sources[:count], corpus.targets[:count], source_kind=kind)
    timed = slice(batch, count) if count > batch else slice(0, count)  # a pair or two: again
    precision = spec_options["encode_precision"]  # as the run would encode
    encode_pairs(sample.sources[:batch], sample.targets[:batch], source, target, precision)
    started = time.perf_counter()  # after a warm-up batch
    encode_pairs(sample.sources[timed], sample.targets[timed], source, target, precision)
    encoded = _rate(time.perf_counter() - started, len(range(count)[timed]))
    with tempfile.TemporaryDirectory(prefix=".gluegen-rates-") as folder:
        started = time.perf_counter()
        cache = build_cache(
            sample, source, target, Path(folder) / "cache", progress=False, **spec_options
        )
        built = time.perf_counter() - started
        written = _rate(max(built - count / encoded, 1e-9), count)  # the build less its encoding
        arrays = cache.arrays()
        ids = torch.randperm(count)
        started = time.perf_counter()
        for start in range(0, count, batch):
            for name in ("source", "target"):
                arrays[name].stored(ids[start : start + batch])
        read = _rate(time.perf_counter() - started, count)
    return encoded, written, read


def choose_features(
    corpus: ParallelCorpus,
    source: Encoder,
    target: Encoder,
    folder: Path,
    epochs: int,
    spec_options: dict,
    batch: int,
) -> Choice:
    """A matching cache in `folder`, else the cheaper of a new cache and online features for
    `epochs` passes, by the measured rates."""
    key_options = {k: spec_options[k] for k in ("dtype", "shard_size", "encode_precision")}
    if matching_cache(folder, cache_key(corpus, source, target, **key_options)) is not None:
        return Choice("cache", f"a cache of this corpus and these encoders is in {folder}")
    encoded, written, read = measured_rates(corpus, source, target, spec_options, batch)
    pairs = len(corpus)
    with_cache = pairs / encoded + pairs / written + epochs * pairs / read
    online = epochs * pairs / encoded
    rates = (
        f"encoding {encoded:,.0f} pairs/s, writing {written:,.0f}, reading {read:,.0f}; "
        f"{epochs} epoch{'s' * (epochs != 1)} of {pairs:,} pairs: about {with_cache:,.1f} s "
        f"with a cache, {online:,.1f} s online"
    )
    return Choice("online" if online < with_cache else "cache", rates)
