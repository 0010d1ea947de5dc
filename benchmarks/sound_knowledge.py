"""What the world's sound encoder itself tells apart on unseen shape-colour pairs: the ceiling
of its GlueNet.

The demo's sound row asks a GlueNet trained on clips of the corpus's pairs to name pairs it
never heard together. Whatever a GlueNet does, it reads only what the AST says of them. One
linear probe per heard attribute (shape, colour, size), trained on clips of the corpus's
training scenes, read on fresh clips of unseen pairs, with no GlueNet, from three readings of
the AST's last layer: its first token (the summary a classifier reads), the mean over its
tokens, and every token (what the demo's sound GlueNet reads).

- `--withhold`: the training clips hold no validation pair (`VALIDATION_COMBINATIONS`), and the
  probes are read on the validation pairs' scenes, as `sound_training.py --withhold --scenes
  pairs` judges the GlueNet;
- without it, on the held-out pairs' scenes (the demo's corpus and test pairs).

`--targets WORKDIR`: also what a GlueNet's target is worth to the generator, with no GlueNet:
the scenes' place-first captions (the sound corpus's phrasing) through the generator's own
encoder, drawn and judged (object right, `--draws` of the unseen pairs' scenes) at the scene's
own place, at one place for every scene (SOUND_PLACE, what "one-place" captions say), and
averaged over the four places (what a sound, which has no place, is trained towards when its
captions say any place); and the object alone, no place ("a big red circle", what "object"
captions say).

Run:  python benchmarks/sound_knowledge.py [--withhold] [--pairs 2000 --scenes 240]
      python benchmarks/sound_knowledge.py --withhold --targets runs/knowledge
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch
from sentence_knowledge import probe

from gluegen.encoders import HFAudioEncoder
from gluegen.pipelines.glue import generator_conditioning
from gluegen_world.audio import HEARD
from gluegen_world.captions.english import EN_POSITIONS, PLACE_FIRST, en_phrase, english_single
from gluegen_world.corpus import SOUND_PLACE, sample_scenes
from gluegen_world.demo.scene_sets import validation_pair_scenes
from gluegen_world.demo.settings import DemoSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import draw_and_score
from gluegen_world.models import shipped_model
from gluegen_world.scenes import Scene, WorldObject
from gluegen_world.sounds import synthesize

READINGS = ("first token", "mean", "every token")
BATCH = 100
TRAIN_CLIP_SEED, TEST_CLIP_SEED = 11, 12  # clip noise apart from the demo's and the corpus's


def readings(encoder: HFAudioEncoder, scenes: list[Scene], seed: int) -> dict[str, torch.Tensor]:
    """{reading: (n, d)} of a fresh clip of every scene's object."""
    clips = [synthesize(s.objects[0], seed=seed * 1_000_003 + i) for i, s in enumerate(scenes)]
    hidden = torch.cat(
        [encoder.encode(clips[i : i + BATCH]).hidden.float() for i in range(0, len(clips), BATCH)]
    )  # (n, tokens, d)
    return {"first token": hidden[:, 0], "mean": hidden.mean(1), "every token": hidden.flatten(1)}


def main(argv: list[str] | None = None) -> int:
    """Measure; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=DemoSettings().sound_pairs)
    parser.add_argument("--scenes", type=int, default=240, help="Unseen-pair clips to read.")
    parser.add_argument("--withhold", action="store_true", help="Read the validation pairs.")
    parser.add_argument("--targets", type=Path, help="Also draw the targets (a work folder).")
    parser.add_argument("--draws", type=int, default=120, help="Scenes drawn per target.")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    encoder = HFAudioEncoder(str(shipped_model("sound")))
    train_scenes = sample_scenes(
        args.pairs, "train", 0, two_objects=0.0, withhold_validation=args.withhold
    )
    if args.withhold:
        test_scenes, unseen = validation_pair_scenes(args.scenes), "validation pairs"
    else:
        test_scenes = sample_scenes(args.scenes, "heldout", 1, two_objects=0.0)
        unseen = "held-out pairs"
    train = readings(encoder, train_scenes, TRAIN_CLIP_SEED)
    tests = readings(encoder, test_scenes, TEST_CLIP_SEED)
    attributes = list(HEARD.values)
    print(
        f"linear probes: {len(train_scenes)} training clips -> {len(test_scenes)} clips of {unseen}"
    )
    print(f"{'reading':14}" + "".join(f"{a:>9}" for a in attributes) + f"{'all right':>11}")
    for reading in READINGS:
        right = torch.ones(len(test_scenes), dtype=torch.bool)
        cells = ""
        for attribute in attributes:
            labels = [getattr(s.objects[0], attribute) for s in train_scenes]
            answers = probe(train[reading], labels, {"test": tests[reading]})["test"]
            truth = [getattr(s.objects[0], attribute) for s in test_scenes]
            hits = torch.tensor([a == t for a, t in zip(answers, truth, strict=True)])
            right &= hits
            cells += f"{hits.float().mean():>9.3f}"
        print(f"{reading:14}{cells}{right.float().mean():>11.3f}")
    if args.targets:
        print_targets(args.targets, args.draws, args.withhold)
    return 0


def print_targets(workdir: Path, draws: int, withhold: bool) -> None:
    """Draw the place-first captions' encodings three ways; print the judge's object score."""
    settings = DemoSettings(scenes="validation", test_scenes=draws)
    demo = WorldDemo(workdir, settings, progress=False, workers=1)
    if withhold:
        demo.scenes = validation_pair_scenes(draws)
    else:
        demo.scenes = sample_scenes(draws, "heldout", 1, two_objects=0.0)

    def encoded(thing: WorldObject, place: str) -> torch.Tensor:  # (1, n, d)
        text = english_single(replace(thing, position=place))[PLACE_FIRST]
        return generator_conditioning(demo.pipeline, [text]).hidden

    targets = {
        "its own place": lambda thing: encoded(thing, thing.position),
        f"one place ({SOUND_PLACE})": lambda thing: encoded(thing, SOUND_PLACE),
        "the four places averaged": lambda thing: torch.cat(
            [encoded(thing, place) for place in EN_POSITIONS]
        ).mean(0, keepdim=True),
        "the object alone": lambda thing: (
            generator_conditioning(demo.pipeline, [en_phrase(thing)]).hidden
        ),
    }
    print(f"\ncaptions through the generator's own encoder ({draws} draws): object right")
    for name, target in targets.items():
        embeds = torch.cat([target(scene.objects[0]) for scene in demo.scenes])
        inputs = (embeds, demo.empty(len(embeds)), demo.scenes)
        scores = draw_and_score(demo.pipeline, demo.judges, *inputs, settings.draw)[1]
        print(f"  {name:28}{scores['object']:.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
