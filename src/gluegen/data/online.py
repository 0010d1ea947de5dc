"""Features without a cache: both encoders run on the pairs a step asks for, in the training
process (under bf16 autocast where asked), and nothing is written to disk.

For one pass over a large corpus a cache only costs (encode, write, hash, read back); with
`--features online` the Trainer reads `OnlineFeatures` exactly as it reads a `FeatureCache`:
`arrays()` gives each tensor by row, encoded on demand (a batch's source and target are encoded
once, whichever tensor is read first). Statistics come from a capped sample of the training
split, so that starting a run does not encode the whole corpus.

Notation: b - batch, n - tokens, d - features, p - pooled features.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gluegen.data.cache import FULL_PRECISION, encode_pairs
from gluegen.data.corpus import ParallelCorpus
from gluegen.data.split import pair_keys
from gluegen.data.statistics import measure_statistics
from gluegen.encoders.base import Encoder
from gluegen.models.stats import FeatureStatistics

STATISTICS_SAMPLE = 4096  # training pairs the statistics are measured on (a seeded sample)
MASKS = ("source_mask", "target_mask")


class OnlineFeatures:
    """A corpus and two loaded encoders, read like a feature cache (`arrays()`, `key`,
    `manifest["shapes"]`, `statistics`)."""

    folder = None  # nothing on disk

    def __init__(
        self,
        corpus: ParallelCorpus,
        source: Encoder,
        target: Encoder,
        encode_precision: str = FULL_PRECISION,
    ) -> None:
        self.corpus, self.source, self.target = corpus, source, target
        self.encode_precision = encode_precision
        self._last: tuple[torch.Tensor, dict[str, torch.Tensor]] | None = None
        self._keys: np.ndarray | None = None
        first = self.rows(torch.arange(1))
        self.manifest = {
            "shapes": {name: list(tensor.shape[1:]) for name, tensor in first.items()},
            "count": len(corpus),
        }
        self.key = {
            "features": "online",
            "source_encoder": source.identity(),
            "target_encoder": target.identity(),
            "corpus": corpus.fingerprint(),
            "count": len(corpus),
            **({} if encode_precision == FULL_PRECISION else {"encode_precision": "bf16"}),
        }

    def __len__(self) -> int:
        return len(self.corpus)

    def pair_keys(self) -> np.ndarray:
        """(N,) uint64: each pair's key (data/split.py), from the corpus (one pass)."""
        if self._keys is None:
            self._keys = pair_keys(self.corpus.keyed_pairs())
        return self._keys

    def rows(self, ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every tensor of the pairs `ids`: source (b, n_s, d_s), masks (b, n), target
        (b, n_t, d_t), pooled (b, p) where the target has one; the last batch is kept, so that
        reading its source and then its target encodes it once."""
        ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1)
        if self._last is not None and torch.equal(self._last[0], ids):
            return self._last[1]
        sources, targets = self.corpus.pairs_at(ids.tolist())
        source, target = encode_pairs(
            sources,
            targets,
            self.source,
            self.target,
            self.encode_precision,
        )
        tensors = {
            "source": source.hidden,
            "source_mask": source.mask.to(torch.int8),
            "target": target.hidden,
            "target_mask": target.mask.to(torch.int8),
        }
        if target.pooled is not None:
            tensors["target_pooled"] = target.pooled
        self._last = (ids, tensors)
        return tensors

    def arrays(self) -> dict[str, OnlineArray]:
        """Each tensor, read by rows (`array[ids]`, `array.stored(ids)`) as a cache's is."""
        return {name: OnlineArray(self, name) for name in self.manifest["shapes"]}

    def statistics(
        self, train_ids: torch.Tensor, holdout: float, seed: int, how: str = "permutation"
    ) -> FeatureStatistics:
        """The statistics of a seeded sample of at most STATISTICS_SAMPLE training pairs."""
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(train_ids), generator=generator)[:STATISTICS_SAMPLE]
        return measure_statistics(self.arrays(), train_ids[order])


class OnlineArray:
    """One tensor of `OnlineFeatures`, by row, as `ShardedArray` gives a cached one."""

    def __init__(self, features: OnlineFeatures, name: str) -> None:
        self.features, self.name = features, name
        self.shape = (len(features), *features.manifest["shapes"][name])

    def __len__(self) -> int:
        return self.shape[0]

    def stored(self, ids: torch.Tensor) -> torch.Tensor:
        """Rows `ids` as the encoders give them (on their device)."""
        return self.features.rows(ids)[self.name]

    def __getitem__(self, ids: torch.Tensor) -> Any:
        """Rows `ids`; features as float32, masks as int8, on the CPU."""
        values = self.stored(ids).cpu()
        return values if self.name in MASKS else values.float()
