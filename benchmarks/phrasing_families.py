"""Which phrasings a demo's GlueNets read: one cell per family of phrasings.

    python benchmarks/phrasing_families.py runs/demo --languages zh ja [--scenes validation]
    python benchmarks/phrasing_families.py runs/demo --families photo --wrong-shapes
    python benchmarks/phrasing_families.py runs/demo --pairs --nets averaged --languages zh

For each language, every family of its phrasings (`gluegen_world.captions.FAMILIES`: the
corpus's, the validation and test ones, the requests) describes the demo's scenes; the
language's own GlueNet and the shared GlueNet of the work
folder (`--nets`; "averaged": both, their glued tokens averaged, as the page draws) draw them as
the demo did (its results.json: scene count, draw settings) and the judge scores each image
(mean and per attribute); `--wrong-shapes` adds the commonest shapes drawn instead of the
scene's (truth -> drawn: count). `--pairs` draws the two-object scenes instead, scored by the
pair judge (both objects' shape, colour and size, and the axis), and gives beside the mean the
mean against each scene with its relation inverted ("inverted": the objects as asked, their
places exchanged), which is higher where a family is read the wrong way round. Nothing is
saved.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import torch

from gluegen_world.captions import FAMILIES, FAMILY_ROLES, family_captions
from gluegen_world.demo.settings import DEFAULT_WORKERS, FOREIGN, DemoSettings, DrawSettings
from gluegen_world.demo.stages import WorldDemo
from gluegen_world.demo.workers import quiet_model_loading
from gluegen_world.judge import SEEN
from gluegen_world.scenes import RELATIONS, Scene
from gluegen_world.scoring import draw, score

ATTRIBUTES = ("shape", "colour", "size", "position")
PAIR_ATTRIBUTES = ("axis", "first_shape", "first_colour", "second_shape", "second_colour")
NETS = ("own", "shared", "averaged")
# each relation's inverse: the one that puts the two objects at each other's places
OPPOSITE = {
    relation: inverse
    for relation, places in RELATIONS.items()
    for inverse, other in RELATIONS.items()
    if other == places[::-1]
}


def inverted(scene: Scene) -> Scene:
    """A two-object scene with its relation inverted: the same objects, places exchanged."""
    relation = OPPOSITE[scene.relation]
    places = RELATIONS[relation]
    moved = (replace(o, position=place) for o, place in zip(scene.objects, places, strict=True))
    return Scene(tuple(moved), relation)


def wrong_shapes(judges, images: torch.Tensor, scenes: list, shown: int = 3) -> str:
    """The commonest (truth -> drawn) shape mistakes among one-object images, with counts."""
    with torch.no_grad():
        logits = judges.single(pixel_values=images).logits
    drawn, truth = SEEN.predict(logits)["shape"], SEEN.targets(scenes)["shape"]
    shapes = SEEN.values["shape"]
    mistakes = Counter(
        f"{shapes[t]} -> {shapes[d]}"
        for t, d in zip(truth.tolist(), drawn.tolist(), strict=True)
        if t != d
    )
    return "   " + ", ".join(f"{pair} {count}" for pair, count in mistakes.most_common(shown))


def main(argv: list[str] | None = None) -> int:
    """Print one line per (language, frame, GlueNet)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workdir", type=Path, help="A demo work folder (its runs/ are read).")
    parser.add_argument("--languages", nargs="+", default=list(FOREIGN), choices=FOREIGN)
    parser.add_argument("--scenes", default="test", choices=("test", "validation"))
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument(
        "--wrong-shapes", action="store_true", help="Also the commonest wrong shapes drawn."
    )
    parser.add_argument("--pairs", action="store_true", help="Two-object scenes instead.")
    parser.add_argument("--nets", nargs="+", default=["own", "shared"], choices=NETS)
    args = parser.parse_args(argv)
    if args.pairs and args.wrong_shapes:
        parser.error("--wrong-shapes reads one-object scenes: leave out --pairs.")
    quiet_model_loading()
    torch.set_num_threads(DEFAULT_WORKERS)  # one per core, as the demo has workers
    ran = json.loads((args.workdir / "results.json").read_text())["settings"]
    settings = DemoSettings(
        test_scenes=ran["test_scenes"], draw=DrawSettings(**ran["draw"]), scenes=args.scenes
    )
    demo = WorldDemo(args.workdir, settings, progress=False, workers=1)
    runs = {name: args.workdir / "runs" / name for name in (*FOREIGN, "shared")}
    _, ours, shared, averaged = demo.language_pipelines(runs)
    pipelines = {"own": (ours, True), "shared": (shared, False), "averaged": (averaged, True)}
    attributes = PAIR_ATTRIBUTES if args.pairs else ATTRIBUTES
    width = max(len(a) for a in attributes) + 1
    print(
        f"{'':4}{'net':10}{'family':12}{'role':12}{'mean':>6}"
        + "".join(f"{a:>{width}}" for a in attributes)
        + f"{'inverted':>10}" * args.pairs
    )
    scene_set = demo.pair_scenes if args.pairs else demo.scenes
    for code in args.languages:
        for family in args.families:
            rng = random.Random(f"families-{code}")
            prompts = [rng.choice(family_captions(scene, code, family)) for scene in scene_set]
            for name in args.nets:
                glue, keyed = pipelines[name]  # keyed: to the language's key, else routed
                keys = [code] * len(prompts) if keyed else None
                inputs = demo.glued_inputs(glue, prompts, keys, scenes=scene_set)
                embeds, negative, scenes = inputs()
                images = draw(demo.pipeline, embeds, negative, demo.settings.draw)
                scores = score(demo.judges, images, scenes)
                role = FAMILY_ROLES[family]
                values = "".join(f"{scores[a]:{width}.2f}" for a in attributes)
                extra = wrong_shapes(demo.judges, images, scenes) if args.wrong_shapes else ""
                if args.pairs:
                    other = score(demo.judges, images, [inverted(scene) for scene in scenes])
                    extra = f"{other['mean']:10.3f}"
                print(
                    f"{code:4}{name:10}{family:12}{role:12}{scores['mean']:6.3f}{values}{extra}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
