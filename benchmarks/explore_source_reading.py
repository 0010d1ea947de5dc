"""Other ways of reading the world's XLM-R than one layer, on validation: an experiment, not a
benchmark (`source_layer.py` chose the layer; this asks whether two layers read better).

    python benchmarks/explore_source_reading.py runs/demo --reading concat [--seed N]

Readings, each against `source_layer.py --layers 0` at the same seed:
- concat: the embeddings (layer 0) and the last layer side by side (twice the features);
- sum: the two added.
Each runs `source_layer.py` as it is (the same cells, folders under WORKDIR/layers/, named by
the reading and the seed), with the encoder's `layer` set to a code no real layer has. The
library reads one layer; this patches `HFTextEncoder` in this process and in the workers it
starts (they import this file), nothing else.
"""

from __future__ import annotations

import argparse
import sys

import source_layer
import torch

from gluegen.encoders import text
from gluegen.encoders.base import TokenFeatures

READINGS = {"concat": 100, "sum": 101}  # the `layer` codes of the readings
EMBEDDINGS, LAST = 0, -1


def _patch_encoder() -> None:
    """Let `HFTextEncoder(layer=code)` read the embeddings and the last layer together."""
    base_init, base_encode = text.HFTextEncoder.__init__, text.HFTextEncoder.encode

    def init(self, *args, **kwargs) -> None:
        base_init(self, *args, **kwargs)
        if self.layer == READINGS["concat"]:
            self.dim *= 2

    @torch.no_grad()
    def encode(self, batch) -> TokenFeatures:
        if self.layer not in READINGS.values():
            return base_encode(self, batch)
        tokens = self.tokenize(batch).to(self.device)
        ids, mask = tokens["input_ids"], tokens["attention_mask"]
        states = self._model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        first, last = states.hidden_states[EMBEDDINGS], states.hidden_states[LAST]  # (b, n, d)
        hidden = torch.cat([first, last], -1) if self.layer == READINGS["concat"] else first + last
        return TokenFeatures(hidden=hidden.float(), mask=mask)

    text.HFTextEncoder.__init__, text.HFTextEncoder.encode = init, encode


_patch_encoder()  # at import: the training workers import this file too


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir")
    parser.add_argument("--reading", choices=list(READINGS), required=True)
    parser.add_argument("--seed", type=int, default=0, help="Training seed of the GlueNets.")
    args = parser.parse_args()
    layers = ["--layers", str(EMBEDDINGS), str(READINGS[args.reading])]
    seed = ["--variant", f"seed{args.seed}", "--overrides", f'{{"seed": {args.seed}}}']
    return source_layer.main([args.workdir, *layers, *(seed if args.seed else [])])


if __name__ == "__main__":
    sys.exit(main())
