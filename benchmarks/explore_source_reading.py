"""Other ways of reading the world's XLM-R than one layer, on validation: an experiment, not a
benchmark (`source_layer.py` chose the layer; this asks whether two layers read better).

    python benchmarks/explore_source_reading.py runs/demo --reading concat [--seed N]

Readings, each against `source_layer.py --layers 0` at the same seed:
- concat: the embeddings (layer 0) and the last layer side by side (twice the features);
- sum: the two added;
- word: the embeddings, each piece's replaced by the mean of its word's pieces (a word: a piece
  starting with "▁" and the pieces after it; a Chinese or Japanese character, a special token
  each its own), so that a piece two words share ("to" of "foto" and of "quadrato") reads as
  the word it is in.
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
from gluegen_world.multilingual import is_cjk

READINGS = {"concat": 100, "sum": 101, "word": 102}  # the `layer` codes of the readings
EMBEDDINGS, LAST = 0, -1


def word_ids(tokenizer, ids: torch.Tensor) -> torch.Tensor:
    """(b, n) token ids -> (b, n) the index of the word each piece is in."""
    specials = set(tokenizer.all_special_ids)
    rows = []
    for row in ids.tolist():
        words, word, after_alone = [], -1, True  # a piece after one alone starts a word
        for piece_id, piece in zip(row, tokenizer.convert_ids_to_tokens(row), strict=True):
            alone = piece_id in specials or any(map(is_cjk, piece))
            if alone or piece.startswith("▁") or after_alone:
                word += 1
            words.append(word)
            after_alone = alone
        rows.append(words)
    return torch.tensor(rows)


def word_means(hidden: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
    """(b, n, d) features -> each piece's replaced by the mean of its word's (b, n, d)."""
    same = (words[:, :, None] == words[:, None, :]).to(hidden.dtype)  # (b, n, n)
    return same @ hidden / same.sum(-1, keepdim=True)


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
        if self.layer == READINGS["word"]:
            hidden = word_means(first, word_ids(self._tokenizer, ids))
        elif self.layer == READINGS["concat"]:
            hidden = torch.cat([first, last], -1)
        else:
            hidden = first + last
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
