"""Parallel corpora of the shapes world, with a held-out split of unseen combinations.

Some (shape, colour) combinations never occur in training scenes: a scene is held out when
any of its objects has one. Every shape and every colour still occurs in training, in other
combinations, so the held-out split measures composition, not new words. A second diagonal,
the validation pairs, can be kept from a corpus too, to choose settings on pairs a run has
not seen without reading the test's.

- `write_text_corpus(folder, language, ...)`: train.tsv and heldout.tsv with columns
  `scene`, `en` and the language's code (an English caption and a translation of one scene);
- `write_sound_corpus(folder, ...)`: WAV files, with captions.tsv (`file`, `caption`, `scene`,
  `split`), one-object scenes only.
"""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from pathlib import Path

from gluegen.io import atomic_write_text
from gluegen_world.captions import LANGUAGES, caption
from gluegen_world.captions.english import PLACE_FIRST, en_phrase, english_single
from gluegen_world.scenes import COLOURS, SHAPES, Scene, WorldObject, random_scene
from gluegen_world.sounds import synthesize, write_wav

SPLITS = ("train", "heldout")
# what a clip's caption says: its whole scene (any corpus phrasing), its object alone, its
# whole scene in one phrasing, the place first ("on the right, a big green star"), or that
# phrasing with every clip at one place (SOUND_PLACE)
SOUND_CAPTIONS = ("scene", "object", "place-first", "one-place")
# The place every "one-place" caption says. A sound has no place: a caption's place is noise the
# sound cannot tell, which a GlueNet can only average over, and the generator reads the mean of
# the four places' encodings worse than any one of them. Which place: the world's first.
SOUND_PLACE = "left"
# Held out: the (shape, colour) pairs on one diagonal of the shape x colour table.
HELDOUT_COMBINATIONS = frozenset(
    (shape, colour)
    for i, shape in enumerate(SHAPES)
    for j, colour in enumerate(COLOURS)
    if (i + j) % len(COLOURS) == 0
)
# Validation pairs: the pairs on another diagonal, kept from a corpus only when asked
# (`withhold_validation`), so that a run trained without them is judged on unseen pairs that
# are not the test's (settings are chosen there; the demo's own corpora keep them).
VALIDATION_COMBINATIONS = frozenset(
    (shape, colour)
    for i, shape in enumerate(SHAPES)
    for j, colour in enumerate(COLOURS)
    if (i + j) % len(COLOURS) == len(COLOURS) // 2
)
TWO_OBJECT_SHARE = 0.25  # share of two-object scenes in text corpora
CLIP_SEED_STRIDE = 1_000_003  # a prime: every (seed, split, index) draws its own noise


def is_heldout(scene: Scene) -> bool:
    """True when any object of `scene` has a held-out (shape, colour) combination."""
    return any((o.shape, o.colour) in HELDOUT_COMBINATIONS for o in scene.objects)


def is_validation_pair(scene: Scene) -> bool:
    """True when any object of `scene` has a validation (shape, colour) pair."""
    return any((o.shape, o.colour) in VALIDATION_COMBINATIONS for o in scene.objects)


def scene_code(scene: Scene) -> str:
    """A compact text form: 'circle,red,small,left' or 'a|left of|b'."""
    codes = [",".join((o.shape, o.colour, o.size, o.position)) for o in scene.objects]
    return codes[0] if scene.relation is None else f"{codes[0]}|{scene.relation}|{codes[1]}"


def parse_scene_code(code: str) -> Scene:
    """The inverse of `scene_code`."""
    parts = code.split("|")
    if len(parts) == 1:
        return Scene((WorldObject(*parts[0].split(",")),))
    first, relation, second = parts
    return Scene((WorldObject(*first.split(",")), WorldObject(*second.split(","))), relation)


