"""English targets that name two objects in the order the caption names them.

"一个蓝色的小正方形的左边有一个红色的大圆形" names the square first; its scene is "a circle to
the left of a square", and the corpus's English target names the circle first, so a GlueNet
must learn from the construction alone which of the two source objects goes first. The same
image is also "a square to the right of a circle": written that way, the target keeps the
caption's order, and the GlueNet copies the two objects in order and reads the relation from
the words around it. Only the English side of such rows changes (an English corpus phrasing of
the same image, the relation turned round); no new construction enters any corpus.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

from gluegen_world.captions import GRAMMARS, caption
from gluegen_world.corpus import parse_scene_code, read_tsv, scene_code, write_tsv
from gluegen_world.scenes import Scene, WorldObject
from gluegen_world.swapped_nouns import SHAPE_NOUNS

# the relation that says the same with the two objects named the other way round
TURNED = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}
# two objects of different shapes, to find where each corpus phrasing names its first object
_PROBE = (("circle", "red", "big"), ("square", "blue", "small"))


def turned(scene: Scene) -> Scene:
    """The same image with its two objects named the other way round."""
    first, second = scene.objects
    return Scene((second, first), TURNED[scene.relation])


@cache  # one answer per (language, relation), asked for every two-object row
def second_named_first(language: str, relation: str) -> tuple[bool, ...]:
    """For each corpus phrasing of two objects in `language` (`GRAMMARS` order): whether it
    names the second object before the first."""
    nouns = SHAPE_NOUNS[language]
    probe = Scene.pair(_PROBE[0], relation, _PROBE[1])
    first, second = (nouns[o.shape] for o in probe.objects)
    phrasings = GRAMMARS[language][1](*_objects(probe))
    return tuple(text.index(second) < text.index(first) for text in phrasings)


def _objects(scene: Scene) -> tuple[WorldObject, str, WorldObject]:
    return scene.objects[0], scene.relation, scene.objects[1]


def write_mention_order_corpus(corpus: Path, out: Path, language: str, seed: int) -> Path:
    """`corpus` (a TSV with scene, en and `language`) written to `out` with each two-object
    row whose caption names the second object first given an English target of the turned
    scene (`turned`; a corpus phrasing, drawn afresh) and that scene's code; the rest as is."""
    if language not in SHAPE_NOUNS:
        raise ValueError(f"no shape nouns for {language!r}; one of {sorted(SHAPE_NOUNS)}.")
    header, rows = read_tsv(corpus)
    rng = random.Random(f"{seed}-{language}-mention-order")
    for row in rows:
        scene = parse_scene_code(row["scene"])
        if scene.relation is None:
            continue
        phrasings = GRAMMARS[language][1](*_objects(scene))
        if row[language] not in phrasings:
            raise ValueError(
                f"{corpus}: {row[language]!r} is no corpus phrasing of {row['scene']}; "
                "give the corpus as written, before any noise."
            )
        if second_named_first(language, scene.relation)[phrasings.index(row[language])]:
            scene = turned(scene)
            row["scene"], row["en"] = scene_code(scene), caption(scene, "en", rng)
    write_tsv(out, header, [[row[name] for name in header] for row in rows])
    return out


__all__ = ["TURNED", "second_named_first", "turned", "write_mention_order_corpus"]
