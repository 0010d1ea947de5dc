"""What the sentence model itself knows of the words no corpus holds: the ceiling of its GlueNet.

The demo's MiniLM row "paraphrases, unseen words" asks a GlueNet trained on corpus-word
paraphrases ("crimson", "ball") to carry words it never saw ("scarlet", "orb"). Whatever a
GlueNet does, it reads only what MiniLM says of them. Two measures, with no GlueNet:

- words: each unseen word, said alone and in "a WORD thing", against every known word of its
  attribute (the world's word and the corpus words): is the nearest one (cosine of the
  mean-pooled vectors) a word of the right value? ("scarlet" -> red?)
- sentences: one linear probe per attribute, trained on the corpus's source side (world
  captions and corpus-word paraphrases), read on paraphrases of held-out scenes in corpus
  words and in unseen words; from the mean-pooled vector (what the demo's GlueNet reads), the
  first token's and the per-channel maximum.

Run:  python benchmarks/sentence_knowledge.py [--pairs 4000 --scenes 400]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

from gluegen.encoders import HFTextEncoder
from gluegen_world.corpus import parse_scene_code, sample_scenes
from gluegen_world.demo.settings import sentence_model
from gluegen_world.gluenets import PARAPHRASE_SOURCE_TOKENS
from gluegen_world.paraphrase import (
    COLOUR_WORDS,
    POSITION_WORDS,
    SHAPE_WORDS,
    SIZE_WORDS,
    paraphrase,
    write_paraphrase_corpus,
)

TABLES = {"shape": SHAPE_WORDS, "colour": COLOUR_WORDS, "size": SIZE_WORDS}
TABLES["position"] = POSITION_WORDS
WORD_FRAMES = ("{}", "a {} thing")
READINGS = ("mean", "first token", "max")
PROBE_STEPS, PROBE_LR, PROBE_DECAY = 300, 1e-2, 1e-4  # full-batch Adam on standardised inputs


def nearest_word_accuracy(encoder: HFTextEncoder, table: dict, frame: str) -> tuple[int, list]:
    """(right, [(unseen word, value it is nearest to)]) for one attribute."""
    known = [(value, word) for value, (corpus, _) in table.items() for word in (value, *corpus)]
    unseen = [(value, word) for value, (_, words) in table.items() for word in words]

    def vectors(pairs):
        pooled = encoder.encode([frame.format(word) for _, word in pairs]).hidden[:, 0]
        return F.normalize(pooled, dim=-1)

    similarity = vectors(unseen) @ vectors(known).T  # (unseen, known)
    answers = []
    for row, (_, word) in zip(similarity, unseen, strict=True):
        answers.append((word, known[int(row.argmax())][0]))
    right = sum(answer == value for (value, _), (_, answer) in zip(unseen, answers, strict=True))
    return right, answers


def readings(
    encoder: HFTextEncoder, pooled: HFTextEncoder, texts: list[str]
) -> dict[str, torch.Tensor]:
    """{reading: (n, d)} of every text: the mean over its tokens (`pooled`, as the demo's
    GlueNet reads it), its first token and the maximum per channel (`encoder`'s tokens)."""
    parts: dict[str, list] = {name: [] for name in READINGS}
    for start in range(0, len(texts), 256):
        batch = texts[start : start + 256]
        parts["mean"].append(pooled.encode(batch).hidden[:, 0])
        features = encoder.encode(batch)
        hidden, mask = features.hidden, features.mask[..., None]  # (b, n, d), (b, n, 1)
        parts["first token"].append(hidden[:, 0])
        parts["max"].append(hidden.masked_fill(mask == 0, float("-inf")).amax(1))
    return {name: torch.cat(chunks) for name, chunks in parts.items()}


def probe(train: torch.Tensor, labels: list[str], tests: dict[str, torch.Tensor]) -> dict:
    """A linear classifier of `labels` from `train`; {test: predicted labels}."""
    classes = sorted(set(labels))
    target = torch.tensor([classes.index(label) for label in labels])
    mean, std = train.mean(0), train.std(0) + 1e-6
    torch.manual_seed(0)
    linear = torch.nn.Linear(train.shape[1], len(classes))
    optimizer = torch.optim.Adam(linear.parameters(), PROBE_LR, weight_decay=PROBE_DECAY)
    for _ in range(PROBE_STEPS):
        loss = F.cross_entropy(linear((train - mean) / std), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return {
            name: [classes[i] for i in linear((x - mean) / std).argmax(1)]
            for name, x in tests.items()
        }


def main(argv: list[str] | None = None) -> int:
    """Measure; print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=4000, help="Corpus rows (the demo's).")
    parser.add_argument("--scenes", type=int, default=400, help="Held-out scenes to read.")
    args = parser.parse_args(argv)
    encoder = HFTextEncoder(sentence_model(), max_length=PARAPHRASE_SOURCE_TOKENS)
    pooled = HFTextEncoder(sentence_model(), max_length=PARAPHRASE_SOURCE_TOKENS, pooling="mean")

    print("unseen words: nearest known word of the right value (MiniLM, cosine)")
    for attribute, table in TABLES.items():
        for frame in WORD_FRAMES:
            right, answers = nearest_word_accuracy(pooled, table, frame)
            said = ", ".join(f"{word}->{value}" for word, value in answers)
            print(f"  {attribute:9}{frame!r:14}{right}/{len(answers)}  {said}")

    with tempfile.TemporaryDirectory() as folder:
        path = write_paraphrase_corpus(Path(folder), args.pairs, 0, seed=0)["train"]
        with open(path, newline="", encoding="utf-8") as table:
            rows = list(csv.DictReader(table, delimiter="\t"))
    train = readings(encoder, pooled, [row["paraphrase"] for row in rows])
    train_objects = [parse_scene_code(row["scene"]).objects[0] for row in rows]
    scenes = sample_scenes(args.scenes, "heldout", 1, two_objects=0.0)
    rng = random.Random("sentence-knowledge")
    tests = {
        split: readings(encoder, pooled, [paraphrase(scene, rng, split) for scene in scenes])
        for split in ("corpus", "unseen")
    }
    objects = [scene.objects[0] for scene in scenes]
    print(f"\nlinear probes: {len(rows)} corpus rows -> {len(scenes)} held-out scenes' paraphrases")
    print(f"{'reading':13}{'words':8}" + "".join(f"{a:>10}" for a in TABLES) + f"{'mean':>8}")
    for reading in READINGS:
        by_split = {split: tests[split][reading] for split in tests}
        right: dict[str, dict[str, float]] = {split: {} for split in tests}
        for attribute in TABLES:
            labels = [getattr(o, attribute) for o in train_objects]
            predicted = probe(train[reading], labels, by_split)
            for split, answers in predicted.items():
                truth = [getattr(o, attribute) for o in objects]
                hits = sum(a == t for a, t in zip(answers, truth, strict=True))
                right[split][attribute] = hits / len(truth)
        for split, scores in right.items():
            mean = sum(scores.values()) / len(scores)
            cells = "".join(f"{scores[a]:>10.3f}" for a in TABLES)
            print(f"{reading:13}{split:8}{cells}{mean:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
