"""Captions whose shape noun is swapped for another, the words that agree with it left as they
were, so that a GlueNet learns the shape from the noun and not from its agreement.

In a narrow parallel corpus the words that agree with a noun name its shape as surely as the
noun does: in German "einen", "-er" and "der" go with Kreis and Stern, "die" and "-e" with
Raute; in French, Spanish and Italian "une", "una" and the feminine endings with the star
alone; in Chinese the measure word 颗 with 星星 alone, and a GlueNet may read those in place of
the noun. Here a share of the captions get one object's noun replaced by another shape's, the
article, endings and measure word kept, and the English target is written for the scene with
that shape: the agreement then says nothing of the shape. Only scenes whose shape-colour pairs
are training pairs are written, so no held-out pair enters a corpus, and a caption keeps its
frame, so no held-out construction does either. The demo leaves it off: on validation families
the language GlueNets read no better with it (docs/experiments.md, 2026-12-06, late night).
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from gluegen_world.captions import caption
from gluegen_world.captions.cjk import JA_NOUNS, ZH_NOUNS
from gluegen_world.captions.german import DE_NOUNS
from gluegen_world.captions.romance import ES_NOUNS, FR_NOUNS, IT_NOUNS
from gluegen_world.corpus import (
    is_heldout,
    parse_scene_code,
    read_tsv,
    scene_code,
    write_tsv,
)
from gluegen_world.scenes import SHAPES, Scene

# each language's noun of each shape, as its corpus captions spell it
SHAPE_NOUNS = {
    "de": {shape: noun for shape, (noun, _) in DE_NOUNS.items()},
    "fr": {shape: noun for shape, (noun, _) in FR_NOUNS.items()},
    "es": {shape: noun for shape, (noun, _) in ES_NOUNS.items()},
    "it": {shape: noun for shape, (noun, _) in IT_NOUNS.items()},
    "zh": {shape: noun for shape, (noun, _) in ZH_NOUNS.items()},
    "ja": dict(JA_NOUNS),
}


def swapped_caption(
    scene: Scene, text: str, language: str, rng: random.Random
) -> tuple[Scene, str] | None:
    """(the scene with one object's shape changed, `text` with that object's noun replaced) or
    None when no object can be swapped: its noun not once in `text`, or every other shape
    making a held-out pair."""
    nouns = SHAPE_NOUNS[language]
    index = rng.randrange(len(scene.objects))
    old = scene.objects[index]
    if text.count(nouns[old.shape]) != 1:
        return None  # both objects of one shape, or a noun inside another word
    choices = []
    for shape in SHAPES:
        if shape == old.shape:
            continue
        objects = list(scene.objects)
        objects[index] = dataclasses.replace(old, shape=shape)
        swapped = Scene(tuple(objects), scene.relation)
        if not is_heldout(swapped):
            choices.append(swapped)
    if not choices:
        return None
    swapped = rng.choice(choices)
    new = nouns[swapped.objects[index].shape]
    return swapped, text.replace(nouns[old.shape], new)


def write_swapped_corpus(corpus: Path, out: Path, language: str, share: float, seed: int) -> Path:
    """`corpus` (a TSV with scene, en and `language`) written to `out` with `share` of its rows
    swapped: one object's noun replaced (`swapped_caption`), the scene and the English caption
    (a corpus phrasing, drawn afresh) those of the new shape; the other rows as they are."""
    if language not in SHAPE_NOUNS:
        raise ValueError(f"no shape nouns for {language!r}; one of {sorted(SHAPE_NOUNS)}.")
    if not 0 <= share <= 1:
        raise ValueError(f"swap share must be between 0 and 1, got {share}.")
    header, rows = read_tsv(corpus)
    rng = random.Random(f"{seed}-{language}-swap")
    for row in rows:
        if rng.random() >= share:
            continue
        swapped = swapped_caption(parse_scene_code(row["scene"]), row[language], language, rng)
        if swapped is not None:
            scene, row[language] = swapped
            row["scene"], row["en"] = scene_code(scene), caption(scene, "en", rng)
    write_tsv(out, header, [[row[name] for name in header] for row in rows])
    return out


__all__ = ["SHAPE_NOUNS", "swapped_caption", "write_swapped_corpus"]
