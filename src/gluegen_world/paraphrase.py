"""English paraphrases of shapes-world scenes in words the world's own models never saw.

The world's text encoders know one word per attribute ("red", "circle", "big", "on the left").
People write "a crimson ball", "a tiny box at the far left". A pretrained English model knows
that crimson is red and a ball is round; the world's own tokenizer does not (its vocabulary is
the world's words). These paraphrases are the test set for a stronger encoder: every attribute
is said in a word outside the world's vocabulary (`world_words` checks it in the tests).

The words come in two groups. A parallel corpus uses the first ("a crimson ball", "a tiny box
at the far left"); the test set describes held-out scenes (unseen shape-colour pairs) in
them. The second group ("scarlet", "orb") is in no corpus: a test of what the encoder's
pretraining alone carries over.
"""

from __future__ import annotations

import random
from pathlib import Path

from gluegen_world.captions import caption, en_article
from gluegen_world.corpus import sample_scenes, scene_code, write_tsv
from gluegen_world.scenes import Scene, WorldObject

SPLITS = ("corpus", "unseen")
# Each attribute value: (words a parallel corpus uses, words kept out of every corpus).
SHAPE_WORDS = {
    "circle": (("ball", "disc", "round dot"), ("orb", "ring")),
    "square": (("box", "block", "tile"), ("cube",)),
    "triangle": (("wedge", "three-sided shape"), ("pyramid",)),
    "star": (("starfish shape", "five-pointed shape"), ("pentagram",)),
    "diamond": (("rhombus", "kite shape"), ("lozenge",)),
}
COLOUR_WORDS = {
    "red": (("crimson", "ruby"), ("scarlet", "cherry")),
    "green": (("emerald", "grassy"), ("lime",)),
    "blue": (("navy", "sapphire"), ("azure",)),
    "yellow": (("golden", "mustard"), ("lemon",)),
    "purple": (("lilac", "lavender"), ("violet",)),
    "orange": (("amber", "apricot"), ("tangerine",)),
}
SIZE_WORDS = {
    "small": (("tiny", "miniature"), ("little",)),
    "big": (("large", "giant"), ("huge",)),
}
POSITION_WORDS = {
    "left": (("at the far left", "near the left edge"), ("on the left-hand side",)),
    "right": (("at the far right", "near the right edge"), ("on the right-hand side",)),
    "top": (("near the upper edge", "high up"), ("at the very top",)),
    "bottom": (("near the lower edge", "down low"), ("at the very bottom",)),
}


def paraphrase_object(o: WorldObject, rng: random.Random, split: str = "corpus") -> str:
    """'a tiny crimson ball at the far left' and other orders, in the words of `split`."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    part = SPLITS.index(split)
    shape = rng.choice(SHAPE_WORDS[o.shape][part])
    colour = rng.choice(COLOUR_WORDS[o.colour][part])
    size = rng.choice(SIZE_WORDS[o.size][part])
    where = rng.choice(POSITION_WORDS[o.position][part])
    return rng.choice(
        (
            f"{en_article(size)} {size} {colour} {shape} {where}",
            f"{where}, {en_article(size)} {size} {colour} {shape}",
            f"{en_article(colour)} {colour} {shape}, {size}, {where}",
        )
    )


def paraphrase(scene: Scene, rng: random.Random, split: str = "corpus") -> str:
    """A paraphrase of a one-object scene in the words of `split`."""
    if len(scene.objects) != 1:
        raise ValueError("Paraphrases describe one-object scenes.")
    return paraphrase_object(scene.objects[0], rng, split)


def paraphrase_words(split: str) -> set[str]:
    """Every word the paraphrases of `split` use for an attribute."""
    part = SPLITS.index(split)
    tables = (SHAPE_WORDS, COLOUR_WORDS, SIZE_WORDS, POSITION_WORDS)
    return {
        word
        for table in tables
        for phrases in table.values()
        for phrase in phrases[part]
        for word in phrase.split()
    }


def write_paraphrase_corpus(
    folder: str | Path,
    train: int,
    heldout: int,
    seed: int = 0,
    world_share: float = 0.5,
    withhold_validation: bool = False,
) -> dict[str, Path]:
    """`folder`/train.tsv and heldout.tsv: scene, en (the world's words), paraphrase (in the
    corpus words, or for `world_share` of the rows another caption in the
    world's words); one-object scenes, held-out combinations in heldout.tsv
    (`withhold_validation`: none of the validation pairs in train.tsv)."""
    folder = Path(folder)
    rng = random.Random(f"{seed}-paraphrases")

    def free_text(scene: Scene) -> str:
        if rng.random() < world_share:
            return caption(scene, "en", rng)
        return paraphrase(scene, rng, "corpus")

    paths = {}
    for split, count in (("train", train), ("heldout", heldout)):
        rows = [
            [scene_code(scene), caption(scene, "en", rng), free_text(scene)]
            for scene in sample_scenes(count, split, seed, 0.0, withhold_validation)
        ]
        paths[split] = folder / f"{split}.tsv"
        write_tsv(paths[split], ["scene", "en", "paraphrase"], rows)
    return paths


__all__ = ["paraphrase", "paraphrase_object", "paraphrase_words", "write_paraphrase_corpus"]