def sample_scenes(
    count: int, split: str, seed: int, two_objects: float, withhold_validation: bool = False
) -> list[Scene]:
    """`count` random scenes of `split` ('train' or 'heldout'); with `withhold_validation`,
    no training scene holds a validation pair."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    rng = random.Random(f"{seed}-{split}")
    scenes: list[Scene] = []
    while len(scenes) < count:
        scene = random_scene(rng, two_objects)
        if is_heldout(scene) != (split == "heldout"):
            continue
        if withhold_validation and split == "train" and is_validation_pair(scene):
            continue
        scenes.append(scene)
    return scenes


def read_tsv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows by column name) of a table `write_tsv` wrote, read whole: the world's
    corpora are thousands of rows."""
    with open(path, newline="", encoding="utf-8") as handle:
        table = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return list(table.fieldnames or []), list(table)


def write_tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """A tab-separated table with a header line, written atomically."""
    lines = ["\t".join(header)] + ["\t".join(row) for row in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def write_text_corpus(
    folder: str | Path,
    language: str,
    train: int,
    heldout: int,
    seed: int = 0,
    two_objects: float = TWO_OBJECT_SHARE,
    withhold_validation: bool = False,
) -> dict[str, Path]:
    """Write `folder`/train.tsv and heldout.tsv: scene, en, `language` (one phrasing each);
    `withhold_validation`: no training scene of a validation pair."""
    if language not in LANGUAGES or language == "en":
        raise ValueError(f"language must be one of {[c for c in LANGUAGES if c != 'en']}")
    folder = Path(folder)
    rng = random.Random(f"{seed}-{language}-captions")
    paths = {}
    for split, count in (("train", train), ("heldout", heldout)):
        rows = [
            [scene_code(scene), caption(scene, "en", rng), caption(scene, language, rng)]
            for scene in sample_scenes(count, split, seed, two_objects, withhold_validation)
        ]
        paths[split] = folder / f"{split}.tsv"
        write_tsv(paths[split], ["scene", "en", language], rows)
    return paths


def write_sound_corpus(
    folder: str | Path,
    train: int,
    heldout: int,
    seed: int = 0,
    captions: str = "scene",
    withhold_validation: bool = False,
) -> Path:
    """Write WAV files of one-object scenes and `folder`/captions.tsv (English captions).

    `captions` (`SOUND_CAPTIONS`): "scene", a caption of the whole scene in any English corpus
    phrasing, its place included; "object", the object alone ("a big red circle"), as the
    paper's text side names a sound's class; "place-first", the whole scene in one phrasing,
    the place first ("on the right, a big green star"), one template (the demo's);
    "one-place", that template with every clip said at SOUND_PLACE ("on the left, ...").
    `withhold_validation`: no training clip of a validation pair (`VALIDATION_COMBINATIONS`).
    """
    if captions not in SOUND_CAPTIONS:
        raise ValueError(f"captions must be one of {list(SOUND_CAPTIONS)}, got {captions!r}")
    folder = Path(folder)
    (folder / "clips").mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{seed}-sound-captions")

    def text(scene: Scene) -> str:
        if captions == "object":
            return en_phrase(scene.objects[0])
        if captions == "place-first":
            return english_single(scene.objects[0])[PLACE_FIRST]
        if captions == "one-place":
            return english_single(replace(scene.objects[0], position=SOUND_PLACE))[PLACE_FIRST]
        return caption(scene, "en", rng)

    rows = []
    for split, count in (("train", train), ("heldout", heldout)):
        scenes = sample_scenes(count, split, seed, 0.0, withhold_validation)
        for index, scene in enumerate(scenes):
            name = f"clips/{split}-{index:06d}.wav"
            clip_seed = (seed * CLIP_SEED_STRIDE + index) * len(SPLITS) + SPLITS.index(split)
            write_wav(folder / name, synthesize(scene.objects[0], seed=clip_seed))
            rows.append([name, text(scene), scene_code(scene), split])
    table = folder / "captions.tsv"
    write_tsv(table, ["file", "caption", "scene", "split"], rows)
    return table


__all__ = [
    "HELDOUT_COMBINATIONS",
    "VALIDATION_COMBINATIONS",
    "SOUND_CAPTIONS",
    "SOUND_PLACE",
    "is_heldout",
    "is_validation_pair",
    "parse_scene_code",
    "read_tsv",
    "sample_scenes",
    "scene_code",
    "write_sound_corpus",
    "write_text_corpus",
    "write_tsv",
]
